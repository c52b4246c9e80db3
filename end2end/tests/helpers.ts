// Shared helpers for the gatehouse end-to-end tests. The UI they rely on is fixed in
// CONTRACTS.md ("UI contract used by end2end/").
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect, test, type BrowserContext, type Cookie, type Page } from '@playwright/test';

/**
 * The repository root: the parent of the directory holding playwright.config.ts. (Not derived
 * from `__dirname`, which does not exist if package.json ever says "type": "module".)
 * Only callable inside a test.
 */
export function projectRoot(): string {
  const configFile = test.info().config.configFile;
  if (!configFile) throw new Error('run with -c end2end/playwright.config.ts');
  return path.resolve(path.dirname(configFile), '..');
}

export const DEMO_PASSWORD = 'Demo-Passw0rd!';

export const USERS = {
  admin: { email: 'admin@example.com', groups: ['admins'] },
  analyst: { email: 'analyst@example.com', groups: ['analysts'] },
  user: { email: 'user@example.com', groups: [] as string[] },
} as const;

/** The demo admin's authenticator key (seeded, CONTRACTS.md): its sign-in asks for a code. */
export const ADMIN_TOTP_KEY = 'GATEHOUSEDEMOADMINKEYTOTPLOCAL23';

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s), as an authenticator app computes it. */
export function totp(secretBase32: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretBase32.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counterBuf = Buffer.alloc(8);
  counterBuf.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', key).update(counterBuf).digest();
  const o = h[h.length - 1] & 0xf;
  const bin = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

export const GENERIC_ERROR = 'Incorrect email or password.';
export const SESSION_COOKIE = 'gh_session';
export const CSRF_COOKIE = 'gh_csrf';

/** `/login`, optionally with a query string (e.g. `?next=%2Freports`). */
export const LOGIN_URL_RE = /\/login(\?.*)?$/;

/**
 * Waits until the client-side app has hydrated. The app sets
 * `document.documentElement.dataset.hydrated = "true"` once hydration is done.
 */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(
    page.locator('html[data-hydrated="true"]'),
    'the app never hydrated (html[data-hydrated="true"] is missing)',
  ).toBeAttached();
}

export interface SignInOptions {
  /**
   * Wait for hydration before typing, so the form is submitted by the hydrated app.
   * Must be false in a context with JavaScript disabled. Default: true.
   */
  hydrated?: boolean;
}

/**
 * Fills and submits the sign-in form on the current page (which must show the form).
 * Does not wait for the outcome: callers assert where they end up.
 */
