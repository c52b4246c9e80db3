#!/usr/bin/env bash
# `make dev`: the local stack, then `cargo leptos watch` — rebuilds on every change to src/,
# style/ or public/ and reloads the page in the browser (live reload on :3001). The app runs
# on http://localhost:3000 with the stack's settings (and .env's, if present). Ctrl-C stops the
# watcher and the emulators that this run started.
set -euo pipefail
LOG_TAG=dev
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_default_stack
cd "$ROOT"

started_file="$(mktemp "${TMPDIR:-/tmp}/gatehouse-dev.XXXXXX")"
# shellcheck disable=SC2317 # invoked through trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local started=()
  if [[ -s "$started_file" ]]; then mapfile -t started <"$started_file"; fi
  if [[ ${#started[@]} -gt 0 ]]; then
    log "stopping emulators started by this run: ${started[*]}"
    "$ROOT/scripts/stack.sh" down "${started[@]}" || true
  fi
  rm -f "$started_file"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STACK_STARTED_FILE="$started_file" "$ROOT/scripts/stack.sh" up
load_stack_env
if [[ -f .env ]]; then
  set -a
  # shellcheck disable=SC1091
  . ./.env
  set +a
fi
log "cargo leptos watch: http://localhost:3000 (live reload; Ctrl-C stops)"
# Plain bundle names while watching: cargo-leptos 0.3.10 hashes the names on a full build only,
# so a rebuilt stylesheet or wasm would sit beside the names hash.txt still gives (the page would
# keep the old ones). It passes the setting on to the server, which then names the plain files
# and lets browsers keep them only until they change (src/server/assets.rs).
LEPTOS_HASH_FILES=false cargo leptos watch
