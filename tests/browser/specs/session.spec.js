// The 13-minute idle timeout (docs/login.md): a warning two minutes before with a button to stay
// logged in, and what was typed kept when the session ends. The page's clock is driven by
// Playwright, so minutes pass at once.
import {
  test, expect, logIn, checkScreen, screenHeading, menu,
} from '../support/portal.js';

test('two minutes before the idle timeout a warning offers to stay logged in', async ({ page, member }) => {
  await page.clock.install();
  await logIn(page, member);

  await page.clock.fastForward('10:30');
  const warning = page.getByRole('dialog', { name: 'まもなく自動的にログアウトします' });
  await expect(warning).toBeHidden();
  await page.clock.fastForward('00:40');
  await expect(warning).toBeVisible();
  await checkScreen(page, 'idle-warning');

  await warning.getByRole('button', { name: 'ログインを続ける' }).click();
  await expect(warning).toBeHidden();
  // The idle clock started again: another 11 minutes pass without a warning.
  await page.clock.fastForward('10:30');
  await expect(warning).toBeHidden();
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
});

test('when the session ends, what was typed is kept and the member returns to it after logging in', async ({ page, member }) => {
  await page.clock.install();
  await logIn(page, member);
  await menu(page, '契約内容');
  await page.getByRole('link', { name: '解約のお手続きへ' }).click();
  await page.getByLabel('解約の理由').fill('引っ越しのため');

  await page.clock.fastForward('13:05');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await expect(page.getByText('操作のない状態が続いたため、ログアウトしました。')).toBeVisible();
  await expect(page.getByText('入力中の内容はこの端末に残っています。')).toBeVisible();
  await checkScreen(page, 'login-after-idle');

  await page.getByLabel('お客さまID').fill(member.customer_id);
  await page.getByLabel('アクセスキー').fill(member.access_key);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(screenHeading(page, '解約のお手続き')).toBeVisible();
  await expect(page.getByLabel('解約の理由')).toHaveValue('引っ越しのため');
});

test('a token the server no longer knows sends the member to ログイン, keeping the page to return to', async ({ page, member }) => {
  await logIn(page, member);
  // The session ends elsewhere (here: the same token logged out through the API).
  const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('madoguchi.session')).token);
  const response = await page.request.delete('/v1/sessions/current', { headers: { Authorization: `Bearer ${token}` } });
  expect(response.status()).toBe(204);

  await menu(page, '受付履歴');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  await expect(page.getByText('ログインの有効期限が切れたため、ログアウトしました。')).toBeVisible();
  await page.getByLabel('お客さまID').fill(member.customer_id);
  await page.getByLabel('アクセスキー').fill(member.access_key);
  await page.getByRole('button', { name: 'ログイン', exact: true }).click();
  await expect(screenHeading(page, '受付履歴')).toBeVisible();
});

test('what one member typed is not shown to a visitor, nor to another member, at the same tab', async ({ page, member, admin }) => {
  await page.clock.install();
  await logIn(page, member);
  await menu(page, '更新ユーザー登録');
  await page.getByLabel('購入コード').fill('AAAAA-BBBBB-CCCCC-DDDDD');
  await page.getByRole('radio', { name: member.serials[0].serial }).check();

  await page.clock.fastForward('13:05');
  await expect(screenHeading(page, 'ログイン')).toBeVisible();
  // A visitor without a login opens the same form: it is empty.
  await page.getByRole('link', { name: 'ログインせずに更新ユーザー登録をする' }).click();
  await expect(page.getByLabel('購入コード')).toHaveValue('');
  await expect(page.getByLabel('現在ご利用中のシリアル番号')).toHaveValue('');

  // Another member logs in at this tab: not taken to the first one's page, nor shown it.
  const other = await admin.createMember({ name: '別人 花子' });
  await logIn(page, other);
  await menu(page, '更新ユーザー登録');
  await expect(page.getByLabel('購入コード')).toHaveValue('');
  await expect(page.getByRole('radio', { name: other.serials[0].serial })).toBeVisible();
  await expect(page.getByRole('radio', { checked: true })).toHaveCount(0);
});
