#!/usr/bin/env bash
# `make lambda`: builds the user pool's lockout trigger (crates/lockout-trigger) for Lambda's
# provided.al2023 runtime on x86_64 and zips it:
#   target/lambda/lockout-trigger/bootstrap.zip   (one file, `bootstrap`, mode 0755)
#
# The binary is linked with cargo-zigbuild against glibc 2.34 (Amazon Linux 2023's), whatever
# this machine's glibc is, and the script fails if it needs anything newer. cargo-zigbuild and
# ziglang come from PyPI into the project's .venv (installed when missing or at another version;
# idempotent). Needs the rustup target x86_64-unknown-linux-gnu (this machine's own) and objdump
# (binutils). No AWS access is used: upload the zip yourself (docs/lockout-trigger.md).
set -euo pipefail
LOG_TAG=lambda
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

CARGO_ZIGBUILD_VERSION=0.24.1
ZIGLANG_VERSION=0.15.2
GLIBC_MAX=2.34 # Amazon Linux 2023 (provided.al2023)
RUST_TARGET=x86_64-unknown-linux-gnu
PACKAGE=gatehouse-lockout-trigger
VENV="$ROOT/.venv"
OUT_DIR="$ROOT/target/lambda/lockout-trigger"
ZIP="$OUT_DIR/bootstrap.zip"
BINARY="$ROOT/target/$RUST_TARGET/release/bootstrap"

t0="$(now_ms)"

# ---------------------------------------------------------------- tools
pip_version() {
  "$VENV/bin/python" - "$1" <<'EOF' 2>/dev/null || true
import sys
from importlib.metadata import version, PackageNotFoundError
try:
    print(version(sys.argv[1]))
except PackageNotFoundError:
    pass
EOF
}

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating .venv..."
  python3 -m venv "$VENV" || die "'python3 -m venv .venv' failed (Debian: apt-get install python3-venv)"
fi
have_zigbuild="$(pip_version cargo-zigbuild)"
have_zig="$(pip_version ziglang)"
if [[ "$have_zigbuild" != "$CARGO_ZIGBUILD_VERSION" || "$have_zig" != "$ZIGLANG_VERSION" ]]; then
  log "pip install cargo-zigbuild==$CARGO_ZIGBUILD_VERSION ziglang==$ZIGLANG_VERSION (found: ${have_zigbuild:-none}, ${have_zig:-none})..."
  t="$(now_ms)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" "ziglang==$ZIGLANG_VERSION" </dev/null
  [[ "$(pip_version cargo-zigbuild)" == "$CARGO_ZIGBUILD_VERSION" ]] || die "cargo-zigbuild $CARGO_ZIGBUILD_VERSION not installed"
  log "tools installed in $(since "$t")"
else
  log "cargo-zigbuild $CARGO_ZIGBUILD_VERSION and ziglang $ZIGLANG_VERSION present - skip"
fi
# `cargo zigbuild` runs the cargo-zigbuild found on PATH; it finds zig through the ziglang
# package of the same Python.
PATH="$VENV/bin:$PATH"
export PATH

command -v objdump >/dev/null 2>&1 || die "objdump is missing (Debian: apt-get install binutils)"
if ! rustup target list --installed | grep -qx "$RUST_TARGET"; then
  log "rustup target add $RUST_TARGET..."
  rustup target add "$RUST_TARGET" </dev/null
fi

# ---------------------------------------------------------------- build
log "cargo zigbuild --release -p $PACKAGE --target $RUST_TARGET.$GLIBC_MAX..."
t="$(now_ms)"
# Symbols stripped (smaller zip, faster cold start); the build goes to target/$RUST_TARGET/,
# apart from the host's own target/release.
# The workspace's release profile is the server's (fat LTO, one codegen unit: slow to
# build); the function is small and cold-start bound, so it keeps the quicker thin LTO.
CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  cargo zigbuild --release -p "$PACKAGE" --bin bootstrap --target "$RUST_TARGET.$GLIBC_MAX"
[[ -x "$BINARY" ]] || die "no binary at $BINARY after the build"
log "built in $(since "$t")"

# ---------------------------------------------------------------- check glibc
needs="$(objdump -T "$BINARY" | grep -o 'GLIBC_[0-9.]*' | sort -V | tail -1 || true)"
[[ -n "$needs" ]] || die "objdump found no GLIBC symbol versions in $BINARY (not a glibc binary?)"
needs="${needs#GLIBC_}"
newest="$(printf '%s\n%s\n' "$needs" "$GLIBC_MAX" | sort -V | tail -1)"
if [[ "$newest" != "$GLIBC_MAX" ]]; then
  die "$BINARY needs GLIBC_$needs, newer than Amazon Linux 2023's $GLIBC_MAX"
fi
log "glibc: needs at most GLIBC_$needs (limit $GLIBC_MAX)"
file_type="$(file -b "$BINARY" 2>/dev/null || true)"
[[ -z "$file_type" ]] || log "binary: $file_type"

# ---------------------------------------------------------------- zip
mkdir -p "$OUT_DIR"
"$VENV/bin/python" - "$BINARY" "$ZIP" <<'EOF'
import sys, zipfile
binary, out = sys.argv[1], sys.argv[2]
tmp = out + ".tmp"
with open(binary, "rb") as f:
    data = f.read()
info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0))
info.create_system = 3  # Unix: the mode below is honoured
info.external_attr = (0o100755 & 0xFFFF) << 16  # regular file, rwxr-xr-x
info.compress_type = zipfile.ZIP_DEFLATED
with zipfile.ZipFile(tmp, "w") as z:
    z.writestr(info, data, compresslevel=9)
import os
os.replace(tmp, out)
EOF
size="$(stat -c %s "$ZIP")"
binary_size="$(stat -c %s "$BINARY")"
sha="$(sha256sum "$ZIP" | cut -c1-16)"
log "OK in $(since "$t0"): $ZIP"
log "  zip $size bytes ($((size / 1024)) KiB); bootstrap $binary_size bytes; sha256 ${sha}..."
log "  upload it under a new key each build, e.g. lockout-trigger/bootstrap-$sha.zip (docs/lockout-trigger.md)"
