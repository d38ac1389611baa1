// 回線情報通知の通知可否設定 (docs/line-notification.md), by clicking: the providers and what to
// change, 同意書, 申込者情報, 確認 (the dry run), 受付完了; errors shown where they belong,
// Back at every step, one receipt per confirmation, and the limit of 10 a day.
import {
  test, expect, logIn, checkScreen, screenHeading, japanDay, japaneseDate, memberSession, RECEIPT_NO, fullWidth, recordSubmissions, menu,
} from '../support/portal.js';

const TEST_PROVIDER = 'NTT西日本(試験用)';
const PHONE_PROVIDER = 'IP電話サービス提供者';


/** The member's own API client (a second session), to read what the portal cannot show. */
async function memberApi(playwright, baseURL, member) {
  const { request, headers } = await memberSession(playwright, baseURL, member);
  return {
    async receipts() {
      const response = await request.get('/v1/receipts', { headers });
      expect(response.status()).toBe(200);
      return (await response.json()).receipts;
    },
    async apply(changes) {
      const terms = await (await request.get('/v1/terms/line-notification')).json();
      return request.post('/v1/line-notification/applications', {
        headers,
        data: {
          changes,
          consent: { terms_version: terms.version, agreed: true },
          applicant: { name: '試験 太郎', phone: '0612345678' },
          dry_run: false,
        },
      });
    },
    dispose: () => request.dispose(),
  };
}

function provider(page, name) {
  return page.getByRole('group', { name, exact: true });
}

/** 通知可否設定 screen → 同意書 → 申込者情報, choosing 通知しない for the test provider. */
async function upToApplicant(page) {
  await menu(page, '回線情報通知');
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  await provider(page, TEST_PROVIDER).getByLabel('「通知しない」に変更する').check();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await page.getByLabel('同意する').check();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
}

async function fillApplicant(page, { name = '西日本 太郎', phone = '06-1234-5678', email = '', completion = false } = {}) {
  await page.getByLabel('お名前').fill(name);
  await page.getByLabel('ご連絡先電話番号').fill(phone);
  await page.getByLabel('ご連絡先メールアドレス').fill(email);
  await page.getByLabel('工事完了通知メールを受け取る').setChecked(completion);
}

