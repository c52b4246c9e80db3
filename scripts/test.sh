#!/usr/bin/env bash
# `make test` (after `make setup`): start the local stack, run the Rust tests against it (the
# app, then the lockout crate and the pool's trigger, then `make lambda` and the shipped trigger
# binary), build with cargo-leptos, then run the Playwright suite (end2end/playwright.config.ts). Whatever
# happens, the emulators that this run started are stopped again, and the exit status is the
# first failing step's.
set -euo pipefail
LOG_TAG="test"
# shellcheck source=scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require_default_stack
cd "$ROOT"

started_file="$(mktemp "${TMPDIR:-/tmp}/gatehouse-test.XXXXXX")"
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  trap '' PIPE # keep cleaning up even if our output pipe is gone
  local started=()
  if [[ -s "$started_file" ]]; then mapfile -t started <"$started_file"; fi
  if [[ ${#started[@]} -gt 0 ]]; then
    log "stopping emulators started by this run: ${started[*]}"
    "$ROOT/scripts/stack.sh" down "${started[@]}" || true
  fi
  rm -f "$started_file"
  if [[ "$rc" -eq 0 ]]; then log "all test steps passed"; else log "FAILED (exit status $rc)"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() {
  log "==> $*"
  "$@"
}

# The AWS deployment template: cfn-lint, zero errors and zero warnings (no AWS access needed).
step scripts/cfn_lint.sh
# The identity pool's per-user isolation is IAM's, which the stand-ins do not evaluate: its
# policy text is checked here instead (scripts/check_identity_policy.py).
step .venv/bin/python scripts/check_identity_policy.py
# The container recipe (hadolint) and the CircleCI pipeline (CircleCI's schema, offline).
step scripts/lint_docker.sh
step scripts/check_pipeline.sh

STACK_STARTED_FILE="$started_file" step scripts/stack.sh up
load_stack_env

results_dir="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-results.XXXXXX")"
step_logged() { # step, with its output also kept for the closing summary
  local out="$1"
  shift
  log "==> $*"
  "$@" 2>&1 | tee "$results_dir/$out"
}

# A stalled test must fail the run, not eat CI's whole time limit: the test clients time out
# after 45 s, and the whole Rust step (a cold build included) after 40 minutes.
step_logged cargo.txt timeout 2400 cargo test --features ssr
# The workspace's other members: the lockout policy shared with the pool's trigger, and the
# trigger itself (its handler against the lockout table, its binary against a Runtime API).
step_logged cargo-crates.txt timeout 1200 cargo test -p gatehouse-lockout -p gatehouse-lockout-trigger
# The deployable trigger (`make lambda`: linked for Amazon Linux 2023's glibc, checked), and the
# shipped binary itself run against the test's Lambda Runtime API.
step timeout 1200 scripts/lambda.sh
shipped="$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-lambda.XXXXXX")"
python3 -m zipfile -e target/lambda/lockout-trigger/bootstrap.zip "$shipped"
chmod 0755 "$shipped/bootstrap"
step_logged cargo-shipped.txt env LOCKOUT_TRIGGER_BOOTSTRAP="$shipped/bootstrap" \
  timeout 600 cargo test -p gatehouse-lockout-trigger --test runtime
rm -rf "$shipped"

step cargo leptos build

# Fresh DynamoDB state for the browser tests (e.g. no lockout records left by the Rust tests),
# demo users converged back to CONTRACTS.md.
step scripts/stack.sh reset

export PLAYWRIGHT_HTML_OPEN=never
step_logged playwright.txt npx --no-install playwright test -c end2end/playwright.config.ts

# One closing line in the plain form CI reads: Rust and Playwright tests together.
count() { # count FILE REGEX: sums the number in front of the first match on each line
  awk -v re="$2" '{ if (match($0, re)) { split(substr($0, RSTART, RLENGTH), w, " "); s += w[1] } } END { print s + 0 }' "$1"
}
cat "$results_dir/cargo-crates.txt" "$results_dir/cargo-shipped.txt" >>"$results_dir/cargo.txt"
rust_passed=$(count "$results_dir/cargo.txt" '[0-9]+ passed;')
rust_failed=$(count "$results_dir/cargo.txt" '[0-9]+ failed;')
pw_passed=$(count "$results_dir/playwright.txt" '^ *[0-9]+ passed \(')
pw_failed=$(count "$results_dir/playwright.txt" '^ *[0-9]+ failed$')
rm -rf "$results_dir"
echo "summary: $((rust_passed + pw_passed)) passed, $((rust_failed + pw_failed)) failed"
