#!/usr/bin/env bash
# make bench: release build, a fresh stack of its own, then in one run on this machine:
#   gatehouse: the ceiling (/healthz), an authenticated /dashboard (throughput, p50/p99 at a fixed
#   concurrency, p99 at half the maximum throughput), the same without the page cache, and with
#   the page cache while every DynamoDB call answers BENCH_STORE_DELAY_MS later (bench/slow_relay.py
#   in front of moto), the anonymous /login render, a failed
#   sign-in through the lockout path, RSS idle and under load, start-up to the first request;
#   the Express peer (bench/express) on the same stand-ins: the same scenarios where it has them;
#   the Streamlit counterpart (bench/streamlit): start-up, RSS, and (with gatehouse) the time
#   from submitting credentials to the dashboard being visible, measured in Chromium; beside
#   it the floor: the stand-in calls of one sign-in issued directly (examples/signin_floor.rs).
# The stand-ins are the bench's own, started fresh: state in .local/bench-stack (deleted first),
# cognito-local on :9329 and moto on :8100 (scripts/stack.sh with GATEHOUSE_STACK_DIR,
# COGNITO_PORT, DYNAMODB_PORT), stopped at the end; the default stack (:9229, :8000) is not touched.
# Results: .local/bench/*.json, then BENCHMARKS.md (and the README's summary table) from
# bench/report.py. Load generator: oha (cargo install, pinned), never a timed test.
#
#   BENCH_SECONDS=10 BENCH_CONNECTIONS=32 BENCH_SIGNIN_RUNS=15 BENCH_STORE_DELAY_MS=200 \
#   BENCH_THINK_MS=1000 scripts/bench.sh
set -euo pipefail
LOG_TAG=bench
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

OHA_VERSION=1.16.0
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
SIGNIN_RUNS="${BENCH_SIGNIN_RUNS:-15}"
# The sign-in timing's pause between "the form is ready" and the click (a person's, not counted).
export BENCH_THINK_MS="${BENCH_THINK_MS:-1000}"
WARMUP_SECONDS="${BENCH_WARMUP_SECONDS:-2}"
STORE_DELAY_MS="${BENCH_STORE_DELAY_MS:-200}"
GH_PORT=3200
GH_UNCACHED_PORT=3201
GH_SLOW_PORT=3202
EXPRESS_PORT=3300
STREAMLIT_PORT=3400
OUT="$LOCAL_DIR/bench"
TOOLS="$LOCAL_DIR/tools"
PY="$ROOT/.venv/bin/python"
# The bench's own stand-ins (never the default stack of `make run` / `make test`).
BENCH_STACK_DIR="$LOCAL_DIR/bench-stack"
BENCH_COGNITO_PORT=9329
BENCH_DYNAMODB_PORT=8100
SLOW_STORE_PORT=8101 # bench/slow_relay.py -> moto on BENCH_DYNAMODB_PORT
[[ "$STORE_DELAY_MS" =~ ^[0-9]+$ ]] || die "BENCH_STORE_DELAY_MS must be a whole number of milliseconds"
[[ "$BENCH_THINK_MS" =~ ^[0-9]+$ ]] || die "BENCH_THINK_MS must be a whole number of milliseconds"

# scripts/stack.sh on the bench's stack.
bench_stack() {
  GATEHOUSE_STACK_DIR="$BENCH_STACK_DIR" COGNITO_PORT="$BENCH_COGNITO_PORT" \
    DYNAMODB_PORT="$BENCH_DYNAMODB_PORT" scripts/stack.sh "$@"
}
# True when something answers HTTP on 127.0.0.1:PORT.
port_answers() {
  local code
  code="$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null || true)"
  [[ -n "$code" && "$code" != 000 ]]
}

