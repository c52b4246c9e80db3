import { expect, test, type Page } from '@playwright/test';
import { USERS, signInAs } from './helpers';

async function expectPage(page: Page, path: string, status: number, heading: string) {
  const response = await page.goto(path);
  expect(response, `response for ${path}`).not.toBeNull();
  expect(response!.status(), `HTTP status of ${path}`).toBe(status);
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[/.?]/g, '\\$&')}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(heading);
}

function navLink(page: Page, name: string) {
  return page.locator('header').getByRole('link', { name, exact: true });
}

test.describe('access control', () => {
  test('anonymous visitors are sent to sign in for every gated page', async ({ page }) => {
    for (const path of ['/dashboard', '/reports', '/admin']) {
      const response = await page.request.get(path, { maxRedirects: 0 });
      expect([302, 303], `status of anonymous GET ${path}`).toContain(response.status());
      const location = new URL(response.headers()['location'] ?? '', 'http://localhost/');
      expect(location.pathname, `redirect target of ${path}`).toBe('/login');
      expect(location.searchParams.get('next')).toBe(path);
    }
  });

  test('a user without groups is denied Reports and Admin', async ({ page }) => {
    await signInAs(page, USERS.user.email);

    await expectPage(page, '/admin', 403, 'Access denied');
    await expectPage(page, '/reports', 403, 'Access denied');
    // Denied, but still signed in.
    await expectPage(page, '/dashboard', 200, 'Dashboard');
    await expect(page.getByTestId('user-email')).toHaveText(USERS.user.email);
  });

  test('an analyst can open Reports but not Admin', async ({ page }) => {
    await signInAs(page, USERS.analyst.email);

    await expectPage(page, '/reports', 200, 'Reports');
    await expectPage(page, '/admin', 403, 'Access denied');
  });

  test('an admin can open Dashboard, Reports and Admin', async ({ page }) => {
    await signInAs(page, USERS.admin.email);

    await expectPage(page, '/dashboard', 200, 'Dashboard');
    await expectPage(page, '/reports', 200, 'Reports');
    await expectPage(page, '/admin', 200, 'Admin');
  });

  test('an unknown path shows "Page not found" with HTTP 404', async ({ page }) => {
    await expectPage(page, `/no-such-page-${Date.now()}`, 404, 'Page not found');
  });

  test('the header only links to pages the user may open', async ({ page }) => {
    await signInAs(page, USERS.user.email);
    await expect(page.locator('header')).toBeVisible();
    await expect(page.locator('header').getByRole('button', { name: 'Sign out' })).toBeVisible();
    await expect(navLink(page, 'Reports')).toHaveCount(0);
    await expect(navLink(page, 'Admin')).toHaveCount(0);
  });

  test('the header links an analyst to Reports but not Admin', async ({ page }) => {
    await signInAs(page, USERS.analyst.email);
    await expect(navLink(page, 'Reports')).toBeVisible();
    await expect(navLink(page, 'Admin')).toHaveCount(0);
  });

  test('the header links an admin to Reports and Admin, and the links work', async ({ page }) => {
    await signInAs(page, USERS.admin.email);
    await expect(navLink(page, 'Reports')).toBeVisible();
    await expect(navLink(page, 'Admin')).toBeVisible();

    await navLink(page, 'Admin').click();
    await expect(page).toHaveURL(/\/admin$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Admin');

    await navLink(page, 'Reports').click();
    await expect(page).toHaveURL(/\/reports$/);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reports');
  });
});
