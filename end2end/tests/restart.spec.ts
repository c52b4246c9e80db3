// Sessions live in DynamoDB, not in the server's memory: they survive a restart and are
// honoured by every instance. These tests start their own app instances on ports 3101/3102
// (the config's instance on 3100 is not used here).
import { expect, test } from '@playwright/test';
import { USERS, signInAs, startInstance, type Instance } from './helpers';

const started: Instance[] = [];

async function start(port: number): Promise<Instance> {
  const instance = await startInstance(port);
  started.push(instance);
  return instance;
}

test.describe('sessions outlive app instances', () => {
  // Starting and stopping server processes takes a few seconds each.
  test.describe.configure({ timeout: 120_000 });

  test.afterEach(async () => {
    // Stop whatever a test left running (also after a failure), so ports 3101/3102 are free.
    while (started.length) await started.pop()!.stop();
  });

  test('a signed-in user is still signed in after the app restarts', async ({ page }) => {
    const first = await start(3101);
    await signInAs(page, USERS.analyst.email, { origin: first.origin });
    await first.stop();

    // Nothing answers while the app is down: proves the next page really comes from a new process.
    const down = await page.request
      .get(`${first.origin}/healthz`, { timeout: 2_000 })
      .then((r) => r.status())
      .catch(() => null);
    expect(down, 'old instance is gone').toBeNull();

    const second = await start(3101);
    await page.goto(`${second.origin}/dashboard`);
    await expect(page).toHaveURL(`${second.origin}/dashboard`);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.analyst.email);
    await expect(page.getByTestId('user-groups').locator('li')).toHaveText(['analysts']);
  });

  test('a session created on one instance is honoured by another instance', async ({ page }) => {
    const a = await start(3101);
    const b = await start(3102);
    await signInAs(page, USERS.analyst.email, { origin: a.origin });

    // Cookies for localhost are shared across ports, so the same cookie jar reaches instance B.
    await page.goto(`${b.origin}/dashboard`);
    await expect(page).toHaveURL(`${b.origin}/dashboard`);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.analyst.email);

    const reports = await page.goto(`${b.origin}/reports`);
    expect(reports?.status()).toBe(200);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reports');
  });
});
