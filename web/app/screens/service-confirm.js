// A service application, steps 4 and 5: the confirmation built from the API's dry run (with
// each device that would lose its protection, confirmed one by one), the one submission,
// and the receipt (受付完了). Steps 1 to 3 are in service.js and application.js.

import { api } from '../api.js';
import {
  add, h, notice, facts, word, yen, instant, printButton, SERVICE, SERVICE_STATUS, OS,
} from '../dom.js';
import {
  choices, errorSummary, showErrors, clearErrors, whileBusy,
} from '../forms.js';
import * as session from '../session.js';
import {
  showProblem, showLater, backLink, applicantFacts,
} from './application.js';

const DONE_ACTION = {
  subscribe: 'お申し込み',
  change: '変更',
  terminate: '廃止',
};

function what(c) {
  const rows = [
    ['サービス', word(SERVICE, c.service)],
    ['お手続き', word(DONE_ACTION, c.action)],
    ['現在の状態', word(SERVICE_STATUS, c.before)],
    ['工事完了後の状態', h('strong', {}, word(SERVICE_STATUS, c.after))],
  ];
  if (c.license_plus) {
    rows.push(['ライセンスプラス', h('strong', {}, `${c.license_plus.before}台 → ${c.license_plus.after}台`)]);
  }
  if (c.monthly_fee !== undefined && c.action !== 'terminate') {
    rows.push(['月額料金', c.monthly_fee ? `${yen(c.monthly_fee)}（税込）` : '無料']);
  }
  return facts(rows, { class: 'facts ln-facts' });
}

function deviceLabel(d) {
  return `${d.device.name}（${word(OS, d.device.os)}）— シリアル番号 ${d.serial}`;
}

export async function confirm(p, { view, go }) {
  if (p.redirect('confirm', go)) return undefined;
  const { f } = p;
  const state = f.get();
  const replayed = await f.replay(p.path, p.bodyOf(state));
  if (replayed) {
    f.done({ ...replayed, applicant: state.applicant, license_plus: state.license_plus_change ?? null });
    go(`${p.base}/done`, { replace: true });
    return undefined;
  }
  let confirmation;
  try {
    confirmation = await api('POST', p.path, { body: { ...p.bodyOf(state), dry_run: true } });
  } catch (problem) {
    if (await p.sendBack(problem, 'confirm', go)) return undefined;
    throw problem;
  }

  // docs/services.md: a device loses its protection only when the member confirms that
  // very device.
  const losing = confirmation.devices_losing_protection ?? [];
  const devices = losing.length
    ? choices({
      name: 'release_devices',
      legend: '保護が解除される端末の確認',
      type: 'checkbox',
      hint: '工事が完了すると、これらの端末ではセキュリティ対策ツールが使えなくなります。端末ごとに確認してチェックを入れてください。',
      options: losing.map((d) => ({ value: d.device.device_id, label: deviceLabel(d) })),
      value: (state.release_devices ?? []).filter((id) => losing.some((d) => d.device.device_id === id)),
      required: true,
    })
    : null;

  const pending = p.takePending('confirm');
  const problemPlace = h('div');
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, 'この内容で申し込む');
  const form = h('form', { novalidate: true, class: 'ln-form' },
    errorSummary(),
    devices,
    h('div', { class: 'actions' }, submit, backLink(`${p.base}/applicant`)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const release = devices
      ? [...devices.querySelectorAll('input:checked')].map((i) => i.value)
      : [];
    if (devices && release.length !== losing.length) {
      showErrors(form, [{
        field: 'release_devices',
        message: '保護が解除される端末すべてにチェックを入れてください。外したくない場合は、台数を選び直してください。',
      }]);
      return;
    }
    clearErrors(form);
    f.set({ release_devices: release, license_plus_change: confirmation.license_plus ?? null });
    whileBusy(submit, '送信中…', async () => {
      problemPlace.replaceChildren();
      try {
        const answer = await f.submit(p.path, p.bodyOf(f.get()));
        f.done({ ...answer, applicant: confirmation.applicant, license_plus: confirmation.license_plus });
        go(`${p.base}/done`, { replace: true });
      } catch (problem) {
        if (p.showSubmitProblem(problem, problemPlace)) return;
        if (problem.code === 'validation_failed'
          && problem.errors.every((e) => e.field === 'options.release_devices')) {
          // A device was installed since this page was shown: the page is shown again,
          // naming it.
          p.leave('elsewhere', go, 'confirm', [{
            field: 'release_devices',
            message: 'この画面を表示したあとに、保護が解除される端末が変わりました。あらためて確認してください。',
          }]);
          return;
        }
        const back = await p.sendBack(problem, 'confirm', go);
        if (Array.isArray(back)) showErrors(form, back);
        else if (!back) showProblem(problemPlace, h('p', {}, problem.detail || problem.title || problem.message));
      }
    });
  });

  p.top(view, 'confirm');
  add(view,
    h('p', {}, '以下の内容で申し込みます。よろしければ「この内容で申し込む」を押してください。修正する場合は「戻る」を押してください。'),
    notice('warning', h('p', {}, 'お申し込みのあと、工事を行います。工事が完了するまでは現在の状態のままで、完了すると新しい状態になります。工事が始まる前であれば、ご注文の状況の画面から取り下げることができます。')),
    problemPlace,
    h('section', { class: 'card', 'aria-labelledby': 'service-confirm-what' },
      h('h2', { class: 'card__title', id: 'service-confirm-what' }, 'お申し込みの内容'),
      what(confirmation),
      h('p', {}, h('a', { href: `#${p.base}` }, 'お申し込みの内容を選び直す'))),
    h('section', { class: 'card', 'aria-labelledby': 'service-confirm-applicant' },
      h('h2', { class: 'card__title', id: 'service-confirm-applicant' }, '申込者情報'),
      applicantFacts(confirmation.applicant),
      h('p', {}, h('a', { href: `#${p.base}/applicant` }, '申込者情報を修正する'))),
    h('div', { class: 'card' }, form));
  showLater(form, pending);
  return undefined;
}

