// Sign-in latency: gatehouse vs the Streamlit counterpart, in headless Debian Chromium.
//
// Run from the repo root (playwright-core resolves from /work/main/node_modules):
//   node bench/streamlit/signin-timing.mjs gatehouse=http://localhost:3200 streamlit=http://localhost:3400 --runs 15
//
// Targets are NAME=URL; a NAME starting with "streamlit" is driven as the Streamlit app,
// anything else as gatehouse. Runs: --runs N, else $RUNS, else 15. One uncounted warm-up
// iteration per target. Credentials: $BENCH_EMAIL / $BENCH_PASSWORD (default: the demo user).
//
// Each iteration uses a fresh browser context: open the sign-in page, wait until the form
// is ready (gatehouse: html[data-hydrated="true"]; Streamlit: the email input), fill the
// form, wait $BENCH_THINK_MS (default 1000 ms, not counted: a person's pause, so that the
// click does not land while the browser still compiles the page's code), click "Sign in",
// and wait until the dashboard shows the email (gatehouse: [data-testid=user-email];
// Streamlit: the st.text under "Dashboard"). Two clocks:
// - in the page (the figure the goal is judged on): from the click event's timestamp to the
//   first animation frame after the dashboard's email was put in the document (a mutation
//   observer installed before each document loads). gatehouse draws the dashboard in the
//   same document from the sign-in's answer; Streamlit re-renders over its websocket. Both
//   ends are absolute times (timeOrigin + now), the click kept in sessionStorage, so the
//   clock also holds across a new document.
// - as Playwright sees it: Node's performance.now() around the click action and the wait,
//   which adds Playwright's actionability checks before the click and its polling after.
// For gatehouse the sign-in request itself (Resource Timing, start to response end) is
// reported as well: the part the server and the stand-ins take.
//
// Output: one JSON line per target on stdout; progress and errors go to stderr.
import pw from 'playwright-core';

const { chromium } = pw;

const EMAIL = process.env.BENCH_EMAIL || 'analyst@example.com';
const PASSWORD = process.env.BENCH_PASSWORD || 'Demo-Passw0rd!';
const STEP_TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS || 20_000);
// The pause between "the form is ready" and the click: a person takes seconds to type, so the
// click does not land while the browser is still compiling the page's code.
const THINK_MS = Number(process.env.BENCH_THINK_MS ?? 1000);
if (!Number.isInteger(THINK_MS) || THINK_MS < 0) {
  console.error(`BENCH_THINK_MS must be a whole number of milliseconds, got ${process.env.BENCH_THINK_MS}`);
  process.exit(2);
}