pids=()
stack_started=0
cleanup() {
  for p in "${pids[@]}"; do
    kill -TERM "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  # Exactly the bench's stack (its pid files are in its own directory).
  if ((stack_started)); then bench_stack down || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------- tools and build
scripts/setup.sh
if [[ "$("$TOOLS/bin/oha" --version 2>/dev/null | awk '{print $2}')" != "$OHA_VERSION" ]]; then
  log "cargo install oha@$OHA_VERSION --locked (a few minutes, once)..."
  cargo install oha --version "$OHA_VERSION" --locked --root "$TOOLS" </dev/null
fi
OHA="$TOOLS/bin/oha"
# Its own site directory: the release build's hashed files must not replace the debug build's
# under a running `make run` (whose pages would then fail to load their bundle). The binary reads
# the same variable at start-up.
export LEPTOS_SITE_ROOT="target/bench-site"
log "cargo leptos build --release --precompress (site: $LEPTOS_SITE_ROOT)..."
cargo leptos build --release --precompress
BIN="$ROOT/target/release/gatehouse"
[[ -x "$BIN" ]] || die "$BIN missing after the release build"
# The sign-in floor: the stand-in calls of one sign-in, issued directly (examples/signin_floor.rs).
log "cargo build --release --features ssr --example signin_floor..."
cargo build --release --features ssr --example signin_floor
FLOOR="$ROOT/target/release/examples/signin_floor"

# A fresh stack: a previous run's leftovers stopped, its state deleted, the ports free.
bench_stack down >/dev/null 2>&1 || true
rm -rf "$BENCH_STACK_DIR"
for port in "$BENCH_COGNITO_PORT" "$BENCH_DYNAMODB_PORT" "$SLOW_STORE_PORT" \
  "$GH_PORT" "$GH_UNCACHED_PORT" "$GH_SLOW_PORT" "$EXPRESS_PORT" "$STREAMLIT_PORT"; do
  ! port_answers "$port" || die "port $port is in use: the bench needs it for its own processes"
done
log "stand-ins: a fresh stack in ${BENCH_STACK_DIR#"$ROOT"/} (cognito-local :$BENCH_COGNITO_PORT, moto :$BENCH_DYNAMODB_PORT)"
stack_started=1
bench_stack up
STACK_ENV="$BENCH_STACK_DIR/stack.env"
load_stack_env
case "$COGNITO_ENDPOINT $DYNAMODB_ENDPOINT $COGNITO_ISSUER" in
  "http://127.0.0.1:$BENCH_COGNITO_PORT http://127.0.0.1:$BENCH_DYNAMODB_PORT http://localhost:$BENCH_COGNITO_PORT/"*) ;;
  *) die "$STACK_ENV does not point at the bench's stack ($COGNITO_ENDPOINT, $DYNAMODB_ENDPOINT, $COGNITO_ISSUER)" ;;
esac
rm -rf "$OUT"
mkdir -p "$OUT"
# What this run ran against (the stand-ins slow down as their tables grow).
log "stand-ins: $("$PY" bench/sizes.py "$OUT/tables.json")"

# ------------------------------------------------------------------------------- helpers
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# wait_http URL START_MS -> prints ms from START_MS to the first 2xx
wait_http() {
  local url="$1" start="$2" deadline=$(($(now_ms) + 120000))
  until curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; do
    (($(now_ms) < deadline)) || die "no answer from $url"
    sleep 0.005
  done
  echo $(($(now_ms) - start))
}

# load NAME PID -- oha args...: a warm-up of WARMUP_SECONDS (not recorded: connections, caches,
# the allocator), then oha for SECONDS_PER_RUN while the RSS of PID is sampled.
load() {
  local name="$1" pid="$2"
  shift 3
  local peak=0 r
  if ((WARMUP_SECONDS > 0)); then "$OHA" --no-tui -z "${WARMUP_SECONDS}s" "$@" >/dev/null; fi
  "$OHA" --no-tui --output-format json -z "${SECONDS_PER_RUN}s" "$@" >"$OUT/$name.oha.json" &
  local oha_pid=$!
  while kill -0 "$oha_pid" 2>/dev/null; do
    r="$(rss_kb "$pid")"
    ((r > peak)) && peak="$r"
    sleep 0.2
  done
  wait "$oha_pid"
  echo "{\"name\": \"$name\", \"peak_rss_kb\": $peak}" >"$OUT/$name.rss.json"
  log "$name: $("$PY" bench/report.py summary "$OUT/$name.oha.json")"
}

