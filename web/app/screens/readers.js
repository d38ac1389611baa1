// ICカードリーダーの追加申込み (docs/readers.md): the member's readers (the free starter-kit one
// included), the catalogue priced to the yen, and an order of one more reader as a paid
// rental (有償貸与), paid by e-money (ちょコム) only. 種類の選択 → 確認 (the dry run's
// price) → 受付完了.

import { api } from '../api.js';
import {
  add,
  h,
  heading,
  notice,
  facts,
  steps,
  badge,
  date,
  yen,
  word,
  READER_TYPE,
  receiptCard,
  printButton,
} from '../dom.js';
import { choices, errorSummary, showErrors, values, onSubmit } from '../forms.js';
import { flow } from '../flow.js';

const STEPS = ['種類の選択', '確認', '受付完了'];
/** docs/readers.md: at most 5 readers per member, the starter-kit reader included. */
const LIMIT = 5;
const PAYMENT = 'chocom';

const READER_STATUS = {
  delivered: ['お届け済み', 'ok'],
  awaiting_payment: ['入金待ち', 'warn'],
  paid: ['入金済み（発送準備中）', 'neutral'],
  shipped: ['発送済み', 'neutral'],
  to_be_returned: ['返却待ち', 'bad'],
};

function statusBadge(status) {
  const [text, tone] = READER_STATUS[status] ?? [status, 'neutral'];
  return badge(text, tone);
}

export function title(params) {
  if (params.step === 'confirm') return 'ICカードリーダーの追加申込み（確認）';
  if (params.step === 'done') return 'ICカードリーダーの追加申込み（受付完了）';
  return 'ICカードリーダー';
}

export async function render(context) {
  const { params, go } = context;
  if (params.step === undefined) return list(context);
  if (params.step === 'confirm') return confirm(context);
  if (params.step === 'done') return done(context);
  go('/readers', { replace: true });
  return undefined;
}

/** An API problem as errors: the type field, or the form as a whole. */
function explain(problem) {
  switch (problem.code) {
    case 'reader_type_unavailable':
      return [{ field: 'type', message: 'この種類のICカードリーダーは準備中のため、まだお申し込みいただけません。ほかの種類をお選びください。' }];
    case 'reader_limit_reached':
      return [{ field: null, message: `ICカードリーダーはお一人さま${LIMIT}台まで（スターターキットの1台を含みます）です。上限に達しているため、これ以上お申し込みいただけません。` }];
    case 'unsupported_payment_method':
      return [{ field: null, message: 'ICカードリーダーの有償貸与は、電子マネー（ちょコム）でのお支払いのみです。' }];
    case 'membership_cancelled':
      return [{ field: null, message: '解約済みのため、お申し込みいただけません。' }];
    case 'validation_failed':
      if (problem.errors.length) {
        return problem.errors.map((e) => ({ field: e.field === 'type' ? 'type' : null, message: e.message || problem.detail }));
      }
      return [{ field: null, message: problem.detail || problem.title }];
    default:
      return [{ field: null, message: problem.detail || problem.title || '時間をおいてもう一度お試しください。' }];
  }
}

/** The yen breakdown of one price, as a two-column table. */
function priceTable(price, caption) {
  const row = (label, amount, cls) => h('tr', { class: cls },
    h('th', { scope: 'row' }, label),
    h('td', { class: 'num' }, yen(amount)));
  return h('table', { class: 'table price readers-price' },
    h('caption', {}, caption),
    h('tbody', {},
      row('本体価格（税別・送料込み）', price.base),
      row('消費税（10%）', price.tax),
      row('ちょコム決済手数料（1%）', price.fee),
      row('合計', price.total, 'total')));
}

/** docs/readers.md: only readers shipped are in the member's hands; orders on their way to
 * being paid or shipped are said apart, and all count toward the limit. */
function countText(readers) {
  const inHand = readers.filter((r) => ['delivered', 'shipped', 'to_be_returned'].includes(r.status)).length;
  const ordered = readers.length - inHand;
  const extra = ordered ? `、お申し込み中が${ordered}台` : '';
  return `${inHand}台をお使いです${extra}（お申し込み中を含めて、お一人さま${LIMIT}台まで）。`;
}

