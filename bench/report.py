#!/usr/bin/env python3
"""Reads the benchmark results of scripts/bench.sh (.local/bench/*.json) and writes BENCHMARKS.md
and the summary table between the bench markers of README.md.

  report.py summary FILE.oha.json      one line: req/s, p50, p99
  report.py half-rate FILE.oha.json    half the measured req/s (for oha -q)
  report.py write OUTDIR BENCHMARKS.md README.md

OUTDIR holds <scenario>.oha.json (+ .rss.json), <app>.proc.json, machine.json, and when present
tables.json (bench/sizes.py), slowstore.json (the slowed-store scenario's delay), the sign-in
timings. A missing scenario's rows are left out.
"""
import json
import sys
from pathlib import Path

START = "<!-- bench:start -->"
END = "<!-- bench:end -->"


def oha(path):
    data = json.loads(Path(path).read_text())
    summary = data["summary"]
    pct = data.get("latencyPercentiles") or {}
    codes = data.get("statusCodeDistribution") or {}
    errors = data.get("errorDistribution") or {}
    total = sum(codes.values())
    ok = sum(n for c, n in codes.items() if str(c).startswith(("2", "3")))
    return {
        "rps": summary.get("requestsPerSec") or 0.0,
        "p50_ms": (pct.get("p50") or 0.0) * 1000,
        "p99_ms": (pct.get("p99") or 0.0) * 1000,
        "requests": total,
        "ok": ok,
        "codes": codes,
        # Requests still in flight when the run's time is up are cut off by oha, not failed.
        "errors": sum(n for e, n in errors.items() if "aborted due to deadline" not in e),
    }


def line(r):
    return (
        f"{r['rps']:.0f} req/s, p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
        f"{r['requests']} responses {r['codes']}, {r['errors']} errors"
    )


def load_all(out):
    out = Path(out)
    res = {}
    for f in out.glob("*.oha.json"):
        name = f.name[: -len(".oha.json")]
        res[name] = oha(f)
        rss = out / f"{name}.rss.json"
        if rss.exists():
            res[name]["peak_rss_kb"] = json.loads(rss.read_text())["peak_rss_kb"]
    proc = {}
    for f in out.glob("*.proc.json"):
        d = json.loads(f.read_text())
        proc[d["name"]] = d
    timing = {}
    machine = json.loads((out / "machine.json").read_text())
    tj = out / "signin-timing.jsonl"
    if tj.exists():
        for l in tj.read_text().splitlines():
            if l.strip():
                d = json.loads(l)
                timing[d["target"]] = d
    # Optional results: (file, where its JSON goes, under which key).
    for name, into, key in [
        ("signin-floor.json", timing, "floor"),
        ("tables.json", machine, "stand_ins"),
        ("pages.json", machine, "pages"),
        ("slowstore.json", machine, "slowstore"),
    ]:
        f = out / name
        if f.exists():
            into[key] = json.loads(f.read_text())
    return res, proc, timing, machine


def slow_label(m):
    """How much later the store answered in the slowed-store scenario."""
    d = (m.get("slowstore") or {}).get("delay_ms")
    return f"+{d} ms per DynamoDB call" if d is not None else "DynamoDB slowed"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "n/a"


def mb(kb):
    return f"{kb / 1024:.0f} MB" if kb else "n/a"


