// 更新ユーザー登録 (docs/renewal.md), by clicking: logged in (a serial of the member's
// own, also reached from ご利用状況) and without a login (serial and registered email typed);
// the new expiry shown before submitting is max(current, today) + term; typos caught at the
// code field; a double click renews once.
import {
  test, expect, logIn, checkScreen, screenHeading, japanDay, japaneseDate, RECEIPT_NO, fullWidth, recordSubmissions, menu,
} from '../support/portal.js';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const pad = (n) => String(n).padStart(2, '0');

/** `iso` plus `months` calendar months; a day past the month's end lands on its last day. */
function addMonths(iso, months) {
  const [y, m, d] = iso.split('-').map(Number);
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return `${year}-${pad(month)}-${pad(Math.min(d, last))}`;
}

/** docs/renewal.md: max(current expiry, today) + term. */
function renewedExpiry(current, months) {
  const today = japanDay(0);
  return addMonths(current && current > today ? current : today, months);
}

/** The code with one symbol changed: a typo the check symbol catches. */
function typo(code) {
  const i = 7;
  const next = ALPHABET[(ALPHABET.indexOf(code[i]) + 1) % ALPHABET.length];
  return code.slice(0, i) + next + code.slice(i + 1);
}


async function serialOf(admin, member, serial) {
  return (await admin.member(member.customer_id)).serials.find((s) => s.serial === serial);
}

test('a logged-in member renews one of their serials, sees the new expiry first, and a double click renews once', async ({ page, member, admin }) => {
  const standard = member.serials[0];
  const monthly = member.serials[1];
  const before = await serialOf(admin, member, standard.serial);
  const expected = renewedExpiry(before.expires_on, 12);
  const [code] = await admin.codes({ product: 'security-suite', termMonths: 12 });

  await logIn(page, member);
  await menu(page, '更新ユーザー登録');
  await expect(screenHeading(page, '更新ユーザー登録')).toBeVisible();
  // Only term serials can be chosen; the monthly one says why not.
  await expect(page.getByRole('radio', { name: monthly.serial })).toBeDisabled();
  await expect(page.getByText('月額サービスのため更新ユーザー登録は不要です').first()).toBeVisible();
  await checkScreen(page, 'renewal-member-input');

  // Case, width and hyphens do not matter: lower case without hyphens is accepted.
  await page.getByLabel('購入コード').fill(code.replace(/-/g, '').toLowerCase());
  await page.getByRole('radio', { name: standard.serial }).check();
  // The registered address is not asked for: the session and the member's own serial are
  // the proof.
  await expect(page.getByLabel('ご登録のメールアドレス')).toHaveCount(0);
  await expect(page.getByText('このアドレスにお送りします。入力は不要です。')).toBeVisible();
  await page.getByLabel('同意します').check();
  await page.getByRole('button', { name: '確認画面へ進む' }).click();

  await expect(screenHeading(page, '入力内容の確認')).toBeVisible();
  const newExpiry = page.getByRole('region', { name: '更新後の有効期限' });
  await expect(newExpiry).toContainText(japaneseDate(expected));
  await expect(newExpiry).toContainText(`現在の有効期限 ${japaneseDate(before.expires_on)}`);
  await expect(page.getByText('残りの有効期間は失われません')).toBeVisible();
  await expect(page.getByText('12か月', { exact: true })).toBeVisible();
  // The code typed loosely is shown as printed on the paper, to check it against.
  await expect(page.getByText(code, { exact: true })).toBeVisible();
  await checkScreen(page, 'renewal-member-confirm');

  // Nothing has changed yet.
  expect((await serialOf(admin, member, standard.serial)).expires_on).toBe(before.expires_on);

  const submissions = recordSubmissions(page, '/v1/renewals');
  await page.getByRole('button', { name: '更新する' }).dblclick();
  await expect(screenHeading(page, '受付完了')).toBeVisible();
  // The busy button lets one submission out; it alone decides the outcome.
  expect(submissions).toHaveLength(1);
  await expect(page.locator('.receipt-no')).toHaveText(RECEIPT_NO);
  await expect(page.getByText(standard.product_key)).toBeVisible();
  await expect(page.getByText(japaneseDate(expected)).first()).toBeVisible();
  await expect(page.getByRole('button', { name: '印刷する' })).toBeVisible();
  await checkScreen(page, 'renewal-member-done');

  // The expiry moved once, by one term, and one mail went out.
  expect((await serialOf(admin, member, standard.serial)).expires_on).toBe(expected);
  const mails = (await admin.mails(member.email)).filter((m) => m.kind === 'renewal_completed');
  expect(mails).toHaveLength(1);

  // The confirmation is never submitted twice: opened again, it leads to the receipt.
  await page.goto('/#/renewal/confirm');
  await expect(screenHeading(page, '受付完了')).toBeVisible();
  await page.getByRole('link', { name: 'ご利用状況へ' }).click();
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
  await expect(page.getByRole('article').filter({ hasText: standard.serial })).toContainText(japaneseDate(expected));
  expect((await serialOf(admin, member, standard.serial)).expires_on).toBe(expected);
});

