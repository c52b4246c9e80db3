// The account lifecycle, end to end on the Cognito emulator: sign-up and confirmation (code read
// from the emulator's data file), resend (unsupported by the emulator: a clear message), forgot
// and reset password, change password (other sessions signed out), forced new password, TOTP
// MFA (codes computed here from the shared secret), token refresh, and the account page.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import {
  LOGIN_URL_RE,
  cognito,
  createUser,
  projectRoot,
  signIn,
  stackEnv,
  startInstance,
  totp,
  uniqueEmail,
  waitForHydration,
} from './helpers';

// ---------------------------------------------------------------------------------------------
// The emulator: its settings, its data file, and its admin API (the same HTTP API as AWS).
// ---------------------------------------------------------------------------------------------

/** The latest confirmation or reset code the emulator "emailed" to `email`. */
function emulatorCode(email: string): string | undefined {
  const env = stackEnv();
  const file = path.join(projectRoot(), '.local', 'cognito', '.cognito', 'db', `${env.COGNITO_USER_POOL_ID}.json`);
  const db = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const user of Object.values<any>(db.Users ?? {})) {
    const attr = (user.Attributes ?? []).find((a: any) => a.Name === 'email');
    if (attr?.Value === email) return user.ConfirmationCode;
  }
  return undefined;
}

async function signInWith(page: Page, email: string, password: string, origin = '') {
  await page.goto(`${origin}/login`);
  await signIn(page, email, password);
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(LOGIN_URL_RE);
}

async function newContextPage(browser: Browser, javaScriptEnabled = true): Promise<Page> {
  const context = await browser.newContext({ javaScriptEnabled });
  return context.newPage();
}

const PASSWORD = 'Lifecycle-Passw0rd!';

test('the TOTP helper matches RFC 6238', () => {
  // Appendix B, SHA-1, T = 59 s: 94287082 → 287082 in six digits.
  expect(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 59_000)).toBe('287082');
});

test('sign up with live password feedback, confirm with the emailed code, sign in', async ({ page }) => {
  const email = uniqueEmail('signup');
  await page.goto('/signup');
  await waitForHydration(page);
  await expect(page.getByText('At least 8 characters')).toBeVisible();
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill('weak');
  await expect(page.locator('#password-rules li.unmet').first()).toBeVisible();
  await expect(page.locator('.strength')).toContainText('Too weak');
  // Server-side check: a weak password never reaches Cognito, and the email is kept.
  await page.getByLabel('Confirm password').fill('weak');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.locator('#password-error')).toContainText('Your password still needs');
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(email);

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await expect(page.locator('#password-rules li.unmet')).toHaveCount(0);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/confirm\?email=/);
  await expect(page.getByText('We sent a 6-digit code to')).toBeVisible();

  // A wrong code: said next to the field.
  await waitForHydration(page);
  await page.getByLabel('Confirmation code').fill('000000');
  await page.getByRole('button', { name: 'Confirm account' }).click();
  await expect(page.locator('#code-error')).toContainText('That code is not right');

  const code = emulatorCode(email);
  expect(code, 'the emulator stored a confirmation code').toMatch(/^\d{6}$/);
  await page.getByLabel('Confirmation code').fill(code!);
  await page.getByRole('button', { name: 'Confirm account' }).click();
  await expect(page).toHaveURL(/\/login\?notice=confirmed/);
  await expect(page.getByText('Your account is confirmed')).toBeVisible();

  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('user-email')).toHaveText(email);
});

test('resend code: the emulator cannot, and the page says so plainly', async ({ page }) => {
  const email = uniqueEmail('resend');
  await page.goto(`/confirm?email=${encodeURIComponent(email)}`);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Send a new code' }).click();
  await expect(page.getByRole('alert')).toContainText('We cannot send a new code right now');
});

