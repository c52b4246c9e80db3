// The forms people expect: a show/hide button on every password field (and a plain field
// without JavaScript), the account named for password managers on every form that sets or
// checks a password, every error linked to its field, announcements of results only, submit
// buttons that say they are busy, one-time-code fields, the authenticator key's copy button,
// and the product's name and the hosted button's label as settings.
import { expect, test, type Locator, type Page, type Route } from '@playwright/test';
import {
  DEMO_PASSWORD,
  GENERIC_ERROR,
  USERS,
  createUser,
  signIn,
  signInAs,
  startInstance,
  uniqueEmail,
  waitForHydration,
} from './helpers';

const PASSWORD = 'Forms-Passw0rd!';

/** Every password field of the page (sign-in, current and new passwords). */
function passwordFields(page: Page): Locator {
  return page.locator('input[autocomplete="current-password"], input[autocomplete="new-password"]');
}

/** Each password field shows its text and hides it again, from the keyboard. */
async function togglesWork(page: Page) {
  const fields = passwordFields(page);
  const n = await fields.count();
  expect(n, `password fields on ${page.url()}`).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const field = fields.nth(i);
    const id = await field.getAttribute('id');
    const toggle = page.locator(`button[aria-controls="${id}"]`);
    await expect(field).toHaveAttribute('type', 'password');
    await expect(toggle).toHaveAccessibleName('Show password');
    await field.fill('typed-secret');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await expect(field).toHaveAttribute('type', 'text');
    await expect(toggle).toHaveAccessibleName('Hide password');
    await expect(page.getByRole('status').filter({ hasText: 'Your password is shown.' })).toHaveCount(1);
    await expect(field).toHaveValue('typed-secret');
    await page.keyboard.press('Space');
    await expect(field).toHaveAttribute('type', 'password');
  }
}

/** Each form with a password field names its account in an `autocomplete="username"` field. */
async function formsNameTheirAccount(page: Page, account?: string) {
  const forms = page.locator('form').filter({ has: passwordFields(page) });
  const n = await forms.count();
  expect(n, `forms with a password on ${page.url()}`).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const username = forms.nth(i).locator('input[autocomplete="username"]');
    await expect(username).toHaveCount(1);
    if (account) await expect(username).toHaveValue(account);
  }
}

/** Holds the next call of a server function until `release` is called. */
async function hold(page: Page, endpoint: string) {
  let release!: (how: 'continue' | 'abort') => void;
  const released = new Promise<'continue' | 'abort'>((r) => (release = r));
  await page.route(`**/api/${endpoint}`, async (route: Route) => {
    if ((await released) === 'abort') await route.abort();
    else await route.continue();
  });
  return release;
}

test('a filter form says it is busy while its page loads', async ({ page }) => {
  await signInAs(page, USERS.analyst.email);
  await page.goto('/reports');
  await waitForHydration(page);
  // The next range's data is held: the page is still on its way.
  const release = await hold(page, 'reports_data');
  await page.getByLabel('From', { exact: true }).fill('2026-01-01');
  await page.getByLabel('To', { exact: true }).fill('2026-01-07');
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  const busy = page.getByRole('button', { name: 'Loading…' });
  await expect(busy).toHaveAttribute('aria-busy', 'true');
  await expect(busy).toHaveAttribute('aria-disabled', 'true');
  release('continue');
  await expect(page.getByTestId('report-range')).toContainText('2026-01-01 to 2026-01-07');
  await expect(page.getByRole('button', { name: 'Show', exact: true })).not.toHaveAttribute('aria-busy', 'true');
  await page.unrouteAll();

  // The audit log's filter, the same way.
  await signInAs(page, USERS.admin.email);
  await page.goto('/admin/audit');
  await waitForHydration(page);
  const again = await hold(page, 'audit_data');
  await page.getByLabel('From', { exact: true }).fill('2026-01-01');
  await page.getByLabel('To', { exact: true }).fill('2026-01-07');
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  const filtering = page.getByRole('button', { name: 'Filtering…' });
  await expect(filtering).toHaveAttribute('aria-busy', 'true');
  again('continue');
  await expect(page.getByTestId('audit-count')).toContainText('2026-01-01 to 2026-01-07');
  await page.unrouteAll();
});

test('every password field has a keyboard show/hide button, and is a plain field without JavaScript', async ({
  page,
  browser,
}) => {
  for (const path of ['/login', '/signup', '/reset?email=someone%40example.com']) {
    await page.goto(path);
    await waitForHydration(page);
    await togglesWork(page);
  }
  await signInAs(page, USERS.analyst.email);
  for (const path of ['/account/password', '/account/mfa']) {
    await page.goto(path);
    await waitForHydration(page);
    await togglesWork(page);
  }

  // Without JavaScript: the same fields, no buttons that could not work, and sign-in works.
  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto('/login');
  await expect(passwordFields(plain)).toHaveCount(1);
  await expect(plain.locator('button[aria-controls]')).toHaveCount(0);
  await signIn(plain, USERS.analyst.email, DEMO_PASSWORD, { hydrated: false });
  await expect(plain).toHaveURL(/\/dashboard$/);
  await context.close();
});

