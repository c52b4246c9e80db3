#!/usr/bin/env bash
# `make run`: start the local stack, build with cargo-leptos, run the app on http://localhost:3000.
# Ctrl-C (or SIGTERM, or any failure) stops the app and the emulators that this run started;
# emulators that were already running before are left alone.
#   SKIP_BUILD=1 scripts/run.sh   run the existing target/debug/gatehouse without building
set -euo pipefail
LOG_TAG=run
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_default_stack
cd "$ROOT"

APP_PORT=3000
app_pid=""
started_file="$(mktemp "${TMPDIR:-/tmp}/gatehouse-run.XXXXXX")"

# shellcheck disable=SC2317 # invoked through trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  trap '' PIPE # keep cleaning up even if our output pipe is gone
  if [[ -n "$app_pid" ]] && pid_alive "$app_pid"; then
    log "stopping the app (pid $app_pid)"
    stop_pid "$app_pid" 10 || true
  fi
  if [[ -n "$app_pid" ]]; then wait "$app_pid" 2>/dev/null || true; fi
  local started=()
  if [[ -s "$started_file" ]]; then mapfile -t started <"$started_file"; fi
  if [[ ${#started[@]} -gt 0 ]]; then
    log "stopping emulators started by this run: ${started[*]}"
    "$ROOT/scripts/stack.sh" down "${started[@]}" || rc=1
  fi
  rm -f "$started_file"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

STACK_STARTED_FILE="$started_file" "$ROOT/scripts/stack.sh" up

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
  log "cargo leptos build"
  cargo leptos build
fi
[[ -x target/debug/gatehouse ]] || die "target/debug/gatehouse is missing (build failed?)"

load_stack_env
# cognito-local forgets the refresh token of a sign-in that answered a code step, so the demo
# admin's session would end at the first group re-read (5 minutes): the demo re-reads groups
# every hour instead (changes made in /admin still reach open sessions within a minute).
export GROUPS_MAX_AGE_SECS="${GROUPS_MAX_AGE_SECS:-3600}"
# Personal overrides for `make run` (never for tests): copy .env.example to .env and edit.
if [[ -f "$ROOT/.env" ]]; then
  log "applying overrides from .env"
  set -a
  # shellcheck source=/dev/null
  . "$ROOT/.env"
  set +a
fi
export BIND_ADDR="127.0.0.1:$APP_PORT" PUBLIC_URL="http://localhost:$APP_PORT"
log "starting gatehouse on $PUBLIC_URL (Ctrl-C stops the app and the emulators this run started)"
target/debug/gatehouse &
app_pid=$!
set +e
wait "$app_pid"
rc=$?
set -e
app_pid=""
log "gatehouse exited with status $rc"
exit "$rc"
