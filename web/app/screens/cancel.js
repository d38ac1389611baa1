// 解約 (docs/cancellation.md): the membership ends, and with it every serial, the line information
// notification and every session of the member; the annual fee is not refunded
// (中途解約の返金なし). 解約理由 → 確認 (the dry run lists every consequence; the member
// confirms having read them) → 受付完了, which stays on screen although the submission
// has ended the session: the answer carries the receipt.

import { add, h, heading, notice, facts, steps, date, yen, uid, receiptCard, printButton } from '../dom.js';
import { choices, errorSummary, showErrors, clearErrors, values, forgetDrafts, onSubmit } from '../forms.js';
import { flow } from '../flow.js';
import * as session from '../session.js';

const STEPS = ['解約理由', '確認', '受付完了'];
const REASON_MAX = 200;

const DONE = '/cancel/done';

/**
 * The step shown. 受付完了 has a route of its own (open without a session, as the
 * cancellation ends it), which carries no `:step` parameter.
 */
function stepOf(params, path) {
  return params.step ?? (path === DONE ? 'done' : undefined);
}

export function title(params) {
  const step = stepOf(params, location.hash.slice(1).split('?')[0]);
  if (step === 'confirm') return '解約（確認）';
  if (step === 'done') return '解約（受付完了）';
  return '解約';
}

export async function render(context) {
  const { params, path, go } = context;
  const step = stepOf(params, path);
  if (step === undefined) return reasonStep(context);
  if (step === 'confirm') return confirm(context);
  if (step === 'done') return done(context);
  go('/cancel', { replace: true });
  return undefined;
}

/** What is sent: the reason only when one was written. */
function bodyOf(state) {
  const reason = String(state.reason ?? '').trim();
  return reason ? { reason } : {};
}

function explain(problem) {
  switch (problem.code) {
    case 'membership_cancelled':
      return [{ field: null, message: 'このお客さまIDは、すでに解約のお手続きが済んでいます。' }];
    case 'validation_failed':
      if (problem.errors.length) {
        return problem.errors.map((e) => ({
          field: e.field === 'reason' ? 'reason' : null,
          message: e.field === 'reason' && e.code === 'too_long'
            ? `解約の理由は${REASON_MAX}文字以内でご記入ください。`
            : (e.message || problem.detail),
        }));
      }
      return [{ field: null, message: problem.detail || problem.title }];
    default:
      return [{ field: null, message: problem.detail || problem.title || '時間をおいてもう一度お試しください。' }];
  }
}

/** A labelled textarea, laid out like forms.js's fields (label, hint, inline error). */
function reasonField(value) {
  const id = uid('f-reason');
  const input = h('textarea', {
    id,
    name: 'reason',
    rows: '4',
    'aria-describedby': `${id}-hint ${id}-error`,
    value,
  });
  return h('div', { class: 'field', 'data-field': 'reason' },
    h('label', { for: id }, '解約の理由', h('span', { class: 'optional' }, '任意')),
    h('p', { class: 'field__hint', id: `${id}-hint` },
      `${REASON_MAX}文字以内。ご記入いただいた内容は、今後のサービス改善の参考にさせていただきます。`),
    h('p', { class: 'field__error', id: `${id}-error`, hidden: true }),
    h('div', { class: 'field__control' }, input));
}

function whatHappens() {
  return h('ul', {},
    h('li', {}, '会員契約は本日で終わります。すべてのシリアル番号が本日から「利用不可」になり、セキュリティ対策ツールで端末を保護できなくなります。'),
    h('li', {}, 'ご利用の回線も、あわせて廃止のお手続き（工事）を行います。'),
    h('li', {}, '回線情報通知は、すべてのサービス提供者について「通知しない」になります。'),
    h('li', {}, '発送済みの有償貸与のICカードリーダーは、後日お届けする返却キットでご返送いただきます。発送前のものは、お申し込みを取り下げます。'),
    h('li', {}, 'お申し込み中のご注文は取り下げになります。'),
    h('li', {}, '年会費は、年の途中で解約されても返金されません（中途解約の返金なし）。'),
    h('li', {}, 'お手続きが終わるとすぐにログアウトし、このお客さまIDではログインできなくなります。'));
}

async function reasonStep({ view, go }) {
  const f = flow('cancel');
  if (f.receipt()) f.clear();
  const state = f.get();
  const pending = state.errors;
  if (pending) f.set({ errors: undefined });

  const submit = h('button', { type: 'submit', class: 'button button--primary' }, '確認画面へ進む');
  const form = h('form', { novalidate: true, 'aria-label': '解約理由の入力' },
    errorSummary(),
    reasonField(state.reason ?? ''),
    h('div', { class: 'actions' },
      submit,
      h('a', { class: 'button', href: '#/usage' }, '解約せずにご利用状況へ戻る')));
  const keep = () => f.set({ reason: values(form).reason });
  form.addEventListener('input', keep);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const reason = values(form).reason.trim();
    // Characters after NFKC, as the server counts them (docs/api.md): not UTF-16 units.
    const length = [...reason.normalize('NFKC')].length;
    if (length > REASON_MAX) {
      showErrors(form, [{ field: 'reason', message: `解約の理由は${REASON_MAX}文字以内でご記入ください（現在${length}文字）。` }]);
      return;
    }
    clearErrors(form);
    f.set({ reason, started: true });
    go('/cancel/confirm');
  });

  add(view,
    steps(STEPS, 0),
    heading('解約のお手続き'),
    h('p', {}, '会員契約を解約します。お手続きの前に、解約すると次のようになることをご確認ください。'),
    notice('warning',
      h('p', { class: 'notice__title' }, '解約すると'),
      whatHappens()),
    h('p', {}, '次の確認画面で、解約によって変わる内容を一つずつご確認いただけます。この画面ではまだ解約されません。'),
    h('div', { class: 'card' }, form),
  );
  if (pending?.length) setTimeout(() => showErrors(form, pending), 0);
  return undefined;
}

