# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it; do not execute it.
#   ROOT          project root (the directory that holds Makefile and Cargo.toml)
#   LOCAL_DIR     $ROOT/.local (git-ignored state: tools, bench results, and the default stack)
#   STACK_DIR     the stack's state (emulator data, pid files, logs, lock, stack.env):
#                 $GATEHOUSE_STACK_DIR, default $LOCAL_DIR
#   STACK_ENV     $STACK_DIR/stack.env (written by scripts/seed.py)
#   COGNITO_PORT  cognito-local's port (default 9229); DYNAMODB_PORT: moto's (default 8000)
# GATEHOUSE_STACK_DIR, COGNITO_PORT and DYNAMODB_PORT let a second stack run beside the default
# one (scripts/bench.sh); they are not exported (stack.sh hands them to seed.py), and run, dev,
# test and app-instance refuse them (require_default_stack).
# PATH gets ~/.cargo/bin (cargo-leptos, wasm-bindgen) and node_modules/.bin (wasm-opt from npm
# `binaryen`, cognito-local, playwright) in front, so cargo-leptos never tries to download tools
# and never picks up Debian's older wasm-opt.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$ROOT/.local"
export ROOT LOCAL_DIR

if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  PATH="$HOME/.cargo/bin:$PATH"
fi
if [[ ":$PATH:" != *":$ROOT/node_modules/.bin:"* ]]; then
  PATH="$ROOT/node_modules/.bin:$PATH"
fi
export PATH

# Progress and error lines carry the script's name: "[stack] ...". Writing them never fails the
# script (a closed pipe, e.g. `make run | tee` after Ctrl-C, must not stop the clean-up).
LOG_TAG="${LOG_TAG:-$(basename "$0" .sh)}"
log() { printf '[%s] %s\n' "$LOG_TAG" "$*" 2>/dev/null || true; }
warn() { printf '[%s] WARNING: %s\n' "$LOG_TAG" "$*" >&2 2>/dev/null || true; }
die() {
  printf '[%s] ERROR: %s\n' "$LOG_TAG" "$*" >&2 2>/dev/null || true
  exit 1
}

# (Re)derives STACK_DIR, STACK_ENV and the ports from GATEHOUSE_STACK_DIR, COGNITO_PORT and
# DYNAMODB_PORT (a relative directory is taken from the current directory).
stack_settings() {
  local dir="${GATEHOUSE_STACK_DIR:-$LOCAL_DIR}"
  [[ "$dir" == /* ]] || dir="$PWD/$dir"
  STACK_DIR="${dir%/}"
  STACK_ENV="$STACK_DIR/stack.env"
  COGNITO_PORT="${COGNITO_PORT:-9229}"
  DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
  local port
  for port in "$COGNITO_PORT" "$DYNAMODB_PORT"; do
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
      die "bad port '$port' (COGNITO_PORT / DYNAMODB_PORT)"
    fi
  done
  [[ "$COGNITO_PORT" != "$DYNAMODB_PORT" ]] || die "COGNITO_PORT and DYNAMODB_PORT are both $COGNITO_PORT"
  GATEHOUSE_STACK_DIR="$STACK_DIR"
}
stack_settings

# For the scripts that run the app and the tests on the default stack: the Rust and Playwright
# tests read .local/stack.env, so a second stack's settings left in the shell must stop them.
require_default_stack() {
  [[ "$STACK_DIR" == "$LOCAL_DIR" && "$COGNITO_PORT" == 9229 && "$DYNAMODB_PORT" == 8000 ]] ||
    die "GATEHOUSE_STACK_DIR/COGNITO_PORT/DYNAMODB_PORT are set ($STACK_DIR, $COGNITO_PORT, $DYNAMODB_PORT): this script runs on the default stack only (unset them)"
}

# Milliseconds since the epoch (bash 5 EPOCHREALTIME; '.' or ',' decimal mark depending on locale).
now_ms() {
  local t="${EPOCHREALTIME//[.,]/}"
  echo $((t / 1000))
}
# "1.234s" since a now_ms value.
since() {
  local d=$(($(now_ms) - $1))
  printf '%d.%03ds' $((d / 1000)) $((d % 1000))
}

# Export every KEY=value line of $STACK_ENV (default .local/stack.env) into the environment.
load_stack_env() {
  [[ -f "$STACK_ENV" ]] || die "$STACK_ENV is missing: run 'scripts/stack.sh up' (or 'make stack-up') first"
  set -a
  # shellcheck source=/dev/null
  . "$STACK_ENV"
  set +a
}

# True while the process exists and is not a zombie (an exited child not yet reaped).
pid_alive() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  stat="$(ps -o stat= -p "$1" 2>/dev/null || true)"
  [[ -n "$stat" && "$stat" != Z* ]]
}

# Stop a process (and its process group when it leads one): TERM, wait up to $2 seconds
# (default 10), then KILL. Returns 0 once it is gone.
stop_pid() {
  local pid="$1" grace="${2:-10}" pgid target i
  pid_alive "$pid" || return 0
  pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
  if [[ -n "$pgid" && "$pgid" == "$pid" ]]; then target="-$pid"; else target="$pid"; fi
  kill -TERM -- "$target" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "pid $pid did not stop within ${grace}s after SIGTERM; sending SIGKILL"
  kill -KILL -- "$target" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "pid $pid is still there after SIGKILL"
  return 1
}
