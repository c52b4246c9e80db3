#!/usr/bin/env bash
# Local AWS stand-ins for gatehouse, bound to 127.0.0.1 only:
#   cognito : npm cognito-local  on 127.0.0.1:9229 (cwd .local/cognito, data in .local/cognito/.cognito)
#   dynamodb: PyPI moto[server]  on 127.0.0.1:8000 (in memory)
# (ports COGNITO_PORT / DYNAMODB_PORT and the state directory GATEHOUSE_STACK_DIR, default
# .local, when set: a second stack beside the default one, as scripts/bench.sh runs)
#
#   scripts/stack.sh up            start what is not running yet (reuses a healthy service already on
#                                  the port), wait until ready, then seed (scripts/seed.py)
#   scripts/stack.sh down [SVC..]  stop the services that scripts/stack.sh started (all by default)
#   scripts/stack.sh status        print state; exit 0 when both answer, 3 otherwise
#   scripts/stack.sh reset         clear moto (drops all tables) and re-seed
#
# State in .local/ (GATEHOUSE_STACK_DIR): <svc>.pid exists only for a process this script started (so `down` never
# stops a service someone else started), <svc>.log is its output, and last-up.started lists the
# services that the latest `up` started itself (scripts/run.sh and scripts/test.sh read it to stop
# exactly those; they point STACK_STARTED_FILE at a file of their own).
# Env: STACK_TIMEOUT (seconds to wait for readiness, default 60), STACK_STARTED_FILE,
# GATEHOUSE_STACK_DIR, COGNITO_PORT, DYNAMODB_PORT (scripts/common.sh).
set -euo pipefail
LOG_TAG=stack
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

SERVICES=(cognito dynamodb)
STACK_TIMEOUT="${STACK_TIMEOUT:-60}"
COGNITO_DIR="$STACK_DIR/cognito"
STARTED_FILE="${STACK_STARTED_FILE:-$STACK_DIR/last-up.started}"

svc_port() {
  case "$1" in
    cognito) echo "$COGNITO_PORT" ;;
    dynamodb) echo "$DYNAMODB_PORT" ;;
    *) die "unknown service '$1' (choose from: ${SERVICES[*]})" ;;
  esac
}
pid_file() { echo "$STACK_DIR/$1.pid"; }
log_file() { echo "$STACK_DIR/$1.log"; }

# True when the service answers its health URL with the body only that emulator gives.
healthy() {
  local body
  case "$1" in
    cognito) body="$(curl -s --max-time 2 "http://127.0.0.1:$COGNITO_PORT/health" 2>/dev/null || true)"
      [[ "$body" == *'"ok":true'* ]] ;;
    dynamodb) body="$(curl -s --max-time 2 "http://127.0.0.1:$DYNAMODB_PORT/moto-api/" 2>/dev/null || true)"
      [[ "$body" == *'<title>Moto</title>'* ]] ;;
  esac
}
port_in_use() {
  local code
  code="$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$(svc_port "$1")/" 2>/dev/null || true)"
  [[ -n "$code" && "$code" != 000 ]]
}

# Pid recorded by this script, if that process still runs (and still is that emulator of this
# stack, not a recycled pid nor another stack's: cognito-local runs in this stack's cognito/ dir,
# moto has this stack's port on its command line); removes a stale pid file.
our_pid() {
  local f pid args want ours=1
  f="$(pid_file "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  case "$1" in
    cognito) want=cognito-local ;;
    *) want="dynamodb_server.py 127.0.0.1 $DYNAMODB_PORT" ;; # the whole command line's end
  esac
  args="$(ps -o args= -p "$pid" 2>/dev/null || true)"
  if [[ "$1" == cognito && "$pid" =~ ^[0-9]+$ && -e "/proc/$pid/cwd" ]]; then
    [[ "/proc/$pid/cwd" -ef "$COGNITO_DIR" ]] || ours=0
  fi
  if [[ "$pid" =~ ^[0-9]+$ && ("$args" == *"$want" || ("$1" == cognito && "$args" == *"$want"*)) ]] && ((ours)) && pid_alive "$pid"; then
    echo "$pid"
    return 0
  fi
  rm -f "$f"
  return 1
}

log_tail() {
  local f
  f="$(log_file "$1")"
  if [[ -s "$f" ]]; then
    printf -- '----- last lines of %s -----\n' "$f" >&2
    tail -n 25 "$f" >&2
    printf -- '-----\n' >&2
  fi
}

