#!/usr/bin/env bash
# `make check`: the quick checks CI runs before the long tests (no emulators needed): rustfmt,
# clippy with warnings as errors (the server with its tests, and the browser side for wasm32),
# and the unit tests (the app's library, the lockout policy crate).
set -euo pipefail
LOG_TAG="check"
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

step() {
  log "==> $*"
  "$@"
}

step cargo fmt --all -- --check
step cargo clippy --features ssr --tests -- -D warnings
step cargo clippy --no-default-features --features hydrate --target wasm32-unknown-unknown --lib -- -D warnings
step cargo test --features ssr --lib
step cargo test -p gatehouse-lockout
log "all checks passed"
