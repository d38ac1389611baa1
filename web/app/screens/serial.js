// One serial (docs/usage.md): its status, device and expiry, its history (paged), and the two
// things a member does with it here: move it to another device, or stop using it on the
// current one. Both say plainly that the device it leaves is no longer protected.

import { api, newKey } from '../api.js';
import { add, h, heading, facts, notice, word, instant, fill, PRODUCT, PLAN, BILLING, OS } from '../dom.js';
import { field, choices, errorSummary, showErrors, clearErrors, whileBusy, missing, problemErrors, draft, keepDraft } from '../forms.js';
import { serialBadge, expiry, device } from './usage.js';

export const title = (params) => `シリアル番号 ${params.serial}`;

const EVENT = {
  activated: '端末に登録',
  moved: '別の端末へ移動',
  reactivated: '同じ端末で再登録',
  deactivated: '端末での利用を終了',
};
const PAGE = 20;

export async function render({ view, params }) {
  const usage = await api('GET', '/v1/usage');
  const serial = usage.serials.find((s) => s.serial === params.serial);
  if (!serial) {
    add(view, heading('シリアル番号が見つかりません'),
      notice('error', h('p', {}, 'このシリアル番号は、ログイン中のお客さまのご契約にありません。')),
      h('p', {}, h('a', { href: '#/usage' }, 'ご利用状況へ戻る')));
    return;
  }
  const status = h('div', { role: 'status', 'aria-live': 'polite' });
  const summary = h('div');
  const actions = h('div');
  const history = h('section', { 'aria-labelledby': 'history-title' });

  const show = (current) => {
    fill(summary, h('div', { class: 'card' }, facts([
      ['シリアル番号', h('span', { class: 'mono' }, current.serial)],
      ['製品', word(PRODUCT, current.product)],
      ['状態', serialBadge(current.status)],
      ['プラン', word(PLAN, current.plan)],
      ['契約', word(BILLING, current.billing)],
      ['有効期限', expiry(current)],
      ['利用中の端末', current.status === 'unavailable' ? 'この回線ではご利用いただけません' : device(current.device)],
      current.device ? ['登録日時', instant(current.device.activated_at)] : null,
    ].filter(Boolean))));
    fill(actions, deviceActions(current, (changed, message) => {
      show(changed);
      status.replaceChildren(notice('success', h('p', {}, message)));
      loadHistory(history, current.serial);
      status.querySelector('.notice')?.setAttribute('tabindex', '-1');
      status.querySelector('.notice')?.focus();
    }));
  };
  show(serial);
  await loadHistory(history, serial.serial);

  add(view,
    h('p', {}, h('a', { href: '#/usage' }, '← ご利用状況へ戻る')),
    heading(`${word(PRODUCT, serial.product)}のシリアル番号`),
    status, summary, actions, history);
}

async function loadHistory(section, serial) {
  const list = h('ol', { class: 'history' });
  const more = h('button', { type: 'button', class: 'button' }, 'さらに表示');
  const page = async (cursor) => {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) query.set('cursor', cursor);
    const answer = await api('GET', `/v1/serials/${encodeURIComponent(serial)}/history?${query}`);
    for (const event of answer.events) {
      list.append(h('li', {},
        h('span', { class: 'history__when' }, instant(event.at)), ' ',
        h('span', { class: 'history__what' }, word(EVENT, event.kind)), ' ',
        event.device ? h('span', { class: 'history__device' }, device(event.device)) : null));
    }
    more.hidden = !answer.next_cursor;
    more.onclick = () => whileBusy(more, '読み込み中…', async () => {
      try {
        await page(answer.next_cursor);
      } catch (problem) {
        more.after(notice('error', h('p', {}, problem.detail || problem.title)));
      }
    });
    return answer.events.length;
  };
  fill(section, h('h2', { id: 'history-title' }, '利用履歴（古い順）'));
  const count = await page(null);
  add(section, count ? list : h('p', {}, 'まだ履歴はありません。'), more);
}

