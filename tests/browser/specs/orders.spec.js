// ご注文の状況 (docs/orders.md): each order's progress from its receipt, the reason of one the
// back office could not carry out, and a withdrawal before the work starts.
import {
  test, expect, logIn, checkScreen, screenHeading, memberSession, menu,
} from '../support/portal.js';

/** A line-notification change submitted through the member's own API session. */
async function apply(playwright, baseURL, member, setting = 'do_not_notify') {
  const { request, headers } = await memberSession(playwright, baseURL, member);
  const terms = await (await request.get('/v1/terms/line-notification')).json();
  const response = await request.post('/v1/line-notification/applications', {
    headers,
    data: {
      changes: [{ provider_code: 'W0099', setting }],
      consent: { terms_version: terms.version, agreed: true },
      applicant: { name: '試験 太郎', phone: '0612345678' },
    },
  });
  expect(response.status()).toBe(201);
  const accepted = await response.json();
  await request.dispose();
  return accepted;
}

test('a failed order says why, and its receipt leads to it', async ({ page, member, admin, playwright, baseURL }) => {
  const accepted = await apply(playwright, baseURL, member);
  await admin.report(accepted.order_no, 'in_progress');
  await admin.report(accepted.order_no, 'failed', { reason: '設備の点検のため、工事を行えませんでした。' });

  await logIn(page, member);
  await menu(page, '受付履歴');
  await page.getByRole('link', { name: `ご注文の状況（${accepted.order_no}）` }).click();
  await expect(screenHeading(page, 'ご注文の状況')).toBeVisible();
  await expect(page.getByText('このご注文は完了しませんでした')).toBeVisible();
  await expect(page.getByText('理由: 設備の点検のため、工事を行えませんでした。')).toBeVisible();
  const steps = page.locator('ol.order-steps > li');
  await expect(steps).toHaveCount(3);
  await expect(steps.nth(0)).toContainText('受付済み');
  await expect(steps.nth(1)).toContainText('工事中');
  await expect(steps.nth(2)).toContainText('不成立');
  await expect(page.getByRole('button', { name: 'このお申し込みを取り下げる' })).toHaveCount(0);
  await checkScreen(page, 'order-failed');
  const mails = (await admin.mails(member.email)).filter((m) => m.kind === 'order_failed');
  expect(mails).toHaveLength(1);
  expect(mails[0].body).toContain('設備の点検');
});

test('an order not yet started is withdrawn from its page', async ({ page, member, admin, playwright, baseURL }) => {
  const accepted = await apply(playwright, baseURL, member);
  await logIn(page, member);
  await page.goto(`/#/orders/${accepted.order_no}`);
  await expect(screenHeading(page, 'ご注文の状況')).toBeVisible();
  await expect(page.getByText('「通知しない」に変更')).toBeVisible();
  await checkScreen(page, 'order-accepted');
  await page.getByRole('button', { name: 'このお申し込みを取り下げる' }).click();
  await expect(page.getByText('理由: お客さまのお申し出により取り下げました。')).toBeVisible();
  await expect(page.getByRole('button', { name: 'このお申し込みを取り下げる' })).toHaveCount(0);
  const state = await admin.member(member.customer_id);
  const w0099 = state.providers.find((p) => p.provider_code === 'W0099');
  expect(w0099.setting).toBe('notify');
  expect(w0099.pending).toBeNull();
  expect(state.orders.orders[0].reason).toBe('withdrawn');
});
