#!/usr/bin/env python3
"""Each page's weight as a browser receives it from a running gatehouse: the HTML's bytes, the
same gzip-compressed (level 6, what a compressing proxy in front would send; gatehouse itself
does not compress its pages, which carry a CSRF token: see README, "Security"), and how much of
it is hydration state (the resources serialized into the page). Signs in as the demo analyst
and the demo admin (with the admin's authenticator code) to reach every page.

Also the bundle every page loads once (and the browser then keeps): the files of the site's
pkg/ directory, raw and as served precompressed (brotli, gzip).

Usage: pages.py BASE_URL PKG_DIR OUT.json   (e.g. http://localhost:3200 target/bench-site/pkg)
"""

import gzip
import http.cookiejar
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from seed import ADMIN_TOTP_KEY, totp  # noqa: E402  (the demo admin's key, one TOTP helper)

PASSWORD = "Demo-Passw0rd!"
SIGNED_OUT = ["/login", "/signup", "/forgot"]
ANALYST = ["/dashboard", "/reports", "/account", "/account/password", "/account/mfa"]
ADMIN = ["/admin", "/admin/lockouts", "/admin/audit"]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def client():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    # As a browser's plain form post: answered with a redirect, not with the server function's JSON.
    opener.addheaders = [("accept", "text/html")]
    return opener


def fetch(opener, url, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with opener.open(url, data=data, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:  # a redirect (not followed) or an error page
        return e.code, e.read().decode()


def csrf_of(html):
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    if not m:
        raise SystemExit("pages.py: no CSRF field on the page")
    return m.group(1)


def sign_in(base, email, code_key=None):
    opener = client()
    _, html = fetch(opener, f"{base}/login")
    status, _ = fetch(opener, f"{base}/api/sign_in", {"email": email, "password": PASSWORD, "csrf": csrf_of(html)})
    if code_key:
        _, html = fetch(opener, f"{base}/login/mfa")
        status, _ = fetch(opener, f"{base}/api/answer_mfa", {"code": totp(code_key), "csrf": csrf_of(html)})
    if status not in (302, 303):
        raise SystemExit(f"pages.py: signing in {email} answered {status}")
    return opener


def weigh(opener, base, path):
    status, html = fetch(opener, f"{base}{path}")
    if status != 200:
        raise SystemExit(f"pages.py: {path} answered {status}")
    raw = html.encode()
    state = sum(len(m.group(0).encode()) for m in re.finditer(r"__RESOLVED_RESOURCES\[\d+\] = \"(?:[^\"\\]|\\.)*\";", html))
    return {"path": path, "raw": len(raw), "gzip": len(gzip.compress(raw, 6)), "state": state}


def bundle(pkg):
    files = []
    for f in sorted(Path(pkg).iterdir()):
        if f.suffix in (".wasm", ".js", ".css"):
            size = lambda ext: (f.with_name(f.name + ext).stat().st_size if f.with_name(f.name + ext).exists() else None)  # noqa: E731
            files.append({"file": f.suffix[1:], "raw": f.stat().st_size, "br": size(".br"), "gzip": size(".gz")})
    return files


def main():
    base, pkg, out = sys.argv[1], sys.argv[2], sys.argv[3]
    pages = [weigh(client(), base, p) for p in SIGNED_OUT]
    analyst = sign_in(base, "analyst@example.com")
    pages += [weigh(analyst, base, p) for p in ANALYST]
    admin = sign_in(base, "admin@example.com", ADMIN_TOTP_KEY)
    pages += [weigh(admin, base, p) for p in ADMIN]
    Path(out).write_text(json.dumps({"pages": pages, "bundle": bundle(pkg)}, indent=1) + "\n")
    print(", ".join(f"{p['path']} {p['raw']} B ({p['gzip']} gzip)" for p in pages))


if __name__ == "__main__":
    main()
