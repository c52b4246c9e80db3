# shellcheck shell=bash
# Shared helpers for scripts/*.sh. Source it; do not execute it.
#   ROOT          project root (the directory that holds Makefile and Cargo.toml)
#   LOCAL_DIR     $ROOT/.local (git-ignored state: emulator data, pid files, logs, stack.env)
#   STACK_ENV     $ROOT/.local/stack.env (written by scripts/seed.py)
# PATH gets ~/.cargo/bin (cargo-leptos, wasm-bindgen) and node_modules/.bin (wasm-opt from npm
# `binaryen`, cognito-local, playwright) in front, so cargo-leptos never tries to download tools
# and never picks up Debian's older wasm-opt.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$ROOT/.local"
STACK_ENV="$LOCAL_DIR/stack.env"
export ROOT LOCAL_DIR STACK_ENV

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

# Export every KEY=value line of .local/stack.env into the environment.
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
