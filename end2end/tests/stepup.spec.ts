// Admin step-up: admin actions need the admin's password and authenticator code from the last
// ADMIN_STEP_UP_SECS. A sign-in that answered the code step counts (the other specs' admin
// sessions); a session that never proved a code is sent to /admin/confirm first and then back.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { ADMIN_TOTP_KEY, DEMO_PASSWORD, USERS, totp, waitForHydration } from './helpers';

test.describe('admin step-up', () => {
  test('an admin whose sign-in asked no code confirms password and code before exporting the audit log, then is sent back', async ({
    page,
    baseURL,
  }) => {
    // The emulator's hosted page asks for no code (AWS's would): this session has proved none.
    await page.goto('/login');
    await waitForHydration(page);
    await page.getByRole('link', { name: 'Sign in with the hosted page' }).click();
    await page.getByLabel('Username:', { exact: true }).fill(USERS.admin.email);
    await page.getByLabel('Password:', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page).toHaveURL(`${baseURL}/dashboard`);

    // Reading the audit log is not an action; exporting it is: the link asks to confirm first.
    await page.goto('/admin/audit');
    await waitForHydration(page);
    const csvLink = page.getByTestId('audit-csv');
    await expect(csvLink).toHaveText('Download CSV (confirm it is you first)');
    await csvLink.click();
    await expect(page).toHaveURL(/\/admin\/confirm\?next=/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm it is you');
    await waitForHydration(page);

    // A wrong code: refused next to its field, the password asked again, nothing else lost.
    const right = totp(ADMIN_TOTP_KEY);
    await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByLabel('Code from your app').fill(right === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect(page.locator('#code-error')).toContainText('That code is not right');
    await expect(page).toHaveURL(/\/admin\/confirm\?next=/);

    // Password and code: back on the audit page, where the export now downloads.
    await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByLabel('Code from your app').fill(totp(ADMIN_TOTP_KEY));
    await page.getByRole('button', { name: 'Confirm' }).click();
    await expect(page).toHaveURL(/\/admin\/audit\?/);
    await expect(page.getByTestId('audit-csv')).toHaveText('Download CSV');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('audit-csv').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^gatehouse-audit-.*\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toBe(
      '"time_utc","event","user","method","client_network","user_agent","actor","detail"',
    );
  });
});
