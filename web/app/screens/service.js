// A service's page, 【詳細・申込・変更】 of ご利用状況 (docs/services.md): its status, fee and
// description, the progress of its latest order, and what can be applied for now.
//
// Applying is the procedure every application to the back office follows (the same as
// 回線情報通知): what to apply for here, then 同意書 and 申込者情報 (application.js), then
// 確認 and 受付完了 (service-confirm.js). Each step is its own route
// (#/services/<service>, …/consent, …/applicant, …/confirm, …/done).

import { api } from '../api.js';
import {
  add, h, heading, notice, facts, badge, word, yen, instant, SERVICE, SERVICE_STATUS,
} from '../dom.js';
import { choices, errorSummary, showErrors, clearErrors } from '../forms.js';
import { procedure, applicantBody, showLater } from './application.js';
import {
  KIND, ACTION, statusBadge, progress, failure,
} from './order.js';
import { confirm, done } from './service-confirm.js';

const HEADINGS = {
  select: 'サービスの詳細・申込・変更',
  consent: '同意書のご確認',
  applicant: '申込者情報の入力',
  confirm: 'お申し込み内容の確認',
  done: '受付完了',
};

/** The labels of each action, as a choice and as what was applied for. */
export const ACTION_CHOICE = {
  subscribe: '申し込む',
  change: 'ライセンスプラスの台数を変更する',
  terminate: '廃止する',
};

const procedures = new Map();

/** The application procedure of one service (its own draft). */
export function serviceProcedure(service) {
  if (!procedures.has(service)) {
    procedures.set(service, procedure({
      name: `service.${service}`,
      base: `/services/${encodeURIComponent(service)}`,
      path: `/v1/services/${encodeURIComponent(service)}/applications`,
      terms: '/v1/terms/services',
      stepNames: ['内容の選択', '同意書', '申込者情報', '確認', '受付完了'],
      headings: HEADINGS,
      purpose: 'サービスのお申し込み・変更・廃止',
      chosen: (state) => Boolean(state.action)
        && (state.action !== 'change' || Number.isInteger(state.license_plus)),
      bodyOf,
      stale: ['application_pending', 'not_applicable', 'no_change', 'not_found'],
      explainStale: async (problem) => [{ field: null, message: STALE[problem.code] ?? STALE.not_found }],
      choiceErrors: (errors) => errors.map((e) => ({
        field: e.field === 'options.license_plus' ? 'license_plus' : null,
        message: e.field === 'options.release_devices'
          ? '保護が解除される端末を確認してください。'
          : 'お申し込みの内容を受け付けられませんでした。もう一度お選びください。',
      })),
    }));
  }
  return procedures.get(service);
}

const STALE = {
  application_pending: 'このサービスには、受け付けたお申し込みがあります。そのご注文が完了するまで、新しいお申し込みはできません。',
  not_applicable: 'このサービスでは、選んだお手続きを現在お受けできません。現在の状態を表示し直しました。',
  no_change: 'ライセンスプラスの台数が現在と同じです。変更後の台数を選んでください。',
  not_found: 'このサービスは見つかりませんでした。',
};

/** What is sent for the application, without `dry_run`. */
function bodyOf(state) {
  const options = state.action === 'change'
    ? { license_plus: state.license_plus, release_devices: state.release_devices ?? [] }
    : {};
  return {
    action: state.action,
    options,
    consent: { terms_version: state.consent.terms_version, agreed: true },
    applicant: applicantBody(state.applicant),
  };
}

export function title(params) {
  const step = params.step ?? 'select';
  const name = word(SERVICE, params.service);
  if (step === 'select' || !HEADINGS[step]) return `${name}の詳細・申込・変更`;
  return `${HEADINGS[step]}（${name}）`;
}

export async function render(ctx) {
  const { service } = ctx.params;
  if (service === 'line_notification') {
    ctx.go('/line-notification', { replace: true });
    return undefined;
  }
  const p = serviceProcedure(service);
  const step = ctx.params.step ?? 'select';
  const screens = {
    consent: p.consent,
    applicant: p.applicant,
    confirm: (c) => confirm(p, c),
    done: (c) => done(p, c),
  };
  if (ctx.params.step && !screens[step]) {
    ctx.go(p.base, { replace: true });
    return undefined;
  }
  return step === 'select' ? page(p, ctx) : screens[step](ctx);
}

/** The newest order for this service: its open one, else the last of the member's orders. */
async function latestOrder(service, entry) {
  if (entry.pending_order) {
    return api('GET', `/v1/orders/${encodeURIComponent(entry.pending_order)}`);
  }
  const { orders } = await api('GET', '/v1/orders?limit=50');
  return orders.find((o) => o.details.service?.service === service) ?? null;
}

function orderCard(order) {
  if (!order) return null;
  const s = order.details.service;
  const count = s?.license_plus ? `（${s.license_plus.from}台 → ${s.license_plus.to}台）` : '';
  return h('section', { class: 'card', 'aria-labelledby': 'service-order' },
    h('h2', { class: 'card__title', id: 'service-order' }, 'お申し込みの状況'),
    failure(order),
    facts([
      ['お手続き', s ? `${word(ACTION, s.action)}${count}` : word(KIND, order.kind)],
      ['注文番号', h('span', { class: 'mono' }, order.order_no)],
      ['受付日時', instant(order.placed_at)],
      ['状態', statusBadge(order.status)],
    ]),
    h('h3', {}, '進み具合'),
    progress(order),
    h('p', {}, h('a', { href: `#/orders/${order.order_no}` }, 'ご注文の状況を見る')));
}

