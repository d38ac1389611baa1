// サービスの詳細・申込・変更 (docs/services.md): a service's page from ご利用状況, the
// application's steps shared with 回線情報通知, its progress until the back office completes
// it, the device a smaller ライセンスプラス takes protection from, and a failed order.
import {
  test, expect, logIn, checkScreen, screenHeading, memberSession, RECEIPT_NO, logOut,
} from '../support/portal.js';

const ORDER_NO = /^OD-\d{8}-[0-9A-Z]{6}$/;

/** 同意書 and 申込者情報, as a member fills them. */
async function consentAndApplicant(page, { email } = {}) {
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await page.getByLabel('上記の同意書の内容を確認し、同意する').check();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
  await page.getByLabel('ご連絡先電話番号').fill('06-1234-5678');
  if (email) {
    await page.getByLabel('ご連絡先メールアドレス').fill(email);
    await page.getByLabel('工事完了通知メールを受け取る').check();
  }
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, 'お申し込み内容の確認')).toBeVisible();
}

test('a service is subscribed from ご利用状況, shows 登録中, and is in use when the works complete', async ({ page, member, admin }) => {
  await logIn(page, member);
  const row = page.getByRole('row', { name: /リモートサポートサービス/ });
  await expect(row).toContainText('未契約');
  await row.getByRole('link', { name: /詳細・申込・変更/ }).click();
  await expect(screenHeading(page, 'リモートサポートサービスの詳細・申込・変更')).toBeVisible();
  await expect(page.getByText('550円（税込）')).toBeVisible();
  await checkScreen(page, 'service-page');

  await page.getByRole('button', { name: '申し込む（次へ）' }).click();
  await consentAndApplicant(page, { email: member.email });
  const what = page.locator('section', { hasText: 'お申し込みの内容' });
  await expect(what).toContainText('未契約');
  await expect(what).toContainText('利用中');
  await checkScreen(page, 'service-confirm');
  await page.getByRole('button', { name: 'この内容で申し込む' }).click();

  await expect(screenHeading(page, '受付完了')).toBeVisible();
  await expect(page.getByText('リモートサポートサービスのお申し込みを受け付けました。')).toBeVisible();
  const receiptNo = (await page.locator('.receipt-no').textContent()).trim();
  expect(receiptNo).toMatch(RECEIPT_NO);
  await checkScreen(page, 'service-done');
  const state = await admin.member(member.customer_id);
  const order = state.orders.orders[0];
  expect(order.order_no).toMatch(ORDER_NO);
  expect(order.kind).toBe('service_subscribe');
  expect(order.receipt_no).toBe(receiptNo);

  // Until the back office completes it: 登録中, nothing more to apply for.
  await page.getByRole('link', { name: 'サービスの詳細へ' }).click();
  await expect(page.locator('dl').first()).toContainText('登録中');
  await expect(page.locator('ol.order-steps > li')).toHaveCount(1);
  await expect(page.getByText('このサービスは「登録中」です。')).toBeVisible();
  await expect(page.getByRole('button', { name: /申し込む/ })).toHaveCount(0);

  await admin.report(order.order_no, 'in_progress');
  await admin.report(order.order_no, 'completed');
  await page.reload();
  await expect(screenHeading(page, 'リモートサポートサービスの詳細・申込・変更')).toBeVisible();
  await expect(page.locator('dl').first()).toContainText('利用中');
  const steps = page.locator('ol.order-steps > li');
  await expect(steps).toHaveCount(3);
  await expect(steps.nth(1)).toContainText('工事中');
  await expect(steps.nth(2)).toContainText('完了');
  await expect(page.getByRole('button', { name: '廃止する（次へ）' })).toBeVisible();
  await checkScreen(page, 'service-completed');
  const mails = (await admin.mails(member.email)).filter((m) => m.kind === 'works_completed');
  expect(mails).toHaveLength(1);
  expect(mails[0].body).toContain('リモートサポートサービス');
});