test('a member changes two providers step by step and keeps the receipt', async ({ page, member, admin, playwright, baseURL }) => {
  await logIn(page, member);
  await menu(page, '回線情報通知');
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  // Every provider with its current setting: both start at 通知する.
  const testProvider = provider(page, TEST_PROVIDER);
  const phoneProvider = provider(page, PHONE_PROVIDER);
  await expect(testProvider).toContainText('W0099');
  await expect(testProvider).toContainText('試験用');
  await expect(testProvider).toContainText('通知する');
  await expect(phoneProvider).toContainText('060000');
  await expect(testProvider.getByLabel('変更しない（「通知する」のまま）')).toBeChecked();
  await checkScreen(page, 'line-notification-select');

  await testProvider.getByLabel('「通知しない」に変更する').check();
  await phoneProvider.getByLabel('「通知しない」に変更する').check();
  await expect(page.getByText('変更するサービス提供者: 2件')).toBeVisible();
  await page.getByRole('button', { name: '次へ' }).click();

  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await expect(page.locator('.terms')).toContainText('回線情報通知機能は');
  await checkScreen(page, 'line-notification-consent');
  await page.getByLabel('同意する').check();
  await page.getByRole('button', { name: '次へ' }).click();

  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
  await checkScreen(page, 'line-notification-applicant');
  // Full-width input is accepted: the API normalises it (docs/api.md).
  await fillApplicant(page, {
    name: '西日本 太郎',
    phone: fullWidth('06-1234-5678'),
    email: fullWidth(member.email),
    completion: true,
  });
  await page.getByRole('button', { name: '次へ' }).click();

  await expect(screenHeading(page, '変更内容の確認')).toBeVisible();
  const changes = page.locator('table.ln-changes');
  await expect(changes.getByRole('row')).toHaveCount(3);
  const testRow = changes.getByRole('row').filter({ hasText: 'W0099' });
  await expect(testRow.getByRole('cell').nth(1)).toHaveText('通知する');
  await expect(testRow.getByRole('cell').nth(2)).toHaveText('通知しない');
  await expect(page.getByText('06-1234-5678')).toBeVisible();
  await expect(page.getByText(member.email, { exact: true })).toBeVisible();
  await expect(page.getByText('受け取る', { exact: true })).toBeVisible();
  await checkScreen(page, 'line-notification-confirm');

  // A double click submits once.
  const submissions = recordSubmissions(page, '/v1/line-notification/applications');
  await page.getByRole('button', { name: 'この内容で申し込む' }).dblclick();
  await expect(screenHeading(page, '受付完了')).toBeVisible();
  // The busy button lets one submission out; it alone decides the outcome.
  expect(submissions).toHaveLength(1);
  const receiptNo = (await page.locator('.receipt-no').textContent()).trim();
  expect(receiptNo).toMatch(RECEIPT_NO);
  await expect(page.getByText('回線情報通知の通知可否設定の変更を受け付けました。')).toBeVisible();
  await expect(page.locator('table.ln-changes').getByRole('row')).toHaveCount(3);
  await checkScreen(page, 'line-notification-done');

  // 印刷する prints the page; the printed page is the receipt alone.
  await page.evaluate(() => { window.print = () => { document.body.dataset.printed = 'yes'; }; });
  await page.getByRole('button', { name: '印刷する' }).click();
  await expect(page.locator('body')).toHaveAttribute('data-printed', 'yes');
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.site-header')).toBeHidden();
  await expect(page.locator('.steps')).toBeHidden();
  await expect(page.getByRole('button', { name: '印刷する' })).toBeHidden();
  await expect(page.getByText('回線情報通知 変更受付', { exact: true })).toBeVisible();
  await expect(page.locator('.receipt-no')).toBeVisible();
  await checkScreen(page, 'line-notification-done-print');
  await page.emulateMedia({ media: 'screen' });

  // Exactly one receipt, the one shown.
  const api = await memberApi(playwright, baseURL, member);
  const receipts = await api.receipts();
  expect(receipts.map((r) => r.receipt_no)).toEqual([receiptNo]);
  expect(receipts[0].kind).toBe('line_notification');
  await api.dispose();

  // Accepted, not yet carried out: the settings stand, shown 変更中, and no 工事完了通知 yet.
  const orderNo = (await page.locator('.ln-facts').getByText(/^OD-/).textContent()).trim();
  expect(receipts[0].order_no).toBe(orderNo);
  expect((await admin.mails(member.email)).filter((m) => m.kind === 'works_completed')).toHaveLength(0);
  const accepted = await admin.member(member.customer_id);
  expect(accepted.providers.map((p) => [p.provider_code, p.setting, p.pending?.setting]).sort())
    .toEqual([['060000', 'notify', 'do_not_notify'], ['W0099', 'notify', 'do_not_notify']]);
  await page.getByRole('link', { name: '現在の設定を見る' }).click();
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  await expect(testProvider).toContainText('変更中');
  await expect(testProvider).toContainText(orderNo);
  await expect(testProvider.getByRole('radio')).toHaveCount(0);
  await checkScreen(page, 'line-notification-pending');

  // The back office carries the order out: the 工事完了通知 goes to the address typed
  // (full-width, normalised), and the new settings show once the page is read again.
  await admin.report(orderNo, 'in_progress');
  await admin.report(orderNo, 'completed');
  const mails = (await admin.mails(member.email)).filter((m) => m.kind === 'works_completed');
  expect(mails).toHaveLength(1);
  expect(mails[0].body).toContain(receiptNo);
  expect(mails[0].body).toContain('工事');

  const state = await admin.member(member.customer_id);
  expect(state.providers.map((p) => [p.provider_code, p.setting]).sort())
    .toEqual([['060000', 'do_not_notify'], ['W0099', 'do_not_notify']]);
  await page.reload();
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  await expect(testProvider.getByLabel('変更しない（「通知しない」のまま）')).toBeChecked();
  await expect(testProvider).toContainText(japaneseDate(japanDay(0)));
  await expect(testProvider).toContainText('会員ポータルからのお申し込み');
  await checkScreen(page, 'line-notification-select-after');

  // Going back to the confirmation never submits again: it shows the receipt.
  await page.goto('/#/line-notification/confirm');
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  const again = await memberApi(playwright, baseURL, member);
  expect(await again.receipts()).toHaveLength(1);
  await again.dispose();
});