# max_then_half NAME PID URL -- extra oha args: fixed concurrency, then half that rate.
max_then_half() {
  local name="$1" pid="$2" url="$3"
  shift 4
  load "$name" "$pid" -- -c "$CONNECTIONS" "$@" "$url"
  local half
  half="$("$PY" bench/report.py half-rate "$OUT/$name.oha.json")"
  load "$name-half" "$pid" -- -c "$CONNECTIONS" -q "$half" "$@" "$url"
}

# ------------------------------------------------------------------------------- gatehouse
log "gatehouse (release) on :$GH_PORT"
start="$(now_ms)"
# The failed sign-in scenario repeats one wrong password: a threshold out of reach keeps every
# attempt on the full path (lockout read, Cognito, lockout write) instead of the cheaper refusal.
setsid env BIND_ADDR="127.0.0.1:$GH_PORT" PUBLIC_URL="http://localhost:$GH_PORT" RUST_LOG=warn \
  LOCKOUT_MAX_ATTEMPTS=1000000000 RATE_LIMIT_BURST=0 "$BIN" >"$OUT/gatehouse.log" 2>&1 &
gh_pid=$!
pids+=("$gh_pid")
gh_start_ms="$(wait_http "http://127.0.0.1:$GH_PORT/healthz" "$start")"
curl -fsS -o /dev/null "http://127.0.0.1:$GH_PORT/login"
gh_idle="$(rss_kb "$gh_pid")"

jar="$OUT/gatehouse.cookies"
csrf="$(curl -fsS -c "$jar" "http://localhost:$GH_PORT/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')"
[[ -n "$csrf" ]] || die "no CSRF token on gatehouse's /login"
curl -fsS -o /dev/null -b "$jar" -c "$jar" -H 'accept: application/json' \
  --data-urlencode "email=analyst@example.com" --data-urlencode "password=Demo-Passw0rd!" \
  --data-urlencode "csrf=$csrf" "http://localhost:$GH_PORT/api/sign_in"
session="$(awk '$6 == "gh_session" {print $7}' "$jar")"
csrf_cookie="$(awk '$6 == "gh_csrf" {print $7}' "$jar")"
[[ -n "$session" ]] || die "signing in to gatehouse gave no session cookie"
curl -fsS -H "cookie: gh_session=$session; gh_csrf=$csrf_cookie" "http://127.0.0.1:$GH_PORT/dashboard" | grep -q 'analyst@example.com' ||
  die "the session cookie does not open gatehouse's dashboard"

# Each page's bytes (raw, gzip, hydration state) and the bundle's, before any load.
log "pages: $("$PY" bench/pages.py "http://localhost:$GH_PORT" "$LEPTOS_SITE_ROOT/pkg" "$OUT/pages.json")"

max_then_half gh-healthz "$gh_pid" "http://127.0.0.1:$GH_PORT/healthz" --
# Both cookies, as a browser sends them after its first page (without the CSRF cookie every
# answer would issue a new one, and with it a page that cannot be kept).
max_then_half gh-dashboard "$gh_pid" "http://127.0.0.1:$GH_PORT/dashboard" -- \
  -H "cookie: gh_session=$session; gh_csrf=$csrf_cookie"
# The same view without the rendered-page cache (each view rendered; the session, activity and
# preferences caches stay on, as in production): a second instance on the same tables and session.
setsid env BIND_ADDR="127.0.0.1:$GH_UNCACHED_PORT" PUBLIC_URL="http://localhost:$GH_UNCACHED_PORT" \
  RUST_LOG=warn PAGE_CACHE_SECS=0 RATE_LIMIT_BURST=0 "$BIN" >"$OUT/gatehouse-uncached.log" 2>&1 &
gh_uncached_pid=$!
pids+=("$gh_uncached_pid")
wait_http "http://127.0.0.1:$GH_UNCACHED_PORT/healthz" "$(now_ms)" >/dev/null
max_then_half gh-dashboard-uncached "$gh_uncached_pid" "http://127.0.0.1:$GH_UNCACHED_PORT/dashboard" -- \
  -H "cookie: gh_session=$session; gh_csrf=$csrf_cookie"