def write(out, bench_md, readme):
    res, proc, timing, m = load_all(out)
    g = lambda k: res.get(k)  # noqa: E731
    rows = [
        ("Ceiling: `GET /healthz`", "gh-healthz", "ex-healthz"),
        ("Authenticated dashboard (fixed concurrency)", "gh-dashboard", "ex-dashboard"),
        ("Authenticated dashboard at half the max rate", "gh-dashboard-half", "ex-dashboard-half"),
        ("Dashboard without the page cache (`PAGE_CACHE_SECS=0`)", "gh-dashboard-uncached", None),
        ("… at half its max rate", "gh-dashboard-uncached-half", None),
        (f"Dashboard with the store slowed ({slow_label(m)}, `bench/slow_relay.py`)", "gh-dashboard-slowstore", None),
        ("… at half its max rate", "gh-dashboard-slowstore-half", None),
        ("Anonymous `/login` page", "gh-login", "ex-login"),
        ("Failed sign-in through the lockout path", "gh-signin-fail", None),
    ]
    md = []
    md.append("# Benchmarks\n")
    md.append(
        "Written by `make bench` (`scripts/bench.sh`, then `bench/report.py`); do not edit by hand. "
        "Every figure below comes from one run on one machine, all three apps against the same local "
        "stand-ins (cognito-local, moto). The stand-ins are far slower than Cognito and DynamoDB, so "
        "absolute numbers say little about AWS; the ratios between apps on the same stand-ins are the "
        "point.\n"
    )
    md.append("## Machine and versions\n")
    for k in ["date", "cpu", "memory", "kernel", "rustc", "node", "python", "oha"]:
        md.append(f"- {k}: {m.get(k)}")
    md.append(
        f"- load: oha, {m['connections']} connections, {m['seconds']} s per scenario; "
        f"sign-in timing: {m['signin_runs']} runs per app in headless Chromium"
        + (f", the click {m['think_ms']} ms after the form is ready" if "think_ms" in m else "")
    )
    if m.get("stack"):
        md.append(f"- stand-ins: {m['stack']}")
    if "stand_ins" in m:
        md.append(f"- stand-ins at the start (items per table): {sizes_text(m['stand_ins'])}")
    if "slowstore" in m:
        md.append(
            f"- slowed store: a second cached instance whose DynamoDB calls go through "
            f"`bench/slow_relay.py`, each answered {m['slowstore'].get('delay_ms', '?')} ms later "
            "(Cognito reached directly)"
        )
    md.append("")
    md.append("## HTTP scenarios\n")
    md.append("| scenario | gatehouse req/s | p50 | p99 | Express req/s | p50 | p99 | gatehouse / Express | gatehouse / ceiling |")
    md.append("|---|---|---|---|---|---|---|---|---|")
    ceiling = g("gh-healthz")
    for label, gk, ek in rows:
        gr, er = g(gk), g(ek) if ek else None
        if not gr:
            continue
        ef = (lambda r: (f"{r['rps']:.0f}", f"{r['p50_ms']:.2f} ms", f"{r['p99_ms']:.2f} ms")) if er else None
        e = ef(er) if er else ("n/a", "", "")
        md.append(
            f"| {label} | {gr['rps']:.0f} | {gr['p50_ms']:.2f} ms | {gr['p99_ms']:.2f} ms | "
            f"{e[0]} | {e[1]} | {e[2]} | {ratio(gr['rps'], er['rps']) if er else 'n/a'} | "
            f"{ratio(gr['rps'], ceiling['rps']) if ceiling else 'n/a'} |"
        )
    md.append("")
    md.append(
        "Non-2xx/3xx answers or transport errors in any scenario are listed here (a benchmark of "
        "error pages would be worthless):\n"
    )
    bad = [f"- {k}: {line(r)}" for k, r in sorted(res.items()) if r["errors"] or r["ok"] < r["requests"]]
    # The failed sign-in scenario answers 200 with the form's message by design.
    md.extend(bad or ["- none"])
    md.append("")
    md.append("## Processes\n")
    md.append("| app | start-up to first answer | RSS idle | RSS peak under load | RSS after |")
    md.append("|---|---|---|---|---|")
    peaks = {
        "gatehouse": max(
            (
                r.get("peak_rss_kb", 0)
                for k, r in res.items()
                if k.startswith("gh-") and "uncached" not in k and "slowstore" not in k
            ),
            default=0,
        ),
        "express": max((r.get("peak_rss_kb", 0) for k, r in res.items() if k.startswith("ex-")), default=0),
        "streamlit": 0,
    }
    for name in ["gatehouse", "express", "streamlit"]:
        p = proc.get(name)
        if p:
            md.append(
                f"| {name} | {p['startup_ms']} ms | {mb(p['idle_rss_kb'])} | {mb(peaks[name])} | {mb(p['after_load_rss_kb'])} |"
            )
    md.append("")
    md.append("## Sign-in to dashboard (submit → dashboard content visible)\n")
    md.append(
        "In the page: from the click event to the first frame after the dashboard's email is in "
        "the document (the page's own clock). The click comes a moment after the form is ready "
        "(the machine line gives it; a person takes seconds to type), not while the browser is "
        "still compiling the page's code. As Playwright sees it: around Playwright's click "
        "action and its wait for the email (adds its actionability checks and polling). "
        "Sign-in request: gatehouse's `/api/sign_in`, start to response end (server and stand-ins). "
        "Floor: the stand-in calls one sign-in makes (lockout admission, `InitiateAuth`, the "
        "lockout's clear, the session write), issued directly one after the other by "
        "`examples/signin_floor.rs` in the same run.\n"
    )
    md.append("| app | measure | median | p90 | min | max |")
    md.append("|---|---|---|---|---|---|")
    fmt = lambda t: f"{t['median_ms']:.0f} ms | {t['p90_ms']:.0f} ms | {t['min_ms']:.0f} ms | {t['max_ms']:.0f} ms"  # noqa: E731
    for name in ["gatehouse", "streamlit"]:
        t = timing.get(name)
        if not t or "median_ms" not in t:
            continue
        md.append(f"| {name} | in the page | {fmt(t)} |")
        if "playwright" in t:
            md.append(f"| {name} | as Playwright sees it | {fmt(t['playwright'])} |")
        if "request" in t:
            md.append(f"| {name} | sign-in request | {fmt(t['request'])} |")
    if "floor" in timing:
        md.append(f"| floor | stand-in calls of one sign-in | {fmt(timing['floor'])} |")
    if "gatehouse" in timing and "streamlit" in timing:
        g, st = timing["gatehouse"], timing["streamlit"]
        md.append(
            f"\ngatehouse is {speed(st['median_ms'], g['median_ms'])} than the Streamlit "
            "counterpart in the page"
            + (
                f", {speed(st['playwright']['median_ms'], g['playwright']['median_ms'])} as Playwright sees it"
                if "playwright" in g and "playwright" in st
                else ""
            )
            + " (medians).\n"
        )
    pages = m.get("pages")
    if pages:
        md.append("## Page weight\n")
        md.append(
            "Each page's HTML as the bench's demo users receive it (`bench/pages.py`): raw, gzip "
            "(level 6: what a compressing proxy would send; gatehouse does not compress its pages, "
            "which carry a CSRF token), and the part of it that is hydration state (the resources "
            "serialized into the page: the session and the forms' values; what the dashboard, the "
            "reports and the audit log show, and the rows of the admin directory and of the "
            "lockouts, are sent once, in their markup).\n"
        )
        md.append("| page | HTML | gzip | of it hydration state |")
        md.append("|---|---|---|---|")
        for p in pages.get("pages", []):
            md.append(f"| `{p['path']}` | {p['raw']:,} B | {p['gzip']:,} B | {p['state']:,} B |")
        md.append("")
        kb = lambda n: f"{n / 1024:,.0f} KiB" if n is not None else "n/a"  # noqa: E731
        parts = [f"{b['file']} {kb(b['raw'])} ({kb(b['br'])} brotli)" for b in pages.get("bundle", [])]
        if parts:
            md.append(
                "Loaded once per visit and then cached by the browser (hashed names, served "
                "precompressed): " + ", ".join(parts) + ".\n"
            )
    summary = summarise(res, timing, m)
    md.append("## Against the goals\n")
    md.extend(summary)
    md.append("")
    notes = Path(out).parent.parent / "bench" / "NOTES.md"
    if notes.exists():
        md.append(notes.read_text().rstrip() + "\n")
    Path(bench_md).write_text("\n".join(md) + "\n")

    text = Path(readme).read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _, tail = rest.split(END, 1)
        block = [START, ""]
        block.extend(summary)
        block += ["", "Full tables, machine and commands: [BENCHMARKS.md](BENCHMARKS.md).", "", END]
        Path(readme).write_text(head + "\n".join(block) + tail)


