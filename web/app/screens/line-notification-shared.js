// 回線情報通知の通知可否設定: what its steps share (the procedure's configuration, the
// settings' words, and explaining a choice that no longer fits). The steps are in
// line-notification.js (1, the choice) and line-notification-confirm.js (4 and 5); 2 and 3
// (同意書, 申込者情報) are every application's, in application.js.

import { api } from '../api.js';
import { badge, word, SETTING } from '../dom.js';
import { procedure, applicantBody } from './application.js';

export const BASE = '/line-notification';

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

/** The procedure: its draft, its steps and where each problem is shown. */
export const ln = procedure({
  name: 'line-notification',
  base: BASE,
  path: '/v1/line-notification/applications',
  terms: '/v1/terms/line-notification',
  stepNames: ['提供者の選択', '同意書', '申込者情報', '確認', '受付完了'],
  headings: HEADINGS,
  purpose: '回線情報通知の設定を変更する',
  chosen: (state) => Boolean(state.changes?.length),
  bodyOf,
  stale: ['provider_not_found', 'no_change', 'change_pending'],
  explainStale,
  choiceErrors: () => [{ field: null, message: '選んだ変更の内容を受け付けられませんでした。もう一度お選びください。' }],
});

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

/** What is sent for the application, without `dry_run` (the confirmation's key covers it). */
function bodyOf(state) {
  return {
    changes: state.changes.map(({ provider_code: code, setting }) => ({ provider_code: code, setting })),
    consent: { terms_version: state.consent.terms_version, agreed: true },
    applicant: applicantBody(state.applicant),
  };
}

/**
 * 404 provider_not_found, 409 no_change and 409 change_pending: the choices no longer match
 * the providers as they are now (changed in another window, a change accepted there and
 * not yet carried out, or a provider withdrawn). Names the providers concerned, reading the
 * current settings again.
 */
async function explainStale(problem) {
  const { changes = [], providers: before = [] } = ln.f.get();
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