kill -TERM "$gh_uncached_pid" 2>/dev/null || true
# The same cached view while the store answers slowly: a third instance whose DynamoDB calls
# (sessions, activity, preferences) go through bench/slow_relay.py, each answered STORE_DELAY_MS
# later; Cognito, the identity pool and S3 are reached directly. Same tables and session.
setsid "$PY" bench/slow_relay.py "$SLOW_STORE_PORT" "$BENCH_DYNAMODB_PORT" "$STORE_DELAY_MS" \
  >"$OUT/slow-relay.log" 2>&1 &
relay_pid=$!
pids+=("$relay_pid")
deadline=$(($(now_ms) + 10000))
until curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$SLOW_STORE_PORT/moto-api/" 2>/dev/null; do
  pid_alive "$relay_pid" || die "bench/slow_relay.py exited (see $OUT/slow-relay.log)"
  (($(now_ms) < deadline)) || die "no answer through bench/slow_relay.py on :$SLOW_STORE_PORT"
  sleep 0.05
done
setsid env BIND_ADDR="127.0.0.1:$GH_SLOW_PORT" PUBLIC_URL="http://localhost:$GH_SLOW_PORT" \
  DYNAMODB_ENDPOINT="http://127.0.0.1:$SLOW_STORE_PORT" RUST_LOG=warn RATE_LIMIT_BURST=0 \
  "$BIN" >"$OUT/gatehouse-slowstore.log" 2>&1 &
gh_slow_pid=$!
pids+=("$gh_slow_pid")
wait_http "http://127.0.0.1:$GH_SLOW_PORT/healthz" "$(now_ms)" >/dev/null
curl -fsS -H "cookie: gh_session=$session; gh_csrf=$csrf_cookie" "http://127.0.0.1:$GH_SLOW_PORT/dashboard" |
  grep -q 'analyst@example.com' || die "the session cookie does not open the slowed-store instance's dashboard"
printf '{"delay_ms":%s,"relay_port":%s,"store_port":%s}\n' \
  "$STORE_DELAY_MS" "$SLOW_STORE_PORT" "$BENCH_DYNAMODB_PORT" >"$OUT/slowstore.json"
max_then_half gh-dashboard-slowstore "$gh_slow_pid" "http://127.0.0.1:$GH_SLOW_PORT/dashboard" -- \
  -H "cookie: gh_session=$session; gh_csrf=$csrf_cookie"
kill -TERM "$gh_slow_pid" "$relay_pid" 2>/dev/null || true
load gh-login "$gh_pid" -- -c "$CONNECTIONS" "http://127.0.0.1:$GH_PORT/login"
load gh-signin-fail "$gh_pid" -- -c "$CONNECTIONS" -m POST \
  -H "cookie: gh_csrf=$csrf_cookie" -H 'accept: application/json' \
  -T 'application/x-www-form-urlencoded' \
  -d "email=bench-nobody%40example.com&password=Wrong-Passw0rd%21&csrf=$csrf" \
  "http://127.0.0.1:$GH_PORT/api/sign_in"
gh_after="$(rss_kb "$gh_pid")"
printf '{"name":"gatehouse","startup_ms":%s,"idle_rss_kb":%s,"after_load_rss_kb":%s}\n' \
  "$gh_start_ms" "$gh_idle" "$gh_after" >"$OUT/gatehouse.proc.json"

# ------------------------------------------------------------------------------- Express peer
log "Express peer on :$EXPRESS_PORT"
(cd bench/express && [[ -d node_modules && node_modules -nt package-lock.json ]] || npm ci --no-audit --no-fund)
start="$(now_ms)"
setsid env PORT="$EXPRESS_PORT" bash bench/express/start.sh >"$OUT/express.log" 2>&1 &
ex_pid=$!
pids+=("$ex_pid")
ex_start_ms="$(wait_http "http://127.0.0.1:$EXPRESS_PORT/healthz" "$start")"
ex_node="$(pgrep -g "$ex_pid" -f 'node server.js' | head -1)"
ex_node="${ex_node:-$ex_pid}"
curl -fsS -o /dev/null "http://127.0.0.1:$EXPRESS_PORT/login"
ex_idle="$(rss_kb "$ex_node")"
ex_cookie="$(node bench/express/get-session.mjs "http://localhost:$EXPRESS_PORT")"
curl -fsS -H "cookie: $ex_cookie" "http://127.0.0.1:$EXPRESS_PORT/dashboard" | grep -q 'analyst@example.com' ||
  die "the Express session cookie does not open its dashboard"
