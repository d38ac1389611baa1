// The portal's end-to-end tests: Debian's Chromium (never a downloaded browser) driving
// the real local-dev binary over loopback, every spec on a desktop and a 360 px phone.
// scripts/portal-test sets the environment: PORTAL_URL, PORTAL_ADMIN_TOKEN,
// PORTAL_DATA_DIR, LOCAL_DEV (the binary) and PORTAL_ARTIFACTS (screenshots, traces).

import { defineConfig } from '@playwright/test';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests with scripts/portal-test`);
  return value;
};

const url = need('PORTAL_URL');
const artifacts = need('PORTAL_ARTIFACTS');

export default defineConfig({
  testDir: './specs',
  outputDir: `${artifacts}/results`,
  fullyParallel: true,
  workers: Number(process.env.PORTAL_WORKERS ?? 2),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  forbidOnly: true,
  reporter: [['list'], ['./support/summary-reporter.js']],
  use: {
    baseURL: url,
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      // No sync, updates or background fetches: the machine's network is closed, and the
      // tests talk to 127.0.0.1 only.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    { name: 'desktop', use: { viewport: { width: 1280, height: 800 } } },
    {
      name: 'phone',
      use: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    },
  ],
  webServer: {
    command: need('LOCAL_DEV'),
    url: `${url}/healthz`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      MADOGUCHI_ADDR: new URL(url).host,
      MADOGUCHI_DATA_DIR: need('PORTAL_DATA_DIR'),
      MADOGUCHI_ADMIN_TOKEN: need('PORTAL_ADMIN_TOKEN'),
      MADOGUCHI_SEED_DEMO: 'true',
      // Orders wait for the tests, which play the back office through the operators'
      // route (docs/orders.md), so that each state is seen for as long as a test looks.
      MADOGUCHI_WORKS_MINUTES: 'off',
      RUST_LOG: 'warn',
    },
  },
});
