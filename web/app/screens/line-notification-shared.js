// 回線情報通知の通知可否設定: what its steps share (the flow's draft, the headings, the
// messages of the 申込者情報 fields, and sending a problem back to the step that owns
// it). The steps are in line-notification.js (1 to 3) and line-notification-confirm.js
// (4 and 5).

import { api } from '../api.js';
import { add, h, heading, notice, badge, word, steps, SETTING } from '../dom.js';
import { field, showErrors } from '../forms.js';
import { flow } from '../flow.js';

export const BASE = '/line-notification';
export const PATH = '/v1/line-notification/applications';
export const f = flow('line-notification');

const STEP_NAMES = ['提供者の選択', '同意書', '申込者情報', '確認', '受付完了'];
const STEP_INDEX = { select: 0, consent: 1, applicant: 2, confirm: 3, done: 4 };
export const HEADINGS = {
  select: '回線情報通知の通知可否設定',
  consent: '同意書のご確認',
  applicant: '申込者情報の入力',
  confirm: '変更内容の確認',
  done: '受付完了',
};

/** 設定方法: how a provider's current setting came to be. */
export const SET_VIA = {
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

// ---------------------------------------------------------------------------------------
// Shared pieces

export function top(view, step) {
  add(view, heading(HEADINGS[step]), steps(STEP_NAMES, STEP_INDEX[step]));
}

export function settingBadge(setting) {
  return badge(word(SETTING, setting), setting === 'notify' ? 'ok' : 'neutral');
}

export function other(setting) {
  return setting === 'notify' ? 'do_not_notify' : 'notify';
}

/** The name of the radio group of a provider on the first step. */
export function groupName(code) {
  return `provider-${code}`;
}

/** Errors waiting for a step, left by a later step that found them; taken once. */
export function takePending(step) {
  const { pending } = f.get();
  if (!pending || pending.step !== step) return [];
  f.set({ pending: null });
  return pending.errors ?? [];
}

/** Shows errors once the router has put the screen on the page (the summary takes focus). */
export function showLater(form, errors) {
  if (errors.length) setTimeout(() => showErrors(form, errors), 0);
}

/** The first step that still lacks what the later ones need, or null when all is there. */
export function missingStep(state, upTo) {
  if (!state.changes?.length) return BASE;
  if (upTo === 'consent') return null;
  if (!state.consent?.agreed) return `${BASE}/consent`;
  if (upTo === 'applicant') return null;
  if (!state.applicant?.name || !state.applicant?.phone) return `${BASE}/applicant`;
  return null;
}

/** What is sent for the application, without `dry_run` (the confirmation's key covers it). */
export function bodyOf(state) {
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
export async function sendBack(problem, here, go) {
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
  if (['provider_not_found', 'no_change', 'change_pending'].includes(problem.code)) {
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
 * 404 provider_not_found, 409 no_change and 409 change_pending: the choices no longer match
 * the providers as they are now (changed in another window, a change accepted there and
 * not yet carried out, or a provider withdrawn). Names the providers concerned, reading the
 * current settings again.
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
      } else if (current.pending) {
        // Its group shows 変更中 and has nothing to choose: the message stands alone.
        errors.push({
          field: null,
          message: `${name}は、変更のお申し込みを受け付けて工事中です（注文番号 ${current.pending.order_no}）。工事が完了するまで、新しい変更はお申し込みいただけません。`,
        });
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
      message: {
        no_change: 'ご指定の通知可否設定は、すでに現在の設定と同じです。現在の設定を確認して、もう一度お選びください。',
        change_pending: 'ご指定のサービス提供者は、変更の工事中です。工事が完了してから、あらためてお申し込みください。',
      }[problem.code] ?? 'ご指定のサービス提供者が見つかりません。一覧からもう一度お選びください。',
    });
  }
  return errors;
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