test('ご利用状況 links a serial near its expiry to the renewal with it chosen; an expired one renews from today', async ({ page, admin }) => {
  const member = await admin.createMember({
    licenses: [
      { product: 'security-suite', plan: 'standard', billing: 'term', expires_on: japanDay(10) },
      { product: 'mobile-security', plan: 'license_plus', billing: 'term', expires_on: japanDay(-3) },
    ],
  });
  const [near, expired] = member.serials;
  const [code] = await admin.codes({ product: 'security-suite', termMonths: 1 });
  const [mobileCode] = await admin.codes({ product: 'mobile-security', termMonths: 12 });

  await logIn(page, member);
  await page.getByRole('article').filter({ hasText: near.serial }).getByRole('link', { name: '更新する' }).click();
  await expect(screenHeading(page, '更新ユーザー登録')).toBeVisible();
  await expect(page.getByRole('radio', { name: near.serial })).toBeChecked();
  await expect(page.getByRole('radio', { name: expired.serial })).not.toBeChecked();
  await expect(page.getByText('（期限切れ）')).toBeVisible();

  // A code for another product is refused at the code field.
  await page.getByLabel('購入コード').fill(mobileCode);
  await page.getByLabel('同意します').check();
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(page.getByLabel('購入コード')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('購入コード')).toHaveAccessibleDescription(/製品が一致しません/);

  await page.getByLabel('購入コード').fill(code);
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(screenHeading(page, '入力内容の確認')).toBeVisible();
  await expect(page.getByRole('region', { name: '更新後の有効期限' }))
    .toContainText(japaneseDate(renewedExpiry(japanDay(10), 1)));

  // Back to the form: what was typed is still there; the expired serial renews from today.
  await page.getByRole('link', { name: '入力内容を修正する' }).click();
  await expect(screenHeading(page, '更新ユーザー登録')).toBeVisible();
  await expect(page.getByLabel('購入コード')).toHaveValue(code);
  await page.getByRole('radio', { name: expired.serial }).check();
  await page.getByLabel('購入コード').fill(mobileCode);
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(screenHeading(page, '入力内容の確認')).toBeVisible();
  const region = page.getByRole('region', { name: '更新後の有効期限' });
  await expect(region).toContainText(japaneseDate(addMonths(japanDay(0), 12)));
  await expect(region).toContainText('（期限切れ）');
  await expect(page.getByText('本日から12か月が新しい有効期間になります')).toBeVisible();
  await checkScreen(page, 'renewal-expired-confirm');
});

