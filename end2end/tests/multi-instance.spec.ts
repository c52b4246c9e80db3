// Several instances behind a load balancer share one set of tables: a session made on one is
// valid on the other, signing out on one ends it on both, and the lockout is shared.
import { expect, test } from '@playwright/test';
import {
  DEMO_PASSWORD,
  LOGIN_URL_RE,
  SESSION_COOKIE,
  USERS,
  sessionCookie,
  signIn,
  signInAs,
  startInstance,
  waitForHydration,
  type Instance,
} from './helpers';

test.describe('two instances on one set of tables', () => {
  test.describe.configure({ timeout: 120_000 });

  test('sessions, sign-out and the lockout are shared', async ({ page, context }) => {
    const a: Instance = await startInstance(3101);
    const b: Instance = await startInstance(3102);
    try {
      // Made on A, valid on B (localhost cookies are shared across ports, like one ALB host).
      await signInAs(page, USERS.analyst.email, { origin: a.origin });
      const cookie = await sessionCookie(context);
      expect(cookie, 'session cookie').toBeDefined();
      await page.goto(`${b.origin}/reports`);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reports');

      // Signed out on B: ended on A too, even for a replayed copy of the old cookie — at once
      // on B, and on A once A's in-memory copy of the record is older than SESSION_CACHE_SECS
      // (default 2 s; the README states this bound).
      await page.goto(`${b.origin}/dashboard`);
      await waitForHydration(page);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await expect(page).toHaveURL(LOGIN_URL_RE);
      await context.addCookies([{ ...cookie!, name: SESSION_COOKIE }]);
      await page.goto(`${b.origin}/dashboard`);
      await expect(page).toHaveURL(LOGIN_URL_RE);
      await context.addCookies([{ ...cookie!, name: SESSION_COOKIE }]);
      await expect
        .poll(
          async () => {
            await page.goto(`${a.origin}/dashboard`);
            return LOGIN_URL_RE.test(page.url());
          },
          { timeout: 5_000 },
        )
        .toBe(true);

      // Failures split across A and B lock the name on both (an unknown name counts the same).
      const name = `multi-${Date.now()}@example.com`;
      for (const [i, origin] of [a, b, a, b, a].map((x, i) => [i, x.origin] as const)) {
        await page.goto(`${origin}/login`);
        const answered = page.waitForResponse(
          (r) => r.url().includes('/api/sign_in') && r.request().method() === 'POST',
        );
        await signIn(page, name, `Wrong-${i}-Passw0rd!`);
        await answered;
        await expect(page.getByRole('alert')).toBeVisible();
      }
      for (const origin of [a.origin, b.origin]) {
        await page.goto(`${origin}/login`);
        await signIn(page, name, DEMO_PASSWORD);
        await expect(page.getByRole('alert')).toContainText('Too many failed attempts.');
      }
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
