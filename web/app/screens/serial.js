// One serial (docs/usage.md): its status, device and expiry, how to install it on a device,
// its release (利用をやめる) through its own steps, and its history, newest first.
//
// The portal never asks for a device ID: a member cannot know it, and a wrong guess would
// move the licence to a device that does not exist. Installing (and moving) is done by the
// tool on the device itself (セキュリティ申込・設定ツール), which calls the activation API;
// this page says how, in the words of the tool's own screens.

import { api } from '../api.js';
import {
  add, h, heading, facts, notice, word, instant, fill, steps, PRODUCT, PLAN, BILLING,
  UNAVAILABLE_REASON,
} from '../dom.js';
import { whileBusy } from '../forms.js';
import { support } from '../support.js';
import { serialBadge, expiry, device } from './usage.js';

export function title(params) {
  if (params.step === 'release') return `利用をやめる（確認） シリアル番号 ${params.serial}`;
  if (params.step === 'released') return `利用をやめる（完了） シリアル番号 ${params.serial}`;
  return `シリアル番号 ${params.serial}`;
}

const EVENT = {
  activated: '端末に登録',
  moved: '別の端末へ移動',
  reactivated: '同じ端末で再登録',
  deactivated: '端末での利用を終了',
};
/** History shown at once; the rest behind 「さらに表示」. */
const PAGE = 20;
const RELEASE_STEPS = ['確認', '完了'];

/** What a release answered, kept for its 完了 screen in this tab. */
const released = (serial) => `madoguchi.draft.released.${serial}`;

export async function render({ view, params, go }) {
  const usage = await api('GET', '/v1/usage');
  const serial = usage.serials.find((s) => s.serial === params.serial);
  if (!serial) {
    add(view, heading('シリアル番号が見つかりません'),
      notice('error', h('p', {}, 'このシリアル番号は、ログイン中のお客さまのご契約にありません。')),
      h('p', {}, h('a', { href: '#/usage' }, 'ご利用状況へ戻る')));
    return undefined;
  }
  if (params.step === 'release') return releaseStep(view, serial, go);
  if (params.step === 'released') return releasedStep(view, serial, go);
  if (params.step) {
    go(`/serials/${encodeURIComponent(serial.serial)}`, { replace: true });
    return undefined;
  }
  const desk = await support();
  const history = h('section', { 'aria-labelledby': 'history-title' });
  await loadHistory(history, serial.serial);
  add(view,
    h('p', {}, h('a', { href: '#/usage' }, '← ご利用状況へ戻る')),
    heading(`${word(PRODUCT, serial.product)}のシリアル番号`),
    summaryCard(serial),
    what(serial, desk),
    history);
  return undefined;
}

function summaryCard(s) {
  return h('div', { class: 'card' }, facts([
    ['シリアル番号', h('span', { class: 'mono' }, s.serial)],
    ['製品', word(PRODUCT, s.product)],
    ['状態', serialBadge(s.status)],
    ['プラン', word(PLAN, s.plan)],
    ['契約', word(BILLING, s.billing)],
    ['有効期限', expiry(s)],
    s.status === 'unavailable' ? null : [
      s.status === 'expired' ? '登録していた端末' : '利用中の端末',
      s.status === 'expired' && s.device ? `${device(s.device)}（期限切れのため保護されていません）` : device(s.device),
    ],
    s.device ? ['登録日時', instant(s.device.activated_at)] : null,
  ].filter(Boolean)));
}

/** What the member can do with the serial now. */
function what(s, desk) {
  if (s.status === 'unavailable') {
    return notice('info', h('p', {}, word(UNAVAILABLE_REASON, s.unavailable_reason)));
  }
  const parts = [];
  if (s.status === 'expired') {
    parts.push(notice('warning',
      h('p', { class: 'notice__title' }, '有効期限が切れています'),
      h('p', {}, s.renewable
        ? '購入コードで更新すると、本日から新しい期間でご利用いただけます。'
        : 'プログラムのバージョンが古いため、このままでは更新できません。最新版にバージョンアップしてから更新してください。'),
      s.renewable
        ? h('p', {}, h('a', { class: 'button button--primary', href: `#/renewal?serial=${encodeURIComponent(s.serial)}` }, '更新する'))
        : h('p', {}, desk ? h('a', { href: desk.upgrade_url, rel: 'noopener' }, '最新版のダウンロード') : null)));
    // Installing an expired licence is refused until it is renewed: no steps to follow.
    return parts;
  }
  parts.push(installCard(s, desk));
  if (s.status === 'in_use') {
    parts.push(h('section', { class: 'card', 'aria-labelledby': 'release-title' },
      h('h2', { class: 'card__title', id: 'release-title' }, 'この端末での利用をやめる'),
      h('p', {}, `「${s.device.name}」からこのシリアル番号を外し、インストール待ちに戻します。外した端末は保護されなくなります。`),
      h('p', {}, h('a', { class: 'button', href: `#/serials/${encodeURIComponent(s.serial)}/release` }, '利用をやめる'))));
  }
  return parts;
}

