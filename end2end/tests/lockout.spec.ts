// The lockout policy as a person meets it. These tests lock the test-only accounts
// lockout-N@example.com (seeded beside the demo users), never a demo user.
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  DEMO_PASSWORD,
  GENERIC_ERROR,
  USERS,
  signIn,
  signInAs,
  startInstance,
  type Instance,
} from './helpers';

const LOCKED = /^Too many failed attempts\. Try again in \d+ minutes?\.$/;

/** Signs in as admin in a fresh context and unlocks `email` if it is listed (test hygiene). */
async function adminUnlock(browser: Browser, email: string, origin = ''): Promise<Page> {
  const admin = await (await browser.newContext()).newPage();
  await signInAs(admin, USERS.admin.email, { origin });
  await admin.goto(`${origin}/admin/lockouts`);
  return admin;
}

async function failOnce(page: Page, email: string, attempt: number): Promise<void> {
  // Wait for this attempt's answer: the message is the same after each failure, so checking
  // the text alone could let the next attempt start while this one is still in flight.
  const answered = page.waitForResponse(
    (r) => r.url().includes('/api/sign_in') && r.request().method() === 'POST',
  );
  await signIn(page, email, `wrong-password-${attempt}`);
  await answered;
}

test.describe('lockout', () => {
  test.describe.configure({ timeout: 120_000 });

  test('five wrong passwords lock the account until an admin unlocks it', async ({ page, browser }) => {
    const email = 'lockout-1@example.com';
    const admin = await adminUnlock(browser, email);
    const row = admin.locator(`[data-testid=lockout-row][data-username="${email}"]`);
    if (await row.count()) {
      await row.getByRole('button', { name: `Unlock ${email}` }).click();
      await expect(row).toHaveCount(0);
    }

    await page.goto('/login');
    for (let attempt = 1; attempt <= 4; attempt++) {
      await failOnce(page, email, attempt);
      await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
    }
    await failOnce(page, email, 5);
    await expect(page.getByRole('alert')).toHaveText(LOCKED);

    // The right password is refused while locked.
    await signIn(page, email, DEMO_PASSWORD);
    await expect(page.getByRole('alert')).toHaveText(LOCKED);
    await expect(page).toHaveURL(/\/login/);

    // The admin sees the lock and lifts it.
    await admin.reload();
    await expect(row).toBeVisible();
    await expect(row.locator('td').first()).toHaveText('5');
    await expect(row).not.toContainText('not locked');
    await row.getByRole('button', { name: `Unlock ${email}` }).click();
    await expect(admin.getByRole('status')).toHaveText(`Unlocked ${email}.`);
    await expect(row).toHaveCount(0);

    await signIn(page, email, DEMO_PASSWORD);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(email);
  });

  test('the lockouts page is for admins only', async ({ page }) => {
    await signInAs(page, USERS.analyst.email);
    const res = await page.goto('/admin/lockouts');
    expect(res?.status()).toBe(403);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Access denied');
  });

  test.describe('with its own app instances', () => {
    const started: Instance[] = [];
    test.afterEach(async () => {
      while (started.length) await started.pop()!.stop();
    });

    test('a lock ends by itself after the configured duration', async ({ page }) => {
      const email = 'lockout-2@example.com';
      // A 3-second lock after 2 failures, set by configuration for this instance only.
      const app = await startInstance(3101, { LOCKOUT_MAX_ATTEMPTS: '2', LOCKOUT_DURATION_SECS: '3' });
      started.push(app);
      await page.goto(`${app.origin}/login`);
      await failOnce(page, email, 1);
      await expect(page.getByRole('alert')).toHaveText(GENERIC_ERROR);
      await failOnce(page, email, 2);
      await expect(page.getByRole('alert')).toHaveText('Too many failed attempts. Try again in 1 minute.');
      await signIn(page, email, DEMO_PASSWORD);
      await expect(page.getByRole('alert')).toHaveText(LOCKED);

      // Refused attempts neither count nor extend the lock: keep trying the right password
      // until the lock has run out.
      await expect(async () => {
        if (!page.url().endsWith('/dashboard')) await signIn(page, email, DEMO_PASSWORD);
        await expect(page).toHaveURL(/\/dashboard$/, { timeout: 1_000 });
      }).toPass({ timeout: 20_000, intervals: [500] });
      await expect(page.getByTestId('user-email')).toHaveText(email);
    });

    test('failures split across two instances lock the account on both', async ({ page, browser }) => {
      const email = 'lockout-3@example.com';
      const [a, b] = [await startInstance(3101), await startInstance(3102)];
      started.push(a, b);
      const other = await (await browser.newContext()).newPage();
      await page.goto(`${a.origin}/login`);
      await other.goto(`${b.origin}/login`);
      for (let attempt = 1; attempt <= 4; attempt++) {
        const p = attempt % 2 ? page : other;
        await failOnce(p, email, attempt);
        await expect(p.getByRole('alert')).toHaveText(GENERIC_ERROR);
      }
      await failOnce(page, email, 5);
      await expect(page.getByRole('alert')).toHaveText(LOCKED);
      for (const p of [page, other]) {
        await signIn(p, email, DEMO_PASSWORD);
        await expect(p.getByRole('alert')).toHaveText(LOCKED);
      }

      // Clean up: the admin unlocks on instance B, and the user gets in on instance A.
      const admin = await adminUnlock(browser, email, b.origin);
      const row = admin.locator(`[data-testid=lockout-row][data-username="${email}"]`);
      await row.getByRole('button', { name: `Unlock ${email}` }).click();
      await expect(row).toHaveCount(0);
      await signIn(page, email, DEMO_PASSWORD);
      await expect(page).toHaveURL(/\/dashboard$/);
    });
  });
});
