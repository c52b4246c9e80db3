// The profile picture (issue 16): chosen on /account, shown there and in the header, replaced
// and removed — with JavaScript (straight to S3 with a presigned PUT, progress shown) and
// without (a plain form post through the app). The S3 stand-in is moto (see the README).
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { projectRoot, signInAs, USERS, waitForHydration } from './helpers';

function fixture(name: string): string {
  return path.join(projectRoot(), 'end2end', 'fixtures', name);
}

/** The width the browser decoded for an image: 3 and 5 for the fixtures, 64 for the placeholder. */
async function shownWidth(page: Page, testid: string): Promise<number> {
  const img = page.getByTestId(testid).first();
  await expect(img).toBeVisible();
  return img.evaluate(async (el: HTMLImageElement) => {
    await el.decode().catch(() => undefined);
    return el.naturalWidth;
  });
}

async function expectWidths(page: Page, width: number): Promise<void> {
  await expect.poll(() => shownWidth(page, 'account-picture')).toBe(width);
  await expect.poll(() => shownWidth(page, 'header-picture')).toBe(width);
}

test.describe('with JavaScript', () => {
  test('uploads straight to S3 with progress, replaces and removes the picture', async ({ page }) => {
    await signInAs(page, USERS.user.email);
    await page.goto('/account');
    await waitForHydration(page);
    await expectWidths(page, 64);

    // The PUT goes to the bucket, not the app; held back a moment to see the progress.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const uploads: string[] = [];
    await page.route('**/gatehouse-avatars/**', async (route) => {
      uploads.push(`${route.request().method()} ${new URL(route.request().url()).pathname}`);
      await held;
      await route.continue();
    });
    await page.getByLabel('Choose a picture').setInputFiles(fixture('picture-3x2.png'));
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expect(page.getByTestId('picture-progress')).toBeVisible();
    release();
    await expect(page.getByTestId('picture-notice')).toHaveText('Your picture was updated.');
    await expect(page.getByTestId('picture-progress')).toHaveCount(0);
    expect(uploads).toEqual([expect.stringMatching(/^PUT \/gatehouse-avatars\/avatars\/[^/]+\/picture$/)]);
    await expectWidths(page, 3);

    await page.getByLabel('Choose a picture').setInputFiles(fixture('picture-5x4.png'));
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expectWidths(page, 5);
    // Still there on the next page.
    await page.goto('/dashboard');
    await expect.poll(() => shownWidth(page, 'header-picture')).toBe(5);

    await page.goto('/account');
    await waitForHydration(page);
    await page.getByTestId('picture-remove').click();
    await expect(page.getByText('Your picture was removed.')).toBeVisible();
    await expectWidths(page, 64);
    await expect(page.getByTestId('picture-remove')).toHaveCount(0);
  });

  test('a file that is not a JPEG, PNG or WebP image is refused next to the field', async ({ page }) => {
    await signInAs(page, USERS.user.email);
    await page.goto('/account');
    await waitForHydration(page);
    let reachedS3 = false;
    await page.route('**/gatehouse-avatars/**', (route) => {
      reachedS3 = true;
      return route.continue();
    });
    await page.getByLabel('Choose a picture').setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a picture'),
    });
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expect(page.getByTestId('picture-field-error')).toHaveText('Choose a JPEG, PNG or WebP image.');
    await expect(page.getByLabel('Choose a picture')).toHaveAttribute('aria-describedby', /picture-error/);
    // Refused before anything was signed: the browser never reached the bucket.
    expect(reachedS3).toBe(false);
  });
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('a plain form post uploads, replaces and removes the picture', async ({ page }) => {
    await signInAs(page, USERS.analyst.email, { hydrated: false });
    await page.goto('/account');

    await page.getByLabel('Choose a picture').setInputFiles(fixture('picture-3x2.png'));
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByTestId('picture-notice')).toHaveText('Your picture was updated.');
    await expectWidths(page, 3);

    await page.getByLabel('Choose a picture').setInputFiles(fixture('not-a-picture.png'));
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expect(page.getByTestId('picture-field-error')).toHaveText('Choose a JPEG, PNG or WebP image.');
    await expectWidths(page, 3);

    await page.getByLabel('Choose a picture').setInputFiles(fixture('picture-5x4.png'));
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expectWidths(page, 5);

    await page.getByTestId('picture-remove').click();
    await expect(page.getByText('Your picture was removed.')).toBeVisible();
    await expectWidths(page, 64);
  });
});
