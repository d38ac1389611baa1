// 回線情報通知の通知可否設定, steps 4 and 5: the confirmation built from the API's dry
// run, the one submission, and the receipt (受付完了).

import { api } from '../api.js';
import { add, h, notice, facts, word, instant, SETTING } from '../dom.js';
import { whileBusy } from '../forms.js';
import * as session from '../session.js';
import {
  BASE, PATH, f, top, missingStep, bodyOf, sendBack, showProblem, backLink,
} from './line-notification-shared.js';

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

export async function confirm({ view, go }) {
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