test('errors are shown next to their fields and in the summary, and Back keeps every step', async ({ page, member, admin }) => {
  await logIn(page, member);
  await menu(page, '回線情報通知');
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();

  // Nothing chosen.
  const summary = page.getByRole('alert').filter({ hasText: '入力内容を確認してください' });
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(summary).toContainText('変更するサービス提供者を1つ以上選び');
  await checkScreen(page, 'line-notification-select-error');
  await summary.getByRole('link').click();
  await expect(page.getByRole('radio').first()).toBeFocused();
  await provider(page, TEST_PROVIDER).getByLabel('「通知しない」に変更する').check();
  await page.getByRole('button', { name: '次へ' }).click();

  // 同意書 not agreed.
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(summary).toContainText('同意書への同意が必要です');
  await expect(page.getByLabel('同意する')).toHaveAttribute('aria-invalid', 'true');
  await checkScreen(page, 'line-notification-consent-error');
  await page.getByLabel('同意する').check();
  await page.getByRole('button', { name: '次へ' }).click();

  // 申込者情報: the email is 任意 until the completion mail is asked for.
  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
  const emailMark = page.locator('[data-field="email"] label span');
  await expect(emailMark).toHaveText('任意');
  await page.getByLabel('工事完了通知メールを受け取る').check();
  await expect(emailMark).toHaveText('必須');

  // Empty fields and a mobile address are said in one round: an empty name does not hide
  // the address's problem.
  await fillApplicant(page, { name: '', phone: '', email: 'taro@docomo.ne.jp', completion: true });
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(summary).toContainText('お名前を入力してください。');
  await expect(summary).toContainText('ご連絡先電話番号を入力してください。');
  await expect(summary).toContainText('携帯電話のメールアドレスには工事完了通知をお送りできません');
  await fillApplicant(page, { name: '', phone: '', email: '', completion: true });
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(summary).toContainText('ご連絡先メールアドレスを入力してください。');
  await expect(summary).toContainText('お名前を入力してください。');
  await expect(page.getByLabel('お名前')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('[data-field="phone"] .field__error')).toHaveText('ご連絡先電話番号を入力してください。');
  await checkScreen(page, 'line-notification-applicant-required');

  // … and what the API's dry run finds, mapped to the fields.
  await fillApplicant(page, { name: '西日本 & 太郎', phone: '12', email: 'taro@docomo.ne.jp', completion: true });
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(summary).toContainText('お名前に使用できない文字が含まれています');
  await expect(summary).toContainText('10桁または11桁');
  await expect(summary).toContainText('携帯電話のメールアドレスには工事完了通知をお送りできません');
  await expect(page.locator('[data-field="name"] .field__error')).toContainText('使用できない文字');
  await expect(page.locator('[data-field="email"] .field__error')).toContainText('携帯電話のメールアドレス');
  await expect(page.getByLabel('ご連絡先電話番号')).toHaveAttribute('aria-invalid', 'true');
  await checkScreen(page, 'line-notification-applicant-invalid');
  // Each line of the summary links to its field.
  await summary.getByRole('link', { name: /携帯電話/ }).click();
  await expect(page.getByLabel('ご連絡先メールアドレス')).toBeFocused();

  const email = `ln-${Date.now()}@example.jp`;
  await fillApplicant(page, { name: '西日本 太郎', phone: '0612345678', email, completion: false });
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '変更内容の確認')).toBeVisible();
  await expect(page.getByText('受け取らない', { exact: true })).toBeVisible();

  // Back, step by step, finds everything as it was left.
  await page.goBack();
  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
  await expect(page.getByLabel('お名前')).toHaveValue('西日本 太郎');
  await expect(page.getByLabel('ご連絡先電話番号')).toHaveValue('0612345678');
  await expect(page.getByLabel('ご連絡先メールアドレス')).toHaveValue(email);
  await expect(page.getByLabel('工事完了通知メールを受け取る')).not.toBeChecked();
  await page.goBack();
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await expect(page.getByLabel('同意する')).toBeChecked();
  await page.goBack();
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  await expect(provider(page, TEST_PROVIDER).getByLabel('「通知しない」に変更する')).toBeChecked();
  await expect(provider(page, PHONE_PROVIDER).getByLabel('変更しない（「通知する」のまま）')).toBeChecked();

  // Forward again, then the page's own 戻る buttons: the same.
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(page.getByLabel('同意する')).toBeChecked();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(page.getByLabel('ご連絡先メールアドレス')).toHaveValue(email);
  await page.getByLabel('工事完了通知メールを受け取る').check();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '変更内容の確認')).toBeVisible();
  await expect(page.getByText('受け取る', { exact: true })).toBeVisible();
  await page.getByRole('link', { name: '戻る', exact: true }).click();
  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
  await expect(page.getByLabel('工事完了通知メールを受け取る')).toBeChecked();
  await page.getByRole('link', { name: '戻る', exact: true }).click();
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  await page.getByRole('link', { name: '同意しない（選択に戻る）' }).click();
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  await expect(provider(page, TEST_PROVIDER).getByLabel('「通知しない」に変更する')).toBeChecked();

  // A reload keeps it too.
  await page.goto('/#/line-notification/applicant');
  await page.reload();
  await expect(screenHeading(page, '申込者情報の入力')).toBeVisible();
  await expect(page.getByLabel('ご連絡先メールアドレス')).toHaveValue(email);

  // Nothing was submitted along the way.
  expect((await admin.mails(email))).toHaveLength(0);
  const state = await admin.member(member.customer_id);
  expect(state.providers.every((p) => p.setting === 'notify')).toBe(true);
});

