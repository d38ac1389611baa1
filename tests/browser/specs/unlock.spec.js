// The lock after 10 wrong keys (docs/login.md) and the self-service unlock, by clicking;
// the code is read from the mail the outbox holds.
import { test, expect, logIn, checkScreen, screenHeading, fullWidth } from '../support/portal.js';

test('a locked member is told so, unlocks with the mailed code, and logs in with the same key', async ({ page, member, admin }) => {
  await page.goto('/');
  await page.getByLabel('お客さまID').fill(member.customer_id);
  for (let i = 0; i < 10; i += 1) {
    await page.getByLabel('アクセスキー').fill(`wrong-key-${i}`);
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: '正しくありません' })).toBeVisible();
  }
  // Locked: even the right key is refused, and the screen says how to unlock.
  await page.getByLabel('アクセスキー').fill(member.access_key);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(page.getByText('アカウントがロックされています')).toBeVisible();
  await checkScreen(page, 'login-locked');

  await page.getByRole('link', { name: 'ロックを解除する' }).first().click();
  await expect(screenHeading(page, 'アカウントロックの解除')).toBeVisible();
  await checkScreen(page, 'unlock-request');
  await page.getByLabel('お客さまID').fill(member.customer_id.toLowerCase());
  await page.getByRole('button', { name: '確認コードを送る' }).click();
  await expect(screenHeading(page, '確認コードの入力')).toBeVisible();
  await checkScreen(page, 'unlock-code');

  // A wrong code is refused at the code field.
  await page.getByLabel('確認コード').fill('00000000');
  await page.getByRole('button', { name: 'ロックを解除する' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '確認コードが正しくないか' })).toBeVisible();
  await expect(page.getByLabel('確認コード')).toHaveAttribute('aria-invalid', 'true');

  const mail = (await admin.mails(member.email)).filter((m) => m.kind === 'unlock_code').at(-1);
  const code = mail.body.match(/確認コード: (\d{8})/)[1];
  // Full-width digits are accepted: the API normalises them.
  await page.getByLabel('確認コード').fill(fullWidth(code));
  await page.getByRole('button', { name: 'ロックを解除する' }).click();
  await expect(screenHeading(page, 'ロックを解除しました')).toBeVisible();
  await checkScreen(page, 'unlock-done');

  await page.getByRole('link', { name: 'ログイン画面へ' }).click();
  // The ID as the member typed it is filled in for them.
  await expect(page.getByLabel('お客さまID')).toHaveValue(member.customer_id.toLowerCase());
  await page.getByLabel('アクセスキー').fill(member.access_key);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
});

test('asking for a code reveals nothing about the customer ID', async ({ page }) => {
  await page.goto('/#/unlock');
  await page.getByLabel('お客さまID').fill('CAF0000000');
  await page.getByRole('button', { name: '確認コードを送る' }).click();
  await expect(screenHeading(page, '確認コードの入力')).toBeVisible();
  await expect(page.getByText('ロックされている場合、ご登録のメールアドレスに確認コードをお送りしました。', { exact: false })).toBeVisible();
  // Back returns to the first step with the ID still there.
  await page.goBack();
  await expect(page.getByLabel('お客さまID')).toHaveValue('CAF0000000');
});

test('a member logged in is not shown the unlock screen', async ({ page, member }) => {
  await logIn(page, member);
  await page.goto('/#/unlock');
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
});
