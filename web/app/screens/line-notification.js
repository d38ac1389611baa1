// 回線情報通知の通知可否設定 (docs/line-notification.md): the member picks the service providers
// whose setting changes and to what, reads and agrees to the 同意書, gives the 申込者情報,
// checks the API's dry run, submits once, and keeps the receipt (受付完了).
//
// Each step is its own route (#/line-notification, …/consent, …/applicant, …/confirm,
// …/done), so Back moves between steps; what was chosen and typed lives in the flow's
// draft. A problem found later (by the dry run or the submission) is sent back to the step
// that owns it and shown there.
//
// Step 1 is here; 2 and 3 are every application's (application.js); 4 and 5 in
// line-notification-confirm.js; what they share in line-notification-shared.js.

import { api } from '../api.js';
import { add, h, notice, facts, word, date, uid, SETTING } from '../dom.js';
import {
  choices, errorSummary, showErrors, clearErrors,
} from '../forms.js';
import { showLater } from './application.js';
import {
  BASE, HEADINGS, SET_VIA, ln, settingBadge, other, groupName,
} from './line-notification-shared.js';
import { confirm, done } from './line-notification-confirm.js';

export function title(params) {
  const step = params.step ?? 'select';
  if (step === 'select' || !HEADINGS[step]) return HEADINGS.select;
  return `${HEADINGS[step]}（回線情報通知）`;
}

export async function render(ctx) {
  const step = ctx.params.step ?? 'select';
  const screens = {
    consent: ln.consent, applicant: ln.applicant, confirm, done,
  };
  if (ctx.params.step && !screens[step]) {
    ctx.go(BASE, { replace: true });
    return undefined;
  }
  return step === 'select' ? select(ctx) : screens[step](ctx);
}

// ---------------------------------------------------------------------------------------
// 1. The providers and what to change

async function select({ view, go }) {
  // A finished procedure is over: this is a new one.
  const { f } = ln;
  if (f.receipt()) f.clear();
  const pending = ln.takePending('select');
  const { providers } = await api('GET', '/v1/line-notification');

  // What was chosen before, as far as it still changes something.
  const state = f.get();
  const wanted = {};
  for (const p of providers) {
    const target = (state.changes ?? []).find((c) => c.provider_code === p.provider_code)?.setting;
    if (target && target !== p.setting) wanted[p.provider_code] = target;
  }
  const chosen = () => providers
    .filter((p) => wanted[p.provider_code])
    .map((p) => ({ provider_code: p.provider_code, setting: wanted[p.provider_code] }));
  f.set({ providers, changes: chosen() });

  const count = h('p', { class: 'ln-count', role: 'status' });
  const showCount = () => {
    const n = chosen().length;
    count.textContent = n ? `変更するサービス提供者: ${n}件` : '変更するサービス提供者はまだ選ばれていません。';
  };
  showCount();

  const groups = providers.map((p) => {
    // A change already accepted is being carried out (工事中): nothing more to choose
    // until it completes.
    if (p.pending) {
      return h('div', { class: 'card' },
        h('fieldset', { class: 'field ln-provider ln-provider--pending' },
          h('legend', {}, p.provider_name),
          facts([
            ['サービス名', p.service_name],
            ['サービス提供者コード', h('span', { class: 'mono' }, p.provider_code)],
            ['現在の設定', settingBadge(p.setting)],
            ['状態', h('span', { class: 'badge badge--warn' }, '変更中')],
            ['変更後の設定', word(SETTING, p.pending.setting)],
            ['注文番号', h('span', { class: 'mono' }, p.pending.order_no)],
          ], { class: 'facts ln-facts ln-provider__facts' }),
          h('p', { class: 'hint' }, `「${word(SETTING, p.pending.setting)}」への変更工事を行っています。工事が完了するまでは現在の設定のままです。完了後に、あらためて変更をお申し込みいただけます。`)));
    }
    const to = other(p.setting);
    const group = choices({
      name: groupName(p.provider_code),
      legend: p.provider_name,
      options: [
        { value: 'keep', label: `変更しない（「${word(SETTING, p.setting)}」のまま）` },
        { value: to, label: `「${word(SETTING, to)}」に変更する` },
      ],
      value: wanted[p.provider_code] ?? 'keep',
    });
    group.classList.add('ln-provider');
    group.querySelector('legend').after(facts([
      ['サービス名', p.service_name],
      ['サービス提供者コード', h('span', { class: 'mono' }, p.provider_code)],
      ['現在の設定', settingBadge(p.setting)],
      ['設定日', p.set_on ? date(p.set_on) : '—'],
      ['設定方法', p.set_via ? word(SET_VIA, p.set_via) : '初期設定（変更のお申し込みなし）'],
    ], { class: 'facts ln-facts ln-provider__facts' }));
    group.addEventListener('change', (event) => {
      const value = event.target.value;
      if (value === 'keep') delete wanted[p.provider_code];
      else wanted[p.provider_code] = value;
      f.set({ changes: chosen() });
      showCount();
    });
    return h('div', { class: 'card' }, group);
  });

  // The list as a whole is what "choose at least one" is about.
  const listError = uid('ln-changes-error');
  const list = h('fieldset', { class: 'field ln-providers', 'data-field': 'changes', 'aria-describedby': listError },
    h('legend', { class: 'ln-providers__legend' }, 'サービス提供者ごとの設定'),
    h('p', { class: 'field__error', id: listError, hidden: true }),
    groups);

  const next = h('button', { type: 'submit', class: 'button button--primary' }, '次へ');
  const form = h('form', { novalidate: true, class: 'ln-form' },
    errorSummary(),
    list,
    count,
    h('div', { class: 'actions' }, next, h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ戻る')));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const changes = chosen();
    if (!changes.length) {
      showErrors(form, [{
        field: 'changes',
        message: '変更するサービス提供者を1つ以上選び、「…に変更する」を選択してください。',
      }]);
      return;
    }
    clearErrors(form);
    f.set({ changes });
    go(`${BASE}/consent`);
  });

  ln.top(view, 'select');
  add(view,
    h('p', {}, '回線情報通知は、お客さまの回線がIPv6でサービス提供者に接続するときに、回線ごとの識別番号（お客さまID）をそのサービス提供者へ通知する機能です。サービス提供者ごとに「通知する」「通知しない」を選べます。'),
    h('p', {}, '設定を変更するサービス提供者について「…に変更する」を選び、「次へ」を押してください。このあと同意書のご確認、申込者情報の入力、変更内容の確認へと進みます。'),
    providers.length
      ? form
      : notice('info', h('p', {}, '通知先として登録されているサービス提供者はありません。')));
  showLater(form, pending);
  return undefined;
}
