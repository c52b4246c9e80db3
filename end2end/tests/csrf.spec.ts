// The sign-in form is protected against cross-site request forgery: a POST that does not carry
// the CSRF token issued with the form (field `csrf`, bound to the `gh_csrf` cookie) must not
// sign anyone in, even with the right email and password.
import { expect, test, type APIResponse, type Browser, type Page } from '@playwright/test';
import { DEMO_PASSWORD, LOGIN_URL_RE, SESSION_COOKIE, USERS, sessionCookie } from './helpers';

const CSRF_FIELD = 'csrf';

interface LoginForm {
  /** Absolute URL the form posts to (its `action`, resolved against the page). */
  target: string;
  /** Every field the form would submit (hidden ones included), by name. */
  fields: Record<string, string>;
}

async function readLoginForm(page: Page): Promise<LoginForm> {
  await page.goto('/login');
  const form = page.locator('form:has(input[name=password])');
  await expect(form).toHaveCount(1);
  expect((await form.getAttribute('method'))?.toLowerCase(), 'login form method').toBe('post');
  const action = await form.getAttribute('action');
  const target = new URL(action ?? '', page.url()).toString();
  const fields = await form.evaluate((f) =>
    Object.fromEntries(
      Array.from(new FormData(f as HTMLFormElement).entries()).map(([k, v]) => [k, String(v)]),
    ),
  );
  expect(fields[CSRF_FIELD], `the login form carries a non-empty "${CSRF_FIELD}" field`).toBeTruthy();
  return { target, fields };
}

/** Posts the form like a browser without JavaScript would (same cookie jar as `page`). */
async function postLogin(
  page: Page,
  baseURL: string,
  form: LoginForm,
  csrf: string | undefined,
): Promise<APIResponse> {
  const body: Record<string, string> = {
    ...form.fields,
    email: USERS.analyst.email,
    password: DEMO_PASSWORD,
  };
  if (csrf === undefined) delete body[CSRF_FIELD];
  else body[CSRF_FIELD] = csrf;
  return page.request.post(form.target, {
    form: body,
    // Same-origin headers, so only the token decides.
    headers: { Accept: 'text/html', Origin: baseURL, Referer: `${baseURL}/login` },
    maxRedirects: 0,
  });
}

function setsSessionCookie(response: APIResponse): boolean {
  return response
    .headersArray()
    .filter((h) => h.name.toLowerCase() === 'set-cookie')
    .some((h) => {
      const m = h.value.match(new RegExp(`^\\s*${SESSION_COOKIE}=([^;]*)`));
      return !!m && m[1] !== '' && !/max-age=0/i.test(h.value);
    });
}

async function expectRefused(page: Page, response: APIResponse) {
  const status = response.status();
  const location = response.headers()['location'];
  const refused =
    status === 403 ||
    (status >= 300 &&
      status < 400 &&
      !!location &&
      new URL(location, response.url()).pathname === '/login');
  expect(
    refused,
    `expected 403 or a redirect back to /login, got ${status} (location: ${location ?? '-'})`,
  ).toBe(true);
  expect(setsSessionCookie(response), 'response sets a gh_session cookie').toBe(false);
  expect(await sessionCookie(page.context()), 'gh_session cookie in the jar').toBeUndefined();

  await page.goto('/dashboard');
  await expect(page).toHaveURL(LOGIN_URL_RE);
  await expect(page.getByTestId('user-email')).toHaveCount(0);
}

async function tokenOfAnotherVisitor(browser: Browser, baseURL: string): Promise<string> {
  const other = await browser.newContext({ baseURL });
  try {
    const form = await readLoginForm(await other.newPage());
    return form.fields[CSRF_FIELD];
  } finally {
    await other.close();
  }
}

test.describe('CSRF protection of sign-in', () => {
  test('a sign-in POST without a CSRF token is refused', async ({ page, baseURL }) => {
    const form = await readLoginForm(page);
    await expectRefused(page, await postLogin(page, baseURL!, form, undefined));
  });

  test('a sign-in POST with a tampered CSRF token is refused', async ({ page, baseURL }) => {
    const form = await readLoginForm(page);
    const token = form.fields[CSRF_FIELD];
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    await expectRefused(page, await postLogin(page, baseURL!, form, tampered));
  });

  test("a sign-in POST with another visitor's CSRF token is refused", async ({
    page,
    browser,
    baseURL,
  }) => {
    const form = await readLoginForm(page);
    const foreign = await tokenOfAnotherVisitor(browser, baseURL!);
    expect(foreign).not.toBe(form.fields[CSRF_FIELD]);
    await expectRefused(page, await postLogin(page, baseURL!, form, foreign));
  });

  test("the same POST with the form's own CSRF token does sign in", async ({ page, baseURL }) => {
    // Control: proves the refusals above come from the token, not from a malformed request.
    const form = await readLoginForm(page);
    const response = await postLogin(page, baseURL!, form, form.fields[CSRF_FIELD]);

    expect([302, 303], 'a successful no-JS sign-in redirects').toContain(response.status());
    const location = new URL(response.headers()['location'] ?? '', response.url());
    expect(location.pathname).toBe('/dashboard');
    expect(await sessionCookie(page.context()), 'gh_session cookie in the jar').toBeDefined();

    await page.goto('/dashboard');
    await expect(page).toHaveURL(/\/dashboard$/);
    await expect(page.getByTestId('user-email')).toHaveText(USERS.analyst.email);
  });
});
