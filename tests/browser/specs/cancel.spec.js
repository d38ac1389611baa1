// 解約 (docs/cancellation.md), by clicking: the explanation, the dry run listing every
// consequence with the no-refund notice (中途解約の返金なし), a required "I understand"
// before the red button, and 受付完了 that stays on screen although the submission has
// ended the session; afterwards every member page asks for a login, and the login says
// the membership is cancelled.
import {
  test, expect, logIn, checkScreen, screenHeading, japanDay, japaneseDate, memberSession, RECEIPT_NO, provokeNetworkFailure, menu,
} from '../support/portal.js';


/** The member's own API session, to order a rental and read the dry run the page shows. */
async function memberApi(playwright, baseURL, member) {
  const { request, headers } = await memberSession(playwright, baseURL, member);
  return {
    async orderReader() {
      const response = await request.post('/v1/readers', {
        headers: { ...headers, 'Idempotency-Key': `setup-${Date.now()}` },
        data: { type: 'usb_windows', payment_method: 'chocom', dry_run: false },
      });
      expect(response.status()).toBe(201);
      return (await response.json()).reader;
    },
    async preview(reason) {
      const response = await request.post('/v1/membership/cancellation', {
        headers, data: { reason, dry_run: true },
      });
      expect(response.status()).toBe(200);
      return response.json();
    },
    async usageStatus() {
      return (await request.get('/v1/usage', { headers })).status();
    },
    dispose: () => request.dispose(),
  };
}

test('a member cancels: every consequence is listed, the receipt stays on screen, and the login is refused afterwards', async ({ page, member, admin, playwright, baseURL }) => {
  const own = await memberApi(playwright, baseURL, member);
  const rental = await own.orderReader();
  // The back office ships it: a reader on its way is asked back (one not shipped would be
  // withdrawn with its order).
  await admin.report(rental.order_no, 'paid');
  await admin.report(rental.order_no, 'shipped');
  const reason = '引っ越しのため';
  const preview = await own.preview(reason);

  await logIn(page, member);
  await menu(page, '契約内容');
  await page.getByRole('link', { name: '解約のお手続きへ' }).click();
  await expect(screenHeading(page, '解約のお手続き')).toBeVisible();
  await expect(page.getByText('中途解約の返金なし')).toBeVisible();
  await checkScreen(page, 'cancel-reason');

  await page.getByLabel('解約の理由').fill(reason);
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(screenHeading(page, '解約内容の確認')).toBeVisible();
  await expect(page.getByText(japaneseDate(japanDay(0)))).toBeVisible();
  await expect(page.getByText('0円（中途解約の返金なし）')).toBeVisible();
  await expect(page.getByText(reason)).toBeVisible();

  // Every consequence of the dry run, in the member's words: the refund, each serial, each
  // provider, the rented reader, the sessions.
  const listed = page.getByRole('list', { name: '解約すると、次のようになります' });
  await expect(listed.getByRole('listitem')).toHaveCount(preview.consequences.length);
  for (const consequence of preview.consequences) {
    await expect(listed).toContainText(consequence.message);
  }
  for (const { serial } of member.serials) await expect(listed).toContainText(serial);
  await expect(listed).toContainText(rental.reader_id);
  await expect(listed).toContainText('NTT西日本(試験用)');
  await checkScreen(page, 'cancel-confirm');

  // The red button asks for the "I understand" first.
  const submit = page.getByRole('button', { name: '解約する' });
  await expect(submit).toHaveClass(/button--danger/);
  await submit.click();
  await expect(page.getByRole('alert').filter({ hasText: '入力内容を確認してください' }))
    .toContainText('チェックを入れてください');
  await checkScreen(page, 'cancel-confirm-unchecked');
  expect((await admin.member(member.customer_id)).membership).toBe('active');

  await page.getByLabel('解約することを了承します').check();
  await submit.click();

  // 受付完了 stays, logged out (no menu, no logout button), with the receipt.
  await expect(screenHeading(page, '解約の受付完了')).toBeVisible();
  await expect(page.locator('.receipt-no')).toHaveText(RECEIPT_NO);
  await expect(page.getByText('0円（中途解約の返金なし）')).toBeVisible();
  await expect(page.getByText(japaneseDate(japanDay(0))).first()).toBeVisible();
  await expect(page.getByText(`貸与中のICカードリーダー ${rental.reader_id} をご返却ください。`)).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'メニュー' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'ログアウト' })).toBeHidden();
  // Still there a moment later: nothing throws the member to ログイン.
  await page.waitForTimeout(1500);
  await expect(screenHeading(page, '解約の受付完了')).toBeVisible();
  await checkScreen(page, 'cancel-done');

  // Everything changed at once (docs/cancellation.md).
  const after = await admin.member(member.customer_id);
  expect(after.membership).toBe('cancelled');
  expect(after.serials.map((s) => s.status)).toEqual(after.serials.map(() => 'unavailable'));
  expect(after.providers.every((p) => p.setting === 'do_not_notify')).toBe(true);
  expect(after.readers.find((r) => r.reader_id === rental.reader_id).status).toBe('to_be_returned');
  expect(await own.usageStatus()).toBe(401);
  await own.dispose();

  // A reload keeps the receipt on screen.
  await page.reload();
  await expect(screenHeading(page, '解約の受付完了')).toBeVisible();
  await expect(page.locator('.receipt-no')).toHaveText(RECEIPT_NO);

  // Member pages now ask for a login, and the login says the membership is cancelled.
  await page.goto('/#/usage');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await page.goto('/#/cancel');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await page.getByLabel('お客さまID').fill(member.customer_id);
  await page.getByLabel('アクセスキー').fill(member.access_key);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(page.getByText('解約済みのお客さまIDです')).toBeVisible();
  await checkScreen(page, 'cancel-login-refused');
});

