// 回線情報通知の通知可否設定 (docs/line-notification.md, seed 001): the member picks the service providers
// whose setting changes and to what, reads and agrees to the 同意書, gives the 申込者情報,
// checks the API's dry run, submits once, and keeps the receipt (受付完了).
//
// Each step is its own route (#/line-notification, …/consent, …/applicant, …/confirm,
// …/done), so Back moves between steps; what was chosen and typed lives in the flow's
// draft. A problem found later (by the dry run or the submission) is sent back to the step
// that owns it and shown there.

import { api } from '../api.js';
import {
  add, h, heading, notice, facts, badge, word, date, instant, steps, uid, SETTING,
} from '../dom.js';
import { field, choices, errorSummary, showErrors, clearErrors, whileBusy } from '../forms.js';
import { flow } from '../flow.js';
import * as session from '../session.js';

const BASE = '/line-notification';
const PATH = '/v1/line-notification/applications';
const f = flow('line-notification');

const STEP_NAMES = ['提供者の選択', '同意書', '申込者情報', '確認', '受付完了'];
const STEP_INDEX = { select: 0, consent: 1, applicant: 2, confirm: 3, done: 4 };
const HEADINGS = {
  select: '回線情報通知の通知可否設定',
  consent: '同意書のご確認',
  applicant: '申込者情報の入力',
  confirm: '変更内容の確認',
  done: '受付完了',
};

/** 設定方法: how a provider's current setting came to be. */
const SET_VIA = {
  web: '会員ポータルからのお申し込み',
  cancellation: 'ご解約に伴う変更',
};

/** The API's field paths and the names of the 申込者情報 form's fields. */
const APPLICANT_FIELDS = {
  'applicant.name': 'name',
  'applicant.phone': 'phone',
  'applicant.email': 'email',
  'applicant.completion_email': 'completion_email',
};
const LABELS = {
  name: 'お名前',
  phone: 'ご連絡先電話番号',
  email: 'ご連絡先メールアドレス',
  completion_email: '工事完了通知メール',
};

/** Messages that name their field, so that each line of the summary reads on its own. */
const MESSAGES = {
  name: {
    required: 'お名前を入力してください。',
    name_too_long: 'お名前は20文字以内で入力してください。',
    forbidden_character: 'お名前に使用できない文字が含まれています。「~」「～」「|」「｜」「&」「%」は使えません。',
  },
  phone: {
    required: 'ご連絡先電話番号を入力してください。',
    invalid_phone: 'ご連絡先電話番号は、数字とハイフンで10桁または11桁で入力してください（例: 06-1234-5678）。',
  },
  email: {
    required: '工事完了通知メールを受け取る場合は、ご連絡先メールアドレスを入力してください。',
    invalid_email: 'ご連絡先メールアドレスの形式が正しくありません（例: taro@example.jp）。',
    mobile_email_not_allowed: '携帯電話のメールアドレスには工事完了通知をお送りできません。別のメールアドレスを入力するか、「工事完了通知メールを受け取る」のチェックを外してください。',
  },
};

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
// Shared pieces

function top(view, step) {
  add(view, heading(HEADINGS[step]), steps(STEP_NAMES, STEP_INDEX[step]));
}

function settingBadge(setting) {
  return badge(word(SETTING, setting), setting === 'notify' ? 'ok' : 'neutral');
}

function other(setting) {
  return setting === 'notify' ? 'do_not_notify' : 'notify';
}

/** The name of the radio group of a provider on the first step. */
function groupName(code) {
  return `provider-${code}`;
}

/** Errors waiting for a step, left by a later step that found them; taken once. */
function takePending(step) {
  const { pending } = f.get();
  if (!pending || pending.step !== step) return [];
  f.set({ pending: null });
  return pending.errors ?? [];
}

/** Shows errors once the router has put the screen on the page (the summary takes focus). */
function showLater(form, errors) {
  if (errors.length) setTimeout(() => showErrors(form, errors), 0);
}

