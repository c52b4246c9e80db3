// The data pages: the dashboard's own activity, /reports charts and CSV, the admin directory
// and its actions, the audit log — each group seeing exactly its pages and controls.
import fs from 'node:fs';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { USERS, signInAs, startInstance, waitForHydration, type Instance } from './helpers';

async function csvOf(page: Page, link: string): Promise<string> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId(link).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/\.csv$/);
  const file = await download.path();
  return fs.readFileSync(file!, 'utf8');
}

function rowsOf(csv: string): string[][] {
  return csv
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(',').map((cell) => cell.replace(/^"|"$/g, '')));
}

async function newPage(browser: Browser, javaScriptEnabled = true): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled });
  return context.newPage();
}

/** The directory row of `email` on /admin (filtered to that email). */
async function directoryRow(page: Page, email: string) {
  await page.goto(`/admin?q=${encodeURIComponent(email)}`);
  const row = page.locator(`tr[data-testid="directory-row"][data-email="${email}"]`);
  await expect(row).toBeVisible();
  return row;
}

test.describe('data pages', () => {
  test('each group sees exactly its pages and controls', async ({ browser }) => {
    // A user without groups: their own activity, no reports, no admin.
    const user = await newPage(browser);
    await signInAs(user, USERS.user.email);
    // The landing adds the sign-in from memory; a reload shows what the store holds, where the
    // event is written in the background: reload until it shows there too.
    await expect
      .poll(
        async () => {
          await user.reload();
          return user.getByTestId('my-activity').locator('tr[data-kind="sign_in"]').count();
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(0);
    await expect(user.getByTestId('chart-mine')).toBeVisible();
    await expect(user.locator('header').getByRole('link', { name: 'Reports', exact: true })).toHaveCount(0);
    expect((await user.goto('/reports'))!.status()).toBe(403);
    expect((await user.goto('/admin/audit'))!.status()).toBe(403);
    await expect(user.getByRole('button', { name: /^Disable / })).toHaveCount(0);

    // An analyst: reports with charts and the CSV link; no admin controls.
    const analyst = await newPage(browser);
    await signInAs(analyst, USERS.analyst.email);
    await analyst.goto('/reports');
    await expect(analyst.getByTestId('chart-hourly')).toBeVisible();
    await expect(analyst.getByTestId('chart-daily')).toBeVisible();
    await expect(analyst.getByTestId('method-split')).toBeVisible();
    await expect(analyst.getByTestId('reports-csv')).toBeVisible();
    expect((await analyst.goto('/admin'))!.status()).toBe(403);
    await expect(analyst.getByTestId('directory')).toHaveCount(0);

    // An admin: the directory with its actions, the audit log, reports too.
    const admin = await newPage(browser);
    await signInAs(admin, USERS.admin.email);
    const row = await directoryRow(admin, USERS.analyst.email);
    await expect(row.getByRole('button', { name: `Disable ${USERS.analyst.email}` })).toBeVisible();
    await expect(row.getByRole('button', { name: `Remove ${USERS.analyst.email} from analysts` })).toBeVisible();
    await admin.goto('/admin/audit');
    await expect(admin.getByRole('heading', { level: 1 })).toHaveText('Audit log');
    await expect(admin.getByTestId('audit-table')).toBeVisible();
    expect((await admin.goto('/reports'))!.status()).toBe(200);
  });

  test('an admin adds user@ to analysts, user@ then sees /reports, and removing takes it away', async ({
    browser,
  }) => {
    // user@ on a second instance that re-reads groups every 2 s (GROUPS_MAX_AGE_SECS), the
    // admin on the main one: the change travels through Cognito and the shared tables.
    const instance: Instance = await startInstance(3101, { GROUPS_MAX_AGE_SECS: '2' });
    const admin = await newPage(browser);
    try {
      const user = await newPage(browser);
      await signInAs(user, USERS.user.email, { origin: instance.origin });
      expect((await user.goto(`${instance.origin}/reports`))!.status()).toBe(403);

      await signInAs(admin, USERS.admin.email);
      let row = await directoryRow(admin, USERS.user.email);
      await row.getByLabel(`Group to add ${USERS.user.email} to`).selectOption('analysts');
      await row.getByRole('button', { name: `Add ${USERS.user.email} to the chosen group` }).click();
      await expect(admin.getByRole('status')).toHaveText(`Added ${USERS.user.email} to analysts.`);
      await expect(row.getByRole('button', { name: `Remove ${USERS.user.email} from analysts` })).toBeVisible();

      // Without signing out, within the groups' max age.
      await expect
        .poll(async () => (await user.goto(`${instance.origin}/reports`))!.status(), { timeout: 15_000 })
        .toBe(200);
      await expect(user.getByRole('heading', { level: 1 })).toHaveText('Reports');

      row = await directoryRow(admin, USERS.user.email);
      await row.getByRole('button', { name: `Remove ${USERS.user.email} from analysts` }).click();
      await expect(admin.getByRole('status')).toHaveText(`Removed ${USERS.user.email} from analysts.`);
      await expect
        .poll(async () => (await user.goto(`${instance.origin}/reports`))!.status(), { timeout: 15_000 })
        .toBe(403);
      expect((await user.goto(`${instance.origin}/dashboard`))!.status()).toBe(200);

      // Both changes are in the audit log, with the acting admin.
      await admin.goto(`/admin/audit?user=${encodeURIComponent(USERS.user.email)}`);
      const table = admin.getByTestId('audit-table');
      await expect(table.locator('tr[data-kind="group_added"]').first()).toContainText(USERS.admin.email);
      await expect(table.locator('tr[data-kind="group_removed"]').first()).toContainText(USERS.admin.email);
    } finally {
      // Never leave the demo user in a group, whatever failed above.
      const row = await directoryRow(admin, USERS.user.email).catch(() => null);
      const remove = row?.getByRole('button', { name: `Remove ${USERS.user.email} from analysts` });
      if (remove && (await remove.count()) > 0) await remove.click();
      await instance.stop();
    }
  });

  test('CSV exports download and contain the expected rows', async ({ browser }) => {
    const analyst = await newPage(browser);
    await signInAs(analyst, USERS.analyst.email);
    await analyst.goto('/reports');
    // The events of the sign-in just made are written in the background: wait for them.
    await expect
      .poll(async () => {
        const csv = await csvOf(analyst, 'reports-csv');
        return rowsOf(csv).some((r) => r[1] === 'sign_in' && r[2] === 'password');
      })
      .toBe(true);
    // Analysts get when, what and how — not who or from where (that is the admins' audit log).
    const csv = await csvOf(analyst, 'reports-csv');
    expect(csv.split(/\r?\n/)[0]).toBe('"time_utc","event","method"');
    expect(csv).not.toContain(USERS.analyst.email);

    const admin = await newPage(browser);
    await signInAs(admin, USERS.admin.email);
    await admin.goto(
      `/admin/audit?user=${encodeURIComponent(USERS.analyst.email)}&kind=sign_in`,
    );
    await expect(admin.getByTestId('audit-table').locator('tr').nth(1)).toContainText(USERS.analyst.email);
    const audit = rowsOf(await csvOf(admin, 'audit-csv'));
    expect(audit.length).toBeGreaterThan(0);
    for (const r of audit) {
      expect(r[1]).toBe('sign_in');
      expect(r[2]).toBe(USERS.analyst.email);
      expect(['password', 'hosted', 'google']).toContain(r[3]);
    }
    expect(audit.some((r) => r[3] === 'password')).toBe(true);
    // Newest first.
    const times = audit.map((r) => r[0]);
    expect([...times].sort().reverse()).toEqual(times);
  });

  test('what a page only shows is kept on hydration and rendered after an in-app navigation', async ({
    page,
  }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await signInAs(page, USERS.admin.email);
    // The sign-in is a full navigation: the dashboard's activity comes with its HTML only.
    await waitForHydration(page);
    const activity = page.getByTestId('my-activity');
    await expect(activity.locator('tr[data-kind="sign_in"]').first()).toBeVisible();
    const documents: string[] = [];
    page.on('request', (r) => r.resourceType() === 'document' && documents.push(r.url()));
    // In-app navigations: each page's data arrives through its server function and is
    // rendered in the browser.
    await page.locator('header').getByRole('link', { name: 'Reports', exact: true }).click();
    await expect(page).toHaveURL(/\/reports$/);
    await expect(page.getByTestId('chart-hourly')).toBeVisible();
    await expect(page.getByTestId('method-split')).toBeVisible();
    await expect(page.getByTestId('report-range')).toContainText('events.');
    await page.locator('header').getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await expect(page.getByTestId('audit-table').locator('tr').nth(1)).toBeVisible();
    await expect(page.getByTestId('audit-count')).toContainText('events, newest first');
    await page.locator('header').getByRole('link', { name: 'Dashboard', exact: true }).click();
    await expect(activity.locator('tr[data-kind="sign_in"]').first()).toBeVisible();
    await expect(page.getByTestId('chart-mine')).toBeVisible();
    expect(documents, 'no full page load').toEqual([]);
    expect(errors, 'no error in the browser (hydration kept the server markup)').toEqual([]);
  });

  test.describe('with JavaScript disabled', () => {
    test.use({ javaScriptEnabled: false });

    test('charts render on the server', async ({ page }) => {
      await signInAs(page, USERS.analyst.email, { hydrated: false });
      // The dashboard's own chart has today's sign-in (written in the background, cached briefly).
      await expect
        .poll(
          async () => {
            await page.reload();
            return page.getByTestId('chart-mine').locator('rect.bar.success').count();
          },
          { timeout: 15_000 },
        )
        .toBeGreaterThan(0);
      await page.goto('/reports');
      await expect
        .poll(async () => {
          await page.reload();
          return page.getByTestId('chart-hourly').locator('rect.bar').count();
        })
        .toBeGreaterThan(0);
      await expect(page.getByTestId('chart-daily')).toBeVisible();
      // The date range form works as a plain GET.
      await page.getByLabel('From', { exact: true }).fill('2020-01-01');
      await page.getByLabel('To', { exact: true }).fill('2020-01-02');
      await page.getByRole('button', { name: 'Show' }).click();
      await expect(page).toHaveURL(/from=2020-01-01&to=2020-01-02/);
      await expect(page.getByTestId('report-range')).toContainText('2020-01-01 to 2020-01-02');
      await expect(page.getByTestId('chart-hourly-empty')).toBeVisible();
      // A bad range says why and keeps the page usable.
      await page.goto('/reports?from=2020-01-05&to=2020-01-01');
      await expect(page.getByRole('alert')).toContainText('must not be after');
    });
  });
});