# Poll (every 0.1 s) until the service answers. Returns 1 (after showing the log tail) when our
# process died or STACK_TIMEOUT passed.
wait_ready() {
  local svc="$1" pid="${2:-}" deadline
  deadline=$(($(now_ms) + STACK_TIMEOUT * 1000))
  until healthy "$svc"; do
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      log_tail "$svc"
      printf '[stack] ERROR: %s exited during start-up (see %s)\n' "$svc" "$(log_file "$svc")" >&2
      return 1
    fi
    if (($(now_ms) >= deadline)); then
      log_tail "$svc"
      printf '[stack] ERROR: %s not ready on 127.0.0.1:%s after %ss (see %s)\n' \
        "$svc" "$(svc_port "$svc")" "$STACK_TIMEOUT" "$(log_file "$svc")" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Start one service in its own session/process group (setsid: pid == pgid, no SIGINT from the
# terminal, no SIGHUP); sets STARTED_PID. fd 9 (the stack.sh lock) is closed for the child.
start_service() {
  local svc="$1"
  case "$svc" in
    cognito)
      [[ -x "$ROOT/node_modules/.bin/cognito-local" ]] ||
        die "node_modules/.bin/cognito-local missing: run scripts/setup.sh node"
      (
        cd "$COGNITO_DIR"
        HOST=127.0.0.1 PORT="$COGNITO_PORT" exec setsid "$ROOT/node_modules/.bin/cognito-local" \
          </dev/null >"$(log_file cognito)" 2>&1 9>&-
      ) &
      ;;
    dynamodb)
      [[ -x "$ROOT/.venv/bin/moto_server" ]] || die ".venv/bin/moto_server missing: run scripts/setup.sh python"
      # moto's server, one request at a time (per-request atomicity, as DynamoDB has):
      # see scripts/dynamodb_server.py. TZ=UTC: moto dates identity-pool credentials with a
      # naive UTC time read as local time.
      TZ=UTC setsid "$ROOT/.venv/bin/python" "$ROOT/scripts/dynamodb_server.py" 127.0.0.1 "$DYNAMODB_PORT" \
        </dev/null >"$(log_file dynamodb)" 2>&1 9>&- &
      ;;
  esac
  STARTED_PID=$!
  echo "$STARTED_PID" >"$(pid_file "$svc")"
}

write_cognito_config() {
  local cfg="$COGNITO_DIR/.cognito/config.json"
  local want="{\"TokenConfig\":{\"IssuerDomain\":\"http://localhost:$COGNITO_PORT\"}}"
  mkdir -p "$COGNITO_DIR/.cognito"
  if [[ ! -f "$cfg" || "$(cat "$cfg")" != "$want" ]]; then
    printf '%s\n' "$want" >"$cfg"
  fi
}

# Seeds the emulators. The demo admin's authenticator key (CONTRACTS.md) cannot be chosen
# through Cognito's API, and cognito-local keeps its data in memory: when seed.py exits 3 the key
# is written into cognito-local's data file while it is stopped, and seeding runs again.
seed() {
  [[ -x "$ROOT/.venv/bin/python" ]] || die ".venv missing: run scripts/setup.sh python"
  local rc=0 pid
  GATEHOUSE_STACK_DIR="$STACK_DIR" COGNITO_PORT="$COGNITO_PORT" DYNAMODB_PORT="$DYNAMODB_PORT" \
    "$ROOT/.venv/bin/python" "$ROOT/scripts/seed.py" || rc=$?
  ((rc == 3)) || return "$rc"
  pid="$(our_pid cognito)" ||
    die "the demo admin's authenticator key must be written with cognito-local stopped, but the running one was not started by stack.sh: stop it and run 'scripts/stack.sh up'"
  stop_pid "$pid" 10 || die "could not stop cognito (pid $pid)"
  rc=0
  GATEHOUSE_STACK_DIR="$STACK_DIR" COGNITO_PORT="$COGNITO_PORT" DYNAMODB_PORT="$DYNAMODB_PORT" \
    "$ROOT/.venv/bin/python" "$ROOT/scripts/seed.py" --write-admin-key || rc=$?
  # Started again whatever happened: the stack is left up, as after any seeding failure.
  start_service cognito
  wait_ready cognito "$STARTED_PID" || die "cognito-local did not come back after the restart (see $(log_file cognito))"
  ((rc == 0)) || return "$rc"
  log "cognito: restarted (pid $STARTED_PID) with the demo admin's authenticator key"
  rc=0
  GATEHOUSE_STACK_DIR="$STACK_DIR" COGNITO_PORT="$COGNITO_PORT" DYNAMODB_PORT="$DYNAMODB_PORT" \
    "$ROOT/.venv/bin/python" "$ROOT/scripts/seed.py" || rc=$?
  ((rc != 3)) || die "the demo admin's authenticator key was written into $COGNITO_DIR/.cognito/db but cognito-local does not use it"
  return "$rc"
}