export async function signIn(
  page: Page,
  email: string,
  password: string,
  { hydrated = true }: SignInOptions = {},
): Promise<void> {
  if (hydrated) await waitForHydration(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * The code step of the demo admin's sign-in (`/login/mfa`): enters the current code.
 */
export async function answerAdminCode(
  page: Page,
  { hydrated = true }: SignInOptions = {},
): Promise<void> {
  await expect(page).toHaveURL(/\/login\/mfa$/);
  if (hydrated) await waitForHydration(page);
  await page.getByLabel('Authentication code').fill(totp(ADMIN_TOTP_KEY));
  await page.getByRole('button', { name: 'Verify' }).click();
}

/**
 * Opens `<origin>/login`, signs in with the demo password (and, for the demo admin, the
 * authenticator code) and waits for the dashboard.
 * `origin` defaults to the config's baseURL (http://localhost:3100).
 */
export async function signInAs(
  page: Page,
  email: string,
  { origin = '', hydrated = true }: SignInOptions & { origin?: string } = {},
): Promise<void> {
  await page.goto(`${origin}/login`);
  await signIn(page, email, DEMO_PASSWORD, { hydrated });
  if (email === USERS.admin.email) await answerAdminCode(page, { hydrated });
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('user-email')).toHaveText(email);
}

/** The session cookie in this browser context, if any. */
export async function sessionCookie(context: BrowserContext): Promise<Cookie | undefined> {
  const cookies = await context.cookies();
  return cookies.find((c) => c.name === SESSION_COOKIE);
}

// ---------------------------------------------------------------------------------------------
// Extra app instances (ports 3101, 3102) for the restart / multi-instance tests.
// ---------------------------------------------------------------------------------------------

export interface Instance {
  port: number;
  /** e.g. http://localhost:3101 */
  origin: string;
  /** Kills the instance's whole process group and waits until it is gone. */
  stop(): Promise<void>;
  /** The instance's stdout+stderr so far (tail), for failure messages. */
  output(): string;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test forgot to stop an instance or the worker is torn down.
  process.on('exit', () => {
    for (const child of running) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET http://localhost:<port>/healthz, connecting to 127.0.0.1 (where the app binds). */
function healthStatus(port: number, timeoutMs = 1_000): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path: '/healthz',
        headers: { Host: `localhost:${port}` },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? null);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Starts `bash scripts/app-instance.sh <port> KEY=VALUE...` from the project root in its own
 * process group and waits until `http://localhost:<port>/healthz` answers 200.
 */
export async function startInstance(
  port: number,
  extraEnv: Record<string, string> = {},
  { startTimeoutMs = 60_000 }: { startTimeoutMs?: number } = {},
): Promise<Instance> {
  installExitHook();

  if ((await healthStatus(port)) !== null) {
    throw new Error(`port ${port} is already serving HTTP; a stale instance is still running?`);
  }

  const args = [
    'scripts/app-instance.sh',
    String(port),
    ...Object.entries(extraEnv).map(([k, v]) => `${k}=${v}`),
  ];
  const child = spawn('bash', args, {
    cwd: projectRoot(),
    detached: true, // own process group: stop() kills bash and the server together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);

  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);

  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = code ?? (signal ? -1 : null);
      running.delete(child);
      resolve();
    });
  });

  const end = async () => {
    const pid = child.pid;
    if (pid === undefined) return;
    if (groupAlive(pid)) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
    // Wait for the direct child and then for every process of the group (grace: 10 s).
    const deadline = Date.now() + 10_000;
    await Promise.race([exited, sleep(10_000)]);
    while (groupAlive(pid) && Date.now() < deadline) await sleep(50);
    if (groupAlive(pid)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      while (groupAlive(pid)) await sleep(50);
    }
    await exited;
    // The port must be free again before anyone restarts on it.
    const freeDeadline = Date.now() + 5_000;
    while ((await healthStatus(port, 300)) !== null && Date.now() < freeDeadline) await sleep(50);
  };

  const stop = async () => {
    await end();
    // The instance's own log (its last 20 KB, shutdown included) goes with the test's report,
    // so a failure can be read beside what the server did; outside a test there is nothing to
    // attach it to.
    try {
      await test.info().attach(`instance-${port}.log`, { body: log, contentType: 'text/plain' });
    } catch {
      /* not inside a test */
    }
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `app instance on port ${port} exited (code ${exitCode}) before it was healthy:\n${log}`,
      );
    }
    const status = await healthStatus(port);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `app instance on port ${port} not healthy after ${startTimeoutMs} ms ` +
          `(last status: ${status ?? 'no answer'}):\n${log}`,
      );
    }
    await sleep(100);
  }

  return { port, origin: `http://localhost:${port}`, stop, output: () => log };
}

// ---------------------------------------------------------------------------------------------
// The Cognito emulator: its settings and its admin API (the same HTTP API as AWS).
// ---------------------------------------------------------------------------------------------

export function stackEnv(): Record<string, string> {
  const text = fs.readFileSync(path.join(projectRoot(), '.local', 'stack.env'), 'utf8');
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Z0-9_]+)=(.*)$/);
    if (m) vars[m[1]] = m[2].trim();
  }
  return vars;
}

/** An AWSCognitoIdentityProviderService call to the emulator (it needs no signature). */
export async function cognito(action: string, body: Record<string, unknown>): Promise<any> {
  const env = stackEnv();
  const res = await fetch(env.COGNITO_ENDPOINT ?? 'http://127.0.0.1:9229', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify({ UserPoolId: env.COGNITO_USER_POOL_ID, ...body }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${action}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

let counter = 0;
export function uniqueEmail(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}${process.pid.toString(36)}${counter}@example.com`;
}

/** A confirmed user with a permanent password (or a temporary one to replace at sign-in). */
export async function createUser(email: string, password: string, { temporary = false } = {}) {
  await cognito('AdminCreateUser', {
    Username: email,
    TemporaryPassword: password,
    MessageAction: 'SUPPRESS',
    UserAttributes: [
      { Name: 'email', Value: email },
      { Name: 'email_verified', Value: 'true' },
    ],
  });
  if (!temporary) {
    await cognito('AdminSetUserPassword', { Username: email, Password: password, Permanent: true });
  }
}