function parseArgs(argv) {
  const targets = [];
  let runs = Number(process.env.RUNS || 15);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runs') runs = Number(argv[++i]);
    else if (a.startsWith('--runs=')) runs = Number(a.slice('--runs='.length));
    else if (a === '-h' || a === '--help') {
      console.error('usage: node bench/streamlit/signin-timing.mjs NAME=URL... [--runs N]');
      process.exit(0);
    } else if (/^[^=]+=https?:\/\//.test(a)) {
      const eq = a.indexOf('=');
      const name = a.slice(0, eq);
      targets.push({ name, url: a.slice(eq + 1).replace(/\/+$/, ''), kind: name.startsWith('streamlit') ? 'streamlit' : 'gatehouse' });
    } else {
      throw new Error(`unexpected argument: ${a}`);
    }
  }
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${runs}`);
  if (targets.length === 0) throw new Error('give at least one target, e.g. gatehouse=http://localhost:3200');
  return { targets, runs };
}

const drivers = {
  gatehouse: {
    async open(page, url) {
      await page.goto(`${url}/login`, { waitUntil: 'domcontentloaded' });
      await page.locator('html[data-hydrated="true"]').waitFor({ state: 'attached' });
      await page.locator('#email').fill(EMAIL);
      await page.locator('#password').fill(PASSWORD);
      return page.locator('form button[type="submit"]');
    },
    dashboard(page) {
      return page.locator('[data-testid="user-email"]', { hasText: EMAIL });
    },
    selector: '[data-testid="user-email"]',
  },
  streamlit: {
    async open(page, url) {
      await page.goto(`${url}/`, { waitUntil: 'domcontentloaded' });
      const email = page.locator('input[aria-label="Email"]');
      await email.waitFor({ state: 'visible' });
      await email.fill(EMAIL);
      await page.locator('input[aria-label="Password"]').fill(PASSWORD);
      return page.getByRole('button', { name: 'Sign in' });
    },
    dashboard(page) {
      // The st.text after the "Dashboard" heading; only the dashboard renders st.text.
      return page.locator('[data-testid="stText"]', { hasText: EMAIL });
    },
    selector: '[data-testid="stText"]',
  },
};

// Installed before any page script of every document: the click's time, and the first frame
// after the dashboard's email is in the document. Times are absolute (timeOrigin + now) and the
// click and the sign-in request's duration are kept in sessionStorage, so that both ends are
// on one clock whether the dashboard is a new document or the same one (gatehouse draws it
// from the sign-in's answer; Streamlit re-renders over its websocket).
function pageClock({ selector, email }) {
  const t = (window.__signinTiming = {});
  const now = () => performance.timeOrigin + performance.now();
  let store = null;
  try {
    store = window.sessionStorage;
  } catch {
    return; // about:blank
  }
  const kept = store.getItem('__signinClick');
  if (kept !== null) t.click = Number(kept);
  document.addEventListener(
    'click',
    (e) => {
      if (t.click !== undefined) return;
      t.click = performance.timeOrigin + e.timeStamp;
      store.setItem('__signinClick', String(t.click));
    },
    true,
  );
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (new URL(e.name).pathname === '/api/sign_in') {
        store.setItem('__signinRequest', String(e.responseEnd - e.startTime));
      }
    }
  }).observe({ type: 'resource', buffered: true });
  new MutationObserver(() => {
    if (t.shown !== undefined || t.click === undefined) return;
    for (const el of document.querySelectorAll(selector)) {
      if (el.textContent.includes(email)) {
        t.shown = now();
        requestAnimationFrame(() => { t.painted = now(); });
        return;
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
}

async function iteration(browser, target) {
  const context = await browser.newContext();
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  try {
    const driver = drivers[target.kind];
    await context.addInitScript(pageClock, { selector: driver.selector, email: EMAIL });
    const page = await context.newPage();
    const submit = await driver.open(page, target.url);
    const done = driver.dashboard(page);
    if (THINK_MS > 0) await page.waitForTimeout(THINK_MS);
    await page.evaluate(() => performance.clearResourceTimings());
    const t0 = performance.now();
    await submit.click();
    await done.waitFor({ state: 'visible' });
    const wall = performance.now() - t0;
    await page.waitForFunction(() => window.__signinTiming.painted !== undefined);
    const inPage = await page.evaluate(() => {
      const t = window.__signinTiming;
      const req = sessionStorage.getItem('__signinRequest');
      return { page: t.painted - t.click, request: req === null ? null : Number(req) };
    });
    return { wall, ...inPage };
  } finally {
    await context.close();
  }
}

function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]; // nearest rank
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  const r = (x) => Math.round(x * 10) / 10;
  return { median_ms: r(median), p90_ms: r(pick(0.9)), min_ms: r(s[0]), max_ms: r(s[s.length - 1]) };
}

async function main() {
  const { targets, runs } = parseArgs(process.argv.slice(2));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--disable-domain-reliability',
      '--no-pings',
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  let failed = false;
  try {
    for (const target of targets) {
      try {
        await iteration(browser, target); // warm-up, not counted
        const samples = [];
        for (let i = 0; i < runs; i++) {
          const r = await iteration(browser, target);
          samples.push(r);
          const req = r.request === null ? '' : `, sign-in request ${r.request.toFixed(1)} ms`;
          console.error(`${target.name} run ${i + 1}/${runs}: in the page ${r.page.toFixed(1)} ms, Playwright ${r.wall.toFixed(1)} ms${req}`);
        }
        const requests = samples.map((r) => r.request).filter((x) => x !== null);
        console.log(JSON.stringify({
          target: target.name,
          runs,
          ...stats(samples.map((r) => r.page)),
          playwright: stats(samples.map((r) => r.wall)),
          ...(requests.length ? { request: stats(requests) } : {}),
        }));
      } catch (e) {
        failed = true;
        console.error(`${target.name}: ${e.message}`);
        console.log(JSON.stringify({ target: target.name, runs, error: e.message.split('\n')[0] }));
      }
    }
  } finally {
    await browser.close();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.error(e.message);
  process.exit(2);
});
