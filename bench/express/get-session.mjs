#!/usr/bin/env node
// Signs a user in to a running peer through the emulator's Hosted UI, without a browser, and
// prints the session's `Cookie:` header value (e.g. `connect.sid=s%3A...`) on stdout.
//
//   node get-session.mjs [baseUrl] [email] [password]
//   defaults: http://localhost:3300, analyst@example.com, Demo-Passw0rd!
//   (or BENCH_BASE_URL / BENCH_EMAIL / BENCH_PASSWORD)
//
// The steps a browser takes: GET /auth/login (keeps the pre-login cookie) → 302 to the emulator's
// /oauth2/authorize → its HTML form (hidden fields client_id, redirect_uri, response_type,
// code_challenge, code_challenge_method, scope, state + username/password, POST to
// /oauth2/authorize) → submitted urlencoded → 302 to the app's /auth/callback?code&state →
// GET with the pre-login cookie → 302 to /dashboard with the new session cookie. Finally checks
// /dashboard answers 200 with the email. Redirects are followed by hand, cookies kept per origin.

const base = new URL(process.argv[2] || process.env.BENCH_BASE_URL || 'http://localhost:3300');
const email = process.argv[3] || process.env.BENCH_EMAIL || 'analyst@example.com';
const password = process.argv[4] || process.env.BENCH_PASSWORD || 'Demo-Passw0rd!';
const TIMEOUT_MS = 10_000;

function die(msg) {
  console.error(`get-session: ${msg}`);
  process.exit(1);
}

/** A tiny cookie jar: name → value per host:port (enough for host-only, path=/ cookies). */
const jar = new Map();
function storeCookies(url, res) {
  const host = new URL(url).host;
  const cookies = jar.get(host) ?? new Map();
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => {
      const [k, v = ''] = a.trim().split('=');
      return (k.toLowerCase() === 'max-age' && Number(v) <= 0) || (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now());
    });
    if (expired || value === '') cookies.delete(name);
    else cookies.set(name, value);
  }
  jar.set(host, cookies);
}
function cookieHeader(url) {
  const cookies = jar.get(new URL(url).host);
  return cookies && cookies.size ? [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
}

async function request(url, { method = 'GET', body, headers = {} } = {}) {
  const cookie = cookieHeader(url);
  let res;
  try {
    res = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: { ...headers, ...(cookie ? { cookie } : {}), 'user-agent': 'bench-get-session' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    die(`${method} ${url} failed: ${err.cause?.message || err.message}`);
  }
  storeCookies(url, res);
  const text = await res.text();
  return { res, text, location: res.headers.get('location') ? new URL(res.headers.get('location'), url).href : null };
}

function expectRedirect({ res, text, location }, what) {
  if (![301, 302, 303, 307, 308].includes(res.status) || !location) {
    die(`${what}: expected a redirect, got HTTP ${res.status}: ${text.slice(0, 300).replace(/\s+/g, ' ')}`);
  }
  return location;
}

const decode = (s) =>
  s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[e]);

/** The first <form> of the page: its action, method and fields (inputs with a name). */
function parseForm(html, pageUrl) {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return null;
  const attr = (tag, name) => {
    const m = new RegExp(`\\b${name}\\s*=\\s*("([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
    return m ? decode(m[2] ?? m[3] ?? m[4]) : undefined;
  };
  const fields = new URLSearchParams();
  for (const input of form[2].match(/<input\b[^>]*>/gi) ?? []) {
    const name = attr(input, 'name');
    if (!name) continue;
    fields.set(name, attr(input, 'value') ?? '');
  }
  return {
    action: new URL(attr(form[1], 'action') ?? '', pageUrl).href,
    method: (attr(form[1], 'method') ?? 'GET').toUpperCase(),
    fields,
  };
}

// 1. The app starts the flow.
const start = await request(new URL('/auth/login', base).href);
const authorizeUrl = expectRedirect(start, 'GET /auth/login');
if (!cookieHeader(base.href)) die('GET /auth/login set no cookie (the pending sign-in must be kept in a session)');

// 2. The emulator's sign-in page.
const authorize = await request(authorizeUrl);
if (authorize.res.status !== 200) {
  die(`GET ${authorizeUrl.split('?')[0]}: HTTP ${authorize.res.status}: ${authorize.text.slice(0, 300)}`);
}
const form = parseForm(authorize.text, authorizeUrl);
if (!form || !form.fields.has('username') || !form.fields.has('password')) {
  die(`no sign-in form with username/password on ${authorizeUrl.split('?')[0]}`);
}

// 3. Submit it as a browser would.
form.fields.set('username', email);
form.fields.set('password', password);
const submitted = await request(form.action, {
  method: form.method,
  body: form.fields.toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});
if (submitted.res.status === 200) {
  const err = /<p[^>]*color:\s*red[^>]*>([^<]*)</i.exec(submitted.text);
  die(`the emulator refused the sign-in: ${err ? decode(err[1]) : submitted.text.slice(0, 300)}`);
}
const callbackUrl = expectRedirect(submitted, `POST ${form.action}`);
if (new URL(callbackUrl).origin !== base.origin) die(`the emulator redirected to ${callbackUrl}, not to the app`);

// 4. Back to the app's callback, which exchanges the code and signs the user in.
const callback = await request(callbackUrl);
const landing = expectRedirect(callback, 'GET /auth/callback');
if (new URL(landing).pathname !== '/dashboard') die(`the callback redirected to ${landing}, not /dashboard`);

// 5. The session works.
const cookie = cookieHeader(base.href);
const dashboard = await request(new URL('/dashboard', base).href);
if (dashboard.res.status !== 200 || !dashboard.text.includes(email)) {
  die(`GET /dashboard with the new session: HTTP ${dashboard.res.status}, email ${dashboard.text.includes(email) ? '' : 'not '}shown`);
}
process.stdout.write(`${cookie}\n`);
