// Per-network limits on the anonymous form posts, as a person meets them: with and without
// JavaScript the refused post is answered 429 with Retry-After, and the person reads why and
// how long to wait. Each test starts its own instance with tight limits (2 posts, then one a
// minute), so the budget of the suite's shared instance is left alone.
import { expect, test, type Page, type Response } from '@playwright/test';
import { GENERIC_ERROR, signIn, startInstance, type Instance } from './helpers';

const LIMITED = /^Too many attempts from your network\. Please wait \d+ seconds? and try again\.$/;
const TIGHT = { RATE_LIMIT_BURST: '2', RATE_LIMIT_PER_MINUTE: '1' };

/** Signs in with a wrong password and returns the answer to the sign-in post. */
async function failedSignIn(page: Page, email: string, hydrated: boolean): Promise<Response> {
  const answered = page.waitForResponse(
    (r) => r.url().includes('/api/sign_in') && r.request().method() === 'POST',
  );
  await signIn(page, email, 'Wrong-Passw0rd!', { hydrated });
  return answered;
}

function expectRetryAfter(res: Response): void {
  const value = res.headers()['retry-after'];
  expect(value, 'Retry-After on a 429').toMatch(/^\d+$/);
  expect(Number(value)).toBeGreaterThan(0);
}

test.describe('rate limits', () => {
  let app: Instance | undefined;
  test.afterEach(async () => {
    await app?.stop();
    app = undefined;
  });

  test('with JavaScript the form says how long to wait', async ({ page }) => {
    app = await startInstance(3103, TIGHT);
    const email = `ratelimit-js-${Date.now()}@example.com`;
    await page.goto(`${app.origin}/login`);
    for (let attempt = 1; attempt <= 2; attempt++) {
      expect((await failedSignIn(page, email, true)).status()).toBe(200);
      await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
    }
    const res = await failedSignIn(page, email, true);
    expect(res.status()).toBe(429);
    expectRetryAfter(res);
    await expect(page.getByRole('alert')).toHaveText(LIMITED);
    await expect(page).toHaveURL(/\/login$/);
  });

  test('without JavaScript the answer is a 429 page that says how long to wait', async ({
    browser,
  }) => {
    app = await startInstance(3103, TIGHT);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const email = `ratelimit-nojs-${Date.now()}@example.com`;
    await page.goto(`${app.origin}/login`);
    for (let attempt = 1; attempt <= 2; attempt++) {
      await failedSignIn(page, email, false);
      await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
    }
    const res = await failedSignIn(page, email, false);
    expect(res.status()).toBe(429);
    expectRetryAfter(res);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Too many attempts');
    await expect(page.getByText(LIMITED)).toBeVisible();

    // The way back to the form: pages are never limited.
    await page.getByRole('link', { name: 'Back to the form' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeVisible();
    await context.close();
  });
});
