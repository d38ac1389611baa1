// ログイン and ログアウト (docs/login.md), by clicking.
import { readFileSync } from 'node:fs';
import {
  test, expect, logIn, checkScreen, screenHeading, fullWidth, logOut,
} from '../support/portal.js';

test('a member logs in with the access key, sees ご利用状況 and logs out', async ({ page, member }) => {
  await page.goto('/');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await checkScreen(page, 'login');

  // The key is hidden until the member asks to see it.
  const key = page.getByLabel('アクセスキー');
  await key.fill(member.access_key);
  await expect(key).toHaveAttribute('type', 'password');
  await page.getByRole('button', { name: 'アクセスキーを表示' }).click();
  await expect(key).toHaveAttribute('type', 'text');
  await expect(page.getByRole('button', { name: 'アクセスキーを隠す' })).toHaveAttribute('aria-pressed', 'true');

  // Full-width input is accepted: the API normalises it (docs/api.md).
  await page.getByLabel('お客さまID').fill(fullWidth(member.customer_id));
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
  // Beside the menu on a desktop, in ご利用状況's own facts on a phone.
  await expect(page.getByText(`${member.name} 様`).locator('visible=true').first()).toBeVisible();

  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('madoguchi.session')).token);
  await logOut(page);
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await expect(page.getByText('ログアウトしました。')).toBeVisible();
  // The token is dead on the server (docs/login.md), and a member's page asks for a login again.
  const usage = await page.request.get('/v1/usage', { headers: { Authorization: `Bearer ${token}` } });
  expect(usage.status()).toBe(401);
  await page.goto('/#/usage');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
});

test('a wrong key is refused next to the key field, and the case matters', async ({ page, member }) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  const summary = page.getByRole('alert').filter({ hasText: '入力内容を確認してください' });
  await expect(summary).toContainText('お客さまIDを入力してください。');
  await expect(summary).toContainText('アクセスキーを入力してください。');

  const swapped = member.access_key.replace(/[a-zA-Z]/, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()));
  await page.getByLabel('お客さまID').fill(member.customer_id);
  await page.getByLabel('アクセスキー').fill(swapped);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(summary).toContainText('お客さまIDまたはアクセスキーが正しくありません');
  // docs/login.md: the lock is announced before it happens, every time.
  await expect(summary).toContainText('10回続けてまちがえると、アカウントがロックされます');
  await expect(page.getByLabel('アクセスキー')).toHaveAttribute('aria-invalid', 'true');
  // A forgotten key: who reissues it, with the desk's phone.
  await page.getByText('アクセスキーをお忘れの方').click();
  await expect(page.getByText('お問い合わせ先: 会員サポートセンター 0120-000-000')).toBeVisible();
  await checkScreen(page, 'login-wrong-key');

  // The summary links to the field it is about.
  await summary.getByRole('link').click();
  await expect(page.getByLabel('アクセスキー')).toBeFocused();

  await logIn(page, member);
});

test('the demo member local-dev prints logs in by clicking', async ({ page }) => {
  const printed = readFileSync(`${process.env.PORTAL_DATA_DIR}/demo-logins.txt`, 'utf8');
  const customerId = printed.match(/"customer_id":"([^"]+)"/)[1];
  const accessKey = printed.match(/"access_key":"([^"]+)"/)[1];
  await logIn(page, { customer_id: customerId, access_key: accessKey });
  await expect(page.getByText('山田 太郎 様').locator('visible=true').first()).toBeVisible();
  // The first demo member's remote support is in use, so its page offers 廃止.
  await expect(page.getByRole('row', { name: /リモートサポートサービス.*利用中/ })).toBeVisible();
});