/** The first step that still lacks what the later ones need, or null when all is there. */
function missingStep(state, upTo) {
  if (!state.changes?.length) return BASE;
  if (upTo === 'consent') return null;
  if (!state.consent?.agreed) return `${BASE}/consent`;
  if (upTo === 'applicant') return null;
  if (!state.applicant?.name || !state.applicant?.phone) return `${BASE}/applicant`;
  return null;
}

/** What is sent for the application, without `dry_run` (the confirmation's key covers it). */
function bodyOf(state) {
  const a = state.applicant;
  return {
    changes: state.changes.map(({ provider_code: code, setting }) => ({ provider_code: code, setting })),
    consent: { terms_version: state.consent.terms_version, agreed: true },
    applicant: {
      name: a.name,
      phone: a.phone,
      email: a.email ?? '',
      completion_email: Boolean(a.completion_email),
    },
  };
}

/** An API field error as a message of the 申込者情報 form. */
function applicantError(e) {
  const name = APPLICANT_FIELDS[e.field] ?? null;
  const mine = name ? MESSAGES[name]?.[e.code] : null;
  if (mine) return { field: name, message: mine };
  return { field: name, message: name ? `${LABELS[name]}: ${e.message}` : e.message };
}

/**
 * A problem of the dry run or the submission that another step owns: keeps its errors for
 * that step and goes there. Returns false when the problem is not one of those.
 */
async function sendBack(problem, here, go) {
  if (problem.code === 'validation_failed') {
    const applicantErrors = problem.errors.filter((e) => e.field?.startsWith('applicant.'));
    const changeErrors = problem.errors.filter((e) => !e.field?.startsWith('applicant.'));
    if (changeErrors.length) {
      return leave(here, go, 'select', [{ field: null, message: '選んだ変更の内容を受け付けられませんでした。もう一度お選びください。' }]);
    }
    return leave(here, go, 'applicant', applicantErrors.map(applicantError));
  }
  if (problem.code === 'consent_required') {
    f.set({ consent: { ...f.get().consent, agreed: false } });
    return leave(here, go, 'consent', [{
      field: 'agreed',
      message: '最新の同意書をお読みいただき、「同意する」にチェックを入れてください。',
    }]);
  }
  if (problem.code === 'provider_not_found' || problem.code === 'no_change') {
    return leave(here, go, 'select', await explainStale(problem));
  }
  return false;
}

function leave(here, go, step, errors) {
  if (here === step) return errors;
  f.set({ pending: { step, errors } });
  go(step === 'select' ? BASE : `${BASE}/${step}`);
  return true;
}

/**
 * 404 provider_not_found and 409 no_change: the choices no longer match the providers as
 * they are now (changed in another window, or a provider withdrawn). Names the providers
 * concerned, reading the current settings again.
 */
async function explainStale(problem) {
  const { changes = [], providers: before = [] } = f.get();
  let now = null;
  try {
    now = (await api('GET', '/v1/line-notification')).providers;
  } catch {
    // The first step reads them again anyway.
  }
  const errors = [];
  if (now) {
    for (const change of changes) {
      const current = now.find((p) => p.provider_code === change.provider_code);
      const known = before.find((p) => p.provider_code === change.provider_code);
      const name = current?.provider_name ?? known?.provider_name ?? change.provider_code;
      if (!current) {
        errors.push({ field: null, message: `${name}（${change.provider_code}）は、通知先として登録されていないため選べません。` });
      } else if (current.setting === change.setting) {
        errors.push({
          field: groupName(change.provider_code),
          message: `${name}は、すでに「${word(SETTING, current.setting)}」に設定されています。現在の設定を表示し直しました。`,
        });
      }
    }
  }
  if (!errors.length) {
    errors.push({
      field: null,
      message: problem.code === 'no_change'
        ? 'ご指定の通知可否設定は、すでに現在の設定と同じです。現在の設定を確認して、もう一度お選びください。'
        : 'ご指定のサービス提供者が見つかりません。一覧からもう一度お選びください。',
    });
  }
  return errors;
}