test('forgot password: same answer for unknown emails, then reset with the code', async ({ page }) => {
  const email = uniqueEmail('forgot');
  await createUser(email, PASSWORD);
  await page.goto('/forgot');
  await waitForHydration(page);
  await page.getByLabel('Email', { exact: true }).fill(uniqueEmail('nobody'));
  await page.getByRole('button', { name: 'Send reset code' }).click();
  await expect(page).toHaveURL(/\/reset\?email=.*&sent=1/);
  const unknownNotice = await page.locator('.notice').textContent();

  await page.goto('/forgot');
  await waitForHydration(page);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByRole('button', { name: 'Send reset code' }).click();
  await expect(page).toHaveURL(/\/reset\?email=.*&sent=1/);
  expect(await page.locator('.notice').textContent()).toBe(unknownNotice);

  const code = emulatorCode(email);
  expect(code).toMatch(/^\d{6}$/);
  await waitForHydration(page);
  await page.getByLabel('Reset code').fill(code!);
  await page.getByLabel('Password', { exact: true }).fill('Reset-Passw0rd!');
  await page.getByLabel('Confirm password').fill('Reset-Passw0rd!');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page).toHaveURL(/\/login\?notice=password_reset/);

  await signIn(page, email, 'Reset-Passw0rd!');
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('an invited user replaces the temporary password and lands signed in', async ({ page }) => {
  const email = uniqueEmail('invited');
  await createUser(email, 'Temp-Passw0rd!', { temporary: true });
  await page.goto('/login?next=%2Faccount');
  await signIn(page, email, 'Temp-Passw0rd!');
  await expect(page).toHaveURL(/\/login\/new-password$/);
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel('Password', { exact: true }).fill('Mine-Passw0rd!');
  await page.getByLabel('Confirm password').fill('Other-Passw0rd!');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page.locator('#confirm-error')).toContainText('do not match');

  await page.getByLabel('Password', { exact: true }).fill('Mine-Passw0rd!');
  await page.getByLabel('Confirm password').fill('Mine-Passw0rd!');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
});

test('the account page shows who, how and the MFA status, with links to the actions', async ({ page }) => {
  const email = uniqueEmail('account');
  await createUser(email, PASSWORD);
  await cognito('AdminAddUserToGroup', { Username: email, GroupName: 'analysts' });
  await signInWith(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole('link', { name: email }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-email')).toHaveText(email);
  await expect(page.getByTestId('account-groups')).toContainText('analysts');
  await expect(page.getByTestId('account-method')).toHaveText('email and password');
  await expect(page.getByTestId('account-mfa')).toHaveText('Off');
  await expect(page.getByRole('link', { name: 'Change password' })).toHaveAttribute('href', '/account/password');
  await expect(page.getByRole('link', { name: 'Set up two-step verification' })).toHaveAttribute('href', '/account/mfa');
});

test('TOTP MFA: set up with the key, sign in with a code (wrong codes refused), turn it off', async ({ page }) => {
  const email = uniqueEmail('mfa');
  await createUser(email, PASSWORD);
  await signInWith(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);

  await page.goto('/account/mfa');
  await waitForHydration(page);
  // Set-up asks for the password again (a stolen session cannot enrol its own authenticator).
  await page.getByLabel('Your password').fill('not-my-password');
  await page.getByRole('button', { name: 'Set up two-step verification' }).click();
  await expect(page.locator('#current-error')).toContainText('Your current password is not right');
  await expect(page.locator('figure.qr svg')).toHaveCount(0);
  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Set up two-step verification' }).click();
  await expect(page.locator('figure.qr svg')).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]+=*$/);
  await page.getByLabel('Code from your app').fill('000000');
  await page.getByRole('button', { name: 'Verify and turn on' }).click();
  await expect(page.locator('#code-error')).toContainText('That code is not right');
  await page.getByLabel('Code from your app').fill(totp(secret));
  await page.getByRole('button', { name: 'Verify and turn on' }).click();
  await expect(page.locator('.notice')).toContainText('Two-step verification is on.');
  await expect(page.getByTestId('mfa-status')).toContainText('on');

  await signOut(page);
  await page.goto('/login?next=%2Faccount');
  await signIn(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/login\/mfa$/);
  // The Cognito challenge session is not in the page.
  expect(await page.content()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
  await waitForHydration(page);
  await page.getByLabel('Authentication code').fill('123456');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#code-error')).toContainText('That code is not right');
  await page.getByLabel('Authentication code').fill(totp(secret));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByTestId('account-mfa')).toHaveText('On (authenticator app)');

  await page.goto('/account/mfa');
  await waitForHydration(page);
  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByLabel('Current code from your app').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn off two-step verification' }).click();
  await expect(page.locator('.notice')).toContainText('Two-step verification is off.');
  await signOut(page);
  await signInWith(page, email, PASSWORD);
  await expect(page).toHaveURL(/\/dashboard$/);
});

test('the MFA code page works without JavaScript', async ({ browser }) => {
  const email = uniqueEmail('mfa-nojs');
  await createUser(email, PASSWORD);
  // Turn MFA on through the API with the user's own token, as the set-up page would.
  const auth = await cognito('InitiateAuth', {
    ClientId: stackEnv().COGNITO_CLIENT_ID, AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD },
  });
  const token = auth.AuthenticationResult.AccessToken;
  const { SecretCode } = await cognito('AssociateSoftwareToken', { AccessToken: token });
  await cognito('VerifySoftwareToken', { AccessToken: token, UserCode: totp(SecretCode) });
  await cognito('SetUserMFAPreference', { AccessToken: token,
    SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } });

  const page = await newContextPage(browser, false);
  await page.goto('/login');
  await signIn(page, email, PASSWORD, { hydrated: false });
  await expect(page).toHaveURL(/\/login\/mfa$/);
  await page.getByLabel('Authentication code').fill('12');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#code-error')).toContainText('Enter the 6-digit code');
  await page.getByLabel('Authentication code').fill(totp(SecretCode));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByTestId('user-email')).toHaveText(email);
  await page.context().close();
});

