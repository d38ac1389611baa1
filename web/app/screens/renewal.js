// 更新ユーザー登録 (docs/renewal.md): a purchase code adds its term to a term licence. Logged in,
// the member picks one of their own serials; without a login (as on ESET's page) the serial
// and the email registered to it prove ownership. 入力 → 確認 (the dry run: the new expiry
// is shown before anything changes) → 受付完了.

import { api } from '../api.js';
import {
  add,
  h,
  heading,
  notice,
  facts,
  steps,
  date,
  word,
  PRODUCT,
  PLAN,
  receiptCard,
  printButton,
} from '../dom.js';
import { field, choices, errorSummary, showErrors, values, missing, onSubmit } from '../forms.js';
import { flow } from '../flow.js';
import * as session from '../session.js';
import { support } from '../support.js';

const STEPS = ['入力', '確認', '受付完了'];

export function title(params) {
  if (params.step === 'confirm') return '更新ユーザー登録（確認）';
  if (params.step === 'done') return '更新ユーザー登録（受付完了）';
  return '更新ユーザー登録';
}

export async function render(context) {
  const { params, go } = context;
  if (params.step === undefined) return input(context);
  if (params.step === 'confirm') return confirm(context);
  if (params.step === 'done') return done(context);
  go('/renewal', { replace: true });
  return undefined;
}

/** Today in Japan, YYYY-MM-DD. */
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
}

/**
 * What is sent to POST /v1/renewals, always built in the same order (one key per body). A
 * member logged in sends no email: their session and own serial are the proof.
 */
function bodyOf(state) {
  return {
    code: String(state.code ?? '').trim(),
    serial: String(state.serial ?? '').trim(),
    ...(session.isActive() ? {} : { email: String(state.email ?? '').trim() }),
    consent: { terms_version: state.terms_version, agreed: state.agreed === true },
  };
}

/**
 * The code as printed on 「購入コードのご案内」, for checking it against the paper: the
 * server's normalisation (docs/renewal.md) applied to what was typed, in groups of five.
 */
function shownCode(typed) {
  const symbols = typed.normalize('NFKC').toUpperCase().replace(/[-\s]/g, '')
    .replace(/O/g, '0').replace(/[IL]/g, '1');
  return symbols.length === 20 ? symbols.match(/.{5}/g).join('-') : typed;
}

const CODE_PROBLEMS = new Set([
  'invalid_code_format', 'code_checksum_mismatch', 'code_not_found',
  'code_already_redeemed', 'code_product_mismatch',
]);

/** An API problem as errors at the fields it concerns. */
function explain(problem) {
  const said = [problem.title, problem.detail].filter(Boolean).join('。');
  if (CODE_PROBLEMS.has(problem.code)) return [{ field: 'code', message: said }];
  switch (problem.code) {
    case 'serial_or_email_mismatch':
      // A member logged in typed no email: only their serial can be wrong.
      if (session.isActive()) {
        return [{ field: 'serial', message: 'このシリアル番号は、ログイン中のお客さまIDのものではありません。ご利用状況でシリアル番号をご確認ください。' }];
      }
      return [
        { field: 'serial', message: 'シリアル番号とメールアドレスの組み合わせが一致しません。現在ご利用中のシリアル番号をご確認ください。' },
        { field: 'email', message: 'そのシリアル番号のユーザー登録に使用しているメールアドレスをご確認ください。' },
      ];
    case 'renewal_not_needed':
      return [{ field: 'serial', message: '月額サービスは更新不要です。このシリアル番号は自動的に継続されるため、更新ユーザー登録の必要はありません。' }];
    case 'upgrade_required':
      return [{ field: 'serial', message: said || 'ご利用のプログラムは更新の対象外です。最新バージョンにバージョンアップしてから更新してください。' }];
    case 'consent_required':
      return [{ field: 'agreed', message: '「個人情報の取り扱い」をお読みいただき、同意のうえお進みください。' }];
    case 'membership_cancelled':
      return [{ field: null, message: 'このシリアル番号のご契約は解約済みのため、更新ユーザー登録はできません。' }];
    case 'too_many_attempts': {
      const minutes = problem.retryAfter ? Math.ceil(problem.retryAfter / 60) : null;
      return [{
        field: null,
        message: minutes
          ? `入力の誤りが続いたため、しばらく受け付けを止めています。約${minutes}分後にもう一度お試しください。`
          : '入力の誤りが続いたため、しばらく受け付けを止めています。時間をおいてもう一度お試しください。',
      }];
    }
    case 'validation_failed':
      if (problem.errors.length) {
        return problem.errors.map((e) => ({
          field: ['code', 'serial', 'email'].includes(e.field) ? e.field : null,
          message: e.message || problem.detail,
        }));
      }
      return [{ field: null, message: said }];
    default:
      return [{ field: null, message: problem.detail || problem.title || '時間をおいてもう一度お試しください。' }];
  }
}