async function confirm({ view, go }) {
  const f = flow('cancel');
  if (f.receipt()) {
    go(DONE, { replace: true });
    return undefined;
  }
  const state = f.get();
  if (!state.started) {
    go('/cancel', { replace: true });
    return undefined;
  }
  const body = bodyOf(state);
  // The step that owns the fields shows what the dry run refuses.
  const preview = await f.preview('/v1/membership/cancellation', body, { back: '/cancel', explain, go });
  if (!preview) return undefined;

  const understood = choices({
    name: 'understood',
    type: 'checkbox',
    legend: 'ご確認',
    options: [{ value: 'yes', label: '上記の内容をすべて確認し、解約することを了承します' }],
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'button button--danger' }, '解約する');
  const form = h('form', { novalidate: true, 'aria-label': '解約の確定' },
    errorSummary(),
    understood,
    h('div', { class: 'actions' },
      submit,
      h('a', { class: 'button', href: '#/usage' }, '解約をやめる')));

  onSubmit(form, submit, '解約しています…', {
    check: () => (values(form).understood ? [] : [{
      field: 'understood',
      message: '解約の内容をご確認のうえ、「了承します」にチェックを入れてください。',
    }]),
    // A lost answer may be asked for again with the same key and body: the server replays
    // it although the session is already over (docs/api.md).
    send: async () => finish(await f.submit('/v1/membership/cancellation', body), preview, go),
    refused: (problem) => showErrors(form, explain(problem)),
  });

  const noRefund = preview.refund === 0;
  add(view,
    steps(STEPS, 1),
    heading('解約内容の確認'),
    notice('warning',
      h('p', { class: 'notice__title' }, 'まだ解約は完了していません'),
      h('p', {}, '内容をご確認のうえ、いちばん下の「解約する」を押してください。解約すると元に戻すことはできません。')),
    h('div', { class: 'card' },
      facts([
        ['解約日', date(preview.effective_on)],
        ['返金額', `${yen(preview.refund)}${noRefund ? '（中途解約の返金なし）' : ''}`],
        ['解約の理由', body.reason ?? '（記入なし）'],
      ])),
    noRefund
      ? notice('warning',
        h('p', { class: 'notice__title' }, '中途解約の返金なし'),
        h('p', {}, '年会費は、年の途中で解約されても返金されません。返金額は0円です。'))
      : null,
    h('h2', { id: 'cancel-consequences' }, '解約すると、次のようになります'),
    h('ul', { class: 'consequences', 'aria-labelledby': 'cancel-consequences' },
      preview.consequences.map((c) => h('li', { class: `consequences__item consequences__item--${c.kind}` }, c.message))),
    h('div', { class: 'card' }, form),
  );
  return undefined;
}

/**
 * The cancellation went through, and with it the member's session (docs/cancellation.md). The receipt
 * is kept for 受付完了; everything else the member typed in this tab is forgotten; the
 * portal forgets the login without going to ログイン, then shows the receipt.
 */
function finish(answer, preview, go) {
  forgetDrafts();
  // The session is over first, so that the receipt is kept for whoever is at this tab
  // now: no member is logged in any more, and it must still show (and survive a reload).
  session.end('cancelled');
  flow('cancel').done({
    ...answer,
    to_return: preview.consequences.filter((c) => c.kind === 'reader_to_return').map((c) => c.message),
  });
  go(DONE, { replace: true });
}

async function done({ view, go }) {
  const f = flow('cancel');
  const receipt = f.receipt();
  if (!f.receipt()) {
    go('/cancel', { replace: true });
    return undefined;
  }
  add(view,
    steps(STEPS, 2),
    heading('解約の受付完了'),
    notice('success',
      h('p', { class: 'notice__title' }, '解約のお手続きが完了しました'),
      h('p', {}, 'これまでご利用いただき、ありがとうございました。')),
    receiptCard(receipt, [
      ['解約日', date(receipt.effective_on)],
      ['返金額', `${yen(receipt.refund)}（中途解約の返金なし）`],
    ]),
    receipt.to_return?.length
      ? notice('warning',
        h('p', { class: 'notice__title' }, 'ICカードリーダーのご返却のお願い'),
        h('ul', {}, receipt.to_return.map((line) => h('li', {}, line))))
      : null,
    h('p', {}, 'ご登録のメールアドレスに、解約の内容をお送りしました。この画面を印刷して控えにすることもできます。'),
    notice('info',
      h('p', {}, 'ログアウトしました。このお客さまIDでは、今後ログインできません。')),
    h('div', { class: 'actions' },
      printButton(),
      h('a', { class: 'button button--primary', href: '#/' }, 'トップページへ')),
  );
  return undefined;
}
