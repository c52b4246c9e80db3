// Static files: the bundle has content-hashed names that browsers keep for a year, the plain
// error pages use the same stylesheet, and the favicon is a real icon (not the HTML "page not
// found"), kept a day. (Precompressed copies come from release builds: tests/api/assets.rs.)
import { expect, test } from '@playwright/test';
import { waitForHydration } from './helpers';

const HASHED = /^\/pkg\/gatehouse\.[A-Za-z0-9_-]+\.(css|js|wasm)$/;

test('/favicon.ico is an icon, not the 404 page', async ({ request }) => {
  const res = await request.get('/favicon.ico');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/^image\/(x-icon|vnd\.microsoft\.icon)/);
  expect(res.headers()['cache-control']).toBe('public, max-age=86400');
  const body = await res.body();
  // ICONDIR: reserved 0, type 1 (icon), one image.
  expect([...body.subarray(0, 6)]).toEqual([0, 0, 1, 0, 1, 0]);
});

test('pages name the icon', async ({ page }) => {
  await page.goto('/login');
  await expect(page.locator('head link[rel="icon"]')).toHaveAttribute('href', '/favicon.ico');
});

test('the page loads its hashed bundle, which may be kept for good', async ({ page, request }) => {
  const loaded: string[] = [];
  page.on('response', (res) => {
    const path = new URL(res.url()).pathname;
    if (path.startsWith('/pkg/') && res.status() === 200) loaded.push(path);
  });
  await page.goto('/login');
  // The bundle the page names is the one that runs: the app hydrates.
  await waitForHydration(page);
  const hrefs = [
    await page.locator('head link[rel="stylesheet"]').getAttribute('href'),
    await page.locator('head link[rel="modulepreload"]').getAttribute('href'),
    await page.locator('head link[rel="preload"][as="fetch"]').getAttribute('href'),
  ];
  for (const href of hrefs) {
    expect(href ?? '').toMatch(HASHED);
    const res = await request.get(href!, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.status(), href!).toBe(200);
    expect(res.headers()['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers()['vary'] ?? '').toMatch(/accept-encoding/i);
  }
  // The browser fetched the stylesheet, the script and the wasm by those names.
  expect(new Set(loaded.filter((p) => HASHED.test(p)))).toEqual(new Set(hrefs));
  // A name the build did not make is not kept.
  const stale = await request.get('/pkg/gatehouse.css');
  expect(stale.status()).toBe(404);
  expect(stale.headers()['cache-control']).toBe('no-cache');
});

test('the plain error pages use the same stylesheet', async ({ page, request }) => {
  await page.goto('/auth/callback?code=x&state=forged');
  const href = await page.locator('head link[rel="stylesheet"]').getAttribute('href');
  expect(href ?? '').toMatch(HASHED);
  expect((await request.get(href!)).status()).toBe(200);
});
