// Building the page from data without ever parsing data as HTML: every text goes in as a
// text node, so nothing a member or the API sends can become markup.

/**
 * h('p', { class: 'note' }, 'text', child) → <p class="note">text…</p>.
 * Attributes: `class`, `for`, data-*, aria-*, boolean `true`/`false`, `on<event>` handlers.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'value') {
      el.value = value;
    } else if (name === 'checked') {
      el.checked = Boolean(value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  add(el, children);
  return el;
}

/** Appends children, skipping null, undefined and false (as `h` does). */
export function add(el, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces what `el` holds. */
export function fill(el, ...children) {
  el.replaceChildren();
  add(el, children);
  return el;
}

let ids = 0;
/** An id unique on this page, for label/aria wiring. */
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// The words of the seed portals for the API's values (docs/usage.md to docs/readers.md).
export const SERVICE = {
  line_notification: '回線情報通知',
  security: 'セキュリティ機能',
  remote_support: 'リモートサポートサービス',
  session_plus: 'フレッツ・セッションプラス',
  vpn_wide: 'フレッツ・VPN ワイド',
};
export const SERVICE_STATUS = {
  in_use: '利用中',
  not_contracted: '未契約',
  registering: '登録中',
  changing: '変更中',
  terminating: '廃止中',
};
export const SERIAL_STATUS = {
  awaiting_install: 'インストール待ち',
  in_use: '利用中',
  unavailable: '利用不可',
  expired: '期限切れ',
};
/** Why a serial is 利用不可, and what to use instead (docs/usage.md#unavailable-serials). */
export const UNAVAILABLE_REASON = {
  not_offered_on_line: 'ご利用の回線（コラボ光）では、標準のセキュリティ対策ツールはご提供していません。ライセンスプラスのシリアル番号をご利用ください（ご利用状況の「セキュリティ機能」からお申し込みいただけます）。',
  license_plus_ended: 'ライセンスプラスの台数の変更により、ご利用を終了したシリアル番号です。',
  membership_cancelled: 'ご解約により、ご利用を終了したシリアル番号です。',
};
export const PRODUCT = {
  'security-suite': 'セキュリティスイート',
  'mobile-security': 'モバイルセキュリティ',
};
export const PLAN = {
  standard: '標準（1台）',
  license_plus: 'セキュリティ機能ライセンス・プラス',
};
export const BILLING = {
  term: '期間契約',
  monthly: '月額（自動更新）',
};
export const OS = { windows: 'Windows', mac: 'Mac', android: 'Android' };
export const SETTING = { notify: '通知する', do_not_notify: '通知しない' };
export const READER_TYPE = {
  usb_windows: 'USBタイプ（Windows版）',
  usb_mac: 'USBタイプ（Mac版）',
  pc_card_windows: 'PCカードタイプ（Windows版）',
};
export const RECEIPT_KIND = {
  line_notification: '回線情報通知の通知可否設定',
  renewal: '更新ユーザー登録',
  reader_order: 'ICカードリーダーの追加申込み',
  service_application: 'サービスの申込・変更・廃止',
  cancellation: '解約',
};

/** A label for an API value, or the value itself when the portal does not know it yet. */
export function word(table, value) {
  return table[value] ?? value;
}

/** '2026-11-26' → '2026年11月26日'. */
export function date(iso) {
  if (!iso) return '—';
  const [y, m, d] = iso.split('-').map(Number);
  return `${y}年${m}月${d}日`;
}

/** An RFC 3339 instant → '2026年11月26日 14:05' in Japan time. */
export function instant(iso) {
  if (!iso) return '—';
  const at = new Date(iso);
  const parts = new Intl.DateTimeFormat('ja-JP', {
    timeZone: 'Asia/Tokyo',
    year: 'numeric', month: 'numeric', day: 'numeric',
    hour: '2-digit', minute: '2-digit',
  }).formatToParts(at);
  const part = (type) => parts.find((p) => p.type === type)?.value;
  return `${part('year')}年${part('month')}月${part('day')}日 ${part('hour')}:${part('minute')}`;
}

/** 2777 → '2,777円'. */
export function yen(amount) {
  return `${new Intl.NumberFormat('ja-JP').format(amount)}円`;
}

/** A status shown as a badge; `tone` picks its colour. */
export function badge(text, tone = 'neutral') {
  return h('span', { class: `badge badge--${tone}` }, text);
}

/** A <dl> of label/value pairs, skipping empty ones. */
export function facts(pairs, attrs = {}) {
  return h('dl', { class: 'facts', ...attrs },
    pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
      .map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))));
}

/** A notice box; `tone` ∈ info, success, warning, error. */
export function notice(tone, ...children) {
  const role = tone === 'error' ? 'alert' : undefined;
  return h('div', { class: `notice notice--${tone}`, role }, ...children);
}

/** The screen's heading, focused when the screen opens (for screen readers). */
export function heading(text) {
  return h('h1', { tabindex: '-1', 'data-screen-heading': true }, text);
}

/** Stepped flows (select → … → 受付完了): where the member is. */
export function steps(names, current) {
  return h('ol', { class: 'steps', 'aria-label': '手続きの流れ' },
    names.map((name, i) => h('li', {
      class: i === current ? 'steps__item steps__item--current' : (i < current ? 'steps__item steps__item--done' : 'steps__item'),
      'aria-current': i === current ? 'step' : undefined,
    }, h('span', { class: 'steps__no' }, String(i + 1)), h('span', { class: 'steps__name' }, name))));
}

/**
 * The card of a 受付完了 screen: the receipt number large, then when it was accepted and
 * the screen's own `rows`, then anything `more`.
 */
export function receiptCard(receipt, rows, ...more) {
  return h('div', { class: 'card' },
    h('p', { class: 'receipt-label' }, '受付番号'),
    h('p', { class: 'receipt-no mono' }, receipt.receipt_no),
    facts([['受付日時', instant(receipt.accepted_at)], ...rows]),
    ...more);
}

/** 印刷する: the print stylesheet leaves the receipt and drops the page's chrome. */
export function printButton() {
  return h('button', { type: 'button', class: 'button', onclick: () => window.print() }, '印刷する');
}
