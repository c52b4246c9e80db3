// An admin resets two-step verification for a user who lost their phone: a link on the user's
// row (only when it is on), a confirmation page naming the user, a CSRF-protected POST.
//
// The Cognito stand-in (cognito-local) has no AdminSetUserMFAPreference: on it the reset
// answers with the clear message an admin gets from a directory that cannot do it, and nothing
// changes. That the call succeeds on AWS (and the audit event it then writes) is only
// verifiable there (README, "What was not checked here").
import { expect, test } from '@playwright/test';
import {
  USERS,
  cognito,
  createUser,
  signIn,
  signInAs,
  stackEnv,
  totp,
  uniqueEmail,
  waitForHydration,
} from './helpers';

const PASSWORD = 'Lost-Phone-Passw0rd!';

/** Turns the user's TOTP on through the API with their own token, as the set-up page would. */
async function turnOnMfa(email: string) {
  const auth = await cognito('InitiateAuth', {
    ClientId: stackEnv().COGNITO_CLIENT_ID,
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: email, PASSWORD },
  });
  const token = auth.AuthenticationResult.AccessToken;
  const { SecretCode } = await cognito('AssociateSoftwareToken', { AccessToken: token });
  await cognito('VerifySoftwareToken', { AccessToken: token, UserCode: totp(SecretCode) });
  await cognito('SetUserMFAPreference', {
    AccessToken: token,
    SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
  });
}

test('an admin resets two-step verification after a confirmation step; a forged post is refused', async ({
  page,
  browser,
}) => {
  const email = uniqueEmail('lost-phone');
  await createUser(email, PASSWORD);
  const plain = uniqueEmail('no-phone');
  await createUser(plain, PASSWORD);
  await turnOnMfa(email);

  await signInAs(page, USERS.admin.email);
  // A name that is nobody: no confirmation to give.
  await page.goto('/admin/reset-mfa?user=nobody-at-all%40example.com');
  await expect(page.getByTestId('reset-mfa-nobody')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Reset two-step verification' })).toHaveCount(0);
  // Offered only where two-step verification is on.
  await page.goto(`/admin?q=${encodeURIComponent(plain)}`);
  await expect(page.locator(`tr[data-testid="directory-row"][data-email="${plain}"]`)).toBeVisible();
  await expect(page.getByTestId('reset-mfa')).toHaveCount(0);
  await page.goto(`/admin?q=${encodeURIComponent(email)}`);
  const row = page.locator(`tr[data-testid="directory-row"][data-email="${email}"]`);
  await expect(row).toBeVisible();
  await row.getByRole('link', { name: `Reset two-step verification for ${email}` }).click();

  // The confirmation page names the user; opening it changed nothing.
  await expect(page).toHaveURL(/\/admin\/reset-mfa\?user=/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reset two-step verification');
  await expect(page.getByTestId('reset-mfa-user')).toHaveText(email);
  await expect(page.getByRole('link', { name: 'Cancel' })).toHaveAttribute('href', '/admin');

  // A post without the page's CSRF token is refused before anything is asked of Cognito
  // (the answer a page's script gets: the form, expired, with its status).
  const forged = await page.request.post('/api/reset_mfa', {
    form: { username: email, csrf: 'forged' },
    headers: { accept: 'application/json' },
  });
  const answer = await forged.json();
  expect(answer.status).toBe(403);
  expect(answer.error).toContain('This form has expired');
  expect(answer.notice).toBeNull();

  await waitForHydration(page);
  await page.getByRole('button', { name: 'Reset two-step verification' }).click();
  // The stand-in's answer: a clear message, on the same page, nothing changed.
  await expect(page.getByRole('alert')).toContainText(
    'This user directory does not offer resetting two-step verification',
  );
  await expect(page.getByTestId('reset-mfa-user')).toHaveText(email);

  // The user's sign-in still asks for the code.
  const context = await browser.newContext();
  const user = await context.newPage();
  await user.goto('/login');
  await signIn(user, email, PASSWORD);
  await expect(user).toHaveURL(/\/login\/mfa$/);
  await context.close();
});
