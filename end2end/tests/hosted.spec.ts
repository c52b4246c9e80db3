// Sign-in through the hosted page (OIDC authorization code + PKCE) and its shortcuts straight to
// one of the pool's identity providers (Google, enterprise SAML/OIDC directories).
//
// Locally the "hosted page" is the Cognito emulator's own form (npm cognito-local on
// http://localhost:9229): GET /oauth2/authorize shows a plain HTML form (labels "Username:" and
// "Password:" wrapping their inputs, a "Sign in" button) and a successful POST answers with a
// 302 to the app's /auth/callback?code=…&state=…. The emulator ignores identity_provider, so the
// Google route can only be checked up to the authorize request.
import { expect, test, type BrowserContext, type Page, type Request, type Route } from '@playwright/test';
import { DEMO_PASSWORD, LOGIN_URL_RE, USERS, sessionCookie, startInstance, waitForHydration } from './helpers';

const AUTHORIZE = 'http://localhost:9229/oauth2/authorize';
const AUTHORIZE_URL_RE = /^http:\/\/localhost:9229\/oauth2\/authorize\?/;

const HOSTED_LINK = 'Sign in with the hosted page';
const GOOGLE_LINK = 'Continue with Google';
/** The dashboard's "Signed in with" value after a hosted sign-in. */
const HOSTED_METHOD = 'the hosted sign-in page';
const STATE_REJECTED = 'expired or was already used';
/** What must never reach a user's screen on an error page. */
const INTERNALS_RE = /panicked|backtrace|\.rs:\d+/i;

interface AuthorizeTrip {
  /** The browser's GET of the emulator's authorize page (its `redirectedFrom()` is the app's hop). */
  request: Request;
  params: URLSearchParams;
}

/**
 * Clicks one of the sign-in links on the /login page the browser shows, and waits for the
 * emulator's form. Returns the authorize request the app sent the browser to.
 */
async function followSignInLink(
  page: Page,
  name: string,
  { hydrated = true }: { hydrated?: boolean } = {},
): Promise<AuthorizeTrip> {
  // A user clicks on the live page, i.e. after hydration (the client-side router must let the
  // link through to the server).
  if (hydrated) await waitForHydration(page);
  const authorize = page.waitForRequest(
    (r) => r.method() === 'GET' && r.url().startsWith(`${AUTHORIZE}?`),
  );
  authorize.catch(() => {}); // if it never comes, the URL assertion below reports it
  await page.getByRole('link', { name, exact: true }).click();
  await expect(page, `"${name}" leads to the emulator's authorize page`).toHaveURL(AUTHORIZE_URL_RE);
  await expect(
    page.getByLabel('Username:', { exact: true }),
    "the emulator shows its sign-in form (a JSON error instead means it refused the app's request)",
  ).toBeVisible();
  const request = await authorize;
  return { request, params: new URL(request.url()).searchParams };
}

/** The authorize request a PKCE sign-in must make (contract: docs of /auth/hosted). */
function expectAuthorizeParams(params: URLSearchParams, baseURL: string | undefined): void {
  expect(params.get('response_type'), 'response_type').toBe('code');
  expect(params.get('client_id'), 'client_id').toBeTruthy();
  expect(params.get('redirect_uri'), 'redirect_uri').toBe(`${baseURL}/auth/callback`);
  expect((params.get('scope') ?? '').split(' '), 'scope (space separated)').toEqual(
    expect.arrayContaining(['openid', 'email', 'profile']),
  );
  expect(params.get('state') ?? '', 'state: a random value').toMatch(/^\S{16,}$/);
  expect(params.get('nonce') ?? '', 'nonce: a random value').toMatch(/^\S{16,}$/);
  expect(params.get('code_challenge'), 'code_challenge: 43 characters of base64url').toMatch(
    /^[A-Za-z0-9_-]{43}$/,
  );
  expect(params.get('code_challenge_method'), 'code_challenge_method').toBe('S256');
}

