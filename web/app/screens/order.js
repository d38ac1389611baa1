// ご注文の状況 (docs/orders.md): one order the back office carries out: what it asks for,
// each step it has taken with its time, why it failed if it did, and its withdrawal while
// the work has not started (or a card reader has not shipped).

import { api, newKey } from '../api.js';
import {
  add, fill, h, heading, notice, badge, facts, word, instant, date, yen,
  SETTING, READER_TYPE, SERVICE,
} from '../dom.js';
import { whileBusy } from '../forms.js';

export const title = 'ご注文の状況';

export const KIND = {
  line_notification: '回線情報通知の通知可否設定の変更',
  service_subscribe: 'サービスのお申し込み',
  service_change: 'サービスの変更',
  service_terminate: 'サービスの廃止',
  reader: 'ICカードリーダーの発送',
  line_termination: '回線のご解約',
};

const STATUS = {
  accepted: ['受付済み', 'neutral'],
  in_progress: ['工事中', 'warn'],
  awaiting_payment: ['入金待ち', 'warn'],
  paid: ['入金済み', 'neutral'],
  shipped: ['発送済み', 'neutral'],
  completed: ['完了', 'ok'],
  failed: ['不成立', 'bad'],
};

export const REASON = {
  withdrawn: 'お客さまのお申し出により取り下げました。',
  membership_cancelled: 'ご解約にともない取り下げました。',
  payment_expired: 'お支払い期限までにご入金が確認できませんでした。',
};

export const ACTION = { subscribe: 'お申し込み', change: '変更', terminate: '廃止' };

export function statusBadge(status) {
  const [text, tone] = STATUS[status] ?? [status, 'neutral'];
  return badge(text, tone);
}

/** Every move of the order, oldest first, with its time. */
export function progress(order) {
  return h('ol', { class: 'order-steps' }, order.steps.map((s) => h('li', {},
    statusBadge(s.status), ' ', h('time', { datetime: s.at }, instant(s.at)))));
}

/** Why a failed order did not complete, and that it changed nothing. */
export function failure(order) {
  if (order.status !== 'failed') return null;
  return notice('error',
    h('p', { class: 'notice__title' }, 'このご注文は完了しませんでした'),
    h('p', {}, `理由: ${REASON[order.reason] ?? order.reason ?? '記録されていません。'}`),
    h('p', {}, 'ご注文による変更は行われていません。'));
}

/** docs/orders.md: a member may withdraw before the work starts, or a reader before it ships. */
function withdrawable(order) {
  return order.kind === 'reader'
    ? ['awaiting_payment', 'paid'].includes(order.status)
    : order.status === 'accepted';
}

/** What the order asks for, in the member's words. */
function what(order) {
  const d = order.details;
  if (d.changes?.length) {
    return h('ul', {}, d.changes.map((c) => h('li', {},
      `${c.provider_name}（${c.provider_code}）: 「${word(SETTING, c.after)}」に変更`)));
  }
  if (d.reader) {
    const r = d.reader;
    return h('div', {},
      h('p', {}, `${word(READER_TYPE, r.type)}（管理番号 ${r.reader_id}）、${yen(r.price.total)}`),
      order.status === 'awaiting_payment'
        ? h('p', {},
          h('a', { class: 'button button--primary', href: r.payment.url, rel: 'noopener' }, 'ちょコムでお支払いへ進む'),
          ' ',
          `お支払い期限: ${date(r.payment.due_on)}`)
        : null);
  }
  if (d.service) {
    const s = d.service;
    const count = s.license_plus ? `（ライセンスプラス ${s.license_plus.from}台 → ${s.license_plus.to}台）` : '';
    return h('p', {}, `${word(SERVICE, s.service)}の${word(ACTION, s.action)}${count}`);
  }
  return h('p', {}, word(KIND, order.kind));
}

export async function render({ view, params }) {
  let order = await api('GET', `/v1/orders/${encodeURIComponent(params.order_no)}`);
  const place = h('div');
  const show = () => {
    const withdraw = withdrawable(order)
      ? h('button', { type: 'button', class: 'button button--danger' }, 'このお申し込みを取り下げる')
      : null;
    const problemPlace = h('div');
    if (withdraw) {
      const key = newKey();
      withdraw.addEventListener('click', () => whileBusy(withdraw, '取り下げ中…', async () => {
        try {
          order = await api('POST', `/v1/orders/${encodeURIComponent(order.order_no)}/withdrawal`, { body: {}, key });
          show();
        } catch (problem) {
          problemPlace.replaceChildren(notice('error', h('p', {},
            problem.code === 'invalid_transition'
              ? 'すでに工事（発送）が始まっているため、取り下げできません。'
              : problem.detail || problem.title || problem.message)));
        }
      }));
    }
    // `fill`, not replaceChildren: a part that does not apply (no failure) is null.
    fill(place,
      failure(order),
      h('section', { class: 'card', 'aria-labelledby': 'order-facts' },
        h('h2', { class: 'card__title', id: 'order-facts' }, word(KIND, order.kind)),
        facts([
          ['注文番号', h('span', { class: 'mono' }, order.order_no)],
          ['受付番号', h('span', { class: 'mono' }, order.receipt_no)],
          ['受付日時', instant(order.placed_at)],
          ['状態', statusBadge(order.status)],
        ]),
        h('h3', {}, 'ご注文の内容'),
        what(order)),
      h('section', { class: 'card', 'aria-labelledby': 'order-steps' },
        h('h2', { class: 'card__title', id: 'order-steps' }, '進み具合'),
        progress(order)),
      problemPlace,
      h('div', { class: 'actions' },
        withdraw,
        h('a', { class: 'button', href: '#/receipts' }, '受付履歴へ'),
        h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ')));
  };
  show();
  add(view, heading('ご注文の状況'), place);
  return undefined;
}
