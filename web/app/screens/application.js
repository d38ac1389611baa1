// What every application to the back office shares (回線情報通知 and the service pages):
// the steps 同意書 and 申込者情報, the flow's draft, and sending a problem found by a later
// step back to the step that owns it. Both forms follow one set of applicant rules on the
// server (docs/line-notification.md#applicant-details), so they share one form here too.
//
// `procedure(config)` makes one such application:
// - `name`: the flow's draft; `base`: the first step's route; `path`: the API's path;
// - `terms`: the terms' path; `stepNames`, `headings`: what the steps are called;
// - `purpose`: what the member does, in 「…には」 (回線情報通知の設定を変更する);
// - `chosen(state)`: whether the first step has something to apply for;
// - `bodyOf(state)`: the request, without `dry_run`;
// - `stale`: the codes meaning the first step's choice no longer fits, and
//   `explainStale(problem)`, the messages for it;
// - `choiceErrors(errors)`: the first step's messages for the API's other field errors.

import { api } from '../api.js';
import {
  add, h, heading, notice, facts, steps, uid, instant,
} from '../dom.js';
import {
  field, choices, errorSummary, showErrors, clearErrors, whileBusy,
} from '../forms.js';
import { flow } from '../flow.js';
import * as session from '../session.js';

const STEP_INDEX = { select: 0, consent: 1, applicant: 2, confirm: 3, done: 4 };

/** The API's field paths and the names of the 申込者情報 form's fields. */
const APPLICANT_FIELDS = {
  'applicant.name': 'name',
  'applicant.phone': 'phone',
  'applicant.email': 'email',
  'applicant.completion_email': 'completion_email',
};
export const LABELS = {
  name: 'お名前',
  phone: 'ご連絡先電話番号',
  email: 'ご連絡先メールアドレス',
  completion_email: '工事完了通知メール',
};