test('changing the password keeps this session and signs out the others', async ({ browser }) => {
  // A short idle timeout makes sessions re-check revocation every 2 s instead of every minute.
  const instance = await startInstance(3101, { SESSION_IDLE_TIMEOUT_SECS: '8' });
  try {
    const email = uniqueEmail('change');
    await createUser(email, PASSWORD);
    const here = await newContextPage(browser);
    const there = await newContextPage(browser);
    await signInWith(here, email, PASSWORD, instance.origin);
    await expect(here).toHaveURL(/\/dashboard$/);
    await signInWith(there, email, PASSWORD, instance.origin);
    await expect(there).toHaveURL(/\/dashboard$/);

    await here.goto(`${instance.origin}/account/password`);
    await waitForHydration(here);
    await here.getByLabel('Current password').fill('not-my-password');
    await here.getByLabel('Password', { exact: true }).fill('Changed-Passw0rd!');
    await here.getByLabel('Confirm password').fill('Changed-Passw0rd!');
    await here.getByRole('button', { name: 'Change password' }).click();
    await expect(here.locator('#current-error')).toContainText('Your current password is not right');

    await here.getByLabel('Current password').fill(PASSWORD);
    await here.getByLabel('Password', { exact: true }).fill('Changed-Passw0rd!');
    await here.getByLabel('Confirm password').fill('Changed-Passw0rd!');
    await here.getByRole('button', { name: 'Change password' }).click();
    await expect(here.getByText('Your password has been changed.')).toBeVisible();

    // The other browser, moving between its pages inside the app (no new document), is
    // signed out at its next check and shown the reason. The page that finds the session
    // ended is not the sign-in page: it must leave the reason for it.
    await waitForHydration(there);
    await there.evaluate(() => ((window as any).sameDocument = true));
    await expect
      .poll(async () => {
        if (!LOGIN_URL_RE.test(there.url())) {
          const to = new URL(there.url()).pathname === '/account' ? '/dashboard' : '/account';
          // Gone once the session is: the header then offers "Sign in" instead.
          await there.locator(`header a[href="${to}"]`).click({ timeout: 1_000 }).catch(() => {});
        }
        return there.url();
      }, { timeout: 15_000, intervals: [500] })
      .toMatch(LOGIN_URL_RE);
    await expect(there.getByText('Your password was changed')).toBeVisible();
    expect(await there.evaluate(() => (window as any).sameDocument)).toBe(true);
    await here.goto(`${instance.origin}/dashboard`);
    await expect(here.getByTestId('user-email')).toHaveText(email);

    // Back to the page it was on when the session was found ended.
    const next = new URL(there.url()).searchParams.get('next');
    await signIn(there, email, 'Changed-Passw0rd!');
    await expect(there).toHaveURL(`${instance.origin}${next}`);
  } finally {
    await instance.stop();
  }
});

test('token refresh re-reads the groups; a refresh that fails ends the session with a message', async ({ page }) => {
  // A margin longer than the emulator's token lifetime: every request refreshes.
  // Without the identity pool: with a refresh on every request, the header picture's own
  // request races the page's session writes (a known limit of the refresh's flight memory,
  // see the README); this test is about groups.
  const instance = await startInstance(3102, {
    TOKEN_REFRESH_MARGIN_SECS: '200000',
    COGNITO_IDENTITY_POOL_ID: '',
  });
  try {
    const email = uniqueEmail('refresh');
    await createUser(email, PASSWORD);
    await signInWith(page, email, PASSWORD, instance.origin);
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-groups')).toContainText('No groups');
    // The page's own requests (the header's picture) are done: a refresh still in flight when
    // the admin acts may carry the old groups (by design, see the session keeper).
    await page.waitForLoadState('networkidle');

    await cognito('AdminAddUserToGroup', { Username: email, GroupName: 'analysts' });
    await page.goto(`${instance.origin}/reports`);
    await expect(page.getByTestId('chart-hourly')).toBeVisible();

    await cognito('AdminDeleteUser', { Username: email });
    await page.goto(`${instance.origin}/dashboard`);
    await expect(page).toHaveURL(LOGIN_URL_RE);
    await expect(page.getByText('could not be renewed')).toBeVisible();
  } finally {
    await instance.stop();
  }
});
