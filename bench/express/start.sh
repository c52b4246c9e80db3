#!/usr/bin/env bash
# Starts the Express peer (port $PORT, default 3300). Expects the environment of
# .local/stack.env (e.g. `set -a; . .local/stack.env; set +a`). Installs the locked
# dependencies first when node_modules is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
export NODE_ENV=production
exec node server.js