/** How to install the serial on a device: by the tool, on the device itself (seed 000). */
function installCard(s, desk) {
  const moving = s.status === 'in_use';
  const download = desk
    ? h('a', { href: desk.upgrade_url, rel: 'noopener' }, 'セキュリティ対策ツールのダウンロード')
    : 'セキュリティ対策ツールのダウンロードページ';
  return h('section', { class: 'card', 'aria-labelledby': 'install-title' },
    h('h2', { class: 'card__title', id: 'install-title' }, moving ? '別の端末で使うには' : '端末にインストールするには'),
    moving
      ? notice('warning',
        h('p', { class: 'notice__title' }, '別の端末で使うと、今の端末は保護されなくなります'),
        h('p', {}, `このシリアル番号は1台の端末（1OS）でだけ使えます。別の端末にインストールすると、いま利用中の「${s.device.name}」ではウイルス対策などの保護が止まります。`))
      : null,
    h('p', {}, 'インストールは、使う端末の上で行います。この画面での入力は不要です。'),
    h('ol', {},
      h('li', {}, 'その端末で、', download, 'からセキュリティ対策ツールをダウンロードします。'),
      h('li', {}, 'デスクトップまたはスタートメニューから［セキュリティ申込・設定ツール］を起動し、［次へ］をクリックします。'),
      h('li', {}, '［お客さまID］と［アクセスキー］を入力し、［ログイン］をクリックします。アクセスキーは大文字と小文字を区別します。'),
      h('li', {}, `表示されたシリアル番号の一覧から「${s.serial}」を選び、画面の案内に従ってインストールします。`),
      h('li', {}, 'インストールが終わると、このページの状態が「利用中」になり、端末の名前が表示されます。')));
}

async function loadHistory(section, serial) {
  // The API pages oldest first; the page shows the newest first, so every page is read
  // (a serial moves when its member installs it: its history stays short).
  const events = [];
  try {
    let cursor = null;
    do {
      const query = new URLSearchParams({ limit: '200' });
      if (cursor) query.set('cursor', cursor);
      const answer = await api('GET', `/v1/serials/${encodeURIComponent(serial)}/history?${query}`);
      events.push(...answer.events);
      cursor = answer.next_cursor;
    } while (cursor);
  } catch (problem) {
    if (problem.status === 401) throw problem;
    fill(section, h('h2', { id: 'history-title' }, '利用履歴'),
      notice('error', h('p', {}, '利用履歴を読み込めませんでした。時間をおいてページを読み込み直してください。')));
    return;
  }
  events.reverse();

  const list = h('ol', { class: 'history' });
  const more = h('button', { type: 'button', class: 'button' }, 'さらに表示');
  let shown = 0;
  const showMore = () => {
    for (const event of events.slice(shown, shown + PAGE)) {
      list.append(h('li', {},
        h('span', { class: 'history__when' }, instant(event.at)), ' ',
        h('span', { class: 'history__what' }, word(EVENT, event.kind)), ' ',
        event.device ? h('span', { class: 'history__device' }, device(event.device)) : null));
    }
    shown = Math.min(events.length, shown + PAGE);
    more.hidden = shown >= events.length;
  };
  more.addEventListener('click', showMore);
  showMore();
  fill(section, h('h2', { id: 'history-title' }, '利用履歴（新しい順）'),
    events.length ? list : h('p', {}, 'まだ履歴はありません。'), more);
}

// ---------------------------------------------------------------------------------------
// 利用をやめる: 確認 → 完了

function releaseStep(view, s, go) {
  const back = `#/serials/${encodeURIComponent(s.serial)}`;
  if (s.status !== 'in_use') {
    go(`/serials/${encodeURIComponent(s.serial)}`, { replace: true });
    return undefined;
  }
  const problemPlace = h('div');
  const submit = h('button', { type: 'button', class: 'button button--danger' }, '利用をやめる');
  submit.addEventListener('click', () => whileBusy(submit, '処理中…', async () => {
    try {
      const answer = await api('DELETE', `/v1/serials/${encodeURIComponent(s.serial)}/activation`);
      sessionStorage.setItem(released(s.serial), JSON.stringify({
        device: s.device, status: answer.status, at: new Date().toISOString(),
      }));
      go(`/serials/${encodeURIComponent(s.serial)}/released`, { replace: true });
    } catch (problem) {
      problemPlace.replaceChildren(notice('error', h('p', {}, problem.detail || problem.title || problem.message)));
    }
  }));
  add(view,
    steps(RELEASE_STEPS, 0),
    heading('この端末での利用をやめる'),
    h('p', {}, '以下の内容でよろしければ「利用をやめる」を押してください。'),
    h('div', { class: 'card' }, facts([
      ['シリアル番号', h('span', { class: 'mono' }, s.serial)],
      ['利用をやめる端末', device(s.device)],
      ['やめたあとの状態', 'インストール待ち'],
    ])),
    notice('warning', h('p', {}, `「${s.device.name}」は、ウイルス対策などの保護が止まります。シリアル番号はインストール待ちに戻り、別の端末で使えます。`)),
    problemPlace,
    h('div', { class: 'actions' }, submit, h('a', { class: 'button', href: back }, 'やめずに戻る')));
  return undefined;
}

function releasedStep(view, s, go) {
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(released(s.serial)));
  } catch {
    kept = null;
  }
  // Shown once: a reload or a later visit goes to the serial's page.
  sessionStorage.removeItem(released(s.serial));
  if (!kept) {
    go(`/serials/${encodeURIComponent(s.serial)}`, { replace: true });
    return undefined;
  }
  add(view,
    steps(RELEASE_STEPS, 1),
    heading('利用をやめました'),
    notice('success', h('p', {}, `「${kept.device.name}」でのシリアル番号 ${s.serial} の利用をやめました。シリアル番号はインストール待ちです。`)),
    h('div', { class: 'card' }, facts([
      ['シリアル番号', h('span', { class: 'mono' }, s.serial)],
      ['利用をやめた端末', device(kept.device)],
      ['日時', instant(kept.at)],
      ['現在の状態', serialBadge(s.status)],
    ])),
    h('div', { class: 'actions' },
      h('a', { class: 'button button--primary', href: `#/serials/${encodeURIComponent(s.serial)}` }, 'シリアル番号の詳細へ'),
      h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ戻る')));
  return undefined;
}
