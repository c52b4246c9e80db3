import { expect, test } from '@playwright/test';
import {
  DEMO_PASSWORD,
  answerAdminCode,
  GENERIC_ERROR,
  LOGIN_URL_RE,
  USERS,
  sessionCookie,
  signIn,
  signInAs,
  waitForHydration,
} from './helpers';

// Wrong-password attempts feed the lockout counter of the account they target. Each test below
// that types a wrong password uses a different demo user, so one run adds at most one failure
// per account.

test.describe('sign-in', () => {
  test('admin signs in and sees their email and the admins group on the dashboard', async ({
    page,
  }) => {
    await page.goto('/login');
    await signIn(page, USERS.admin.email, DEMO_PASSWORD);
    // The demo admin has two-step verification on (admin actions need it).
    await answerAdminCode(page);

    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dashboard');
    await expect(page.getByTestId('user-email')).toHaveText(USERS.admin.email);
    await expect(page.getByTestId('user-groups')).toContainText('admins');
    await expect(page.getByTestId('user-groups').locator('li')).toHaveText(['admins']);
    expect(await sessionCookie(page.context()), 'gh_session cookie after sign-in').toBeDefined();
  });

  test('a sign-in is one round trip: its answer brings the dashboard, nothing else is asked for', async ({
    page,
  }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto('/login');
    await waitForHydration(page);
    // Every document and data request after the click (not the page's images, styles and
    // bundle — wasm-bindgen fetches its .wasm — which a document brings).
    const asked: string[] = [];
    page.on('request', (r) => {
      const bundle = new URL(r.url()).pathname.startsWith('/pkg/');
      if (!bundle && ['document', 'fetch', 'xhr'].includes(r.resourceType())) {
        asked.push(`${r.method()} ${new URL(r.url()).pathname} ${r.resourceType()}`);
      }
    });
    await signIn(page, USERS.user.email, DEMO_PASSWORD);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.user.email);
    await expect(page).toHaveURL(/\/dashboard$/);
    // The header and the activity are drawn from the answer too.
    await expect(page.locator('header').getByRole('link', { name: 'Dashboard', exact: true })).toBeVisible();
    await expect(page.getByTestId('chart-mine')).toBeVisible();
    // As after a page load, reading starts at the new page, not at the form that went away.
    await expect(page.locator('main#main')).toBeFocused();
    // The sign-in's answer only: no new document, no session or dashboard data fetched.
    expect(asked).toEqual(['POST /api/sign_in fetch']);
    await page.waitForLoadState('networkidle');
    expect(asked, 'nor afterwards').toHaveLength(1);
    expect(errors, 'no error in the browser').toEqual([]);
    // The session the answer handed over is the page's: its sign-out form works.
    await page.locator('header').getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login\?signed_out=1$/);
    await expect(page.getByText('You have signed out.')).toBeVisible();
  });

  test('a user without groups sees "No groups" on the dashboard', async ({ page }) => {
    await signInAs(page, USERS.user.email);
    await expect(page.getByTestId('user-groups')).toHaveText('No groups');
  });

  test('a wrong password shows the generic error, keeps the email and signs nobody in', async ({
    page,
  }) => {
    await page.goto('/login');
    await signIn(page, USERS.user.email, 'Wrong-Passw0rd!');

    await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
    await expect(page).toHaveURL(LOGIN_URL_RE);
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(USERS.user.email);
    expect(await sessionCookie(page.context()), 'no gh_session cookie after a failure').toBeUndefined();

    await page.goto('/dashboard');
    await expect(page).toHaveURL(LOGIN_URL_RE);
    await expect(page.getByTestId('user-email')).toHaveCount(0);
  });

  test('an unknown email gets exactly the same message as a wrong password', async ({ page }) => {
    const email = `nobody-${Date.now()}@example.com`;
    await page.goto('/login');
    await signIn(page, email, DEMO_PASSWORD);

    await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
    await expect(page).toHaveURL(LOGIN_URL_RE);
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(email);
    expect(await sessionCookie(page.context())).toBeUndefined();
  });

  test('a deep link to /reports survives the detour through sign-in', async ({ page }) => {
    await page.goto('/reports');
    await expect(page).toHaveURL(/\/login\?next=(%2F|\/)reports$/);

    await signIn(page, USERS.analyst.email, DEMO_PASSWORD);

    await expect(page).toHaveURL(/\/reports$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reports');
  });

  // `next` must never send the freshly signed-in user to another site.
  for (const next of ['https://evil.example/', '//evil.example/', '/\\evil.example/']) {
    test(`after sign-in the user stays on this site even when next=${next}`, async ({
      page,
      baseURL,
    }) => {
      // Should the app follow `next`, keep the browser off the network and make it obvious.
      await page.context().route(/^https?:\/\/evil\.example\//, (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: '<h1>evil</h1>' }),
      );
      await page.goto(`/login?next=${encodeURIComponent(next)}`);
      await signIn(page, USERS.analyst.email, DEMO_PASSWORD);

      await expect(page).toHaveURL(`${baseURL}/dashboard`);
      await expect(page.getByTestId('user-email')).toHaveText(USERS.analyst.email);
    });
  }

  test('with JavaScript on, a failed sign-in updates the page without reloading it', async ({
    page,
  }) => {
    await page.goto('/login');
    await waitForHydration(page);
    await page.evaluate(() => {
      (window as unknown as { __marker?: number }).__marker = 1;
    });

    await signIn(page, USERS.admin.email, 'Wrong-Passw0rd!');

    await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
    await expect(page).toHaveURL(LOGIN_URL_RE);
    const marker = await page.evaluate(
      () => (window as unknown as { __marker?: number }).__marker,
    );
    expect(marker, 'window.__marker survives: the page was not reloaded').toBe(1);
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(USERS.admin.email);
  });
});

test.describe('sign-in without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('signing in with JavaScript disabled lands on the dashboard', async ({ page }) => {
    await page.goto('/login');
    await signIn(page, USERS.admin.email, DEMO_PASSWORD, { hydrated: false });
    await answerAdminCode(page, { hydrated: false });

    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.admin.email);
    expect(await sessionCookie(page.context())).toBeDefined();
  });

  test('a wrong password with JavaScript disabled shows the generic error and keeps the email', async ({
    page,
  }) => {
    await page.goto('/login');
    await signIn(page, USERS.analyst.email, 'Wrong-Passw0rd!', { hydrated: false });

    await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
    await expect(page).toHaveURL(LOGIN_URL_RE);
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(USERS.analyst.email);
    expect(await sessionCookie(page.context())).toBeUndefined();
  });
});