/**
 * The problems the server finds in the code and the email as typed, without a look-up: a
 * dry run sent without consent is checked for its form (the code's symbols and check
 * symbol, then the address) and then refused for the consent, before anything is read or
 * counted against this address (docs/renewal.md). It stops at the first problem it reads,
 * so a mistyped code hides a mistyped address until the next round. Fields already in
 * `errors` are left to them.
 */
async function typingProblems(form, errors, termsVersion) {
  const typed = values(form);
  // The server reads the code first: without one, its answer is only the code's absence,
  // which the portal has said already.
  if (!String(typed.code ?? '').trim()) return [];
  const body = {
    ...bodyOf({ ...typed, agreed: false, terms_version: termsVersion }),
    dry_run: true,
  };
  try {
    await api('POST', '/v1/renewals', { body });
    return [];
  } catch (problem) {
    if (problem.code === 'consent_required' || problem.code === 'unauthorized') return [];
    const shown = new Set(errors.map((e) => e.field));
    return explain(problem).filter((e) => e.field && !shown.has(e.field));
  }
}

function serialOption(s) {
  const monthly = s.billing !== 'term';
  const what = `${word(PRODUCT, s.product)}・${word(PLAN, s.plan)}`;
  let hint;
  if (monthly) {
    hint = `${what}。月額サービスのため更新ユーザー登録は不要です（自動的に継続されます）。`;
  } else if (s.upgrade_required) {
    // docs/usage.md: only the program's version stands in the way.
    return {
      value: s.serial,
      label: s.serial,
      hint: `${what}。プログラムのバージョンが古いため、このままでは更新できません。最新版にバージョンアップしてから更新してください（「購入コードをお持ちでない方」にダウンロードのご案内があります）。`,
      disabled: true,
    };
  } else if (s.status === 'unavailable') {
    return { value: s.serial, label: s.serial, hint: `${what}。利用不可のため更新できません。`, disabled: true };
  } else {
    const expired = s.expires_on && s.expires_on < today();
    hint = `${what}。有効期限 ${date(s.expires_on)}${expired ? '（期限切れ）' : ''}`;
  }
  return { value: s.serial, label: s.serial, hint, disabled: monthly };
}

