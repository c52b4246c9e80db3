// Playwright end-to-end tests for gatehouse.
//
// Run from the project root (after `scripts/stack.sh up` has started the Cognito and DynamoDB
// emulators and the server binary has been built — `make test` does both):
//
//   npx playwright test -c end2end/playwright.config.ts
//
// Chromium comes from Debian (/usr/bin/chromium); never run `npx playwright install`.
import { defineConfig } from '@playwright/test';

const PORT = 3100;
const BASE_URL = `http://localhost:${PORT}`;

export default defineConfig({
  testDir: './tests',
  // Resolved relative to this file: end2end/test-results (git-ignored).
  outputDir: './test-results',

  // The tests share one Cognito user pool, one sessions table and a lockout table:
  // run them one at a time. Each test still signs in fresh in its own browser context,
  // so the order does not matter.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,

  timeout: 30_000,
  // The whole browser run; a stall fails it instead of consuming CI's time limit.
  globalTimeout: 30 * 60_000,
  expect: { timeout: 10_000 },

  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],

  use: {
    browserName: 'chromium',
    baseURL: BASE_URL,
    headless: true,
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--disable-gpu',
        '--disable-quic',
        '--disable-domain-reliability',
        '--no-pings',
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },

  projects: [{ name: 'chromium' }],

  // The app under test. The emulators are NOT started here: `make test` (scripts/stack.sh up)
  // starts them first, and scripts/app-instance.sh reads their settings from .local/stack.env.
  webServer: {
    command: `bash scripts/app-instance.sh ${PORT}`,
    // The project root. Playwright resolves a relative `cwd` against this file's directory
    // (end2end/), which also works if package.json ever says "type": "module" (where
    // `__dirname` does not exist).
    cwd: '..',
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 5_000 },
  },
});