def speed(theirs_ms, ours_ms):
    """"1.52× faster" or "1.05× slower": gatehouse's time against another's."""
    r = theirs_ms / ours_ms
    return f"{r:.2f}× faster" if r >= 1 else f"{1 / r:.2f}× slower"


def sizes_text(sizes):
    tables = ", ".join(f"`{k}` {v}" for k, v in (sizes.get("tables") or {}).items()) or "none"
    return f"{tables}; users in the pool: {sizes.get('pool_users', 'n/a')}"


# The slowed-store goal: the cached /dashboard's p99 at half rate stays within this many ms of the
# same figure with the store at full speed.
SLOWSTORE_MARGIN_MS = 5.0


def summarise(res, timing, m=None):
    m = m or {}
    out = []
    if "stand_ins" in m:
        out.append(f"- Stand-ins at the start (items per table): {sizes_text(m['stand_ins'])}.")
    gd, gc, ed = res.get("gh-dashboard"), res.get("gh-healthz"), res.get("ex-dashboard")
    if gd and gc:
        r = gd["rps"] / gc["rps"]
        out.append(
            f"- Authenticated `/dashboard`: {gd['rps']:.0f} req/s = {r:.0%} of the ceiling route "
            f"({gc['rps']:.0f} req/s); goal ≥ 50%: {'met' if r >= 0.5 else 'not met'}."
        )
    gu = res.get("gh-dashboard-uncached")
    if gu and gc:
        r = gu["rps"] / gc["rps"]
        half = res.get("gh-dashboard-uncached-half")
        p99 = f"; p99 at half load {half['p99_ms']:.2f} ms" if half and "p99_ms" in half else ""
        out.append(
            f"- `/dashboard` without the page cache: {gu['rps']:.0f} req/s = {r:.0%} of the ceiling{p99}; "
            f"goal ≥ 20%: {'met' if r >= 0.2 else 'not met'}."
        )
    gs, gsh, gdh = res.get("gh-dashboard-slowstore"), res.get("gh-dashboard-slowstore-half"), res.get("gh-dashboard-half")
    if gs and gsh:
        base = f" vs {gdh['p99_ms']:.2f} ms at full speed" if gdh else ""
        verdict = ""
        if gdh:
            over = gsh["p99_ms"] - gdh["p99_ms"]
            verdict = (
                f" ({over:+.2f} ms); goal within {SLOWSTORE_MARGIN_MS:.0f} ms: "
                f"{'met' if over <= SLOWSTORE_MARGIN_MS else 'not met'}"
            )
        out.append(
            f"- Cached `/dashboard` with the store slowed ({slow_label(m)}): {gs['rps']:.0f} req/s, "
            f"p50 {gs['p50_ms']:.2f} ms, p99 {gs['p99_ms']:.2f} ms; p99 at half load "
            f"{gsh['p99_ms']:.2f} ms{base}{verdict}."
        )
    if gd and ed:
        r = gd["rps"] / ed["rps"]
        out.append(
            f"- Against Express: {r:.1f}× its authenticated page ({ed['rps']:.0f} req/s); goal ≥ 5×: "
            f"{'met' if r >= 5 else 'not met'}."
        )
    if "gatehouse" in timing and "streamlit" in timing:
        g, st = timing["gatehouse"], timing["streamlit"]
        r = st["median_ms"] / g["median_ms"]
        req = f"; of which the sign-in request {g['request']['median_ms']:.0f} ms" if "request" in g else ""
        out.append(
            f"- Sign-in to dashboard, in the page: {g['median_ms']:.0f} ms vs Streamlit "
            f"{st['median_ms']:.0f} ms (median{req}), {speed(st['median_ms'], g['median_ms'])}; goal ≥ 3× faster: "
            f"{'met' if r >= 3 else 'not met'}."
        )
    if "gatehouse" in timing and "floor" in timing:
        g, f = timing["gatehouse"], timing["floor"]
        over = g["median_ms"] - f["median_ms"]
        out.append(
            f"- Sign-in in the page against the floor: {g['median_ms']:.0f} ms (p90 "
            f"{g['p90_ms']:.0f} ms) vs {f['median_ms']:.0f} ms, {over:.0f} ms above it; goal ≤ floor + 25 ms: "
            f"{'met' if over <= 25 else 'not met'}."
        )
    return out


def main():
    cmd = sys.argv[1]
    if cmd == "summary":
        print(line(oha(sys.argv[2])))
    elif cmd == "half-rate":
        print(max(1, int(oha(sys.argv[2])["rps"] / 2)))
    elif cmd == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
