#!/usr/bin/env python3
"""Does sign-up or confirmation tell, by its timing, who has an account?

make bench-enumeration (= this script, with the stack up and a debug build): starts its own
gatehouse instance with the per-network form limits off (RATE_LIMIT_BURST=0), then posts the
plain (no-JavaScript) sign-up and confirm forms for three kinds of address, interleaved so that
drift in the stand-ins hits each kind alike:

  registered   the seeded, confirmed demo user
  unconfirmed  an address that signed up and never confirmed
  unknown      a new address each time

(the forgot-password form too; resend is not measured: the Cognito stand-in does not support
it) and prints, per form and kind, the answer (status + where it leads) and the median and p90
time. The answers must be identical; the medians should be close. The stand-in's own timing
is what this measures besides gatehouse's: on AWS, Cognito's own differences (e.g. sending
the e-mail for a new account) are only measurable there.

  .venv/bin/python bench/enumeration.py [--runs N] [--port P] [--json FILE]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "Demo-Passw0rd!"
REGISTERED = "user@example.com"


def csrf_of(html):
    m = re.search(r'name="csrf"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf"', html
    )
    if not m:
        sys.exit("no csrf field on the page")
    return m.group(1)


def post(base, page, action, fields):
    """GET the page (for its token), then time the POST alone. Returns (answer, seconds)."""
    s = requests.Session()
    s.headers["user-agent"] = "gatehouse-bench/1.0"
    html = s.get(base + page, timeout=10).text
    data = dict(fields, csrf=csrf_of(html))
    t0 = time.perf_counter()
    r = s.post(
        base + action,
        data=data,
        headers={"accept": "text/html", "referer": base + page},
        allow_redirects=False,
        timeout=10,
    )
    took = time.perf_counter() - t0
    where = r.headers.get("location", "")
    # The address itself is in the redirect: compare the rest.
    where = re.sub(r"email=[^&]*", "email=…", where)
    answer = f"{r.status_code} {where}"
    if r.status_code in (302, 303) and ("/confirm" in where or "/reset" in where):
        # A form that answers with its page and a message: read the message it flashes.
        follow = s.get(base + r.headers["location"], timeout=10)
        msg = re.search(r'role="(?:alert|status)"[^>]*>(.*?)</(?:p|div)>', follow.text, re.S)
        text = re.sub(r"<[^>]+>", "", msg.group(1)) if msg else ""
        text = text.replace(fields["email"], "…").strip()
        answer += f" → {follow.status_code} “{text}”"
    return answer, took


def start_instance(port):
    env = dict(os.environ)
    proc = subprocess.Popen(
        ["scripts/app-instance.sh", str(port), "RATE_LIMIT_BURST=0", "RUST_LOG=warn"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the app instance exited with {proc.returncode}")
        try:
            if requests.get(base + "/healthz", timeout=1).ok:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.terminate()
    sys.exit("the app instance did not answer /healthz within 60 s")


def summary(samples):
    ms = sorted(t * 1000 for t in samples)
    return {
        "median_ms": round(statistics.median(ms), 1),
        "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=25)
    ap.add_argument("--port", type=int, default=3106)
    ap.add_argument("--json")
    args = ap.parse_args()
    proc, base = start_instance(args.port)
    try:
        tag = uuid.uuid4().hex[:8]
        waiting = f"enum-waiting-{tag}@example.com"
        signup = lambda email: post(
            base,
            "/signup",
            "/api/sign_up",
            {"email": email, "password": PASSWORD, "confirm": PASSWORD},
        )
        confirm = lambda email: post(
            base,
            f"/confirm?email={email}",
            "/api/confirm_account",
            {"email": email, "code": "000000"},
        )
        signup(waiting)
        forgot = lambda email: post(
            base, "/forgot", "/api/forgot_password", {"email": email}
        )
        forms = {"sign-up": signup, "confirm (wrong code)": confirm, "forgot password": forgot}
        results = {}
        for form, send in forms.items():
            kinds = {"registered": [], "unconfirmed": [], "unknown": []}
            answers = {k: set() for k in kinds}
            send(REGISTERED)  # warm-up
            for i in range(args.runs):
                for kind in kinds:
                    email = {
                        "registered": REGISTERED,
                        "unconfirmed": waiting,
                        "unknown": f"enum-new-{tag}-{i}@example.com",
                    }[kind]
                    answer, took = send(email)
                    answers[kind].add(answer)
                    kinds[kind].append(took)
            results[form] = {
                k: dict(summary(v), answers=sorted(answers[k])) for k, v in kinds.items()
            }
        same = True
        for form, by_kind in results.items():
            print(f"\n{form}")
            medians = [r["median_ms"] for r in by_kind.values()]
            for kind, r in by_kind.items():
                print(
                    f"  {kind:<12} median {r['median_ms']:7.1f} ms  p90 {r['p90_ms']:7.1f} ms  answer: {' | '.join(r['answers'])}"
                )
            answer_sets = {tuple(r["answers"]) for r in by_kind.values()}
            if len(answer_sets) != 1:
                same = False
            print(
                f"  answers identical: {len(answer_sets) == 1}; slowest/fastest median: {max(medians) / min(medians):.2f}"
            )
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"runs": args.runs, "forms": results}, f, indent=2)
        return 0 if same else 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
