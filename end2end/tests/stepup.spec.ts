// Admin step-up: admin actions need the admin's password and authenticator code from the last
// ADMIN_STEP_UP_SECS. A sign-in that answered the code step counts (the other specs' admin
// sessions); a session that never proved a code is sent to /admin/confirm first and then back.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import type { Page } from '@playwright/test';
import { ADMIN_TOTP_KEY, DEMO_PASSWORD, USERS, createUser, totp, uniqueEmail, waitForHydration } from './helpers';

/** Signs in as the admin through the emulator's hosted page, which asks for no code. */
async function signInWithoutCode(page: Page, baseURL: string | undefined) {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Sign in with the hosted page' }).click();
  await page.getByLabel('Username:', { exact: true }).fill(USERS.admin.email);
  await page.getByLabel('Password:', { exact: true }).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(`${baseURL}/dashboard`);
}

test.describe('admin step-up', () => {
  test('a directory button pressed without a recent code goes to the confirmation and back; pressed again, it acts in the page', async ({
    page,
    baseURL,
  }) => {
    // A user of this test's own: disabling them touches no one else.
    const email = uniqueEmail('stepup-target');
    await createUser(email, DEMO_PASSWORD);
    await signInWithoutCode(page, baseURL);
    await page.goto(`/admin?q=${encodeURIComponent(email)}`);
    await waitForHydration(page);
    const row = page.locator(`tr[data-testid="directory-row"][data-email="${email}"]`);
    const disable = row.getByRole('button', { name: `Disable ${email}` });
    const enable = row.getByRole('button', { name: `Enable ${email}` });
    await disable.click();

    // The answer is "confirm first" (a server-function redirect: a new document, with or
    // without JavaScript).
    await expect(page).toHaveURL(/\/admin\/confirm\?next=/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Confirm it is you');
    await waitForHydration(page);
    await page.getByLabel('Password', { exact: true }).fill(DEMO_PASSWORD);
    await page.getByLabel('Code from your app').fill(totp(ADMIN_TOTP_KEY));
    await page.getByRole('button', { name: 'Confirm' }).click();
    // Back where the press was made (the confirmation is done before this page is drawn),
    // and nothing was changed: the user is still enabled.
    await expect(page).toHaveURL(`${baseURL}/admin`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Admin');
    await page.goto(`/admin?q=${encodeURIComponent(email)}`);
    await waitForHydration(page);
    await expect(disable).toBeVisible();

    // Pressed again: done in the page (no new document), said, and the row shows the result.
    await page.evaluate(() => ((window as any).__sameDocument = true));
    await disable.click();
    await expect(page.getByRole('status')).toContainText(`Disabled ${email}.`);
    await expect(enable).toBeVisible();
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await enable.click();
    await expect(page.getByRole('status')).toHaveText(`Enabled ${email}.`);
    await expect(disable).toBeVisible();
  });

  test('an admin whose sign-in asked no code confirms password and code before exporting the audit log, then is sent back', async ({
    page,
    baseURL,
  }) => {
    // The emulator's hosted page asks for no code (AWS's would): this session has proved none.
    await signInWithoutCode(page, baseURL);

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