test('every form that sets or checks a password names the account for password managers', async ({
  page,
}) => {
  for (const path of ['/login', '/signup', '/reset?email=someone%40example.com']) {
    await page.goto(path);
    await formsNameTheirAccount(page);
  }
  await signInAs(page, USERS.analyst.email);
  for (const path of ['/account/password', '/account/mfa']) {
    await page.goto(path);
    await formsNameTheirAccount(page, USERS.analyst.email);
  }

  // The new-password step of a sign-in with a temporary password names the account too.
  const email = uniqueEmail('forms-temp');
  await createUser(email, PASSWORD, { temporary: true });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/login\/new-password$/);
  await formsNameTheirAccount(page, email);
});

test('every error is linked to its field, and typing announces nothing', async ({ page }) => {
  await page.goto('/signup');
  await waitForHydration(page);
  // The rules and the strength describe the field; they are not live regions.
  await expect(page.locator('form [aria-live]')).toHaveCount(0);
  for (const id of ['password-rules', 'password-strength']) {
    await expect(page.locator(`#${id}`)).not.toHaveAttribute('role', /status|alert|log/);
  }
  await expect(page.locator('#password')).toHaveAttribute('aria-describedby', /password-rules/);

  for (const [email, password, confirm, errorId] of [
    ['not-an-email', PASSWORD, PASSWORD, 'email-error'],
    [uniqueEmail('forms-weak'), 'weak', 'weak', 'password-error'],
    [uniqueEmail('forms-mismatch'), PASSWORD, 'Other-Passw0rd!', 'confirm-error'],
  ]) {
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByLabel('Confirm password').fill(confirm);
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.locator(`#${errorId}`)).toBeVisible();
    const ids = await page.locator('.field-error[id]').evaluateAll((els) => els.map((e) => e.id));
    expect(ids).toContain(errorId);
    for (const id of ids) {
      const field = page.locator(`input[aria-describedby~="${id}"]`);
      await expect(field, `the field described by #${id}`).toHaveCount(1);
      await expect(field).toHaveAttribute('aria-invalid', 'true');
    }
    // Nothing typed is lost but passwords.
    await expect(page.getByLabel('Email', { exact: true })).toHaveValue(email);
  }
  await expect(page.locator('form [aria-live]')).toHaveCount(0);
});

test('submit buttons say they are busy while their request runs', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  let signInPosts = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/api/sign_in')) signInPosts += 1;
  });
  let release = await hold(page, 'sign_in');
  await page.getByLabel('Email', { exact: true }).fill(uniqueEmail('forms-busy'));
  await page.getByLabel('Password', { exact: true }).fill('Wrong-Passw0rd!');
  // Shown, then sent: the field goes back to dots.
  await page.getByRole('button', { name: 'Show password' }).click();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'text');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('type', 'password');
  let busy = page.getByRole('button', { name: 'Signing in…' });
  await expect(busy).toHaveAttribute('aria-disabled', 'true');
  await expect(busy).toHaveAttribute('aria-busy', 'true');
  // Pressed again while busy: ignored (one request), and the focus stays on it.
  await busy.focus();
  await page.keyboard.press('Enter');
  await expect(busy).toBeFocused();
  release('continue');
  await expect(page.getByRole('alert')).toContainText(GENERIC_ERROR);
  await expect(page.getByRole('button', { name: 'Sign in', exact: true })).not.toHaveAttribute('aria-disabled', 'true');
  expect(signInPosts, 'one sign-in request for two presses').toBe(1);
  await page.unrouteAll();

  // A signed-in form: the request never reaches the server (aborted), so nothing changes.
  await signInAs(page, USERS.analyst.email);
  for (const [path, endpoint, fill, label, busyLabel] of [
    [
      '/account/password',
      'change_password',
      async () => {
        await page.getByLabel('Current password').fill(DEMO_PASSWORD);
        await page.getByLabel('Password', { exact: true }).fill('Another-Passw0rd!');
        await page.getByLabel('Confirm password').fill('Another-Passw0rd!');
      },
      'Change password',
      'Changing password…',
    ],
    [
      '/account/mfa',
      'start_mfa',
      async () => page.getByLabel('Your password').fill(DEMO_PASSWORD),
      'Set up two-step verification',
      'Setting up…',
    ],
  ] as const) {
    await page.goto(path);
    await waitForHydration(page);
    release = await hold(page, endpoint);
    await fill();
    await page.getByRole('button', { name: label }).click();
    busy = page.getByRole('button', { name: busyLabel });
    await expect(busy).toHaveAttribute('aria-disabled', 'true');
    await expect(busy).toHaveAttribute('aria-busy', 'true');
    release('abort');
    await expect(page.getByRole('button', { name: label })).not.toHaveAttribute('aria-disabled', 'true');
    await page.unrouteAll();
  }
});