/** A notice for problems that are no field's: shown above the form and focused. */
function showProblem(place, ...lines) {
  const box = notice('error', ...lines);
  box.setAttribute('tabindex', '-1');
  place.replaceChildren(box);
  box.focus();
}

function backLink(href, text = '戻る') {
  return h('a', { class: 'button', href: `#${href}` }, text);
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

// ---------------------------------------------------------------------------------------
// 4. 確認: the dry run's content, then the one submission

function changesTable(changes, providers, { caption, afterLabel = '変更後' }) {
  const service = (code) => providers?.find((p) => p.provider_code === code)?.service_name;
  return h('table', { class: 'table table--stack ln-changes' },
    h('caption', { class: 'visually-hidden' }, caption),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'サービス提供者'),
      h('th', { scope: 'col' }, 'サービス名'),
      h('th', { scope: 'col' }, '変更前'),
      h('th', { scope: 'col' }, afterLabel))),
    h('tbody', {}, changes.map((c) => h('tr', {},
      h('th', { scope: 'row', 'data-label': 'サービス提供者' },
        h('span', {}, c.provider_name, h('span', { class: 'ln-code' }, `（${c.provider_code}）`))),
      h('td', { 'data-label': 'サービス名' }, service(c.provider_code) ?? '—'),
      h('td', { 'data-label': '変更前' }, word(SETTING, c.before)),
      h('td', { 'data-label': afterLabel }, h('strong', {}, word(SETTING, c.after)))))));
}

function applicantFacts(a) {
  return facts([
    ['お名前', a.name],
    ['ご連絡先電話番号', a.phone],
    ['ご連絡先メールアドレス', a.email || '（入力なし）'],
    ['工事完了通知メール', a.completion_email ? '受け取る' : '受け取らない'],
  ], { class: 'facts ln-facts' });
}

async function confirm({ view, go }) {
  if (f.receipt()) {
    go(`${BASE}/done`, { replace: true });
    return undefined;
  }
  const state = f.get();
  const lacking = missingStep(state, 'confirm');
  if (lacking) {
    go(lacking, { replace: true });
    return undefined;
  }
  const body = bodyOf(state);
  const replayed = await f.replay(PATH, body);
  if (replayed) {
    f.done({ ...replayed, applicant: body.applicant, providers: state.providers ?? [] });
    go(`${BASE}/done`, { replace: true });
    return undefined;
  }
  let confirmation;
  try {
    confirmation = await api('POST', PATH, { body: { ...body, dry_run: true } });
  } catch (problem) {
    const back = await sendBack(problem, 'confirm', go);
    if (back) return undefined;
    throw problem;
  }

  const problemPlace = h('div');
  const submit = h('button', { type: 'button', class: 'button button--primary' }, 'この内容で申し込む');
  submit.addEventListener('click', () => whileBusy(submit, '送信中…', async () => {
    problemPlace.replaceChildren();
    try {
      const answer = await f.submit(PATH, body);
      f.done({ ...answer, applicant: confirmation.applicant, providers: state.providers ?? [] });
      go(`${BASE}/done`, { replace: true });
    } catch (problem) {
      if (problem.code === 'too_many_applications') {
        const when = problem.retryAfter
          ? instant(new Date(Date.now() + problem.retryAfter * 1000).toISOString())
          : null;
        showProblem(problemPlace,
          h('p', { class: 'notice__title' }, '本日のお申し込み件数が上限に達しました'),
          h('p', {}, '回線情報通知のお申し込みは1日10件まで受け付けています。今回のお申し込みは受け付けていません。'),
          h('p', {}, when
            ? `${when}以降に、もう一度「この内容で申し込む」を押してください。入力した内容はこの端末に残ります。`
            : '日付が変わってから（日本時間）、もう一度お申し込みください。入力した内容はこの端末に残ります。'));
        return;
      }
      if (problem.code === 'network' || problem.status >= 500 || problem.code === 'idempotency_key_in_use') {
        showProblem(problemPlace,
          h('p', { class: 'notice__title' }, '送信できたかどうか確認できませんでした'),
          h('p', {}, 'もう一度「この内容で申し込む」を押してください。同じお申し込みが二重に受け付けられることはありません。'));
        return;
      }
      if (await sendBack(problem, 'confirm', go)) return;
      showProblem(problemPlace, h('p', {}, problem.detail || problem.title || problem.message));
    }
  }));

  top(view, 'confirm');
  add(view,
    h('p', {}, '以下の内容で設定を変更します。よろしければ「この内容で申し込む」を押してください。修正する場合は「戻る」を押してください。'),
    notice('warning', h('p', {}, 'お申し込み後、設定はただちに反映されます。「通知しない」にしたサービス提供者では、サービスの一部がご利用いただけなくなる場合があります。')),
    problemPlace,
    h('section', { class: 'card', 'aria-labelledby': 'ln-confirm-changes' },
      h('h2', { class: 'card__title', id: 'ln-confirm-changes' }, `変更する通知可否設定（${confirmation.changes.length}件）`),
      changesTable(confirmation.changes, state.providers, { caption: '変更する通知可否設定（変更前と変更後）' }),
      h('p', {}, h('a', { href: `#${BASE}` }, '変更するサービス提供者を選び直す'))),
    h('section', { class: 'card', 'aria-labelledby': 'ln-confirm-applicant' },
      h('h2', { class: 'card__title', id: 'ln-confirm-applicant' }, '申込者情報'),
      applicantFacts(confirmation.applicant),
      h('p', {}, h('a', { href: `#${BASE}/applicant` }, '申込者情報を修正する'))),
    h('div', { class: 'actions' }, submit, backLink(`${BASE}/applicant`)));
  return undefined;
}