max_then_half ex-healthz "$ex_node" "http://127.0.0.1:$EXPRESS_PORT/healthz" --
max_then_half ex-dashboard "$ex_node" "http://127.0.0.1:$EXPRESS_PORT/dashboard" -- -H "cookie: $ex_cookie"
load ex-login "$ex_node" -- -c "$CONNECTIONS" "http://127.0.0.1:$EXPRESS_PORT/login"
ex_after="$(rss_kb "$ex_node")"
printf '{"name":"express","startup_ms":%s,"idle_rss_kb":%s,"after_load_rss_kb":%s}\n' \
  "$ex_start_ms" "$ex_idle" "$ex_after" >"$OUT/express.proc.json"
kill -TERM "-$ex_pid" 2>/dev/null || true

# ------------------------------------------------------------------------ Streamlit counterpart
log "Streamlit counterpart on :$STREAMLIT_PORT"
bash bench/streamlit/setup.sh
start="$(now_ms)"
setsid env PORT="$STREAMLIT_PORT" bash bench/streamlit/start.sh >"$OUT/streamlit.log" 2>&1 &
st_pid=$!
pids+=("$st_pid")
st_start_ms="$(wait_http "http://127.0.0.1:$STREAMLIT_PORT/" "$start")"
st_py="$(pgrep -g "$st_pid" -f streamlit | head -1)"
st_py="${st_py:-$st_pid}"
st_idle="$(rss_kb "$st_py")"
node bench/streamlit/signin-timing.mjs "gatehouse=http://localhost:$GH_PORT" \
  "streamlit=http://localhost:$STREAMLIT_PORT" --runs "$SIGNIN_RUNS" >"$OUT/signin-timing.jsonl"
if "$FLOOR" "$SIGNIN_RUNS" "${BENCH_EMAIL:-analyst@example.com}" "${BENCH_PASSWORD:-Demo-Passw0rd!}" \
  >"$OUT/signin-floor.json"; then
  log "sign-in floor: $(cat "$OUT/signin-floor.json")"
else
  log "sign-in floor FAILED (see above); the report goes on without it"
  rm -f "$OUT/signin-floor.json"
fi
st_after="$(rss_kb "$st_py")"
printf '{"name":"streamlit","startup_ms":%s,"idle_rss_kb":%s,"after_load_rss_kb":%s}\n' \
  "$st_start_ms" "$st_idle" "$st_after" >"$OUT/streamlit.proc.json"

# ------------------------------------------------------------------------------- report
{
  echo "{"
  echo "\"date\": \"$(date -u +%Y-%m-%d)\","
  echo "\"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) ($(nproc) cores)\","
  echo "\"memory\": \"$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)\","
  echo "\"kernel\": \"$(uname -r)\","
  echo "\"rustc\": \"$(rustc --version)\","
  echo "\"node\": \"$(node --version)\","
  echo "\"python\": \"$("$PY" --version 2>&1)\","
  echo "\"oha\": \"$("$OHA" --version)\","
  echo "\"stack\": \"started fresh for this run: cognito-local on :$BENCH_COGNITO_PORT, moto on :$BENCH_DYNAMODB_PORT (${BENCH_STACK_DIR#"$ROOT"/})\","
  echo "\"seconds\": $SECONDS_PER_RUN, \"connections\": $CONNECTIONS, \"signin_runs\": $SIGNIN_RUNS, \"think_ms\": $BENCH_THINK_MS"
  echo "}"
} >"$OUT/machine.json"
"$PY" bench/report.py write "$OUT" BENCHMARKS.md README.md
log "done: BENCHMARKS.md and the README's summary are updated"
