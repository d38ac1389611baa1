// ICカードリーダーの追加申込み (docs/readers.md), by clicking: the member's readers (the
// free starter-kit one included), the catalogue priced to the yen, an order as a paid
// rental (有償貸与) paid by ちょコム, and the limit of five readers.
import {
  test, expect, logIn, checkScreen, screenHeading, RECEIPT_NO, recordSubmissions, japaneseDate, japanDay, menu,
} from '../support/portal.js';


/** Orders readers through the member's own API session (to set up a test quickly). */
async function orderThroughApi(playwright, baseURL, member, count) {
  const request = await playwright.request.newContext({ baseURL });
  const login = await request.post('/v1/sessions', {
    data: { customer_id: member.customer_id, access_key: member.access_key },
  });
  expect(login.status()).toBe(201);
  const { token } = await login.json();
  for (let i = 0; i < count; i += 1) {
    const response = await request.post('/v1/readers', {
      headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': `setup-${Date.now()}-${i}` },
      data: { type: 'usb_windows', payment_method: 'chocom', dry_run: false },
    });
    expect(response.status()).toBe(201);
  }
  await request.dispose();
}

test('a member orders a second reader: 2,500 + 250 + 27 = 2,777円, and the order appears in the list', async ({ page, member, admin }) => {
  await logIn(page, member);
  await menu(page, 'ICカードリーダー');
  await expect(screenHeading(page, 'ICカードリーダー')).toBeVisible();

  // The starter-kit reader is listed, free, delivered.
  const mine = page.getByRole('table', { name: 'お手元のICカードリーダー' });
  await expect(mine.getByRole('row')).toHaveCount(2);
  await expect(mine).toContainText('スターターキット（無償）');
  await expect(mine).toContainText('お届け済み');

  // The catalogue, priced to the yen; the PC card type is announced, not orderable.
  const catalog = page.getByRole('table', { name: 'ご提供中のICカードリーダーと料金' });
  const usbWindows = catalog.getByRole('row', { name: /USBタイプ（Windows版）/ });
  for (const amount of ['2,500円', '250円', '27円', '2,777円']) {
    await expect(usbWindows).toContainText(amount);
  }
  await expect(catalog.getByRole('row', { name: /PCカードタイプ/ })).toContainText('準備中');
  await expect(page.getByRole('radio', { name: 'PCカードタイプ（Windows版）' })).toBeDisabled();
  await expect(page.getByText('1%のちょコム決済手数料')).toBeVisible();
  await checkScreen(page, 'readers-list');

  // Nothing chosen: the type field says so.
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '入力内容を確認してください' }))
    .toContainText('種類を選んでください');
  await checkScreen(page, 'readers-list-error');

  await page.getByRole('radio', { name: 'USBタイプ（Mac版）' }).check();
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(screenHeading(page, 'お申し込み内容の確認')).toBeVisible();
  const price = page.getByRole('table', { name: 'お支払い金額の内訳' });
  await expect(price.getByRole('row', { name: /本体価格/ })).toContainText('2,500円');
  await expect(price.getByRole('row', { name: /消費税/ })).toContainText('250円');
  await expect(price.getByRole('row', { name: /決済手数料/ })).toContainText('27円');
  await expect(price.getByRole('row', { name: /合計/ })).toContainText('2,777円');
  await expect(page.getByText('USBタイプ（Mac版）')).toBeVisible();
  await expect(page.getByText('ちょコム（電子マネー）', { exact: true })).toBeVisible();
  await checkScreen(page, 'readers-confirm');
  // The dry run ordered nothing.
  expect((await admin.member(member.customer_id)).readers).toHaveLength(1);

  const submissions = recordSubmissions(page, '/v1/readers');
  await page.getByRole('button', { name: '申し込む' }).dblclick();
  await expect(screenHeading(page, '受付完了')).toBeVisible();
  // The busy button lets one submission out; it alone decides the outcome.
  expect(submissions).toHaveLength(1);
  await expect(page.locator('.receipt-no')).toHaveText(RECEIPT_NO);
  await expect(page.getByText(/^OD-\d{8}-[0-9A-Z]{6}$/)).toBeVisible();
  await expect(page.getByText('入金待ち')).toBeVisible();
  // The payment page of this order, and its due date a week away.
  const pay = page.getByRole('link', { name: 'ちょコムでお支払いへ進む' });
  await expect(pay).toHaveAttribute('href', /^https:\/\/.*OD-\d{8}-[0-9A-Z]{6}.*2777/);
  await expect(page.getByText(japaneseDate(japanDay(7))).first()).toBeVisible();
  await expect(page.getByRole('table', { name: 'お支払い金額' }).getByRole('row', { name: /合計/ })).toContainText('2,777円');
  await checkScreen(page, 'readers-done');

  const readers = (await admin.member(member.customer_id)).readers;
  expect(readers).toHaveLength(2);
  const ordered = readers.find((r) => r.rental);
  expect(ordered).toMatchObject({ type: 'usb_mac', status: 'awaiting_payment', rental: true });
  await expect(page.getByText(ordered.reader_id)).toBeVisible();

  // The list now shows the rental, awaiting payment.
  await page.getByRole('link', { name: 'ICカードリーダーの一覧へ' }).click();
  await expect(screenHeading(page, 'ICカードリーダー')).toBeVisible();
  await expect(mine.getByRole('row')).toHaveCount(3);
  const row = mine.getByRole('row', { name: new RegExp(ordered.reader_id) });
  await expect(row).toContainText('USBタイプ（Mac版）');
  await expect(row).toContainText('有償貸与');
  await expect(row).toContainText('入金待ち');
  // A fresh order starts from nothing.
  await expect(page.getByRole('radio', { name: 'USBタイプ（Mac版）' })).not.toBeChecked();
  await checkScreen(page, 'readers-list-after');
  // Its order: the payment still due, and a way to withdraw it (docs/orders.md).
  await row.getByRole('link', { name: /ご注文の状況/ }).click();
  await expect(screenHeading(page, 'ご注文の状況')).toBeVisible();
  await expect(page.getByRole('link', { name: 'ちょコムでお支払いへ進む' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'このお申し込みを取り下げる' })).toBeVisible();
});