/** Fills and submits the emulator's sign-in form on the current page. */
async function submitHostedForm(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.getByLabel('Username:', { exact: true }).fill(email);
  await page.getByLabel('Password:', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * Signs in through /login → hosted page → emulator form and waits for the dashboard.
 * Returns the callback URL the emulator sent the browser back to.
 */
async function signInThroughHostedPage(
  page: Page,
  email: string,
  baseURL: string | undefined,
): Promise<string> {
  await page.goto('/login');
  await followSignInLink(page, HOSTED_LINK);
  const callback = page.waitForRequest((r) => r.url().startsWith(`${baseURL}/auth/callback?`));
  callback.catch(() => {}); // if it never comes, the URL assertion below reports it
  await submitHostedForm(page, email);
  await expect(page).toHaveURL(`${baseURL}/dashboard`);
  await expect(page.getByTestId('user-email')).toHaveText(email);
  return (await callback).url();
}

/**
 * Submits the emulator's form but keeps the browser from following the emulator's redirect back
 * to the app. Returns that redirect's target: the app's callback URL with a fresh, unused code.
 */
async function submitAndHoldCallback(page: Page, email: string): Promise<URL> {
  let location: string | undefined;
  const isAuthorize = (url: URL) => url.href === AUTHORIZE;
  const handler = async (route: Route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    const response = await route.fetch({ maxRedirects: 0 });
    location = response.headers()['location'];
    if (!location) return route.fulfill({ response }); // e.g. the form again, with an error
    await route.fulfill({
      status: 200,
      contentType: 'text/html',
      body: '<p id="held-back">The redirect to the app was held back by the test.</p>',
    });
  };
  await page.route(isAuthorize, handler);
  try {
    await submitHostedForm(page, email);
    await expect(
      page.locator('#held-back'),
      'the emulator accepted the sign-in and redirected back to the app',
    ).toBeVisible();
  } finally {
    await page.unroute(isAuthorize, handler);
  }
  expect(location, "the emulator's redirect target").toBeTruthy();
  return new URL(location!);
}

/** Signs out with the header's button and waits for the sign-in page. */
async function signOut(page: Page): Promise<void> {
  await page.locator('header').getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/login\?signed_out=1$/);
}

/**
 * Asserts the last request created no session: the context holds no `gh_session` cookie, or the
 * same one as `before` (a pre-sign-in session the app may keep for the pending sign-in).
 */
async function expectNoNewSession(context: BrowserContext, before: string | undefined): Promise<void> {
  const after = await sessionCookie(context);
  expect([undefined, before], 'no new gh_session cookie').toContain(after?.value);
}

/** Asserts a direct visit to /dashboard is sent to the sign-in page. */
async function expectSignedOut(page: Page): Promise<void> {
  await page.goto('/dashboard');
  await expect(page).toHaveURL(LOGIN_URL_RE);
  await expect(page.getByTestId('user-email')).toHaveCount(0);
}

/** Asserts the page is the "Sign-in failed" page for a bad or spent `state`. */
async function expectStateRejected(page: Page, status: number | undefined): Promise<void> {
  expect(status, 'HTTP status of the callback').toBe(400);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign-in failed');
  await expect(page.locator('body')).toContainText(STATE_REJECTED);
  await expect(page.locator('body')).not.toContainText(INTERNALS_RE);
}

/** `state` with its last character changed. */
function tamper(state: string): string {
  return state.slice(0, -1) + (state.endsWith('A') ? 'B' : 'A');
}

test.describe('hosted sign-in', () => {
  test('the hosted page signs the analyst in: dashboard with their email, group and "the hosted sign-in page"', async ({
    page,
    baseURL,
  }) => {
    await page.goto('/login');
    const hosted = page.getByRole('link', { name: HOSTED_LINK, exact: true });
    await expect(hosted).toHaveAttribute('href', /\/auth\/hosted(\?next=)?$/);
    await expect(page.getByRole('link', { name: GOOGLE_LINK, exact: true })).toBeVisible();

    const { request, params } = await followSignInLink(page, HOSTED_LINK);
    const hop = request.redirectedFrom();
    expect(hop?.url(), 'the browser got to the emulator through /auth/hosted').toMatch(
      /\/auth\/hosted(\?|$)/,
    );
    expect([302, 303], 'status of /auth/hosted').toContain((await hop?.response())?.status());
    expectAuthorizeParams(params, baseURL);
    expect(params.get('identity_provider'), 'no identity_provider on the hosted route').toBeNull();

    const preSignIn = await sessionCookie(page.context());
    // Every document and data request to the app from here (not the bundle a document brings).
    const asked: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (
        url.origin === baseURL &&
        !url.pathname.startsWith('/pkg/') &&
        ['document', 'fetch', 'xhr'].includes(r.resourceType())
      ) {
        asked.push(`${r.method()} ${url.pathname} ${r.resourceType()}`);
      }
    });
    await submitHostedForm(page, USERS.analyst.email);

    await expect(page).toHaveURL(`${baseURL}/dashboard`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dashboard');
    // The callback, then the destination rendered complete by the server: one navigation, no
    // session or dashboard data fetched by the page afterwards, even once it is interactive.
    await waitForHydration(page);
    await page.waitForLoadState('networkidle');
    expect(asked).toEqual(['GET /auth/callback document', 'GET /dashboard document']);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.analyst.email);
    await expect(page.getByTestId('user-groups').locator('li')).toHaveText(['analysts']);
    await expect(page.getByText(HOSTED_METHOD, { exact: true })).toBeVisible();
    const session = await sessionCookie(page.context());
    expect(session?.value, 'gh_session cookie after the hosted sign-in').toBeTruthy();
    expect(session?.value, 'a new session id, not the one from before sign-in').not.toBe(
      preSignIn?.value,
    );
  });

  test('every trip to the hosted page gets its own state, nonce and PKCE challenge', async ({
    request,
    baseURL,
  }) => {
    const trips: URLSearchParams[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await request.get('/auth/hosted', { maxRedirects: 0 });
      expect([302, 303], 'status of /auth/hosted').toContain(res.status());
      const location = res.headers()['location'] ?? '';
      expect(location).toMatch(AUTHORIZE_URL_RE);
      const params = new URL(location).searchParams;
      expectAuthorizeParams(params, baseURL);
      trips.push(params);
    }
    for (const key of ['state', 'nonce', 'code_challenge']) {
      expect(trips[1].get(key), `${key} differs between two trips`).not.toBe(trips[0].get(key));
    }
  });

  test('a deep link to /reports survives the detour through the hosted page', async ({
    page,
    baseURL,
  }) => {
    await page.goto('/reports');
    await expect(page).toHaveURL(/\/login\?next=(%2F|\/)reports$/);
    await expect(page.getByRole('link', { name: HOSTED_LINK, exact: true })).toHaveAttribute(
      'href',
      /\/auth\/hosted\?next=(%2F|\/)reports$/,
    );

    await followSignInLink(page, HOSTED_LINK);
    await submitHostedForm(page, USERS.analyst.email);

    await expect(page).toHaveURL(`${baseURL}/reports`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reports');
  });

  test('"Continue with Google" opens the hosted page with Google as the identity provider', async ({
    page,
    baseURL,
  }) => {
    await page.goto('/login');
    await expect(page.getByRole('link', { name: GOOGLE_LINK, exact: true })).toHaveAttribute(
      'href',
      /\/auth\/idp\/Google(\?.*)?$/,
    );

    const { request, params } = await followSignInLink(page, GOOGLE_LINK);
    expect(request.redirectedFrom()?.url(), 'through /auth/idp/Google').toMatch(/\/auth\/idp\/Google(\?|$)/);
    expect(params.get('identity_provider'), 'identity_provider').toBe('Google');
    expectAuthorizeParams(params, baseURL);
    // The emulator has no Google: it shows its own form, and the check ends here.
  });

  test('a sign-in whose state was tampered with or left out fails with "Sign-in failed" and signs nobody in', async ({
    page,
    baseURL,
  }) => {
    await page.goto('/login');
    const { params } = await followSignInLink(page, HOSTED_LINK);
    const callback = await submitAndHoldCallback(page, USERS.analyst.email);
    expect(`${callback.origin}${callback.pathname}`).toBe(`${baseURL}/auth/callback`);
    expect(callback.searchParams.get('code'), 'code from the emulator').toBeTruthy();
    const state = callback.searchParams.get('state') ?? '';
    expect(state, 'the emulator hands the state back unchanged').toBe(params.get('state'));
    const before = (await sessionCookie(page.context()))?.value;

    // Tampered first, while the genuine sign-in is still pending.
    const tampered = new URL(callback);
    tampered.searchParams.set('state', tamper(state));
    const withoutState = new URL(callback);
    withoutState.searchParams.delete('state');

    for (const [what, url] of [
      ['a tampered state', tampered],
      ['no state', withoutState],
    ] as const) {
      await test.step(`the callback with ${what}`, async () => {
        const response = await page.goto(url.href);
        await expectStateRejected(page, response?.status());
        await expectNoNewSession(page.context(), before);
      });
    }

    await expectSignedOut(page);
  });

  test('a sign-in link carried over to another browser fails there, and still works in the browser that started it', async ({
    page,
    browser,
    baseURL,
  }) => {
    await page.goto('/login');
    await followSignInLink(page, HOSTED_LINK);
    const callback = await submitAndHoldCallback(page, USERS.analyst.email);

    // Someone else's browser (e.g. a victim lured to the link) must not be signed in with it.
    const other = await browser.newContext({ baseURL });
    try {
      const p = await other.newPage();
      const response = await p.goto(callback.href);
      await expectStateRejected(p, response?.status());
      expect(await sessionCookie(other), 'no gh_session cookie in the other browser').toBeUndefined();
      await expectSignedOut(p);
    } finally {
      await other.close();
    }

    // Control: the same code and state were good for the browser that asked for them.
    await page.goto(callback.href);
    await expect(page).toHaveURL(`${baseURL}/dashboard`);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.analyst.email);
  });

  test('replaying a used sign-in link after signing out fails with "Sign-in failed" and signs nobody in', async ({
    page,
    baseURL,
  }) => {
    const used = await signInThroughHostedPage(page, USERS.analyst.email, baseURL);
    await signOut(page);
    const before = (await sessionCookie(page.context()))?.value;

    const response = await page.goto(used);
    await expectStateRejected(page, response?.status());
    await expectNoNewSession(page.context(), before);
    await expectSignedOut(page);
  });

  test('cancelling on the hosted page shows "Sign-in cancelled" with a way back to the sign-in form', async ({
    page,
    baseURL,
  }) => {
    await page.goto('/login');
    const { params } = await followSignInLink(page, HOSTED_LINK);
    const before = (await sessionCookie(page.context()))?.value;

    // The user gives up on the hosted page: Cognito sends them back with an error.
    const cancelled = new URL('/auth/callback', baseURL);
    cancelled.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'User cancelled',
      state: params.get('state') ?? '',
    }).toString();
    const response = await page.goto(cancelled.href);

    expect([200, 400], 'HTTP status of the cancelled callback').toContain(response?.status());
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign-in cancelled');
    await expect(page.locator('body')).not.toContainText(INTERNALS_RE);
    await expectNoNewSession(page.context(), before);

    const back = page.getByRole('link', { name: 'Back to sign in', exact: true });
    await expect(back).toHaveAttribute('href', /\/login(\?.*)?$/);
    await back.click();
    await expect(page).toHaveURL(LOGIN_URL_RE);
    await expect(page.getByLabel('Email', { exact: true })).toBeVisible();
    await expect(page.getByRole('link', { name: HOSTED_LINK, exact: true })).toBeVisible();
    await expectSignedOut(page);
  });

  test('a cancelled sign-in with an unknown state still gets the friendly page, with no markup from the provider', async ({
    page,
  }) => {
    const description = '<b id="injected">User cancelled</b>';
    const response = await page.goto(
      `/auth/callback?error=access_denied&error_description=${encodeURIComponent(description)}` +
        '&state=not-a-state-this-app-issued',
    );

    expect([200, 400], 'HTTP status of the cancelled callback').toContain(response?.status());
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sign-in cancelled');
    await expect(page.locator('#injected'), 'error_description is not rendered as HTML').toHaveCount(0);
    await expect(page.locator('body')).not.toContainText(INTERNALS_RE);
    await expect(page.getByRole('link', { name: 'Back to sign in', exact: true })).toBeVisible();
    expect(await sessionCookie(page.context())).toBeUndefined();
  });

  test('signing out after a hosted sign-in ends the session: no dashboard after Back, reload or a direct visit', async ({
    page,
    baseURL,
  }) => {
    const email = USERS.admin.email;
    await signInThroughHostedPage(page, email, baseURL);
    expect(await sessionCookie(page.context()), 'gh_session cookie while signed in').toBeDefined();

    await signOut(page);
    await expect(page.locator('header').getByRole('button', { name: 'Sign out' })).toHaveCount(0);
    await expect(page.locator('header').getByRole('link', { name: 'Sign in' })).toBeVisible();
    expect(await sessionCookie(page.context()), 'gh_session cookie after sign-out').toBeUndefined();

    // Back to the dashboard's history entry: its data must not come back.
    await page.goBack();
    await expect(page.getByTestId('user-email')).toHaveCount(0);
    await expect(page.getByText(email)).toHaveCount(0);
    await page.reload();
    await expect(page.getByTestId('user-email')).toHaveCount(0);
    await expect(page.getByText(email)).toHaveCount(0);

    await expectSignedOut(page);
  });
});