test('a button in the admin directory says it is busy, and is sent once', async ({ page }) => {
  // The directory's rows are sent once, as markup (no hydration state for them): one handler
  // around them sends their forms and marks the pressed button busy.
  const email = USERS.analyst.email;
  await signInAs(page, USERS.admin.email);
  await page.goto(`/admin?q=${encodeURIComponent(email)}`);
  await waitForHydration(page);
  let posts = 0;
  page.on('request', (r) => {
    if (r.url().endsWith('/api/manage_user')) posts += 1;
  });
  const release = await hold(page, 'manage_user');
  const row = page.locator(`tr[data-testid="directory-row"][data-email="${email}"]`);
  const button = row.getByRole('button', { name: `Disable ${email}` });
  await button.click();
  await expect(button).toHaveText('Disabling…');
  await expect(button).toHaveAttribute('aria-busy', 'true');
  await expect(button).toHaveAttribute('aria-disabled', 'true');
  // Pressed again while busy: ignored.
  await button.focus();
  await page.keyboard.press('Enter');
  // The request never reaches the server: the rows are read again, the button at rest.
  release('abort');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(button).toHaveText('Disable');
  await expect(button).not.toHaveAttribute('aria-busy', 'true');
  await expect(row).toHaveAttribute('data-enabled', 'true');
  expect(posts, 'one request for two presses').toBe(1);
  // Still a page of the app: no document was loaded.
  expect(new URL(page.url()).pathname).toBe('/admin');
  await page.unrouteAll();
});

test('code fields ask for six digits from the number pad, focused where the code is what is asked', async ({
  page,
}) => {
  const isCodeField = async (field: Locator) => {
    await expect(field).toHaveAttribute('inputmode', 'numeric');
    await expect(field).toHaveAttribute('autocomplete', 'one-time-code');
    // Six digits, or "123 456" as authenticator apps show them.
    await expect(field).toHaveAttribute('maxlength', '7');
    await expect(field).toHaveAttribute('pattern', '[0-9]{3} ?[0-9]{3}');
  };
  for (const [path, label] of [
    ['/confirm?email=someone%40example.com&sent=1', 'Confirmation code'],
    ['/reset?email=someone%40example.com&sent=1', 'Reset code'],
  ] as const) {
    await page.goto(path);
    await waitForHydration(page);
    await isCodeField(page.getByLabel(label));
    await expect(page.getByLabel(label)).toBeFocused();
  }
  // Reached by the app's own navigation (the code step after the password): focused too.
  await page.goto('/login');
  await signIn(page, USERS.admin.email, DEMO_PASSWORD);
  await expect(page).toHaveURL(/\/login\/mfa$/);
  await isCodeField(page.getByLabel('Authentication code'));
  await expect(page.getByLabel('Authentication code')).toBeFocused();
});

test('the authenticator key can be copied, and its link names the product as the issuer', async ({
  browser,
}) => {
  const instance = await startInstance(3101, { APP_NAME: 'Acme Portal' });
  const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  try {
    const page = await context.newPage();
    const email = uniqueEmail('forms-copy');
    await createUser(email, PASSWORD);
    await page.goto(`${instance.origin}/login`);
    await signIn(page, email, PASSWORD);
    await expect(page).toHaveURL(/\/dashboard$/);
    await page.goto(`${instance.origin}/account/mfa`);
    await waitForHydration(page);
    await page.getByLabel('Your password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set up two-step verification' }).click();
    const key = (await page.getByTestId('totp-secret').textContent())!.trim();
    expect(key).toMatch(/^[A-Z2-7]{16,}=*$/);

    await page.getByRole('button', { name: 'Copy key' }).click();
    await expect(page.getByTestId('copy-status')).toHaveText('Copied.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const link = await page.getByTestId('totp-link').getAttribute('href');
    expect(link).toContain(`otpauth://totp/Acme%20Portal:`);
    expect(link).toContain(`issuer=Acme%20Portal`);
  } finally {
    await context.close();
    await instance.stop();
  }
});

test('the product name and the hosted button label are settings', async ({ page }) => {
  const instance = await startInstance(3102, {
    APP_NAME: 'Acme Portal',
    HOSTED_SIGN_IN_LABEL: 'Sign in with Acme SSO',
  });
  try {
    await page.goto(`${instance.origin}/login`);
    await waitForHydration(page);
    await expect(page).toHaveTitle('Sign in · Acme Portal');
    await expect(page.locator('header .brand')).toHaveText('Acme Portal');
    await expect(page.locator('footer')).toContainText('Acme Portal');
    await expect(page.getByTestId('hosted-button')).toHaveText('Sign in with Acme SSO');
    // A page the app draws itself (client-side navigation) keeps the name.
    await page.getByRole('link', { name: 'Create an account' }).click();
    await expect(page).toHaveTitle('Create an account · Acme Portal');
    // And a page the server renders on its own (the 404).
    await page.goto(`${instance.origin}/no-such-page`);
    await expect(page).toHaveTitle('Page not found · Acme Portal');
    await expect(page.locator('header .brand')).toHaveText('Acme Portal');
  } finally {
    await instance.stop();
  }
});
