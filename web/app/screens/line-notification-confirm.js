// 回線情報通知の通知可否設定, steps 4 and 5: the confirmation built from the API's dry
// run, the one submission, and the receipt (受付完了).

import { api } from '../api.js';
import { add, h, notice, facts, word, instant, SETTING } from '../dom.js';
import { whileBusy } from '../forms.js';
import * as session from '../session.js';
import { showProblem, backLink, applicantFacts } from './application.js';
import { BASE, ln } from './line-notification-shared.js';

const PATH = ln.path;

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

export async function confirm({ view, go }) {
  if (ln.redirect('confirm', go)) return undefined;
  const { f } = ln;
  const state = f.get();
  const body = ln.bodyOf(state);
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
    const back = await ln.sendBack(problem, 'confirm', go);
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
      if (ln.showSubmitProblem(problem, problemPlace)) return;
      if (await ln.sendBack(problem, 'confirm', go)) return;
      showProblem(problemPlace, h('p', {}, problem.detail || problem.title || problem.message));
    }
  }));

  ln.top(view, 'confirm');
  add(view,
    h('p', {}, '以下の内容で設定を変更します。よろしければ「この内容で申し込む」を押してください。修正する場合は「戻る」を押してください。'),
    notice('warning', h('p', {}, 'お申し込みのあと、設定の変更工事を行います（約1時間）。工事が完了するまでは現在の設定のままで、完了すると新しい設定になります。「通知しない」にしたサービス提供者では、サービスの一部がご利用いただけなくなる場合があります。')),
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

export async function done({ view, go }) {
  const { f } = ln;
  const receipt = f.receipt();
  if (!receipt) {
    go(BASE, { replace: true });
    return undefined;
  }
  const who = session.customer();
  const print = h('button', { type: 'button', class: 'button' }, '印刷する');
  print.addEventListener('click', () => window.print());

  ln.top(view, 'done');
  add(view,
    h('p', { class: 'print-only ln-print-title' }, '回線情報通知 変更受付'),
    notice('success',
      h('p', { class: 'notice__title' }, '回線情報通知の通知可否設定の変更を受け付けました。'),
      h('p', {}, 'これから設定の変更工事を行います（約1時間）。工事が完了するまでは現在の設定のままで、回線情報通知の画面には「変更中」と表示されます。お問い合わせの際に受付番号をお伺いすることがありますので、印刷するなどしてお手元に保存してください。')),
    h('section', { class: 'card', 'aria-labelledby': 'ln-done-receipt' },
      h('h2', { class: 'card__title', id: 'ln-done-receipt' }, '受付内容'),
      facts([
        ['受付番号', h('span', { class: 'receipt-no mono' }, receipt.receipt_no)],
        ['受付日時', instant(receipt.accepted_at)],
        ['注文番号', receipt.order_no ? h('span', { class: 'mono' }, receipt.order_no) : null],
        ['お客さまID', who ? h('span', { class: 'mono' }, who.customer_id) : null],
      ], { class: 'facts ln-facts' }),
      h('h3', {}, 'お申し込みの通知可否設定'),
      changesTable(receipt.changes, receipt.providers, { caption: 'お申し込みの通知可否設定（現在と工事完了後）', afterLabel: '工事完了後' })),
    receipt.applicant ? h('section', { class: 'card', 'aria-labelledby': 'ln-done-applicant' },
      h('h2', { class: 'card__title', id: 'ln-done-applicant' }, '申込者情報'),
      applicantFacts(receipt.applicant),
      receipt.applicant.completion_email
        ? h('p', {}, '工事が完了したら、工事完了通知メールをご連絡先メールアドレスにお送りします。')
        : null) : null,
    h('div', { class: 'actions' },
      print,
      h('a', { class: 'button', href: `#${BASE}` }, '現在の設定を見る'),
      receipt.order_no ? h('a', { class: 'button', href: `#/orders/${receipt.order_no}` }, 'ご注文の状況を見る') : null,
      h('a', { class: 'button', href: '#/receipts' }, '受付履歴へ'),
      h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ戻る')));
  return undefined;
}
