#!/usr/bin/env bash
# Start the Streamlit counterpart on 127.0.0.1:${STREAMLIT_PORT:-3400} (headless).
# Expects the stack settings in the environment: `set -a; . .local/stack.env; set +a`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/setup.sh"
cd "$HERE"
exec "$HERE/.venv/bin/streamlit" run app.py \
  --server.port "${STREAMLIT_PORT:-3400}" \
  --server.headless true \
  --server.address 127.0.0.1 \
  --browser.gatherUsageStats false
