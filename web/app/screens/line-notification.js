// 回線情報通知の通知可否設定 (docs/line-notification.md): the member picks the service providers
// whose setting changes and to what, reads and agrees to the 同意書, gives the 申込者情報,
// checks the API's dry run, submits once, and keeps the receipt (受付完了).
//
// Each step is its own route (#/line-notification, …/consent, …/applicant, …/confirm,
// …/done), so Back moves between steps; what was chosen and typed lives in the flow's
// draft. A problem found later (by the dry run or the submission) is sent back to the step
// that owns it and shown there.
//
// Steps 1 to 3 are here; 4 and 5 in line-notification-confirm.js; what they share in
// line-notification-shared.js.

import { api } from '../api.js';
import { add, h, notice, facts, word, date, uid, SETTING } from '../dom.js';
import {
  field, choices, errorSummary, showErrors, clearErrors, whileBusy,
} from '../forms.js';
import * as session from '../session.js';
import {
  BASE, PATH, f, HEADINGS, SET_VIA, LABELS, MESSAGES, top, settingBadge, other, groupName,
  takePending, showLater, missingStep, bodyOf, sendBack, showProblem, backLink,
} from './line-notification-shared.js';
import { confirm, done } from './line-notification-confirm.js';

export function title(params) {
  const step = params.step ?? 'select';
  if (step === 'select' || !HEADINGS[step]) return HEADINGS.select;
  return `${HEADINGS[step]}（回線情報通知）`;
}

export async function render(ctx) {
  const step = ctx.params.step ?? 'select';
  const screens = { consent, applicant, confirm, done };
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
  if (f.receipt()) f.clear();
  const pending = takePending('select');
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

  top(view, 'select');
  add(view,
    h('p', {}, '回線情報通知は、お客さまの回線がIPv6でサービス提供者に接続するときに、回線ごとの識別番号（お客さまID）をそのサービス提供者へ通知する機能です。サービス提供者ごとに「通知する」「通知しない」を選べます。'),
    h('p', {}, '設定を変更するサービス提供者について「…に変更する」を選び、「次へ」を押してください。このあと同意書のご確認、申込者情報の入力、変更内容の確認へと進みます。お申し込みは1日10件まで受け付けます。'),
    providers.length
      ? form
      : notice('info', h('p', {}, '通知先として登録されているサービス提供者はありません。')));
  showLater(form, pending);
  return undefined;
}

// ---------------------------------------------------------------------------------------
// 2. 同意書

async function consent({ view, go }) {
  if (f.receipt()) {
    go(`${BASE}/done`, { replace: true });
    return undefined;
  }
  const state = f.get();
  const lacking = missingStep(state, 'consent');
  if (lacking) {
    go(lacking, { replace: true });
    return undefined;
  }
  const pending = takePending('consent');
  const terms = await api('GET', '/v1/terms/line-notification');
  const revised = state.consent?.agreed && state.consent.terms_version !== terms.version;
  const agreed = Boolean(state.consent?.agreed) && !revised;
  if (revised) f.set({ consent: { terms_version: terms.version, agreed: false } });

  const titleId = uid('ln-terms');
  const box = h('div', {
    class: 'terms', tabindex: '0', role: 'region', 'aria-labelledby': titleId,
  }, terms.body);
  const agree = choices({
    name: 'agreed',
    legend: '同意書への同意',
    type: 'checkbox',
    options: [{ value: 'yes', label: '上記の同意書の内容を確認し、同意する' }],
    value: agreed ? ['yes'] : [],
    required: true,
  });
  const checkbox = agree.querySelector('input');
  checkbox.addEventListener('change', () => {
    f.set({ consent: { terms_version: terms.version, agreed: checkbox.checked } });
  });

  const form = h('form', { novalidate: true, class: 'ln-form', 'aria-labelledby': titleId },
    errorSummary(),
    h('h2', { id: titleId }, terms.title),
    box,
    h('p', { class: 'field__hint' }, `同意書の版: ${terms.version}`),
    agree,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button button--primary' }, '次へ'),
      backLink(BASE, '同意しない（選択に戻る）')));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!checkbox.checked) {
      showErrors(form, [{
        field: 'agreed',
        message: 'お申し込みには同意書への同意が必要です。内容をご確認のうえ「同意する」にチェックを入れてください。',
      }]);
      return;
    }
    clearErrors(form);
    f.set({ consent: { terms_version: terms.version, agreed: true } });
    go(`${BASE}/applicant`);
  });

  top(view, 'consent');
  add(view,
    h('p', {}, '回線情報通知の設定を変更するには、以下の同意書に同意していただく必要があります。同意される場合は「同意する」にチェックを入れて「次へ」を押してください。'),
    revised ? notice('warning', h('p', {}, '同意書の内容が改定されました。改めてお読みいただき、同意をお願いします。')) : null,
    h('div', { class: 'card' }, form));
  showLater(form, pending);
  return undefined;
}