test('a change made elsewhere meanwhile is explained on the first step (409 no_change)', async ({ page, member, admin, playwright, baseURL }) => {
  await logIn(page, member);
  await upToApplicant(page);
  await fillApplicant(page);

  // The same change, made through another session before this one is confirmed, and
  // carried out by the back office.
  const api = await memberApi(playwright, baseURL, member);
  const applied = await api.apply([{ provider_code: 'W0099', setting: 'do_not_notify' }]);
  expect(applied.status()).toBe(201);
  const { order_no: orderNo } = await applied.json();
  await admin.report(orderNo, 'completed');
  await api.dispose();

  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  const summary = page.getByRole('alert').filter({ hasText: '入力内容を確認してください' });
  await expect(summary).toContainText(`${TEST_PROVIDER}は、すでに「通知しない」に設定されています。`);
  await expect(provider(page, TEST_PROVIDER).getByLabel('変更しない（「通知しない」のまま）')).toBeChecked();
  await checkScreen(page, 'line-notification-no-change');
});

test('a change accepted elsewhere and not yet carried out is shown 変更中 on the first step (409 change_pending)', async ({ page, member, playwright, baseURL }) => {
  await logIn(page, member);
  await upToApplicant(page);
  await fillApplicant(page);

  const api = await memberApi(playwright, baseURL, member);
  const applied = await api.apply([{ provider_code: 'W0099', setting: 'do_not_notify' }]);
  expect(applied.status()).toBe(201);
  const { order_no: orderNo } = await applied.json();
  await api.dispose();

  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  const summary = page.getByRole('alert').filter({ hasText: '入力内容を確認してください' });
  await expect(summary).toContainText(`${TEST_PROVIDER}は、変更のお申し込みを受け付けて工事中です（注文番号 ${orderNo}）。`);
  const pending = provider(page, TEST_PROVIDER);
  await expect(pending).toContainText('変更中');
  await expect(pending.getByRole('radio')).toHaveCount(0);
  await checkScreen(page, 'line-notification-change-pending');
});