/** 端末の登録・移動・利用終了: a form, then a confirmation that names what is lost. */
function deviceActions(serial, changed) {
  if (serial.status === 'unavailable') {
    return notice('info', h('p', {}, 'このシリアル番号は、ご利用の回線では使えません（利用不可）。'));
  }
  const box = h('section', { 'aria-labelledby': 'device-title' });
  const moving = serial.status === 'in_use';
  const store = draft(`device.${serial.serial}`);
  const saved = store.load();

  const name = field({ name: 'name', label: '端末の名前', hint: 'ご自分で区別できる名前です（例: リビングのパソコン）。64文字まで。', required: true, value: saved.name ?? '' });
  const os = choices({
    name: 'os', legend: '端末の種類', required: true, value: saved.os ?? null,
    options: Object.entries(OS).map(([value, label]) => ({ value, label })),
  });
  const deviceId = field({
    name: 'device_id', label: '端末ID',
    hint: 'セキュリティ対策ツールの「端末情報」に表示される英数字です。',
    required: true, value: saved.device_id ?? '',
    attrs: { autocapitalize: 'off', spellcheck: 'false' },
  });
  const next = h('button', { type: 'submit', class: 'button button--primary' }, '確認へ進む');
  const form = h('form', { novalidate: true }, errorSummary(), name, os, deviceId, h('div', { class: 'actions' }, next));
  keepDraft(form, store);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const empty = missing(form, {
      name: '端末の名前を入力してください。',
      os: '端末の種類を選んでください。',
      device_id: '端末IDを入力してください。',
    });
    if (empty.length) return showErrors(form, empty);
    clearErrors(form);
    const body = {
      device_id: deviceId.input.value,
      os: form.querySelector('input[name="os"]:checked').value,
      name: name.input.value,
    };
    return confirmMove(serial, body, form, changed, () => store.clear());
  });

  add(box,
    h('h2', { id: 'device-title' }, moving ? '別の端末に移す' : '端末に登録する'),
    moving
      ? notice('warning',
        h('p', { class: 'notice__title' }, '移すと、今の端末は保護されなくなります'),
        h('p', {}, `このシリアル番号は1台の端末でだけ使えます。別の端末に移すと、いま利用中の「${serial.device.name}」ではウイルス対策などの保護が止まります。`))
      : h('p', {}, 'このシリアル番号はインストール待ちです。使う端末の情報を入力してください。'),
    h('div', { class: 'card' }, form));

  if (moving) {
    const release = h('button', { type: 'button', class: 'button button--danger' }, 'この端末での利用をやめる');
    release.addEventListener('click', () => confirmRelease(serial, changed));
    add(box,
      h('h2', {}, '今の端末での利用をやめる'),
      h('p', {}, `「${serial.device.name}」からこのシリアル番号を外し、インストール待ちに戻します。外した端末は保護されなくなります。`),
      h('p', {}, release));
  }
  return box;
}

/** A modal confirmation with the consequence spelled out; resolves when it closes. */
function confirmDialog({ title, body, confirm, danger = false, onConfirm }) {
  const error = h('div');
  const yes = h('button', { type: 'button', class: danger ? 'button button--danger' : 'button button--primary' }, confirm);
  const no = h('button', { type: 'button', class: 'button' }, 'やめる');
  const titleId = `dialog-${Date.now()}`;
  const dialog = h('dialog', { 'aria-labelledby': titleId },
    h('h2', { id: titleId }, title), body, error, h('div', { class: 'actions' }, yes, no));
  no.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  yes.addEventListener('click', () => whileBusy(yes, '処理中…', async () => {
    try {
      await onConfirm();
      dialog.close();
    } catch (problem) {
      fill(error, notice('error', h('p', {}, problem.detail || problem.title)));
    }
  }));
  document.body.append(dialog);
  dialog.showModal();
  no.focus();
}

function confirmMove(serial, body, form, changed, forget) {
  // One key per confirmation: a double click or a retry sends the same key (docs/api.md).
  const key = newKey();
  const moving = serial.status === 'in_use';
  confirmDialog({
    title: moving ? 'この端末に移しますか' : 'この端末に登録しますか',
    confirm: moving ? '移す' : '登録する',
    danger: moving,
    body: h('div', {},
      facts([
        ['シリアル番号', h('span', { class: 'mono' }, serial.serial)],
        moving ? ['今の端末（保護が止まります）', device(serial.device)] : null,
        ['新しい端末', `${body.name}（${word(OS, body.os)}）`],
        ['端末ID', h('span', { class: 'mono' }, body.device_id)],
      ].filter(Boolean)),
      moving ? notice('warning', h('p', {}, `移すと「${serial.device.name}」は保護されなくなります。`)) : null),
    onConfirm: async () => {
      try {
        const answer = await api('POST', `/v1/serials/${encodeURIComponent(serial.serial)}/activation`, { body, key });
        forget();
        const previous = answer.previous_device;
        changed({ ...serial, status: answer.status, device: answer.device },
          previous
            ? `「${answer.device.name}」に移しました。「${previous.name}」は保護されなくなりました。`
            : `「${answer.device.name}」に登録しました。`);
      } catch (problem) {
        if (problem.code === 'validation_failed') {
          showErrors(form, problemErrors(problem));
          return;
        }
        throw problem;
      }
    },
  });
}

function confirmRelease(serial, changed) {
  confirmDialog({
    title: 'この端末での利用をやめますか',
    confirm: '利用をやめる',
    danger: true,
    body: h('div', {},
      h('p', {}, `「${serial.device.name}」からシリアル番号 ${serial.serial} を外します。`),
      notice('warning', h('p', {}, 'この端末はウイルス対策などの保護が止まります。シリアル番号はインストール待ちに戻り、別の端末で使えます。'))),
    onConfirm: async () => {
      const answer = await api('DELETE', `/v1/serials/${encodeURIComponent(serial.serial)}/activation`);
      changed({ ...serial, status: answer.status, device: null }, `「${serial.device.name}」での利用をやめました。シリアル番号はインストール待ちです。`);
    },
  });
}
