#!/usr/bin/env bash
# Lints the CloudFormation templates with cfn-lint; fails on any error or warning.
#
#   scripts/cfn_lint.sh                   lint deploy/gatehouse.yaml and deploy/service.yaml
#   scripts/cfn_lint.sh FILE...           lint other templates
#
# cfn-lint lives in the project's .venv (created here with `python3 -m venv` when missing) at
# the pinned version below; it is installed only when absent or at another version (moto[server],
# which scripts/setup.sh installs, brings in an unpinned cfn-lint). Idempotent; needs PyPI only
# for that install. No AWS access is used or needed.
set -euo pipefail

CFN_LINT_VERSION=1.58.0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

log() { printf '[cfn-lint] %s\n' "$*"; }
die() {
  printf '[cfn-lint] ERROR: %s\n' "$*" >&2
  exit 1
}

installed_version() {
  [[ -x "$VENV/bin/cfn-lint" ]] || return 0
  "$VENV/bin/cfn-lint" --version 2>/dev/null | awk '{print $2}' || true
}

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating .venv..."
  python3 -m venv "$VENV" || die "'python3 -m venv .venv' failed (Debian: apt-get install python3-venv)"
fi
have="$(installed_version)"
if [[ "$have" != "$CFN_LINT_VERSION" ]]; then
  log "pip install cfn-lint==$CFN_LINT_VERSION (found: ${have:-none})..."
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cfn-lint==$CFN_LINT_VERSION" </dev/null
  have="$(installed_version)"
  [[ "$have" == "$CFN_LINT_VERSION" ]] || die "cfn-lint $CFN_LINT_VERSION not usable after install (found: ${have:-none})"
fi

templates=("$@")
[[ ${#templates[@]} -gt 0 ]] || templates=(deploy/gatehouse.yaml deploy/service.yaml)
for t in "${templates[@]}"; do
  [[ -f "$t" ]] || die "no such template: $t"
done

# Parseable output: FILE:LINE:COL:ENDLINE:ENDCOL:RULE:MESSAGE, one finding a line.
# Exit code (a bit mask): 2 errors, 4 warnings, 8 informational; informational is not a failure.
rc=0
out="$("$VENV/bin/cfn-lint" --format parseable --non-zero-exit-code warning -- "${templates[@]}" 2>&1)" || rc=$?
[[ -z "$out" ]] || printf '%s\n' "$out"
errors="$(grep -cE '^[^:]+(:[0-9]+){4}:E[0-9]+:' <<<"$out" || true)"
warnings="$(grep -cE '^[^:]+(:[0-9]+){4}:W[0-9]+:' <<<"$out" || true)"
if [[ "$rc" -ne 0 || "$errors" -ne 0 || "$warnings" -ne 0 ]]; then
  printf '[cfn-lint] FAILED: %s: %s error(s), %s warning(s) (cfn-lint %s, exit %s)\n' \
    "${templates[*]}" "$errors" "$warnings" "$CFN_LINT_VERSION" "$rc" >&2
  exit 1
fi
log "OK: ${templates[*]}: 0 errors, 0 warnings (cfn-lint $CFN_LINT_VERSION)"