test('a lost answer is asked for again with the same key: the first receipt comes back although the session has ended', async ({ page, member, admin }) => {
  await logIn(page, member);
  await menu(page, '契約内容');
  await page.getByRole('link', { name: '解約のお手続きへ' }).click();
  await expect(screenHeading(page, '解約のお手続き')).toBeVisible();
  // No reason: it is optional.
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(screenHeading(page, '解約内容の確認')).toBeVisible();
  await expect(page.getByText('（記入なし）')).toBeVisible();

  // The first submission reaches the server, but its answer is lost on the way back.
  provokeNetworkFailure();
  let first = null;
  await page.route('**/v1/membership/cancellation', async (route) => {
    const sent = route.request().postDataJSON();
    if (sent.dry_run === false && first === null) {
      const response = await route.fetch();
      first = { status: response.status(), body: await response.json(), key: route.request().headers()['idempotency-key'] };
      await route.abort('failed');
      return;
    }
    await route.continue();
  });
  await page.getByLabel('解約することを了承します').check();
  await page.getByRole('button', { name: '解約する' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '入力内容を確認してください' }))
    .toContainText('もう一度お試しください');
  expect(first.status).toBe(201);
  expect((await admin.member(member.customer_id)).membership).toBe('cancelled');
  await checkScreen(page, 'cancel-lost-answer');

  // Pressed again: the same key, and the server answers with the first receipt.
  const again = page.waitForRequest((r) => r.url().endsWith('/v1/membership/cancellation') && r.method() === 'POST');
  await page.getByRole('button', { name: '解約する' }).click();
  expect((await again).headers()['idempotency-key']).toBe(first.key);
  await expect(screenHeading(page, '解約の受付完了')).toBeVisible();
  await expect(page.locator('.receipt-no')).toHaveText(first.body.receipt_no);
  await page.unroute('**/v1/membership/cancellation');

  const mails = (await admin.mails(member.email)).filter((m) => m.kind === 'membership_cancelled');
  expect(mails).toHaveLength(1);
  await page.goto('/#/usage');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
});