function readersTable(readers) {
  return h('table', { class: 'table table--stack readers-list' },
    h('caption', { class: 'visually-hidden' }, `お手元のICカードリーダー（${readers.length}台）`),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, '管理番号'),
      h('th', { scope: 'col' }, '種類'),
      h('th', { scope: 'col' }, 'ご提供の形態'),
      h('th', { scope: 'col' }, '状態'),
      h('th', { scope: 'col' }, '申込日'),
      h('th', { scope: 'col' }, 'ご注文'))),
    h('tbody', {}, readers.map((r) => h('tr', {},
      h('td', { 'data-label': '管理番号', class: 'mono' }, r.reader_id),
      h('td', { 'data-label': '種類' }, word(READER_TYPE, r.type)),
      h('td', { 'data-label': 'ご提供の形態' }, r.rental ? '有償貸与' : 'スターターキット（無償）'),
      h('td', { 'data-label': '状態' }, statusBadge(r.status)),
      h('td', { 'data-label': '申込日' }, date(r.ordered_on)),
      // The order behind a rental: its progress, payment and withdrawal (docs/orders.md).
      h('td', { 'data-label': 'ご注文' }, r.order_no
        ? h('a', { href: `#/orders/${encodeURIComponent(r.order_no)}` },
          'ご注文の状況', h('span', { class: 'visually-hidden' }, `（${r.reader_id}）`))
        : '—')))));
}

function catalogTable(catalog) {
  const num = (label, amount) => h('td', { class: 'num', 'data-label': label }, yen(amount));
  return h('table', { class: 'table table--stack readers-catalog' },
    h('caption', {}, 'ご提供中のICカードリーダーと料金（1台あたり）'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, '種類'),
      h('th', { scope: 'col', class: 'num' }, '本体（税別）'),
      h('th', { scope: 'col', class: 'num' }, '消費税'),
      h('th', { scope: 'col', class: 'num' }, '決済手数料'),
      h('th', { scope: 'col', class: 'num' }, '合計'),
      h('th', { scope: 'col' }, 'お申し込み'))),
    h('tbody', {}, catalog.map((c) => h('tr', {},
      h('th', { scope: 'row', 'data-label': '種類' }, word(READER_TYPE, c.type)),
      num('本体（税別）', c.price.base),
      num('消費税', c.price.tax),
      num('決済手数料', c.price.fee),
      h('td', { class: 'num readers-catalog__total', 'data-label': '合計' }, yen(c.price.total)),
      h('td', { 'data-label': 'お申し込み' }, c.available ? badge('受付中', 'ok') : badge('準備中', 'neutral'))))));
}

