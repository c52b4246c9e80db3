#!/usr/bin/env bash
# Idempotent installer for everything gatehouse needs to build, run and test locally.
# Safe to run again: each step checks first and is skipped when already satisfied.
#
#   scripts/setup.sh                 all steps
#   scripts/setup.sh node python     only some: chromium | node | python | rust
#
# Works non-interactively (CI=true, no stdin). Only crates.io, PyPI, npm and Debian apt are used.
set -euo pipefail
LOG_TAG=setup
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.117 # must equal the wasm-bindgen crate pinned in Cargo.toml/Cargo.lock
MOTO_VERSION=5.2.5
VENV="$ROOT/.venv"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "need root (or passwordless sudo) for: $*"
  fi
}

apt_updated=0
apt_install() {
  if [[ "$apt_updated" -eq 0 ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" </dev/null
}

step_chromium() {
  if [[ -x /usr/bin/chromium ]]; then
    log "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo '/usr/bin/chromium')) - skip"
    return
  fi
  log "chromium: installing Debian package (apt-get update + install)..."
  local t
  t="$(now)"
  apt_install chromium
  [[ -x /usr/bin/chromium ]] || die "apt installed chromium but /usr/bin/chromium is missing"
  log "chromium: installed in $(elapsed "$t")"
}

step_node() {
  command -v node >/dev/null 2>&1 || die "node is not installed (Node 20 expected on this machine kind)"
  command -v npm >/dev/null 2>&1 || die "npm is not installed"
  local want have="" t
  want="$(sha256sum package-lock.json | cut -d' ' -f1)"
  [[ -f node_modules/.lock-hash ]] && have="$(cat node_modules/.lock-hash)"
  if [[ "$want" == "$have" && -x node_modules/.bin/cognito-local && -x node_modules/.bin/playwright &&
    -x node_modules/.bin/wasm-opt ]]; then
    log "npm: node_modules matches package-lock.json - skip"
    return
  fi
  log "npm: npm ci (no browser download)..."
  t="$(now)"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error </dev/null
  printf '%s\n' "$want" >node_modules/.lock-hash
  log "npm: installed in $(elapsed "$t") (playwright $(node_modules/.bin/playwright --version | awk '{print $2}'), $(node_modules/.bin/wasm-opt --version | cut -d' ' -f1-3))"
}

venv_ok() {
  [[ -x "$VENV/bin/python" && -x "$VENV/bin/moto_server" ]] || return 1
  "$VENV/bin/python" - "$MOTO_VERSION" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
import boto3  # noqa: F401
import flask  # noqa: F401  (moto[server] extra)
sys.exit(0 if version("moto") == sys.argv[1] else 1)
EOF
}

step_python() {
  if venv_ok; then
    log "python: .venv has moto[server]==$MOTO_VERSION and boto3 - skip"
    return
  fi
  local t
  t="$(now)"
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "python: creating .venv..."
    if ! python3 -m venv "$VENV"; then
      rm -rf "$VENV"
      log "python: 'python3 -m venv' failed; installing Debian python3-venv and retrying"
      apt_install python3-venv
      python3 -m venv "$VENV"
    fi
  fi
  log "python: pip install moto[server]==$MOTO_VERSION boto3..."
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "moto[server]==$MOTO_VERSION" boto3 </dev/null
  venv_ok || die "python: .venv still lacks moto[server]==$MOTO_VERSION/boto3 after pip install"
  log "python: ready in $(elapsed "$t")"
}

step_rust() {
  command -v cargo >/dev/null 2>&1 || die "cargo is not on PATH (expected rustup's toolchain in ~/.cargo/bin)"
  command -v rustup >/dev/null 2>&1 || die "rustup is not on PATH"
  local t
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "rust: target wasm32-unknown-unknown present - skip"
  else
    log "rust: rustup target add wasm32-unknown-unknown..."
    t="$(now)"
    rustup target add wasm32-unknown-unknown </dev/null
    log "rust: target added in $(elapsed "$t")"
  fi

  # `make check`: rustfmt and clippy (a minimal rustup profile lacks them).
  local component
  for component in rustfmt clippy; do
    if rustup component list --installed | grep -q "^$component"; then
      log "rust: component $component present - skip"
    else
      log "rust: rustup component add $component..."
      rustup component add "$component" </dev/null
    fi
  done

  # The two build tools, at once. Their own release profiles optimise for the tool's speed
  # (cargo-leptos: fat LTO, one codegen unit: 28 min on 2 cores); a build orchestrator and a
  # bindings generator do not need that, so they are built with a cheaper profile (the
  # environment overrides the crates' manifests). Measured on a fresh 2-core machine:
  # opt-level 1 for both took 21.4 min (cargo-leptos alone the whole time; wasm-bindgen-cli
  # 7.0 min beside it), so cargo-leptos, the longer one, is built unoptimised (13.9 min). Its
  # cost at run time: --precompress (release builds only) compresses about 4x slower (brotli at
  # quality 11 over 2 MB of wasm: 70 s against 16 s, measured with the other core busy).
  # Per-crate overrides would not help: brotli's encoder is generic and is compiled into
  # cargo-leptos itself. wasm-bindgen-cli keeps opt-level 1: it rewrites the whole wasm file on
  # every build.
  local cheap=(
    CARGO_PROFILE_RELEASE_LTO=false
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
    CARGO_PROFILE_RELEASE_OPT_LEVEL=1
    CARGO_PROFILE_RELEASE_DEBUG=false
    CARGO_PROFILE_RELEASE_INCREMENTAL=false
  )
  local cheaper=(
    CARGO_PROFILE_RELEASE_LTO=false
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
    CARGO_PROFILE_RELEASE_OPT_LEVEL=0
    CARGO_PROFILE_RELEASE_DEBUG=false
    CARGO_PROFILE_RELEASE_INCREMENTAL=false
  )
  local v pids=()
  # cargo-leptos 0.3.11 --locked does not build on rustc 1.95 (lockfile needs 1.96): pin 0.3.10.
  v="$(cargo leptos --version 2>/dev/null || true)"
  if [[ "${v##* }" == "$CARGO_LEPTOS_VERSION" ]]; then
    log "rust: $v - skip"
  else
    log "rust: cargo install cargo-leptos@$CARGO_LEPTOS_VERSION --locked, cheap profile (found: ${v:-none})..."
    (
      t="$(now)"
      env "${cheaper[@]}" cargo install "cargo-leptos@$CARGO_LEPTOS_VERSION" --locked --quiet </dev/null
      log "rust: cargo-leptos installed in $(elapsed "$t")"
    ) &
    pids+=($!)
  fi

  # cargo-leptos uses the first wasm-bindgen on PATH; its version must equal the crate's.
  v="$(wasm-bindgen --version 2>/dev/null || true)"
  if [[ "${v##* }" == "$WASM_BINDGEN_VERSION" ]]; then
    log "rust: $v - skip"
  else
    log "rust: cargo install wasm-bindgen-cli --version $WASM_BINDGEN_VERSION --locked, cheap profile (found: ${v:-none})..."
    (
      t="$(now)"
      env "${cheap[@]}" cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --quiet </dev/null
      log "rust: wasm-bindgen-cli installed in $(elapsed "$t")"
    ) &
    pids+=($!)
  fi
  local pid failed=0
  for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
  done
  [[ "$failed" -eq 0 ]] || die "rust: a tool install failed (see above)"
}

steps=("$@")
[[ ${#steps[@]} -gt 0 ]] || steps=(chromium node python rust)
for s in "${steps[@]}"; do
  case "$s" in
    chromium | node | python | rust) ;;
    *) die "unknown step '$s' (choose from: chromium node python rust)" ;;
  esac
done

# Stops a process and everything it started (children first).
kill_tree() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do kill_tree "$child"; done
  kill "$1" 2>/dev/null || true
}

# Disk: a clean clone after `make test` takes ~7.2 GB, target/ 6.2 GB of it (measured
# 2026-12-07; a CI run once ran out of disk when full debug info made target/ ~22 GB). Say so
# up front rather than let a compiler fail with "No space left on device" half-way.
NEED_FREE_GB=8
free_gb="$(df -Pk "$ROOT" 2>/dev/null | awk 'NR==2 { printf "%d", $4 / 1048576 }' || true)"
if [[ ! -d "$ROOT/target" && -n "$free_gb" && "$free_gb" -lt "$NEED_FREE_GB" ]]; then
  warn "disk: ${free_gb} GB free where target/ will be; a first build needs about $NEED_FREE_GB GB"
fi

start="$(now)"
# The Rust tools take longest and mostly compute; the other steps mostly download: run them
# side by side.
rust_pid=""
for s in "${steps[@]}"; do
  if [[ "$s" == rust ]]; then
    step_rust &
    rust_pid=$!
    # A failing step ends the set-up: the tool builds do not go on behind it.
    trap 'kill_tree "$rust_pid"' EXIT
  fi
done
for s in "${steps[@]}"; do
  [[ "$s" == rust ]] || "step_$s"
done
if [[ -n "$rust_pid" ]]; then
  wait "$rust_pid" || die "rust: set-up failed (see above)"
  trap - EXIT
fi
log "done in $(elapsed "$start")"