test.describe('hosted sign-in without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('with JavaScript disabled, the hosted page still signs the user in', async ({
    page,
    baseURL,
  }) => {
    await page.goto('/login');
    await followSignInLink(page, HOSTED_LINK, { hydrated: false });
    await submitHostedForm(page, USERS.user.email);

    await expect(page).toHaveURL(`${baseURL}/dashboard`);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.user.email);
    await expect(page.getByTestId('user-groups')).toHaveText('No groups');
    await expect(page.getByText(HOSTED_METHOD, { exact: true })).toBeVisible();
  });
});

test('each identity provider in OAUTH_IDENTITY_PROVIDERS gets a button that starts the flow with it', async ({
  page,
}) => {
  const instance = await startInstance(3102, {
    OAUTH_IDENTITY_PROVIDERS: 'AcmeOkta=Continue with Acme SSO,Entra=Sign in with Contoso',
    GOOGLE_SIGN_IN_ENABLED: 'false',
  });
  try {
    const providers = [
      { name: 'AcmeOkta', label: 'Continue with Acme SSO' },
      { name: 'Entra', label: 'Sign in with Contoso' },
    ];
    await page.goto(`${instance.origin}/login?next=/reports`);
    // The configured buttons, in order, and no Google (its switch is off and the list omits it).
    await expect(page.getByTestId('idp-button')).toHaveText(providers.map((p) => p.label));
    await expect(page.getByRole('link', { name: GOOGLE_LINK })).toHaveCount(0);
    for (const { name, label } of providers) {
      await page.goto(`${instance.origin}/login?next=/reports`);
      const { request, params } = await followSignInLink(page, label);
      expect(request.redirectedFrom()?.url(), `through /auth/idp/${name}`).toBe(
        `${instance.origin}/auth/idp/${name}?next=/reports`,
      );
      expect(params.get('identity_provider'), 'identity_provider').toBe(name);
      expect(params.get('code_challenge_method')).toBe('S256');
      expect(params.get('state')?.length ?? 0).toBeGreaterThanOrEqual(20);
    }
  } finally {
    await instance.stop();
  }
});
