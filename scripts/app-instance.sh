#!/usr/bin/env bash
# Start one app instance (used by Playwright's webServer entries):
#   scripts/app-instance.sh PORT [KEY=VALUE ...]
# Exports .local/stack.env, then BIND_ADDR=127.0.0.1:PORT and PUBLIC_URL=http://localhost:PORT,
# then the extra KEY=VALUE pairs (they override both), and execs target/debug/gatehouse with the
# project root as working directory. Needs a running stack (scripts/stack.sh up) and a build.
set -euo pipefail
LOG_TAG=app-instance
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_default_stack
cd "$ROOT"

[[ $# -ge 1 ]] || die "usage: $0 PORT [KEY=VALUE ...]"
port="$1"
shift
if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
  die "PORT must be a number in 1..65535, got '$port'"
fi

load_stack_env
export BIND_ADDR="127.0.0.1:$port" PUBLIC_URL="http://localhost:$port"
for kv in "$@"; do
  [[ "$kv" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "expected KEY=VALUE, got '$kv'"
  export "${kv?}"
done

[[ -x target/debug/gatehouse ]] || die "target/debug/gatehouse is missing: run 'cargo leptos build' (or 'make build') first"
exec target/debug/gatehouse
