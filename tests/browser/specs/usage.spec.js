// ご利用状況 and one serial's page: history, moving it to another device, releasing it
// (docs/usage.md), by clicking.
import { test, expect, logIn, checkScreen, screenHeading, japanDay, japaneseDate, recordSubmissions } from '../support/portal.js';

test('ご利用状況 lists the services and every serial with status, device and expiry', async ({ page, admin }) => {
  const member = await admin.createMember({
    line: 'collab',
    licenses: [
      { product: 'security-suite', plan: 'standard', billing: 'monthly' },
      { product: 'security-suite', plan: 'license_plus', billing: 'term', expires_on: japanDay(10) },
    ],
    services: [
      { service: 'security', status: 'in_use' },
      { service: 'remote_support', status: 'registering' },
    ],
  });
  await logIn(page, member);
  await checkScreen(page, 'usage');

  const services = page.getByRole('table');
  await expect(services.getByRole('row', { name: /セキュリティ機能.*利用中/ })).toBeVisible();
  await expect(services.getByRole('row', { name: /リモートサポートサービス.*登録中/ })).toBeVisible();

  const [standard, plus] = member.serials;
  // A collaboration line: the standard serial is 利用不可 (docs/usage.md).
  const first = page.getByRole('article').filter({ hasText: standard.serial });
  await expect(first).toContainText('利用不可');
  await expect(first).toContainText('月額');
  const second = page.getByRole('article').filter({ hasText: plus.serial });
  await expect(second).toContainText('インストール待ち');
  await expect(second).toContainText(japaneseDate(japanDay(10)));
  await expect(second).toContainText('あと10日');
  await expect(second.getByRole('link', { name: '更新する' })).toBeVisible();
});

test('a serial is installed, moved to another device with a warning, and released', async ({ page, member, admin }) => {
  await logIn(page, member);
  const serial = member.serials[0].serial;
  await page.getByRole('article').filter({ hasText: serial }).getByRole('link', { name: /詳細・端末の変更/ }).click();
  await expect(screenHeading(page, /シリアル番号/)).toBeVisible();
  await expect(page.getByText('まだ履歴はありません。')).toBeVisible();
  await checkScreen(page, 'serial-awaiting-install');

  // Install on a first device.
  await page.getByRole('button', { name: '確認へ進む' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '入力内容を確認してください' })).toContainText('端末の名前を入力してください。');
  await page.getByLabel('端末の名前').fill('リビングのパソコン');
  await page.getByLabel('Windows').check();
  await page.getByLabel('端末ID').fill('PC-LIVING-01');
  await page.getByRole('button', { name: '確認へ進む' }).click();
  const dialog = page.getByRole('dialog', { name: 'この端末に登録しますか' });
  await expect(dialog).toContainText('PC-LIVING-01');
  await checkScreen(page, 'serial-install-confirm');
  await dialog.getByRole('button', { name: '登録する' }).click();
  await expect(page.getByRole('status').getByText('「リビングのパソコン」に登録しました。')).toBeVisible();
  await expect(page.getByRole('heading', { name: '別の端末に移す' })).toBeVisible();

  // Move: the warning names the device that loses protection, before and in the dialog.
  await expect(page.getByText('移すと、今の端末は保護されなくなります')).toBeVisible();
  await page.getByLabel('端末の名前').fill('書斎のMac');
  await page.getByLabel('Mac').check();
  await page.getByLabel('端末ID').fill('MAC-STUDY-02');
  await page.getByRole('button', { name: '確認へ進む' }).click();
  const move = page.getByRole('dialog', { name: 'この端末に移しますか' });
  await expect(move).toContainText('今の端末（保護が止まります）');
  await expect(move).toContainText('リビングのパソコン（Windows）');
  await checkScreen(page, 'serial-move-confirm');
  // A double click moves the serial once: one history event, one mail.
  const submissions = recordSubmissions(page, `/v1/serials/${serial}/activation`);
  await move.getByRole('button', { name: '移す' }).dblclick();
  await expect(page.getByText('「書斎のMac」に移しました。「リビングのパソコン」は保護されなくなりました。')).toBeVisible();
  // The busy button lets one submission out; it alone decides the outcome.
  expect(submissions).toHaveLength(1);
  const history = page.locator('.history li');
  await expect(history).toHaveCount(2);
  await expect(history.nth(0)).toContainText('端末に登録');
  await expect(history.nth(1)).toContainText('別の端末へ移動');
  await expect(history.nth(1)).toContainText('書斎のMac');
  await checkScreen(page, 'serial-moved');
  const moved = (await admin.mails(member.email)).filter((m) => m.kind === 'serial_moved');
  expect(moved).toHaveLength(1);

  // Release: the dialog says the device stops being protected.
  await page.getByRole('button', { name: 'この端末での利用をやめる' }).click();
  const release = page.getByRole('dialog', { name: 'この端末での利用をやめますか' });
  await expect(release).toContainText('保護が止まります');
  await checkScreen(page, 'serial-release-confirm');
  await release.getByRole('button', { name: '利用をやめる' }).click();
  await expect(page.getByText('「書斎のMac」での利用をやめました。')).toBeVisible();
  await expect(page.locator('.facts').first()).toContainText('インストール待ち');

  await page.goBack();
  await expect(screenHeading(page, 'ご利用状況')).toBeVisible();
  await expect(page.getByRole('article').filter({ hasText: serial })).toContainText('インストール待ち');
});


test('an expired licence offers its renewal; one on an old program says to upgrade first; help is at hand', async ({ page, admin }) => {
  const member = await admin.createMember({
    licenses: [
      { product: 'security-suite', plan: 'standard', billing: 'term', expires_on: japanDay(-3) },
      { product: 'security-suite', plan: 'license_plus', billing: 'term', expires_on: japanDay(10), version: 16 },
    ],
  });
  await logIn(page, member);
  const [standard, old] = member.serials;
  const expired = page.getByRole('article').filter({ hasText: standard.serial });
  await expect(expired).toContainText('期限切れ');
  await expect(expired).toContainText('本日から新しい期間');
  await expect(expired.getByRole('link', { name: /更新する/ })).toBeVisible();
  const upgrade = page.getByRole('article').filter({ hasText: old.serial });
  await expect(upgrade).toContainText('バージョンアップしてから更新してください');
  await expect(upgrade.getByRole('link', { name: '最新版のダウンロード' })).toHaveAttribute('href', 'https://support.example.jp/download');
  await expect(upgrade.getByRole('link', { name: /更新する/ })).toHaveCount(0);
  // The desk, in the footer of every screen.
  await expect(page.locator('footer')).toContainText('会員サポートセンター 0120-000-000');
  await checkScreen(page, 'usage-expired-and-upgrade');
});
