// What every portal spec shares: an operator's client for the admin API (to create a
// fresh member per test, issue purchase codes and read the outbox), logging in by
// clicking, and the check run on every screen: axe-core for WCAG 2.2 AA, and a
// screenshot kept as a test artifact.

import { randomBytes } from 'node:crypto';
import { test as base, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Today in Japan plus `days`, as YYYY-MM-DD (docs/api.md dates are Japan dates). */
export function japanDay(days = 0) {
  const at = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(at);
}

/** '2026-11-26' → '2026年11月26日', as the portal writes dates. */
export function japaneseDate(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

export class Admin {
  constructor(request) {
    this.request = request;
  }

  async call(method, path, data) {
    const response = await this.request.fetch(`/admin/v1${path}`, { method, data });
    const body = await response.json().catch(() => null);
    if (!response.ok()) {
      throw new Error(`${method} /admin/v1${path}: ${response.status()} ${JSON.stringify(body)}`);
    }
    return body;
  }

  /**
   * A new member of its own, so that tests never share state. By default like the first
   * demo member: a term standard serial, a monthly License Plus one and a term mobile one.
   */
  async createMember({ line = 'flets_next', licenses, services, name = '試験 太郎' } = {}) {
    const email = `member-${randomBytes(6).toString('hex')}@example.jp`;
    const body = {
      name,
      email,
      line,
      licenses: licenses ?? [
        { product: 'security-suite', plan: 'standard', billing: 'term', expires_on: japanDay(300) },
        { product: 'security-suite', plan: 'license_plus', billing: 'monthly' },
        { product: 'mobile-security', plan: 'license_plus', billing: 'term', expires_on: japanDay(200) },
      ],
    };
    if (services) body.services = services;
    const created = await this.call('POST', '/customers', body);
    return { ...created, email, name };
  }

  /** Purchase codes (docs/renewal.md). */
  async codes({ product = 'security-suite', termMonths = 12, count = 1 } = {}) {
    const { codes } = await this.call('POST', '/codes', { product, term_months: termMonths, count });
    return codes;
  }

  /** The mails queued to `to`, oldest first. */
  async mails(to) {
    const { mails } = await this.call('GET', `/outbox?to=${encodeURIComponent(to)}`);
    return mails;
  }

  /** The back office reports an order's progress (docs/orders.md). */
  async report(orderNo, status, { eventId = `${orderNo}-${status}`, reason } = {}) {
    return this.call('POST', `/orders/${orderNo}/events`, { event_id: eventId, status, reason });
  }

  /** The member's whole state, as operators see it. */
  async member(customerId) {
    return this.call('GET', `/customers/${customerId}`);
  }
}

/** A receipt number as docs/api.md writes it: `R-20261122-7K3M9Q`. */
export const RECEIPT_NO = /^R-\d{8}-[0-9A-Z]{6}$/;

/** Half-width letters, digits and signs typed as their full-width forms (docs/api.md: the API
 * normalises them). */
export function fullWidth(text) {
  return text.replace(/[0-9A-Za-z@.\-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

/**
 * The member's own API session beside the page's (as another device of theirs would be),
 * to prepare or read what the portal does not show.
 */
export async function memberSession(playwright, baseURL, member) {
  const request = await playwright.request.newContext({ baseURL });
  const login = await request.post('/v1/sessions', {
    data: { customer_id: member.customer_id, access_key: member.access_key },
  });
  expect(login.status()).toBe(201);
  const { token } = await login.json();
  return { request, headers: { Authorization: `Bearer ${token}` } };
}

/** Says that this test cuts a request on purpose, so the page's log of it is expected. */
export function provokeNetworkFailure() {
  test.info().annotations.push({ type: 'provokes network failure' });
}

/**
 * The submissions the page sends to `path` from now on: POSTs whose body is not a dry
 * run, each with its Idempotency-Key. A double click must leave exactly one.
 */
export function recordSubmissions(page, path) {
  const sent = [];
  page.on('request', (request) => {
    if (request.method() !== 'POST' || new URL(request.url()).pathname !== path) return;
    const body = request.postDataJSON();
    if (body?.dry_run === true) return;
    sent.push({ key: request.headers()['idempotency-key'], body });
  });
  return sent;
}

export const test = base.extend({
  // Every test: the page raises no script error, logs no console error (a content
  // security policy violation is one), and talks to the test server only.
  page: async ({ page, baseURL }, use) => {
    const trouble = [];
    const origin = new URL(baseURL).origin;
    page.on('pageerror', (error) => trouble.push(`script error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      // A refused request the test meant to provoke is logged by Chromium as
      // "Failed to load resource: … 4xx"; that is an answer, not a fault of the page.
      if (/Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
      trouble.push(`console error: ${message.text()}`);
    });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol !== 'data:' && url.origin !== origin) trouble.push(`request elsewhere: ${url.href}`);
    });
    await use(page);
    // A test that cuts a connection on purpose (`provokeNetworkFailure`) expects Chromium's
    // log line about it.
    const provoked = test.info().annotations.some((a) => a.type === 'provokes network failure');
    const unexpected = trouble.filter((t) => !(provoked && t.endsWith('net::ERR_FAILED')));
    expect(unexpected, 'the page behaved').toEqual([]);
  },
  admin: async ({ playwright, baseURL }, use) => {
    const request = await playwright.request.newContext({
      baseURL,
      extraHTTPHeaders: { Authorization: `Bearer ${process.env.PORTAL_ADMIN_TOKEN}` },
    });
    await use(new Admin(request));
    await request.dispose();
  },
  member: async ({ admin }, use) => {
    await use(await admin.createMember());
  },
});

export { expect };

/** The screen's one level-1 heading. */
export function screenHeading(page, name) {
  return page.getByRole('heading', { level: 1, name });
}

/**
 * Follows a link of the site's menu as a member does: on a phone the menu is one button
 * in the header, opened first.
 */
export async function menu(page, name) {
  const button = page.getByRole('button', { name: 'メニュー', exact: true });
  if (await button.isVisible()) await button.click();
  await page.getByRole('navigation', { name: 'メニュー' }).getByRole('link', { name, exact: true }).click();
}

/** Logs out from the header, or on a phone from the menu. */
export async function logOut(page) {
  const button = page.getByRole('button', { name: 'メニュー', exact: true });
  if (await button.isVisible()) await button.click();
  await page.getByRole('button', { name: 'ログアウト', exact: true }).locator('visible=true').click();
}

/** Logs in by typing and clicking, as a member does, and waits for ご利用状況. */
export async function logIn(page, member) {
  await page.goto('/');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await page.getByLabel('お客さまID').fill(member.customer_id);
  await page.getByLabel('アクセスキー').fill(member.access_key);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
}

/**
 * The check on every screen: axe-core finds no WCAG 2.2 A/AA violation, and a full-page
 * screenshot is kept under the artifacts directory as `<project>/<name>.png`.
 */
export async function checkScreen(page, name) {
  const info = test.info();
  await page.screenshot({
    path: `${process.env.PORTAL_ARTIFACTS}/screens/${info.project.name}/${name}.png`,
    fullPage: true,
  });
  // Responsive down to 360 px: nothing wider than the viewport.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
  // Help at hand on every screen (docs/support.md): the desk, its phone and hours.
  await expect(page.locator('#footer-desk'), `${name} names the desk`).toContainText(/お問い合わせ: .+受付時間/);
  // A value the page forgot to leave out shows as a word of JavaScript, not of Japanese.
  const leaked = await page.locator('body').innerText();
  expect(leaked.match(/\b(null|undefined|NaN)\b|\[object Object\]/g), `${name} shows a JavaScript value`).toBeNull();
  const results = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  const found = results.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
  }));
  expect(found, `accessibility violations on ${name}`).toEqual([]);
}