cmd_up() {
  write_cognito_config
  local svc pid started=() t0
  t0=$(now_ms)
  : >"$STARTED_FILE"
  for svc in "${SERVICES[@]}"; do
    if pid="$(our_pid "$svc")"; then
      wait_ready "$svc" "$pid" || die "$svc (pid $pid, started earlier by stack.sh) does not answer; try 'scripts/stack.sh down' first"
      log "$svc: already running (pid $pid, started by stack.sh) on 127.0.0.1:$(svc_port "$svc")"
    elif healthy "$svc"; then
      log "$svc: a healthy instance already listens on 127.0.0.1:$(svc_port "$svc"); reusing it (down will not stop it)"
    elif port_in_use "$svc"; then
      [[ ${#started[@]} -eq 0 ]] || cmd_down "${started[@]}"
      die "port $(svc_port "$svc") is taken by something that does not answer like $svc"
    else
      start_service "$svc"
      pid=$STARTED_PID
      started+=("$svc")
      printf '%s\n' "${started[@]}" >"$STARTED_FILE"
      log "$svc: started (pid $pid), log ${STACK_DIR#"$ROOT"/}/$svc.log"
    fi
  done
  for svc in "${started[@]}"; do
    if ! wait_ready "$svc" "$(cat "$(pid_file "$svc")")"; then
      cmd_down "${started[@]}" # do not leave half a stack behind
      die "stack did not start"
    fi
    log "$svc: ready on 127.0.0.1:$(svc_port "$svc") after $(since "$t0")"
  done
  seed || die "seeding failed (the emulators stay up for inspection: 'scripts/stack.sh down' stops them)"
  log "up: stack ready in $(since "$t0") (started now: ${started[*]:-none}); env in ${STACK_ENV#"$ROOT"/}"
}

cmd_down() {
  local svcs=("$@") svc pid
  [[ ${#svcs[@]} -gt 0 ]] || svcs=("${SERVICES[@]}")
  for svc in "${svcs[@]}"; do
    svc_port "$svc" >/dev/null
    if pid="$(our_pid "$svc")"; then
      stop_pid "$pid" 10 || die "could not stop $svc (pid $pid)"
      rm -f "$(pid_file "$svc")"
      log "$svc: stopped (pid $pid)"
    elif healthy "$svc"; then
      log "$svc: running but not started by stack.sh; leaving it"
    else
      log "$svc: not running"
    fi
  done
}

cmd_status() {
  local svc pid all=0
  for svc in "${SERVICES[@]}"; do
    if healthy "$svc"; then
      if pid="$(our_pid "$svc")"; then
        log "$svc: up on 127.0.0.1:$(svc_port "$svc") (pid $pid, started by stack.sh)"
      else
        log "$svc: up on 127.0.0.1:$(svc_port "$svc") (not started by stack.sh)"
      fi
    else
      all=3
      if pid="$(our_pid "$svc")"; then
        log "$svc: NOT answering (pid $pid is running; log $(log_file "$svc"))"
      else
        log "$svc: down"
      fi
    fi
  done
  if [[ -f "$STACK_ENV" ]]; then log "env: ${STACK_ENV#"$ROOT"/}"; else log "env: ${STACK_ENV#"$ROOT"/} not written yet"; fi
  return "$all"
}

cmd_reset() {
  local svc
  for svc in "${SERVICES[@]}"; do
    healthy "$svc" || die "$svc is not running: use 'scripts/stack.sh up'"
  done
  curl -fsS --max-time 10 -X POST "http://127.0.0.1:$DYNAMODB_PORT/moto-api/reset" >/dev/null ||
    die "POST /moto-api/reset failed"
  log "dynamodb: moto reset (all tables dropped)"
  seed
}

mkdir -p "$STACK_DIR"
cmd="${1:-}"
[[ $# -gt 0 ]] && shift
case "$cmd" in
  up | down | status | reset)
    # One stack.sh at a time (e.g. parallel Playwright web servers calling `up`).
    exec 9>"$STACK_DIR/stack.lock"
    flock -w 300 9 || die "another scripts/stack.sh is still running (lock $STACK_DIR/stack.lock)"
    "cmd_$cmd" "$@"
    ;;
  *)
    echo "usage: $0 up | down [cognito|dynamodb ...] | status | reset" >&2
    exit 2
    ;;
esac