test('fewer ライセンスプラス names the device that loses protection, and asks for it to be confirmed', async ({ page, member, admin, playwright, baseURL }) => {
  // The member's ライセンスプラス serial is on a PC.
  const { request, headers } = await memberSession(playwright, baseURL, member);
  const usage = await (await request.get('/v1/usage', { headers })).json();
  const plus = usage.serials.filter((s) => s.plan === 'license_plus');
  const install = async (serial, device) => {
    const activation = await request.post(`/v1/serials/${serial.serial}/activation`, { headers, data: device });
    expect(activation.status()).toBe(200);
  };
  await install(plus.find((s) => s.product === 'security-suite'), { device_id: 'PC-OFFICE-01', os: 'windows', name: '事務所のPC' });

  await logIn(page, member);
  await page.goto('/#/services/security');
  await expect(screenHeading(page, 'セキュリティ機能の詳細・申込・変更')).toBeVisible();
  await page.getByLabel('0台').check();
  await page.getByRole('button', { name: '次へ' }).click();
  await consentAndApplicant(page);
  await expect(page.locator('section', { hasText: 'お申し込みの内容' })).toContainText('2台 → 0台');
  const device = page.getByLabel(/事務所のPC（Windows）/);
  await expect(device).toBeVisible();
  await checkScreen(page, 'service-devices');

  // Not confirmed: nothing is sent, and the field says why.
  await page.getByRole('button', { name: 'この内容で申し込む' }).click();
  await expect(page.locator('.error-summary')).toContainText('保護が解除される端末すべてにチェック');
  await device.check();

  // Meanwhile the other one is installed on a phone: the submission is refused, and the
  // page shows both devices again.
  await install(plus.find((s) => s.product === 'mobile-security'), { device_id: 'PHONE-01', os: 'android', name: '家族のスマホ' });
  await page.getByRole('button', { name: 'この内容で申し込む' }).click();
  await expect(page.locator('.error-summary')).toContainText('保護が解除される端末が変わりました');
  const phone = page.getByLabel(/家族のスマホ（Android）/);
  await expect(phone).toBeVisible();
  await page.getByLabel(/事務所のPC（Windows）/).check();
  await phone.check();
  await page.getByRole('button', { name: 'この内容で申し込む' }).click();
  await expect(screenHeading(page, '受付完了')).toBeVisible();
  await expect(page.getByText('2台 → 0台')).toBeVisible();

  const state = await admin.member(member.customer_id);
  const order = state.orders.orders[0];
  expect(order.kind).toBe('service_change');
  await admin.report(order.order_no, 'completed');
  const after = await admin.member(member.customer_id);
  const retired = after.serials.filter((s) => s.plan === 'license_plus');
  expect(retired.every((s) => s.status === 'unavailable')).toBe(true);
  await request.dispose();
});

test('a failed application says why on the service page, and the service can be applied for again', async ({ page, member, admin }) => {
  await logIn(page, member);
  await page.goto('/#/services/session_plus');
  await expect(screenHeading(page, 'フレッツ・セッションプラスの詳細・申込・変更')).toBeVisible();
  await page.getByRole('button', { name: '申し込む（次へ）' }).click();
  await consentAndApplicant(page);
  await page.getByRole('button', { name: 'この内容で申し込む' }).click();
  await expect(screenHeading(page, '受付完了')).toBeVisible();
  const orderNo = (await admin.member(member.customer_id)).orders.orders[0].order_no;
  await admin.report(orderNo, 'failed', { reason: 'ご利用の回線ではお申し込みいただけません。' });

  await page.getByRole('link', { name: 'サービスの詳細へ' }).click();
  await expect(page.getByText('このご注文は完了しませんでした')).toBeVisible();
  await expect(page.getByText('理由: ご利用の回線ではお申し込みいただけません。')).toBeVisible();
  await expect(page.locator('dl').first()).toContainText('未契約');
  await expect(page.getByRole('button', { name: '申し込む（次へ）' })).toBeVisible();
  await checkScreen(page, 'service-failed');
});

test('a second member logging in at the same tab applies with a draft of their own', async ({ page, member, admin }) => {
  await logIn(page, member);
  await page.goto('/#/services/remote_support');
  await page.getByRole('button', { name: '申し込む（次へ）' }).click();
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await logOut(page);
  await expect(screenHeading(page, 'ログイン')).toBeVisible();

  // Without reloading the page: the same portal, another member.
  const other = await admin.createMember({ name: '別人 花子' });
  await page.getByLabel('お客さまID').fill(other.customer_id);
  await page.getByLabel('アクセスキー').fill(other.access_key);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
  await page.getByRole('row', { name: /リモートサポートサービス/ }).getByRole('link').click();
  await page.getByRole('button', { name: '申し込む（次へ）' }).click();
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await page.getByLabel('上記の同意書の内容を確認し、同意する').check();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
  await expect(page.getByLabel('お名前')).toHaveValue('別人 花子');
});