async function input({ view, query, go }) {
  const desk = await support();
  const f = flow('renewal');
  // A finished renewal is never shown again as a form: a new one starts from nothing.
  if (f.receipt()) f.clear();
  const member = session.isActive();
  const [terms, usage] = await Promise.all([
    api('GET', '/v1/terms/renewal', { auth: false }),
    member ? api('GET', '/v1/usage') : null,
  ]);
  const state = f.get();
  const pending = state.errors;
  if (pending) f.set({ errors: undefined });

  // ご利用状況 links a serial here: `#/renewal?serial=…`.
  const asked = (query.get('serial') ?? '').trim().toUpperCase();
  let serial;
  let renewable = true;
  if (member) {
    const own = usage.serials;
    const term = own.filter((s) => s.billing === 'term');
    renewable = term.length > 0;
    if (asked && term.some((s) => s.serial === asked) && state.serial !== asked) f.set({ serial: asked });
    const chosen = f.get().serial;
    serial = choices({
      name: 'serial',
      legend: '更新するシリアル番号',
      hint: '期間契約のシリアル番号から選んでください。',
      options: [...term, ...own.filter((s) => s.billing !== 'term')].map(serialOption),
      value: term.some((s) => s.serial === chosen) ? chosen : (term.length === 1 ? term[0].serial : null),
      required: true,
    });
  } else {
    serial = field({
      name: 'serial',
      label: '現在ご利用中のシリアル番号',
      hint: '例: SSU-12345678。ご契約時にお送りした「登録内容のご案内」や、セキュリティ申込・設定ツールの画面で確認できます。',
      required: true,
      value: state.serial || asked,
      attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false' },
    });
  }

  const code = field({
    name: 'code',
    label: '購入コード',
    hint: '「購入コードのご案内」に記載の英数字20文字です（XXXXX-XXXXX-XXXXX-XXXXX）。大文字・小文字、全角・半角、ハイフンの有無は問いません。',
    required: true,
    value: state.code ?? '',
    attrs: { autocomplete: 'off', autocapitalize: 'characters', spellcheck: 'false', class: 'renewal-code' },
  });
  // A member logged in is not asked for their address: their own serial is the proof
  // (docs/renewal.md), and the address is shown as ご利用状況 shows it, partly hidden.
  const email = member
    ? h('div', { class: 'field' },
      facts([['ご登録のメールアドレス', usage.email]]),
      h('p', { class: 'field__hint' }, '更新完了のお知らせは、このアドレスにお送りします。入力は不要です。'))
    : field({
      name: 'email',
      label: 'ご登録のメールアドレス',
      hint: '現在ご利用中のシリアル番号のユーザー登録に使用しているメールアドレスです。更新完了のお知らせもこのアドレスにお送りします。',
      type: 'email',
      required: true,
      value: state.email ?? '',
      attrs: { autocomplete: 'email', spellcheck: 'false' },
    });
  const termsId = 'renewal-terms-title';
  const consent = choices({
    name: 'agreed',
    type: 'checkbox',
    legend: '個人情報の取り扱いへの同意',
    options: [{ value: 'yes', label: `「${terms.title}」に同意します` }],
    value: state.agreed === true ? 'yes' : null,
    required: true,
  });

  const submit = h('button', { type: 'submit', class: 'button button--primary' }, '確認画面へ進む');
  const form = h('form', { novalidate: true, 'aria-label': '更新ユーザー登録の入力' },
    errorSummary(),
    code,
    serial,
    email,
    h('h2', { id: termsId }, terms.title),
    h('div', { class: 'terms', tabindex: '0', role: 'region', 'aria-labelledby': termsId }, terms.body),
    consent,
    h('div', { class: 'actions' }, submit));

  const keep = () => f.set({ ...values(form), terms_version: terms.version });
  form.addEventListener('input', keep);
  form.addEventListener('change', keep);

  onSubmit(form, submit, '確認中…', {
    check: async () => {
      const errors = missing(form, {
        code: '購入コードを入力してください。',
        serial: member ? '更新するシリアル番号を選んでください。' : 'シリアル番号を入力してください。',
        email: 'ご登録のメールアドレスを入力してください。',
      });
      if (!values(form).agreed) errors.push({ field: 'agreed', message: '「個人情報の取り扱い」をお読みいただき、同意のうえお進みください。' });
      if (!errors.length) return errors;
      // One round: what the server finds in what was typed is shown with these.
      return [...errors, ...(await typingProblems(form, errors, terms.version))];
    },
    send: async () => {
      f.set({ ...values(form), terms_version: terms.version });
      // The dry run checks everything the submission would (code, ownership, consent).
      await api('POST', '/v1/renewals', { body: { ...bodyOf(f.get()), dry_run: true } });
      go('/renewal/confirm');
    },
    refused: (problem) => showErrors(form, explain(problem)),
  });

  add(view,
    steps(STEPS, 0),
    heading('更新ユーザー登録'),
    h('p', {}, '新しくご購入いただいた購入コードで、現在ご利用中のライセンスの有効期限を延長します。シリアル番号と製品認証キーは変わりません。'),
    h('div', { class: 'card' },
      h('h2', { class: 'card__title' }, 'ご用意いただくもの'),
      h('ol', {},
        h('li', {}, '新しい購入コード（パッケージの「購入コードのご案内」に記載されています）'),
        h('li', {}, member ? '更新するシリアル番号（下の一覧から選べます）' : '現在ご利用中のシリアル番号'),
        member ? null : h('li', {}, 'そのシリアル番号のユーザー登録に使用しているメールアドレス')),
      desk ? h('details', { class: 'help' },
        h('summary', {}, '購入コードをお持ちでない方'),
        h('p', {}, '購入コードは、オンラインショップでお求めいただけます。', h('a', { href: desk.purchase_url, rel: 'noopener' }, '購入コードを購入する')),
        h('p', {}, 'プログラムのバージョンが古いライセンスは、最新版にバージョンアップしてから更新してください。', h('a', { href: desk.upgrade_url, rel: 'noopener' }, '最新版のダウンロード'))) : null),
    notice('info',
      h('p', {}, '月額サービスをご利用の場合、更新ユーザー登録は不要です（自動的に継続されます）。'),
      h('p', {}, '有効期限が切れると最新の検出エンジンを取得できなくなります。余裕をもって更新してください。有効期限が残っているうちに更新しても、残りの期間は失われません。')),
    renewable
      ? h('div', { class: 'card' }, form)
      : notice('warning', h('p', {}, '期間契約のシリアル番号がないため、更新ユーザー登録の必要はありません。')),
    member
      ? h('p', {}, h('a', { href: '#/usage' }, 'ご利用状況へ戻る'))
      : h('p', {}, h('a', { href: '#/login' }, 'ログイン画面へ戻る')),
  );
  // Errors the confirmation step sent back: shown once the router has put the form on the
  // page, so that the summary can take the focus.
  if (pending?.length) setTimeout(() => showErrors(form, pending), 0);
  return undefined;
}

