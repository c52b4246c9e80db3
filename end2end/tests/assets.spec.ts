// Static files: the favicon is a real icon (not the HTML "page not found"), served like the
// other assets (not `no-store`).
import { expect, test } from '@playwright/test';

test('/favicon.ico is an icon, not the 404 page', async ({ request }) => {
  const res = await request.get('/favicon.ico');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
  expect(res.headers()['cache-control'] ?? '').not.toContain('no-store');
  const body = await res.body();
  // ICONDIR: reserved 0, type 1 (icon), one image.
  expect([...body.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
});

test('pages name the icon', async ({ page }) => {
  await page.goto('/login');
  await expect(page.locator('head link[rel="icon"]')).toHaveAttribute('href', '/favicon.ico');
});
