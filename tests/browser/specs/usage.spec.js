// ご利用状況 and one serial's page: history, moving it to another device, releasing it
// (docs/usage.md), by clicking.
import {
  test, expect, logIn, checkScreen, screenHeading, japanDay, japaneseDate, memberSession,
} from '../support/portal.js';

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
  // Why, and what to use instead; no billing or button for what cannot be used.
  await expect(first).toContainText('標準のセキュリティ対策ツールはご提供していません');
  await expect(first).not.toContainText('月額');
  await expect(first.getByRole('link')).toHaveCount(0);
  const second = page.getByRole('article').filter({ hasText: plus.serial });
  await expect(second).toContainText('インストール待ち');
  await expect(second).toContainText(japaneseDate(japanDay(10)));
  await expect(second).toContainText('あと10日');
  await expect(second.getByRole('link', { name: '更新する' })).toBeVisible();
});

test('a serial is installed by the tool on the device, never by typing a device ID; moved with a warning; released through its own steps', async ({ page, member, admin, playwright, baseURL }) => {
  await logIn(page, member);
  const serial = member.serials[0].serial;
  await page.getByRole('article').filter({ hasText: serial }).getByRole('link', { name: /詳細・インストール方法/ }).click();
  await expect(screenHeading(page, /シリアル番号/)).toBeVisible();
  await expect(page.getByText('まだ履歴はありません。')).toBeVisible();
  // docs/usage.md: installing is the tool's, on the device; the page asks for nothing.
  await expect(page.getByRole('heading', { name: '端末にインストールするには' })).toBeVisible();
  await expect(page.getByText('セキュリティ申込・設定ツール').first()).toBeVisible();
  await expect(page.getByText(`「${serial}」を選び`)).toBeVisible();
  await expect(page.getByRole('textbox')).toHaveCount(0);
  await checkScreen(page, 'serial-awaiting-install');

  // The tool installs it on a PC, then on a Mac (as the activation API's caller).
  const { request, headers } = await memberSession(playwright, baseURL, member);
  for (const device of [
    { device_id: 'PC-LIVING-01', os: 'windows', name: 'リビングのパソコン' },
    { device_id: 'MAC-STUDY-02', os: 'mac', name: '書斎のMac' },
  ]) {
    const answer = await request.post(`/v1/serials/${serial}/activation`, { headers, data: device });
    expect(answer.status()).toBe(200);
  }
  await request.dispose();
  await page.reload();
  await expect(page.locator('.facts').first()).toContainText('書斎のMac（Mac）');
  // Another device: the warning names the one that loses protection.
  await expect(page.getByText('別の端末で使うと、今の端末は保護されなくなります')).toBeVisible();
  await expect(page.getByText('いま利用中の「書斎のMac」ではウイルス対策などの保護が止まります')).toBeVisible();
  // History, newest first.
  const history = page.locator('.history li');
  await expect(history).toHaveCount(2);
  await expect(history.nth(0)).toContainText('別の端末へ移動');
  await expect(history.nth(0)).toContainText('書斎のMac');
  await expect(history.nth(1)).toContainText('端末に登録');
  await checkScreen(page, 'serial-in-use');
  const moved = (await admin.mails(member.email)).filter((m) => m.kind === 'serial_moved');
  expect(moved).toHaveLength(1);

  // Release: 確認 says what stops, 完了 says what was done.
  await page.getByRole('link', { name: '利用をやめる' }).click();
  await expect(screenHeading(page, 'この端末での利用をやめる')).toBeVisible();
  await expect(page.getByText('「書斎のMac」は、ウイルス対策などの保護が止まります')).toBeVisible();
  await checkScreen(page, 'serial-release-confirm');
  const releases = [];
  page.on('request', (r) => { if (r.method() === 'DELETE') releases.push(r.url()); });
  await page.getByRole('button', { name: '利用をやめる' }).dblclick();
  await expect(screenHeading(page, '利用をやめました')).toBeVisible();
  expect(releases).toHaveLength(1);
  await expect(page.locator('.facts').first()).toContainText('インストール待ち');
  await checkScreen(page, 'serial-released');
  await page.getByRole('link', { name: 'ご利用状況へ戻る' }).click();
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