async function confirm({ view, go }) {
  const f = flow('renewal');
  // Submitted already: Back or a reload never sends it again.
  if (f.receipt()) {
    go('/renewal/done', { replace: true });
    return undefined;
  }
  const state = f.get();
  const needsEmail = !session.isActive();
  if (!state.code || !state.serial || (needsEmail && !state.email) || state.agreed !== true || !state.terms_version) {
    go('/renewal', { replace: true });
    return undefined;
  }
  const body = bodyOf(state);
  const replayed = await f.replay('/v1/renewals', body);
  if (replayed) {
    f.done(replayed);
    go('/renewal/done', { replace: true });
    return undefined;
  }
  // The step that owns the fields shows what the dry run refuses.
  const quote = await f.preview('/v1/renewals', body, { back: '/renewal', explain, go });
  if (!quote) return undefined;

  const current = quote.current_expires_on;
  const expired = !current || current < today();
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, '更新する');
  const form = h('form', { novalidate: true, 'aria-label': '更新の実行' },
    errorSummary(),
    h('div', { class: 'actions' },
      submit,
      h('a', { class: 'button', href: '#/renewal' }, '入力内容を修正する')));

  onSubmit(form, submit, '更新しています…', {
    send: async () => {
      f.done(await f.submit('/v1/renewals', body));
      go('/renewal/done', { replace: true });
    },
    refused: (problem) => {
      const errors = explain(problem);
      // Errors about a field go back to the step that has it.
      if (problem.code !== 'network' && errors.some((e) => e.field)) {
        f.set({ errors });
        go('/renewal', { replace: true });
        return;
      }
      showErrors(form, errors);
    },
  });

  add(view,
    steps(STEPS, 1),
    heading('入力内容の確認'),
    h('p', {}, 'まだ更新は完了していません。内容をご確認のうえ、「更新する」を押してください。'),
    h('section', { class: 'renewal-expiry', 'aria-labelledby': 'renewal-new-expiry' },
      h('h2', { class: 'renewal-expiry__label', id: 'renewal-new-expiry' }, '更新後の有効期限'),
      h('p', { class: 'renewal-expiry__date' }, date(quote.new_expires_on)),
      h('p', { class: 'renewal-expiry__from' }, expired
        ? `現在の有効期限 ${date(current)}（期限切れ）のため、本日 ${date(today())} から${quote.term_months}か月延長します。`
        : `現在の有効期限 ${date(current)} から ${quote.term_months}か月延長します。`)),
    notice('info',
      h('p', { class: 'notice__title' }, expired ? '本日から新しい有効期間が始まります' : '残りの有効期間は失われません'),
      h('p', {}, expired
        ? `有効期限がすでに過ぎているため、本日から${quote.term_months}か月が新しい有効期間になります。`
        : `現在の有効期限に${quote.term_months}か月を加えた日が、新しい有効期限になります。今日から更新しても、残りの日数はそのまま引き継がれます。`)),
    h('div', { class: 'card' },
      h('h2', { class: 'card__title' }, 'ご入力内容'),
      facts([
        ['購入コード', h('span', { class: 'mono' }, shownCode(body.code))],
        ['シリアル番号', h('span', { class: 'mono' }, quote.serial)],
        ['メールアドレス', body.email],
        ['延長する期間', `${quote.term_months}か月`],
        ['現在の有効期限', date(current)],
        ['更新後の有効期限', h('strong', {}, date(quote.new_expires_on))],
      ])),
    h('p', {}, '更新後もシリアル番号と製品認証キーは変わりません。更新が完了すると、ご登録のメールアドレスにお知らせをお送りします。'),
    form,
  );
  return undefined;
}

async function done({ view, go }) {
  const f = flow('renewal');
  const receipt = f.receipt();
  if (!receipt) {
    go('/renewal', { replace: true });
    return undefined;
  }
  const member = session.isActive();
  add(view,
    steps(STEPS, 2),
    heading('更新ユーザー登録の受付完了'),
    notice('success',
      h('p', { class: 'notice__title' }, '更新ユーザー登録が完了しました'),
      h('p', {}, `新しい有効期限は${date(receipt.expires_on)}です。`)),
    receiptCard(receipt, [
      ['シリアル番号', h('span', { class: 'mono' }, receipt.serial)],
      ['製品認証キー', h('span', { class: 'mono' }, receipt.product_key)],
      ['新しい有効期限', h('strong', {}, date(receipt.expires_on))],
      ['延長した期間', `${receipt.term_months}か月`],
    ]),
    h('p', {}, 'シリアル番号と製品認証キーは変わりません。ご利用中の端末は、そのまま引き続きお使いいただけます。'),
    h('p', {}, 'ご登録のメールアドレスに、シリアル番号・製品認証キー・有効期限を記載したメールをお送りしました。届かない場合は、迷惑メールフォルダーもご確認ください。'),
    h('div', { class: 'actions' },
      printButton(),
      member
        ? h('a', { class: 'button button--primary', href: '#/usage' }, 'ご利用状況へ')
        : h('a', { class: 'button button--primary', href: '#/login' }, 'ログイン画面へ')),
  );
  return undefined;
}
