// ご利用状況 (docs/usage.md): the line's services with their states, and every serial with its
// status, device and expiry, each leading to its own page (history, moving, releasing).

import { api } from '../api.js';
import {
  add, h, heading, badge, facts, notice, word, date,
  SERVICE, SERVICE_STATUS, SERIAL_STATUS, PRODUCT, PLAN, BILLING, OS, UNAVAILABLE_REASON,
} from '../dom.js';
import { support } from '../support.js';

export const title = 'ご利用状況';

/** How many days until `iso` (a Japan date), counted in whole days. */
export function daysUntil(iso) {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
  return Math.round((Date.parse(iso) - Date.parse(today)) / 86_400_000);
}

export function serialBadge(status) {
  const tone = {
    in_use: 'ok', awaiting_install: 'warn', unavailable: 'bad', expired: 'bad',
  }[status] ?? 'neutral';
  return badge(word(SERIAL_STATUS, status), tone);
}

/** The expiry as a member reads it: the date, and a word when it is near or past. */
export function expiry(serial) {
  if (serial.billing === 'monthly' || !serial.expires_on) return '月額のため期限はありません（自動更新）';
  const left = daysUntil(serial.expires_on);
  if (left < 0) return [date(serial.expires_on), ' ', badge('期限切れ', 'bad')];
  if (left <= 30) return [date(serial.expires_on), ' ', badge(`あと${left}日`, 'warn')];
  return date(serial.expires_on);
}

export function device(d) {
  if (!d) return 'なし';
  return `${d.name}（${word(OS, d.os)}）`;
}

/** 【詳細・申込・変更】: 回線情報通知 has its own procedure; every other service its page. */
function serviceHref(service) {
  return service === 'line_notification' ? '#/line-notification' : `#/services/${encodeURIComponent(service)}`;
}

export async function render({ view }) {
  const [usage, desk] = await Promise.all([api('GET', '/v1/usage'), support()]);
  const upgrade = () => (desk ? h('a', { href: desk.upgrade_url, rel: 'noopener' }, '最新版のダウンロード') : null);

  const services = h('table', { class: 'table table--stack' },
    h('caption', { class: 'visually-hidden' }, 'ご契約中のサービス'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'サービス'),
      h('th', { scope: 'col' }, '状態'),
      h('th', { scope: 'col' }, 'お手続き'))),
    h('tbody', {}, usage.services.map((s) => h('tr', {},
      h('td', { 'data-label': 'サービス' }, word(SERVICE, s.service)),
      h('td', { 'data-label': '状態' }, badge(word(SERVICE_STATUS, s.status), s.status === 'in_use' ? 'ok' : 'neutral')),
      h('td', { 'data-label': 'お手続き' }, h('a', { href: serviceHref(s.service) },
        '詳細・申込・変更', h('span', { class: 'visually-hidden' }, `（${word(SERVICE, s.service)}）`)))))));

  const serials = usage.serials.map((s) => {
    const nearing = s.billing === 'term' && s.expires_on && daysUntil(s.expires_on) <= 30;
    const unavailable = s.status === 'unavailable';
    const expired = s.status === 'expired';
    return h('article', { class: 'card', 'aria-labelledby': `serial-${s.serial}` },
      h('h3', { class: 'card__title', id: `serial-${s.serial}` },
        word(PRODUCT, s.product), ' ', serialBadge(s.status)),
      facts([
        ['シリアル番号', h('span', { class: 'mono' }, s.serial)],
        ['プラン', word(PLAN, s.plan)],
        ...(unavailable ? [] : [['契約', word(BILLING, s.billing)], ['有効期限', expiry(s)]]),
        ...(unavailable ? [] : [['利用中の端末', expired && s.device ? `${device(s.device)}（期限切れのため保護されていません）` : device(s.device)]]),
      ]),
      unavailable ? h('p', {}, word(UNAVAILABLE_REASON, s.unavailable_reason)) : null,
      expired ? h('p', {}, s.renewable
        ? '有効期限が切れています。購入コードで更新すると、本日から新しい期間でご利用いただけます。'
        : '有効期限が切れています。') : null,
      s.upgrade_required && (nearing || expired)
        ? h('p', {}, 'プログラムのバージョンが古いため、このままでは更新できません。最新版にバージョンアップしてから更新してください。', upgrade())
        : null,
      // docs/usage.md: a 利用不可 serial has nothing to do on its own page.
      h('div', { class: 'actions' },
        s.renewable && (nearing || expired)
          ? h('a', { class: 'button button--primary', href: `#/renewal?serial=${encodeURIComponent(s.serial)}` },
            '更新する', h('span', { class: 'visually-hidden' }, `（${s.serial}）`))
          : null,
        unavailable ? null : h('a', { class: 'button', href: `#/serials/${encodeURIComponent(s.serial)}` },
          '詳細・インストール方法', h('span', { class: 'visually-hidden' }, `（${s.serial}）`))));
  });

  add(view,
    heading('ご利用状況'),
    facts([['お客さまID', h('span', { class: 'mono' }, usage.customer_id)], ['お名前', `${usage.name} 様`]]),
    h('h2', {}, 'サービス'),
    usage.services.length ? services : h('p', {}, 'ご契約中のサービスはありません。'),
    h('h2', {}, 'セキュリティ対策ツールのシリアル番号'),
    usage.serials.some((s) => s.status === 'awaiting_install')
      ? notice('info', h('p', {}, '「インストール待ち」のシリアル番号は、まだどの端末にも登録されていません。'))
      : null,
    serials,
  );
}