export async function done(p, { view, go }) {
  const receipt = p.f.receipt();
  if (!receipt) {
    go(p.base, { replace: true });
    return undefined;
  }
  const who = session.customer();
  p.top(view, 'done');
  add(view,
    notice('success',
      h('p', { class: 'notice__title' }, `${word(SERVICE, receipt.service)}の${word(DONE_ACTION, receipt.action)}を受け付けました。`),
      h('p', {}, 'これから工事を行います。工事の進み具合は「ご注文の状況」でご確認いただけます。お問い合わせの際に受付番号をお伺いすることがありますので、印刷するなどしてお手元に保存してください。')),
    h('section', { class: 'card', 'aria-labelledby': 'service-done-receipt' },
      h('h2', { class: 'card__title', id: 'service-done-receipt' }, '受付内容'),
      facts([
        ['受付番号', h('span', { class: 'receipt-no mono' }, receipt.receipt_no)],
        ['受付日時', instant(receipt.accepted_at)],
        ['注文番号', h('span', { class: 'mono' }, receipt.order_no)],
        ['お客さまID', who ? h('span', { class: 'mono' }, who.customer_id) : null],
        ['サービス', word(SERVICE, receipt.service)],
        ['お手続き', word(DONE_ACTION, receipt.action)],
        ['ライセンスプラス', receipt.license_plus ? `${receipt.license_plus.before}台 → ${receipt.license_plus.after}台` : null],
      ], { class: 'facts ln-facts' })),
    receipt.applicant ? h('section', { class: 'card', 'aria-labelledby': 'service-done-applicant' },
      h('h2', { class: 'card__title', id: 'service-done-applicant' }, '申込者情報'),
      applicantFacts(receipt.applicant),
      receipt.applicant.completion_email
        ? h('p', {}, '工事が完了したら、工事完了通知メールをご連絡先メールアドレスにお送りします。')
        : null) : null,
    h('div', { class: 'actions' },
      printButton(),
      h('a', { class: 'button button--primary', href: `#/orders/${receipt.order_no}` }, 'ご注文の状況を見る'),
      h('a', { class: 'button', href: `#${p.base}` }, 'サービスの詳細へ'),
      h('a', { class: 'button', href: '#/receipts' }, '受付履歴へ'),
      h('a', { class: 'button', href: '#/usage' }, 'ご利用状況へ戻る')));
  return undefined;
}