async function list({ view, go }) {
  const f = flow('readers');
  if (f.receipt()) f.clear();
  const { readers, catalog } = await api('GET', '/v1/readers');
  const state = f.get();
  const pending = state.errors;
  if (pending) f.set({ errors: undefined });
  const full = readers.length >= LIMIT;

  const type = choices({
    name: 'type',
    legend: 'お申し込みになる種類',
    options: catalog.map((c) => ({
      value: c.type,
      label: word(READER_TYPE, c.type),
      hint: c.available
        ? `1台 ${yen(c.price.total)}（税込・決済手数料込み）`
        : '準備中のため、まだお申し込みいただけません。',
      disabled: !c.available,
    })),
    value: catalog.some((c) => c.available && c.type === state.type) ? state.type : null,
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, '確認画面へ進む');
  const form = h('form', { novalidate: true, 'aria-labelledby': 'readers-order' },
    errorSummary(),
    type,
    facts([
      ['数量', '1台'],
      ['お支払い方法', 'ちょコム（電子マネー）のみ'],
    ]),
    h('div', { class: 'actions' }, submit));
  const keep = () => f.set({ type: values(form).type });
  form.addEventListener('change', keep);

  onSubmit(form, submit, '確認中…', {
    check: () => (values(form).type ? [] : [{
      field: 'type',
      message: 'お申し込みになるICカードリーダーの種類を選んでください。',
    }]),
    send: async () => {
      const chosen = values(form).type;
      f.set({ type: chosen });
      await api('POST', '/v1/readers', { body: { type: chosen, payment_method: PAYMENT, dry_run: true } });
      go('/readers/confirm');
    },
    refused: (problem) => showErrors(form, explain(problem)),
  });

  add(view,
    heading('ICカードリーダー'),
    h('h2', {}, 'ご利用中のICカードリーダー'),
    h('p', { class: 'readers-count' }, countText(readers)),
    readers.length
      ? readersTable(readers)
      : h('p', {}, 'ICカードリーダーの登録はありません。'),
    h('h2', { id: 'readers-order' }, 'ICカードリーダーの追加申込み'),
    steps(STEPS, 0),
    h('p', {}, '1台目のICカードリーダーはスターターキットに同梱して無料でお届けしています。2台目以降は有償貸与でのご提供です。'),
    notice('info',
      h('p', { class: 'notice__title' }, '有償貸与のご案内'),
      h('ul', {},
        h('li', {}, '料金は下の表のとおりです（送料を含みます）。'),
        h('li', {}, 'お支払いは電子マネー（ちょコム）のみです。お支払いの際に、1%のちょコム決済手数料がかかります（表の「決済手数料」）。'),
        h('li', {}, 'ちょコムでのお支払いを確認してから発送します。'),
        h('li', {}, '貸与したICカードリーダーは、解約の際にご返却いただきます。'),
        h('li', {}, `お一人さま${LIMIT}台まで（スターターキットの1台を含みます）お使いいただけます。`))),
    catalogTable(catalog),
    full
      ? notice('warning',
        h('p', { class: 'notice__title' }, '上限に達しています'),
        h('p', {}, `ICカードリーダーはお一人さま${LIMIT}台まで（スターターキットの1台を含みます）です。これ以上お申し込みいただけません。`))
      : h('div', { class: 'card' }, form),
  );
  if (pending?.length && !full) setTimeout(() => showErrors(form, pending), 0);
  return undefined;
}

async function confirm({ view, go }) {
  const f = flow('readers');
  if (f.receipt()) {
    go('/readers/done', { replace: true });
    return undefined;
  }
  const state = f.get();
  if (!state.type) {
    go('/readers', { replace: true });
    return undefined;
  }
  const body = { type: state.type, payment_method: PAYMENT };
  const replayed = await f.replay('/v1/readers', body);
  if (replayed) {
    f.done(replayed);
    go('/readers/done', { replace: true });
    return undefined;
  }
  // The step that owns the fields shows what the dry run refuses.
  const quote = await f.preview('/v1/readers', body, { back: '/readers', explain, go });
  if (!quote) return undefined;

  const submit = h('button', { type: 'submit', class: 'button button--primary' }, '申し込む');
  const form = h('form', { novalidate: true, 'aria-label': 'お申し込みの確定' },
    errorSummary(),
    h('div', { class: 'actions' },
      submit,
      h('a', { class: 'button', href: '#/readers' }, '種類を選び直す')));

  onSubmit(form, submit, '申し込んでいます…', {
    send: async () => {
      f.done(await f.submit('/v1/readers', body));
      go('/readers/done', { replace: true });
    },
    refused: (problem) => showErrors(form, explain(problem)),
  });

  add(view,
    steps(STEPS, 1),
    heading('お申し込み内容の確認'),
    h('p', {}, 'まだお申し込みは完了していません。内容をご確認のうえ、「申し込む」を押してください。'),
    h('div', { class: 'card' },
      facts([
        ['種類', word(READER_TYPE, quote.type)],
        ['数量', '1台'],
        ['ご提供の形態', '有償貸与'],
        ['お支払い方法', 'ちょコム（電子マネー）'],
      ]),
      priceTable(quote.price, 'お支払い金額の内訳')),
    h('ul', {},
      h('li', {}, 'お申し込み後、ちょコムでのお支払いを確認してから発送します（送料は料金に含まれています）。'),
      h('li', {}, '貸与したICカードリーダーは、解約の際にご返却いただきます。')),
    form,
  );
  return undefined;
}

async function done({ view, go }) {
  const f = flow('readers');
  const receipt = f.receipt();
  if (!receipt) {
    go('/readers', { replace: true });
    return undefined;
  }
  const status = receipt.status === 'awaiting_payment'
    ? statusBadge('awaiting_payment')
    : statusBadge(receipt.reader?.status ?? receipt.status);
  add(view,
    steps(STEPS, 2),
    heading('ICカードリーダー追加申込みの受付完了'),
    notice('success',
      h('p', { class: 'notice__title' }, 'お申し込みを受け付けました'),
      h('p', {}, 'ちょコムでのお支払いを確認してから、ICカードリーダーを発送します。')),
    receiptCard(receipt, [
      ['注文番号', h('span', { class: 'mono' }, receipt.order_no)],
      ['種類', word(READER_TYPE, receipt.reader?.type)],
      ['管理番号', h('span', { class: 'mono' }, receipt.reader?.reader_id)],
      ['状態', status],
      ['お支払い期限', receipt.payment ? date(receipt.payment.due_on) : null],
    ], priceTable(receipt.price, 'お支払い金額')),
    receipt.payment ? h('p', {},
      h('a', { class: 'button button--primary', href: receipt.payment.url, rel: 'noopener' }, 'ちょコムでお支払いへ進む'),
      ' ',
      `お支払い期限（${date(receipt.payment.due_on)}）までにお支払いがない場合、お申し込みは取り消しとなります。`) : null,
    h('p', {}, 'ご登録のメールアドレスに、お申し込み内容をお送りしました。'),
    h('div', { class: 'actions' },
      printButton(),
      h('a', { class: 'button button--primary', href: '#/readers' }, 'ICカードリーダーの一覧へ'),
      receipt.order_no ? h('a', { class: 'button', href: `#/orders/${encodeURIComponent(receipt.order_no)}` }, 'ご注文の状況を見る') : null,
      h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ')),
  );
  return undefined;
}