test('without a login a member renews with the serial and the registered email; a typo is caught at the code field', async ({ page, member, admin }) => {
  const mobile = member.serials[2];
  const monthly = member.serials[1];
  const before = await serialOf(admin, member, mobile.serial);
  const expected = renewedExpiry(before.expires_on, 12);
  const [code] = await admin.codes({ product: 'mobile-security', termMonths: 12 });
  const [suiteCode] = await admin.codes({ product: 'security-suite', termMonths: 12 });

  await page.goto('/');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await page.getByRole('link', { name: 'ログインせずに更新ユーザー登録をする' }).click();
  await expect(screenHeading(page, '更新ユーザー登録')).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'メニュー' })).toBeHidden();
  await expect(page.getByText('大文字・小文字、全角・半角、ハイフンの有無は問いません')).toBeVisible();
  await checkScreen(page, 'renewal-guest-input');

  // Nothing filled in: every required field says so, and consent is asked for.
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  const summary = page.getByRole('alert').filter({ hasText: '入力内容を確認してください' });
  await expect(summary).toContainText('購入コードを入力してください。');
  await expect(summary).toContainText('シリアル番号を入力してください。');
  await expect(summary).toContainText('ご登録のメールアドレスを入力してください。');
  await expect(summary).toContainText('同意のうえお進みください');
  await checkScreen(page, 'renewal-guest-empty');

  // One symbol changed, with the email left empty and the consent unticked: all three are
  // said in one round, in the order of the fields. The check symbol catches the typo, with
  // the look-alikes named.
  await page.getByLabel('購入コード').fill(typo(code));
  await page.getByLabel('現在ご利用中のシリアル番号').fill(mobile.serial.toLowerCase());
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  const codeField = page.getByLabel('購入コード');
  await expect(codeField).toHaveAttribute('aria-invalid', 'true');
  await expect(codeField).toHaveAccessibleDescription(/購入コードに入力誤りがあります.*2とZ、5とS、8とB、UとV/);
  await expect(summary.getByRole('listitem')).toHaveText([
    /購入コードに入力誤りがあります/,
    'ご登録のメールアドレスを入力してください。',
    /同意のうえお進みください/,
  ]);
  await expect(page.getByLabel('現在ご利用中のシリアル番号')).not.toHaveAttribute('aria-invalid', 'true');
  await checkScreen(page, 'renewal-guest-typo');
  await summary.getByRole('link').first().click();
  await expect(codeField).toBeFocused();

  // The email and the consent given: the typo alone is left.
  await page.getByLabel('ご登録のメールアドレス').fill(member.email);
  await page.getByLabel('同意します').check();
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(summary.getByRole('listitem')).toHaveText([/購入コードに入力誤りがあります/]);

  // A monthly serial needs no renewal (月額サービスは更新不要).
  await codeField.fill(suiteCode);
  await page.getByLabel('現在ご利用中のシリアル番号').fill(monthly.serial);
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(page.getByLabel('現在ご利用中のシリアル番号')).toHaveAccessibleDescription(/月額サービスは更新不要です/);

  // An email that is not the registered one: both fields are marked.
  await codeField.fill(code);
  await page.getByLabel('現在ご利用中のシリアル番号').fill(mobile.serial);
  await page.getByLabel('ご登録のメールアドレス').fill(`other-${member.email}`);
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(page.getByLabel('現在ご利用中のシリアル番号')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('ご登録のメールアドレス')).toHaveAttribute('aria-invalid', 'true');
  await expect(summary).toContainText('組み合わせが一致しません');

  // The right code typed in full-width characters, and the registered email.
  await codeField.fill(fullWidth(code));
  await page.getByLabel('ご登録のメールアドレス').fill(member.email);
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(screenHeading(page, '入力内容の確認')).toBeVisible();
  await expect(page.getByRole('region', { name: '更新後の有効期限' })).toContainText(japaneseDate(expected));
  await checkScreen(page, 'renewal-guest-confirm');

  await page.getByRole('button', { name: '更新する' }).click();
  await expect(screenHeading(page, '受付完了')).toBeVisible();
  await expect(page.locator('.receipt-no')).toHaveText(RECEIPT_NO);
  await expect(page.getByText(mobile.serial)).toBeVisible();
  await expect(page.getByText(mobile.product_key)).toBeVisible();
  await checkScreen(page, 'renewal-guest-done');
  expect((await serialOf(admin, member, mobile.serial)).expires_on).toBe(expected);

  // The code is used up: a second renewal with it is refused at the code field.
  await page.getByRole('link', { name: 'ログイン画面へ' }).click();
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await page.getByRole('link', { name: 'ログインせずに更新ユーザー登録をする' }).click();
  await expect(page.getByLabel('購入コード')).toHaveValue('');
  await page.getByLabel('購入コード').fill(code);
  await page.getByLabel('現在ご利用中のシリアル番号').fill(mobile.serial);
  await page.getByLabel('ご登録のメールアドレス').fill(member.email);
  await page.getByLabel('同意します').check();
  await page.getByRole('button', { name: '確認画面へ進む' }).click();
  await expect(page.getByLabel('購入コード')).toHaveAccessibleDescription(/使用済みです/);
  expect((await serialOf(admin, member, mobile.serial)).expires_on).toBe(expected);
});
