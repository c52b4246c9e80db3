#!/usr/bin/env bash
# Validates the CircleCI pipeline (.circleci/config.yml) offline; fails on any problem.
#
#   scripts/check_pipeline.sh              check .circleci/config.yml
#   scripts/check_pipeline.sh FILE         check another CircleCI config
#
# 1. check-jsonschema against CircleCI's JSON schema as vendored inside check-jsonschema
#    (`--builtin-schema vendor.circle-ci`): no download, so it works without network once
#    installed.
# 2. What the schema cannot see, as `circleci config validate` would reject it: every workflow job
#    is a defined job (or an approval), every `requires` names a job of the same workflow, every
#    executor and command used is defined (or built in), every `<< parameters.x >>` is declared
#    where it is used, and every `run` command parses as bash (`bash -n`).
#
# check-jsonschema lives in the project's .venv (created here with `python3 -m venv` when
# missing) at the pinned version below; it is installed only when absent or at another version.
# Idempotent; needs PyPI only for that install. Never contacts CircleCI.
set -euo pipefail

CHECK_JSONSCHEMA_VERSION=0.39.0
SCHEMA=vendor.circle-ci
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

log() { printf '[pipeline] %s\n' "$*"; }
die() {
  printf '[pipeline] ERROR: %s\n' "$*" >&2
  exit 1
}

installed_version() { # "check-jsonschema, version 0.39.0" -> 0.39.0
  [[ -x "$VENV/bin/check-jsonschema" ]] || return 0
  "$VENV/bin/check-jsonschema" --version 2>/dev/null | awk '{print $NF}' || true
}

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating .venv..."
  python3 -m venv "$VENV" || die "'python3 -m venv .venv' failed (Debian: apt-get install python3-venv)"
fi
have="$(installed_version)"
if [[ "$have" != "$CHECK_JSONSCHEMA_VERSION" ]]; then
  log "pip install check-jsonschema==$CHECK_JSONSCHEMA_VERSION (found: ${have:-none})..."
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "check-jsonschema==$CHECK_JSONSCHEMA_VERSION" </dev/null
  have="$(installed_version)"
  [[ "$have" == "$CHECK_JSONSCHEMA_VERSION" ]] || die "check-jsonschema $CHECK_JSONSCHEMA_VERSION not usable after install (found: ${have:-none})"
fi

config="${1:-.circleci/config.yml}"
[[ -f "$config" ]] || die "no such file: $config"

# 1. The schema.
rc=0
out="$("$VENV/bin/check-jsonschema" --builtin-schema "$SCHEMA" -- "$config" 2>&1)" || rc=$?
if [[ "$rc" -ne 0 ]]; then
  printf '%s\n' "$out" >&2
  printf '[pipeline] FAILED: %s does not match CircleCI'"'"'s schema (check-jsonschema %s, %s, exit %s)\n' \
    "$config" "$CHECK_JSONSCHEMA_VERSION" "$SCHEMA" "$rc" >&2
  exit 1
fi
log "schema: $config matches CircleCI's schema (check-jsonschema $CHECK_JSONSCHEMA_VERSION, --builtin-schema $SCHEMA)"

# 2. References and shell syntax (ruamel.yaml comes with check-jsonschema).
"$VENV/bin/python" - "$config" <<'EOF'
import re
import subprocess
import sys

from ruamel.yaml import YAML

path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    cfg = YAML(typ="safe", pure=True).load(f)

problems = []
jobs = cfg.get("jobs") or {}
commands = cfg.get("commands") or {}
executors = cfg.get("executors") or {}
orbs = cfg.get("orbs") or {}
BUILTIN_STEPS = {
    "run", "checkout", "setup_remote_docker", "save_cache", "restore_cache", "store_artifacts",
    "store_test_results", "persist_to_workspace", "attach_workspace", "add_ssh_keys", "when",
    "unless", "deploy", "install_signing_bundle",
}
PARAM = re.compile(r"<<\s*parameters\.([A-Za-z0-9_-]+)\s*>>")
ANY_PARAM = re.compile(r"(?<!\\)<<\s*[^>]*?\s*>>")


def from_orb(name):
    return "/" in name and name.split("/", 1)[0] in orbs


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


def check_params(kind, name, body):
    declared = set((body.get("parameters") or {}).keys())
    for text in strings({k: v for k, v in body.items() if k != "parameters"}):
        for p in PARAM.findall(text):
            if p not in declared:
                problems.append(f"{kind} {name}: << parameters.{p} >> is not declared")


def check_steps(where, steps):
    runs = 0
    for step in steps or []:
        name, body = (step, None) if isinstance(step, str) else next(iter(step.items()))
        if name in ("when", "unless"):
            runs += check_steps(where, (body or {}).get("steps"))
            continue
        if name not in BUILTIN_STEPS and name not in commands and not from_orb(name):
            problems.append(f"{where}: step '{name}' is neither built in nor a defined command")
        if name == "run":
            command = body if isinstance(body, str) else (body or {}).get("command", "")
            # What CircleCI hands the shell: parameters filled in, `\<<` unescaped.
            script = ANY_PARAM.sub("PARAM", command).replace("\\<<", "<<")
            res = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
            if res.returncode != 0:
                label = body.get("name", "run") if isinstance(body, dict) else "run"
                problems.append(f"{where}: run '{label}' is not valid bash: {res.stderr.strip()}")
            runs += 1
    return runs


run_steps = 0
for name, body in commands.items():
    check_params("command", name, body)
    run_steps += check_steps(f"command {name}", body.get("steps"))
for name, body in jobs.items():
    check_params("job", name, body)
    ex = body.get("executor")
    ex_name = ex if isinstance(ex, str) else (ex or {}).get("name")
    if ex_name and ex_name not in executors and not from_orb(ex_name):
        problems.append(f"job {name}: executor '{ex_name}' is not defined")
    if not ex_name and not any(k in body for k in ("docker", "machine", "macos")):
        problems.append(f"job {name}: no executor, docker, machine or macos")
    run_steps += check_steps(f"job {name}", body.get("steps"))

workflows = {k: v for k, v in (cfg.get("workflows") or {}).items() if k != "version"}
for wf_name, wf in workflows.items():
    entries = []
    for item in wf.get("jobs") or []:
        job, opts = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        entries.append((job, opts or {}))
    names = {opts.get("name", job) for job, opts in entries}
    for job, opts in entries:
        if opts.get("type") != "approval" and job not in jobs and not from_orb(job):
            problems.append(f"workflow {wf_name}: job '{job}' is not defined")
        for req in opts.get("requires") or []:
            req = req if isinstance(req, str) else next(iter(req))
            if req not in names:
                problems.append(f"workflow {wf_name}: '{opts.get('name', job)}' requires '{req}', not in this workflow")

if problems:
    for p in problems:
        print(f"[pipeline] {p}", file=sys.stderr)
    print(f"[pipeline] FAILED: {path}: {len(problems)} problem(s)", file=sys.stderr)
    sys.exit(1)
print(
    f"[pipeline] references: {len(jobs)} jobs, {len(commands)} commands, {len(executors)} executors, "
    f"{len(workflows)} workflow(s) consistent; {run_steps} run steps parse as bash"
)
EOF
log "OK: $config"