/** Messages that name their field, so that each line of the summary reads on its own. */
export const MESSAGES = {
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

/** A terms version ('2026-12') as Japanese text writes it: 2026年12月版. */
export function termsVersion(version) {
  const [y, m] = String(version).split('-').map(Number);
  return y && m ? `${y}年${m}月版` : version;
}

/** Shows errors once the router has put the screen on the page (the summary takes focus). */
export function showLater(form, errors) {
  if (errors.length) setTimeout(() => showErrors(form, errors), 0);
}

/** A notice for problems that are no field's: shown above the form and focused. */
export function showProblem(place, ...lines) {
  const box = notice('error', ...lines);
  box.setAttribute('tabindex', '-1');
  place.replaceChildren(box);
  box.focus();
}

export function backLink(href, text = '戻る') {
  return h('a', { class: 'button', href: `#${href}` }, text);
}

/** The applicant as the confirmation and the receipt show it. */
export function applicantFacts(a) {
  return facts([
    ['お名前', a.name],
    ['ご連絡先電話番号', a.phone],
    ['ご連絡先メールアドレス', a.email || '（入力なし）'],
    ['工事完了通知メール', a.completion_email ? '受け取る' : '受け取らない'],
  ], { class: 'facts ln-facts' });
}

/** The applicant as the API takes it. */
export function applicantBody(a) {
  return {
    name: a.name,
    phone: a.phone,
    email: a.email ?? '',
    completion_email: Boolean(a.completion_email),
  };
}

/** An API field error as a message of the 申込者情報 form. */
function applicantError(e) {
  const name = APPLICANT_FIELDS[e.field] ?? null;
  const mine = name ? MESSAGES[name]?.[e.code] : null;
  if (mine) return { field: name, message: mine };
  return { field: name, message: name ? `${LABELS[name]}: ${e.message}` : e.message };
}

export function procedure(config) {
  const { base, path } = config;
  // The draft belongs to the member who logs in; a procedure outlives a login in this tab
  // (its module stays loaded), so a new member gets a draft of their own. After a session
  // ends, the old member's draft stays theirs: a form still on screen saves nothing.
  let draft = null;
  let draftOf = null;
  const current = () => {
    const who = session.customer()?.customer_id ?? null;
    if (!draft || (who && who !== draftOf)) {
      draft = flow(config.name);
      draftOf = who;
    }
    return draft;
  };

  const p = {
    get f() {
      return current();
    },
    base,
    path,

    top(view, step) {
      add(view, steps(config.stepNames, STEP_INDEX[step]), heading(config.headings[step]));
    },

    /** Errors waiting for a step, left by a later step that found them; taken once. */
    takePending(step) {
      const { pending } = p.f.get();
      if (!pending || pending.step !== step) return [];
      p.f.set({ pending: null });
      return pending.errors ?? [];
    },

    /** The first step that still lacks what the later ones need, or null when all is there. */
    missingStep(state, upTo) {
      if (!config.chosen(state)) return base;
      if (upTo === 'consent') return null;
      if (!state.consent?.agreed) return `${base}/consent`;
      if (upTo === 'applicant') return null;
      if (!state.applicant?.name || !state.applicant?.phone) return `${base}/applicant`;
      return null;
    },

    bodyOf: config.bodyOf,

    /** Keeps `errors` for `step` and goes there; the errors themselves when already there. */
    leave(here, go, step, errors) {
      if (here === step) return errors;
      p.f.set({ pending: { step, errors } });
      go(step === 'select' ? base : `${base}/${step}`);
      return true;
    },

    /**
     * A problem of the dry run or the submission that another step owns: keeps its errors
     * for that step and goes there. Returns false when the problem is not one of those.
     */
    async sendBack(problem, here, go) {
      if (problem.code === 'validation_failed') {
        const mine = problem.errors.filter((e) => e.field?.startsWith('applicant.'));
        const others = problem.errors.filter((e) => !e.field?.startsWith('applicant.'));
        if (others.length) return p.leave(here, go, 'select', config.choiceErrors(others));
        return p.leave(here, go, 'applicant', mine.map(applicantError));
      }
      if (problem.code === 'consent_required') {
        p.f.set({ consent: { ...p.f.get().consent, agreed: false } });
        return p.leave(here, go, 'consent', [{
          field: 'agreed',
          message: '最新の同意書をお読みいただき、「同意する」にチェックを入れてください。',
        }]);
      }
      if (config.stale.includes(problem.code)) {
        return p.leave(here, go, 'select', await config.explainStale(problem));
      }
      return false;
    },

    /**
     * The submission's refusals that no step owns: the day's limit, and an answer that never
     * came. True when shown.
     */
    showSubmitProblem(problem, place) {
      if (problem.code === 'too_many_applications') {
        const when = problem.retryAfter
          ? instant(new Date(Date.now() + problem.retryAfter * 1000).toISOString())
          : null;
        showProblem(place,
          h('p', { class: 'notice__title' }, '本日のお申し込み件数が上限に達しました'),
          h('p', {}, 'お申し込みは、回線情報通知とサービスの申込・変更・廃止をあわせて1日10件まで受け付けています。今回のお申し込みは受け付けていません。'),
          h('p', {}, when
            ? `${when}以降に、もう一度「この内容で申し込む」を押してください。入力した内容はこの端末に残ります。`
            : '日付が変わってから（日本時間）、もう一度お申し込みください。入力した内容はこの端末に残ります。'));
        return true;
      }
      if (problem.code === 'network' || problem.status >= 500 || problem.code === 'idempotency_key_in_use') {
        showProblem(place,
          h('p', { class: 'notice__title' }, '送信できたかどうか確認できませんでした'),
          h('p', {}, 'もう一度「この内容で申し込む」を押してください。同じお申し込みが二重に受け付けられることはありません。'));
        return true;
      }
      return false;
    },

    /** A step past the first: where to go instead when the draft lacks what it needs. */
    redirect(step, go) {
      if (p.f.receipt()) {
        go(`${base}/done`, { replace: true });
        return true;
      }
      const lacking = p.missingStep(p.f.get(), step);
      if (lacking) {
        go(lacking, { replace: true });
        return true;
      }
      return false;
    },

    consent: (ctx) => consentStep(p, config, ctx),
    applicant: (ctx) => applicantStep(p, config, ctx),
  };
  return p;
}

// ---------------------------------------------------------------------------------------
// 同意書

async function consentStep(p, config, { view, go }) {
  if (p.redirect('consent', go)) return undefined;
  const { f } = p;
  const state = f.get();
  const pending = p.takePending('consent');
  const terms = await api('GET', config.terms);
  const revised = state.consent?.agreed && state.consent.terms_version !== terms.version;
  const agreed = Boolean(state.consent?.agreed) && !revised;
  if (revised) f.set({ consent: { terms_version: terms.version, agreed: false } });

  const titleId = uid('terms');
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
    h('p', { class: 'field__hint' }, `同意書の版: ${termsVersion(terms.version)}`),
    agree,
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'button button--primary' }, '次へ'),
      backLink(p.base, '同意しない（選択に戻る）')));

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
    go(`${p.base}/applicant`);
  });

  p.top(view, 'consent');
  add(view,
    h('p', {}, `${config.purpose}には、以下の同意書に同意していただく必要があります。同意される場合は「同意する」にチェックを入れて「次へ」を押してください。`),
    revised ? notice('warning', h('p', {}, '同意書の内容が改定されました。改めてお読みいただき、同意をお願いします。')) : null,
    h('div', { class: 'card' }, form));
  showLater(form, pending);
  return undefined;
}

