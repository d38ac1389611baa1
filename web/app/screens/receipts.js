// 受付履歴 (docs/api.md): everything the member has submitted, newest first, a page at a time;
// 「さらに表示」 appends the next page below the ones already shown.

import { api } from '../api.js';
import { add, h, heading, notice, word, instant, RECEIPT_KIND } from '../dom.js';

export const title = '受付履歴';

/** Receipts per page: few enough to read on a phone, the rest one click away. */
export const PAGE_SIZE = 20;

function page(cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set('cursor', cursor);
  return api('GET', `/v1/receipts?${query}`);
}

function row(receipt) {
  return h('tr', {},
    h('th', { scope: 'row', 'data-label': '受付番号', tabindex: '-1' },
      h('span', { class: 'mono' }, receipt.receipt_no)),
    h('td', { 'data-label': '受付日時' },
      h('time', { datetime: receipt.accepted_at }, instant(receipt.accepted_at))),
    h('td', { 'data-label': '手続き', class: 'receipts__kind' }, word(RECEIPT_KIND, receipt.kind)),
    // One block beside its label: on a phone the cell is a grid of the label and its value.
    h('td', { 'data-label': '内容' }, h('div', {}, receipt.summary,
      // docs/orders.md: a submission the back office carries out names its order.
      receipt.order_no
        ? h('span', { class: 'receipts__order' }, h('a', { href: `#/orders/${receipt.order_no}` }, `ご注文の状況（${receipt.order_no}）`))
        : null)));
}

export async function render({ view }) {
  const first = await page(null);
  let next = first.next_cursor;
  let shown = first.receipts.length;

  add(view,
    heading('受付履歴'),
    h('p', {}, 'これまでにお申し込みいただいた手続きの受付記録です。新しいものから順に表示しています。お問い合わせの際は受付番号をお知らせください。'));

  if (!shown) {
    add(view, notice('info', h('p', {}, 'まだ受付の記録はありません。')));
    return;
  }

  const body = h('tbody', {}, first.receipts.map(row));
  const count = h('p', { class: 'receipts-count', role: 'status' });
  const problem = h('div');
  const more = h('button', { type: 'button', class: 'button' }, 'さらに表示');
  const moreBox = h('div', { class: 'actions receipts-more' }, more);

  const showCount = (added) => {
    const tail = next ? '（さらに古い受付があります）' : '（すべて表示しています）';
    count.textContent = added
      ? `${added}件を追加しました。${shown}件を表示しています${tail}`
      : `${shown}件を表示しています${tail}`;
  };
  showCount(0);
  moreBox.hidden = !next;

  more.addEventListener('click', async () => {
    if (more.disabled) return;
    const label = more.textContent;
    more.disabled = true;
    more.setAttribute('aria-busy', 'true');
    more.textContent = '読み込み中…';
    problem.replaceChildren();
    try {
      const answer = await page(next);
      const rows = answer.receipts.map(row);
      body.append(...rows);
      next = answer.next_cursor;
      shown += rows.length;
      showCount(rows.length);
      moreBox.hidden = !next;
      // Keyboard and screen reader users continue at the first receipt just added.
      if (rows.length) rows[0].querySelector('th').focus();
    } catch (error) {
      const why = error.code === 'validation_failed'
        ? '続きを読み込めませんでした。このページを読み込み直して、最初から表示してください。'
        : '続きを読み込めませんでした。もう一度「さらに表示」を押してください。';
      problem.replaceChildren(notice('error', h('p', {}, why)));
    } finally {
      more.disabled = false;
      more.removeAttribute('aria-busy');
      more.textContent = label;
    }
  });

  add(view,
    h('table', { class: 'table table--stack receipts' },
      h('caption', { class: 'visually-hidden' }, '受付履歴（新しい順）'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, '受付番号'),
        h('th', { scope: 'col' }, '受付日時'),
        h('th', { scope: 'col' }, '手続き'),
        h('th', { scope: 'col' }, '内容'))),
      body),
    count,
    problem,
    moreBox);
}