// ---------------------------------------------------------------------------------------
// 3. 申込者情報

async function applicant({ view, go }) {
  if (f.receipt()) {
    go(`${BASE}/done`, { replace: true });
    return undefined;
  }
  const state = f.get();
  const lacking = missingStep(state, 'applicant');
  if (lacking) {
    go(lacking, { replace: true });
    return undefined;
  }
  const pending = takePending('applicant');
  const typed = state.applicant ?? { name: session.customer()?.name ?? '' };

  const name = field({
    name: 'name',
    label: LABELS.name,
    hint: '20文字以内で入力してください。「~」「|」「&」「%」は使えません。全角でも入力できます。',
    required: true,
    value: typed.name ?? '',
    attrs: { autocomplete: 'name' },
  });
  const phone = field({
    name: 'phone',
    label: LABELS.phone,
    hint: '数字とハイフンで10桁または11桁（例: 06-1234-5678）。全角でも入力できます。',
    type: 'tel',
    required: true,
    value: typed.phone ?? '',
    attrs: { autocomplete: 'tel' },
  });
  const email = field({
    name: 'email',
    label: LABELS.email,
    hint: '工事完了通知メールを受け取る場合は必ず入力してください。携帯電話のメールアドレス（docomo.ne.jp、ezweb.ne.jp、au.com、softbank.ne.jp、i.softbank.jp、ymobile.ne.jp）には工事完了通知をお送りできません。',
    value: typed.email ?? '',
    attrs: {
      inputmode: 'email', autocomplete: 'email', autocapitalize: 'off', spellcheck: 'false',
    },
  });
  const completion = choices({
    name: 'completion_email',
    legend: LABELS.completion_email,
    type: 'checkbox',
    options: [{
      value: 'yes',
      label: '工事完了通知メールを受け取る',
      hint: '設定の変更が完了したことを、ご連絡先メールアドレスにお知らせします。',
    }],
    value: typed.completion_email ? ['yes'] : [],
  });
  const wants = completion.querySelector('input');

  const read = () => ({
    name: name.input.value,
    phone: phone.input.value,
    email: email.input.value,
    completion_email: wants.checked,
  });
  const save = () => f.set({ applicant: read() });

  const problemPlace = h('div');
  const next = h('button', { type: 'submit', class: 'button button--primary' }, '次へ');
  const form = h('form', { novalidate: true, class: 'ln-form', 'aria-labelledby': 'ln-applicant-title' },
    errorSummary(),
    h('h2', { id: 'ln-applicant-title' }, 'お申し込みされる方の情報'),
    h('p', { class: 'field__hint' }, '「必須」の項目は必ず入力してください。'),
    name, phone, email, completion,
    h('div', { class: 'actions' }, next, backLink(`${BASE}/consent`)));
  form.addEventListener('input', save);
  form.addEventListener('change', save);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problemPlace.replaceChildren();
    const now = read();
    f.set({ applicant: now });
    const errors = [];
    if (!now.name.trim()) errors.push({ field: 'name', message: MESSAGES.name.required });
    if (!now.phone.trim()) errors.push({ field: 'phone', message: MESSAGES.phone.required });
    if (now.completion_email && !now.email.trim()) errors.push({ field: 'email', message: MESSAGES.email.required });
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    clearErrors(form);
    // The dry run checks everything the server checks, so its answers show here at once.
    await whileBusy(next, '確認中…', async () => {
      try {
        await api('POST', PATH, { body: { ...bodyOf(f.get()), dry_run: true } });
        go(`${BASE}/confirm`);
      } catch (problem) {
        const back = await sendBack(problem, 'applicant', go);
        if (Array.isArray(back)) showErrors(form, back);
        else if (!back) showProblem(problemPlace, h('p', {}, problem.detail || problem.title || problem.message));
      }
    });
  });

  top(view, 'applicant');
  add(view,
    h('p', {}, 'お申し込みされる方のお名前とご連絡先を入力してください。工事完了通知メールをご希望の場合は、ご連絡先メールアドレスを入力し「工事完了通知メールを受け取る」にチェックを入れてください。'),
    problemPlace,
    h('div', { class: 'card' }, form));
  showLater(form, pending);
  return undefined;
}