test('at five readers no more can be ordered, and a confirmation overtaken by the limit says so', async ({ page, member, playwright, baseURL }) => {
  await orderThroughApi(playwright, baseURL, member, 3);
  await logIn(page, member);
  await menu(page, 'ICカードリーダー');
  await expect(screenHeading(page, 'ICカードリーダー')).toBeVisible();
  await page.getByRole('radio', { name: 'USBタイプ（Windows版）' }).check();
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(screenHeading(page, 'お申し込み内容の確認')).toBeVisible();

  // Meanwhile the fifth reader is ordered elsewhere.
  await orderThroughApi(playwright, baseURL, member, 1);
  await page.getByRole('button', { name: '申し込む' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '入力内容を確認してください' }))
    .toContainText('5台まで');
  await checkScreen(page, 'readers-limit-confirm');

  await page.getByRole('link', { name: '種類を選び直す' }).click();
  await expect(screenHeading(page, 'ICカードリーダー')).toBeVisible();
  await expect(page.getByRole('table', { name: 'お手元のICカードリーダー' }).getByRole('row')).toHaveCount(6);
  await expect(page.getByText('上限に達しています')).toBeVisible();
  await expect(page.getByRole('button', { name: '確認画面へ進む' })).toHaveCount(0);
  await checkScreen(page, 'readers-limit');
});

test('a reader is paid, then shipped and counted as お使い; another is withdrawn before it ships and leaves the list', async ({ page, member, admin, playwright, baseURL }) => {
  await orderThroughApi(playwright, baseURL, member, 2);
  const orders = (await admin.member(member.customer_id)).orders.orders.filter((o) => o.kind === 'reader');
  expect(orders).toHaveLength(2);
  const [kept, dropped] = orders;
  await admin.report(kept.order_no, 'paid');
  await logIn(page, member);
  await menu(page, 'ICカードリーダー');
  const list = page.locator('.readers-list');
  await expect(list.getByRole('row', { name: new RegExp(kept.details.reader.reader_id) })).toContainText('入金済み');
  await expect(page.locator('.readers-count')).toContainText('1台をお使いです、お申し込み中が2台');

  await admin.report(kept.order_no, 'shipped');
  await page.reload();
  await expect(list.getByRole('row', { name: new RegExp(kept.details.reader.reader_id) })).toContainText('発送済み');
  await expect(page.locator('.readers-count')).toContainText('2台をお使いです、お申し込み中が1台');

  // The other, not yet paid, is withdrawn from its order's page.
  await list.getByRole('row', { name: new RegExp(dropped.details.reader.reader_id) }).getByRole('link', { name: /ご注文の状況/ }).click();
  await page.getByRole('button', { name: 'このお申し込みを取り下げる' }).click();
  await expect(page.getByText('理由: お客さまのお申し出により取り下げました。')).toBeVisible();
  await menu(page, 'ICカードリーダー');
  await expect(list.getByRole('row')).toHaveCount(3);
  await expect(page.locator('.readers-count')).toContainText('2台をお使いです（');
  await checkScreen(page, 'readers-paid-shipped-withdrawn');
});