test('a provider that is not registered, and an outdated consent, go back to their steps', async ({ page, member }) => {
  await logIn(page, member);
  await upToApplicant(page);
  await fillApplicant(page);
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '変更内容の確認')).toBeVisible();

  // The consent kept in this tab is for an older version of the 同意書 (422 consent_required).
  const key = 'madoguchi.draft.flow.line-notification';
  await page.evaluate((k) => {
    // A draft is kept as { owner, value } (web/app/forms.js).
    const kept = JSON.parse(sessionStorage.getItem(k));
    kept.value.consent.terms_version = '2000-01';
    sessionStorage.setItem(k, JSON.stringify(kept));
  }, key);
  await page.reload();
  await expect(screenHeading(page, '同意書のご確認')).toBeVisible();
  const summary = page.getByRole('alert').filter({ hasText: '入力内容を確認してください' });
  await expect(summary).toContainText('最新の同意書をお読みいただき');
  await expect(page.getByLabel('同意する')).not.toBeChecked();
  await checkScreen(page, 'line-notification-consent-required');
  await page.getByLabel('同意する').check();
  await page.getByRole('button', { name: '次へ' }).click();
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '変更内容の確認')).toBeVisible();

  // A provider code that is not registered (404 provider_not_found).
  await page.evaluate((k) => {
    const kept = JSON.parse(sessionStorage.getItem(k));
    kept.value.changes = [{ provider_code: 'W0000', setting: 'do_not_notify' }];
    sessionStorage.setItem(k, JSON.stringify(kept));
  }, key);
  await page.reload();
  await expect(screenHeading(page, '回線情報通知の通知可否設定')).toBeVisible();
  await expect(summary).toContainText('W0000');
  await expect(summary).toContainText('通知先として登録されていない');
  await checkScreen(page, 'line-notification-provider-not-found');
});

test('the eleventh application of the day is refused with the time to try again', async ({ page, member, admin, playwright, baseURL }) => {
  const api = await memberApi(playwright, baseURL, member);
  for (let i = 0; i < 10; i += 1) {
    const setting = i % 2 === 0 ? 'do_not_notify' : 'notify';
    const applied = await api.apply([{ provider_code: '060000', setting }]);
    expect(applied.status()).toBe(201);
    // The back office carries each out before the next change to the same provider.
    await admin.report((await applied.json()).order_no, 'completed');
  }

  await logIn(page, member);
  await upToApplicant(page);
  await fillApplicant(page);
  await page.getByRole('button', { name: '次へ' }).click();
  await expect(screenHeading(page, '変更内容の確認')).toBeVisible();
  await page.getByRole('button', { name: 'この内容で申し込む' }).click();
  const refusal = page.getByRole('alert').filter({ hasText: '本日のお申し込み件数が上限に達しました' });
  await expect(refusal).toBeVisible();
  await expect(refusal).toContainText('1日10件まで');
  await expect(refusal).toContainText(/\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2}以降/);
  await expect(refusal).toBeFocused();
  await expect(screenHeading(page, '変更内容の確認')).toBeVisible();
  await checkScreen(page, 'line-notification-too-many');

  expect(await api.receipts()).toHaveLength(10);
  await api.dispose();
});