// ---------------------------------------------------------------------------------------
// 1. The service, and what to apply for

async function page(p, { view, go, params }) {
  const { f } = p;
  if (f.receipt()) f.clear();
  const pending = p.takePending('select');
  const { services } = await api('GET', '/v1/services');
  const entry = services.find((s) => s.service === params.service);
  if (!entry) {
    add(view, heading('サービスが見つかりません'),
      notice('error', h('p', {}, STALE.not_found)),
      h('p', {}, h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ戻る')));
    return undefined;
  }
  const order = await latestOrder(params.service, entry);

  const about = h('section', { class: 'card', 'aria-labelledby': 'service-about' },
    h('h2', { class: 'card__title', id: 'service-about' }, entry.name),
    facts([
      ['状態', badge(word(SERVICE_STATUS, entry.status), entry.status === 'in_use' ? 'ok' : 'neutral')],
      ['月額料金', entry.monthly_fee ? `${yen(entry.monthly_fee)}（税込）` : '無料'],
      ['ライセンスプラス', entry.license_plus === null ? null : `${entry.license_plus}台`],
    ]),
    h('p', {}, entry.description));

  add(view, heading(`${entry.name}の詳細・申込・変更`), about, orderCard(order));

  const offersNow = !entry.pending_order && entry.actions.length > 0;
  if (pending.length && !offersNow) {
    // Sent back by a later step (an order placed meanwhile elsewhere): said above the page.
    add(view, notice('error', ...pending.map((e) => h('p', {}, e.message))));
  }
  if (entry.pending_order) {
    add(view, notice('info', h('p', {}, `このサービスは「${word(SERVICE_STATUS, entry.status)}」です。ご注文が完了するまで、このサービスの新しいお申し込みはできません。完了したときは、ご希望により工事完了通知でお知らせします。`)));
  } else if (!entry.actions.length) {
    add(view, h('p', {}, 'このサービスには、この画面でお申し込みいただける手続きはありません。'));
  } else {
    add(view, choiceForm(p, entry, pending, go));
  }
  add(view, h('div', { class: 'actions' }, h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ戻る')));
  return undefined;
}

function choiceForm(p, entry, pending, go) {
  const { f } = p;
  const state = f.get();
  const offered = entry.actions;
  let action = offered.includes(state.action) ? state.action : offered[0];
  const current = entry.license_plus ?? 0;
  let count = Number.isInteger(state.license_plus) ? state.license_plus : current;

  const actionGroup = offered.length > 1
    ? choices({
      name: 'action',
      legend: 'お手続き',
      options: offered.map((a) => ({ value: a, label: ACTION_CHOICE[a] })),
      value: action,
      required: true,
    })
    : null;
  const countGroup = offered.includes('change')
    ? choices({
      name: 'license_plus',
      legend: '変更後のライセンスプラスの台数',
      hint: '減らす場合は、どの端末にも登録されていないシリアル番号から、新しいものの順に外します。端末で利用中のものを外す場合は、確認画面でその端末をお知らせします。',
      options: [0, 1, 2, 3, 4, 5].map((n) => ({
        value: String(n),
        label: n === current ? `${n}台（現在の台数）` : `${n}台`,
      })),
      value: String(count),
      required: true,
    })
    : null;
  const showCount = () => {
    if (countGroup) countGroup.hidden = action !== 'change';
  };
  showCount();

  const next = h('button', { type: 'submit', class: 'button button--primary' },
    offered.length === 1 && action !== 'change' ? `${ACTION_CHOICE[action]}（次へ）` : '次へ');
  const form = h('form', { novalidate: true, class: 'ln-form' },
    errorSummary(),
    h('h2', {}, 'お申し込み・変更・廃止'),
    h('p', {}, lead(entry, action)),
    actionGroup, countGroup,
    h('div', { class: 'actions' }, next));
  form.addEventListener('change', (event) => {
    if (event.target.name === 'action') action = event.target.value;
    if (event.target.name === 'license_plus') count = Number(event.target.value);
    showCount();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (action === 'change' && count === current) {
      showErrors(form, [{ field: 'license_plus', message: STALE.no_change }]);
      return;
    }
    clearErrors(form);
    // A new choice: devices confirmed for an earlier one are not confirmed for this one.
    f.set({ action, license_plus: action === 'change' ? count : null, release_devices: [] });
    go(`${p.base}/consent`);
  });
  showLater(form, pending);
  return h('div', { class: 'card' }, form);
}

/** What the chosen action does, in one sentence before the button. */
function lead(entry, action) {
  if (action === 'subscribe') return `${entry.name}をお申し込みいただけます（月額${yen(entry.monthly_fee)}、税込）。このあと同意書のご確認、申込者情報の入力、内容の確認へと進みます。`;
  if (action === 'terminate') return `ご利用中の${entry.name}を廃止できます。廃止の工事が完了すると、このサービスはご利用いただけなくなります。`;
  return 'セキュリティ対策ツールを追加の端末で使うためのライセンスプラスを、0台から5台の間で変更できます。増やした分のシリアル番号は、工事が完了するとご利用状況に「インストール待ち」で表示されます。';
}