// ---------------------------------------------------------------------------------------
// 申込者情報

async function applicantStep(p, config, { view, go }) {
  if (p.redirect('applicant', go)) return undefined;
  const { f } = p;
  const state = f.get();
  const pending = p.takePending('applicant');
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
    hint: '工事完了通知メールを受け取る場合は必ず入力してください。受け取らない場合は入力しなくてもかまいません。携帯電話のメールアドレス（docomo.ne.jp、ezweb.ne.jp、au.com、softbank.ne.jp、i.softbank.jp、ymobile.ne.jp）には工事完了通知をお送りできません。',
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
      hint: '工事が完了したことを、ご連絡先メールアドレスにお知らせします。',
    }],
    value: typed.completion_email ? ['yes'] : [],
  });
  const wants = completion.querySelector('input');
  // The email is asked for only as a contact, so it is 任意, until the member asks for the
  // completion mail: it then goes there, and is 必須 (docs/line-notification.md).
  const mark = h('span', { 'aria-hidden': 'true' });
  email.querySelector('label').append(mark);
  const markEmail = () => {
    mark.className = wants.checked ? 'required' : 'optional';
    mark.textContent = wants.checked ? '必須' : '任意';
    email.input.required = wants.checked;
  };
  markEmail();
  wants.addEventListener('change', markEmail);

  const read = () => ({
    name: name.input.value,
    phone: phone.input.value,
    email: email.input.value,
    completion_email: wants.checked,
  });
  const save = () => f.set({ applicant: read() });

  const problemPlace = h('div');
  const next = h('button', { type: 'submit', class: 'button button--primary' }, '次へ');
  const titleId = uid('applicant-title');
  const form = h('form', { novalidate: true, class: 'ln-form', 'aria-labelledby': titleId },
    errorSummary(),
    h('h2', { id: titleId }, 'お申し込みされる方の情報'),
    h('p', { class: 'field__hint' }, '「必須」の項目は必ず入力してください。'),
    name, phone, completion, email,
    h('div', { class: 'actions' }, next, backLink(`${p.base}/consent`)));
  form.addEventListener('input', save);
  form.addEventListener('change', save);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problemPlace.replaceChildren();
    f.set({ applicant: read() });
    clearErrors(form);
    // The dry run checks everything the server checks (every field at once, required ones
    // included), so its answers show here in one round.
    await whileBusy(next, '確認中…', async () => {
      try {
        await api('POST', p.path, { body: { ...p.bodyOf(f.get()), dry_run: true } });
        go(`${p.base}/confirm`);
      } catch (problem) {
        const back = await p.sendBack(problem, 'applicant', go);
        if (Array.isArray(back)) showErrors(form, back);
        else if (!back) showProblem(problemPlace, h('p', {}, problem.detail || problem.title || problem.message));
      }
    });
  });

  p.top(view, 'applicant');
  add(view,
    h('p', {}, 'お申し込みされる方のお名前とご連絡先を入力してください。工事完了通知メールをご希望の場合は「工事完了通知メールを受け取る」にチェックを入れ、ご連絡先メールアドレスを入力してください。'),
    problemPlace,
    h('div', { class: 'card' }, form));
  showLater(form, pending);
  return undefined;
}
