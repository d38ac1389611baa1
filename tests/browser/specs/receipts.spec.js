// 受付履歴 (docs/api.md): every receipt of the member, newest first, 20 at a time, with
// 「さらに表示」 appending the next page.
import {
  test, expect, logIn, checkScreen, screenHeading, memberSession, menu,
} from '../support/portal.js';

const PAGE_SIZE = 20;

/**
 * The member's own API client, to submit applications as another of their sessions would;
 * `admin` plays the back office and carries each line-notification order out at once.
 */
async function memberApi(playwright, baseURL, member, admin) {
  const { request, headers } = await memberSession(playwright, baseURL, member);
  const version = async (kind) => (await (await request.get(`/v1/terms/${kind}`)).json()).version;
  return {
    /** 回線情報通知: 060000 back and forth (at most 10 a day, docs/line-notification.md). */
    async lineNotification(setting) {
      const response = await request.post('/v1/line-notification/applications', {
        headers,
        data: {
          changes: [{ provider_code: '060000', setting }],
          consent: { terms_version: await version('line-notification'), agreed: true },
          applicant: { name: '試験 太郎', phone: '0612345678' },
        },
      });
      expect(response.status()).toBe(201);
      const accepted = await response.json();
      await admin.report(accepted.order_no, 'in_progress');
      await admin.report(accepted.order_no, 'completed');
      return accepted;
    },
    /** 更新ユーザー登録 of the member's standard serial with a purchase code. */
    async renewal(code) {
      const response = await request.post('/v1/renewals', {
        headers,
        data: {
          code,
          serial: member.serials[0].serial,
          email: member.email,
          consent: { terms_version: await version('renewal'), agreed: true },
        },
      });
      expect(response.status()).toBe(201);
      return response.json();
    },
    async receipts() {
      const response = await request.get('/v1/receipts?limit=200', { headers });
      expect(response.status()).toBe(200);
      return (await response.json()).receipts;
    },
    dispose: () => request.dispose(),
  };
}

/** '2026-11-26T21:43:03+09:00' → '2026年11月26日 21:43', as the portal writes it. */
function japaneseInstant(rfc3339) {
  const [, y, m, d, hh, mm] = rfc3339.match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/);
  return `${Number(y)}年${Number(m)}月${Number(d)}日 ${hh}:${mm}`;
}

function rows(page) {
  return page.locator('table.receipts tbody tr');
}

test('the ledger is empty at first, then lists each receipt with its time, kind and summary', async ({ page, member, admin, playwright, baseURL }) => {
  await logIn(page, member);
  await menu(page, '受付履歴');
  await expect(screenHeading(page, '受付履歴')).toBeVisible();
  await expect(page.getByText('まだ受付の記録はありません。')).toBeVisible();
  await checkScreen(page, 'receipts-empty');

  const api = await memberApi(playwright, baseURL, member, admin);
  const line = await api.lineNotification('do_not_notify');
  const [code] = await admin.codes({ product: 'security-suite', termMonths: 12 });
  const renewal = await api.renewal(code);
  const ledger = await api.receipts();
  await api.dispose();

  await page.reload();
  await expect(screenHeading(page, '受付履歴')).toBeVisible();
  await expect(rows(page)).toHaveCount(2);
  // Newest first: the renewal, then the line notification.
  const [newest, oldest] = [rows(page).nth(0), rows(page).nth(1)];
  await expect(newest).toContainText(renewal.receipt_no);
  await expect(newest).toContainText('更新ユーザー登録');
  await expect(newest).toContainText(member.serials[0].serial);
  await expect(newest).toContainText(japaneseInstant(renewal.accepted_at));
  await expect(oldest).toContainText(line.receipt_no);
  await expect(oldest).toContainText('回線情報通知の通知可否設定');
  await expect(oldest).toContainText(ledger[1].summary);
  await expect(oldest).toContainText(japaneseInstant(line.accepted_at));
  await expect(page.getByText('2件を表示しています（すべて表示しています）')).toBeVisible();
  await expect(page.getByRole('button', { name: 'さらに表示' })).toBeHidden();
  await checkScreen(page, 'receipts-two');
});

test('「さらに表示」 appends the older receipts, 20 at a time, newest first', async ({ page, member, admin, playwright, baseURL }) => {
  const api = await memberApi(playwright, baseURL, member, admin);
  for (let i = 0; i < 10; i += 1) await api.lineNotification(i % 2 === 0 ? 'do_not_notify' : 'notify');
  const codes = await admin.codes({ product: 'security-suite', termMonths: 1, count: 15 });
  for (const code of codes) await api.renewal(code);
  const ledger = await api.receipts();
  await api.dispose();
  expect(ledger).toHaveLength(25);

  await logIn(page, member);
  await menu(page, '受付履歴');
  await expect(screenHeading(page, '受付履歴')).toBeVisible();
  await expect(rows(page)).toHaveCount(PAGE_SIZE);
  await expect(page.getByText('20件を表示しています（さらに古い受付があります）')).toBeVisible();
  await checkScreen(page, 'receipts-first-page');

  await page.getByRole('button', { name: 'さらに表示' }).click();
  await expect(rows(page)).toHaveCount(25);
  await expect(page.getByText('5件を追加しました。25件を表示しています（すべて表示しています）')).toBeVisible();
  await expect(page.getByRole('button', { name: 'さらに表示' })).toBeHidden();
  // The reader continues at the first receipt added.
  await expect(rows(page).nth(PAGE_SIZE).getByRole('rowheader')).toBeFocused();
  await checkScreen(page, 'receipts-all');

  // Every receipt once, in the API's order (newest first).
  const shown = await rows(page).getByRole('rowheader').allTextContents();
  expect(shown.map((s) => s.trim())).toEqual(ledger.map((r) => r.receipt_no));
  const times = ledger.map((r) => Date.parse(r.accepted_at));
  expect([...times].sort((a, b) => b - a)).toEqual(times);
  await expect(rows(page).last()).toContainText('回線情報通知の通知可否設定');
  await expect(rows(page).first()).toContainText('更新ユーザー登録');
});