// ---------------------------------------------------------------------------------------
// 5. 受付完了

async function done({ view, go }) {
  const receipt = f.receipt();
  if (!receipt) {
    go(BASE, { replace: true });
    return undefined;
  }
  const who = session.customer();
  const print = h('button', { type: 'button', class: 'button' }, '印刷する');
  print.addEventListener('click', () => window.print());

  top(view, 'done');
  add(view,
    h('p', { class: 'print-only ln-print-title' }, 'madoguchi 回線情報通知 変更受付'),
    notice('success',
      h('p', { class: 'notice__title' }, '回線情報通知の通知可否設定の変更を受け付けました。'),
      h('p', {}, '新しい設定はすでに反映されています。お問い合わせの際に受付番号をお伺いすることがありますので、印刷するなどしてお手元に保存してください。')),
    h('section', { class: 'card', 'aria-labelledby': 'ln-done-receipt' },
      h('h2', { class: 'card__title', id: 'ln-done-receipt' }, '受付内容'),
      facts([
        ['受付番号', h('span', { class: 'receipt-no mono' }, receipt.receipt_no)],
        ['受付日時', instant(receipt.accepted_at)],
        ['お客さまID', who ? h('span', { class: 'mono' }, who.customer_id) : null],
      ], { class: 'facts ln-facts' }),
      h('h3', {}, '変更した通知可否設定'),
      changesTable(receipt.changes, receipt.providers, { caption: '変更した通知可否設定（変更前と変更後）', afterLabel: '通知設定' })),
    receipt.applicant ? h('section', { class: 'card', 'aria-labelledby': 'ln-done-applicant' },
      h('h2', { class: 'card__title', id: 'ln-done-applicant' }, '申込者情報'),
      applicantFacts(receipt.applicant),
      receipt.applicant.completion_email
        ? h('p', {}, '工事完了通知メールを、ご連絡先メールアドレスにお送りします。')
        : null) : null,
    h('div', { class: 'actions' },
      print,
      h('a', { class: 'button', href: `#${BASE}` }, '現在の設定を見る'),
      h('a', { class: 'button', href: '#/receipts' }, '受付履歴へ'),
      h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ戻る')));
  return undefined;
}
