// Accessibility checked in the browser: axe-core over every page, signed out and signed in (as
// the demo admin, who may open every page), with JavaScript on and off, and over the states a
// page only has mid-way (the code and new-password steps of a sign-in, the authenticator
// set-up). No serious or critical violation may remain; lesser ones are printed.
//
// "JavaScript off" is the page as the server sent it, never hydrated: the app's script and
// WebAssembly are not let through (axe itself runs as a script, so the browser's own switch
// cannot be used).
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import {
  DEMO_PASSWORD,
  USERS,
  createUser,
  signIn,
  signInAs,
  uniqueEmail,
  waitForHydration,
} from './helpers';

const SIGNED_OUT = [
  '/',
  '/login',
  '/login?signed_out=1',
  '/signup',
  '/confirm?email=someone%40example.com&sent=1',
  '/forgot',
  '/reset?email=someone%40example.com&sent=1',
  '/login/mfa',
  '/login/new-password',
  '/no-such-page',
];

const SIGNED_IN = [
  '/',
  '/dashboard',
  '/account',
  '/account/password',
  '/account/mfa',
  '/reports',
  // Filtered: the local Cognito stand-in ignores the page size and lists every user the tests
  // ever made in one table (AWS: 20 a page), which the debug build hydrates slowly.
  '/admin?q=admin%40example.com',
  '/admin/lockouts',
  '/admin/audit',
  '/admin/confirm',
  '/admin/reset-mfa?user=someone%40example.com',
  '/forbidden',
];

const PASSWORD = 'A11y-Passw0rd!';

/** Runs `body` in a new browser context (without the app's script when `scripted` is false). */
async function inContext(
  browser: Browser,
  scripted: boolean,
  body: (page: Page, context: BrowserContext) => Promise<void>,
) {
  const context = await browser.newContext();
  try {
    if (!scripted) await context.route(/\/pkg\/[^?]*\.(js|wasm)(\?.*)?$/, (route) => route.abort());
    await body(await context.newPage(), context);
  } finally {
    await context.close();
  }
}

/** axe-core over the page as it stands; the serious and critical findings, one line each. */
async function check(page: Page, scripted: boolean): Promise<string[]> {
  if (scripted) await waitForHydration(page);
  const where = `${new URL(page.url()).pathname} (JavaScript ${scripted ? 'on' : 'off'})`;
  const results = await new AxeBuilder({ page }).analyze();
  const found: string[] = [];
  for (const v of results.violations) {
    const targets = v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ');
    const line = `${where}: ${v.impact} ${v.id} — ${v.help} — ${targets}`;
    if (v.impact === 'serious' || v.impact === 'critical') found.push(line);
    else console.log(`(minor) ${line}`);
  }
  return found;
}

for (const scripted of [true, false]) {
  const js = `JavaScript ${scripted ? 'on' : 'off'}`;

  for (const signedIn of [false, true]) {
    test(`no serious or critical axe-core violations: ${signedIn ? 'signed in' : 'signed out'}, ${js}`, async ({
      browser,
    }) => {
      test.setTimeout(120_000);
      await inContext(browser, scripted, async (page) => {
        if (signedIn) await signInAs(page, USERS.admin.email, { hydrated: scripted });
        const found: string[] = [];
        for (const path of signedIn ? SIGNED_IN : SIGNED_OUT) {
          await page.goto(path);
          found.push(...(await check(page, scripted)));
        }
        expect(found).toEqual([]);
      });
    });
  }

  test(`no serious or critical axe-core violations mid-way: the second steps and the set-up, ${js}`, async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    await inContext(browser, scripted, async (page, context) => {
      const found: string[] = [];
      // The code step of a sign-in (a wrong code would count against the demo admin's lock:
      // the field's error state is checked on the set-up below).
      await page.goto('/login');
      await signIn(page, USERS.admin.email, DEMO_PASSWORD, { hydrated: scripted });
      await expect(page).toHaveURL(/\/login\/mfa$/);
      found.push(...(await check(page, scripted)));
      await context.clearCookies();

      // The new-password step of an account created with a temporary password.
      const fresh = uniqueEmail('a11y-temp');
      await createUser(fresh, PASSWORD, { temporary: true });
      await page.goto('/login');
      await signIn(page, fresh, PASSWORD, { hydrated: scripted });
      await expect(page).toHaveURL(/\/login\/new-password$/);
      found.push(...(await check(page, scripted)));
      await context.clearCookies();

      // The authenticator set-up: QR code, key, Copy key, code field; then a form error.
      const user = uniqueEmail('a11y-mfa');
      await createUser(user, PASSWORD);
      await page.goto('/login');
      await signIn(page, user, PASSWORD, { hydrated: scripted });
      await expect(page).toHaveURL(/\/dashboard$/);
      await page.goto('/account/mfa');
      if (scripted) await waitForHydration(page);
      await page.getByLabel('Your password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Set up two-step verification' }).click();
      await expect(page.getByTestId('totp-secret')).toBeVisible();
      found.push(...(await check(page, scripted)));
      await page.getByLabel('Code from your app').fill('12');
      await page.getByRole('button', { name: 'Verify and turn on' }).click();
      await expect(page.locator('#code-error')).toBeVisible();
      found.push(...(await check(page, scripted)));
      expect(found).toEqual([]);
    });
  });
}

// A page the app draws in place (a link followed after hydration) is said to screen readers
// by its title, as a page load would be; a page load itself is left to the browser.
test('an in-app navigation says the new page by its title', async ({ page }) => {
  const announcer = page.getByTestId('route-announcer');
  await page.goto('/login');
  await waitForHydration(page);
  // A page load says nothing, also once the frames the announcer waits for have passed.
  await page.evaluate(
    () => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(done)))),
  );
  await expect(announcer).toHaveText('');
  await expect(announcer).toHaveAttribute('aria-live', 'polite');
  await signInAs(page, USERS.analyst.email);
  await page.evaluate(() => ((window as any).__sameDocument = true));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reports');
  await expect(announcer).toHaveText(/^Reports · /);
  expect(await announcer.textContent()).toBe(await page.title());
  expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
});
