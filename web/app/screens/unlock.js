// アカウントロック解除 (docs/login.md#self-service-unlock): ask for a code by customer ID, then type the 8-digit code
// from the mail. The first answer never says whether the ID exists or is locked, so the
// screen says what happens in either case.

import { api } from '../api.js';
import { add, h, heading, notice, steps } from '../dom.js';
import { field, errorSummary, showErrors, missing, draft, onSubmit } from '../forms.js';
import { LAST_ID } from './login.js';

export const title = 'アカウントロックの解除';

const STEPS = ['お客さまIDの入力', '確認コードの入力', 'ロック解除'];
const state = draft('unlock');

export async function render({ view, params, go }) {
  if (params.step === 'code') return codeStep(view, go);
  if (params.step === 'done') return doneStep(view);
  return idStep(view, go);
}

function idStep(view, go) {
  const id = field({
    name: 'customer_id',
    label: 'お客さまID',
    hint: 'CAFから始まる10文字です。全角でも入力できます。',
    required: true,
    value: state.load().customer_id ?? sessionStorage.getItem(LAST_ID) ?? '',
    attrs: { autocomplete: 'username', autocapitalize: 'characters', spellcheck: 'false' },
  });
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, '確認コードを送る');
  const form = h('form', { novalidate: true }, errorSummary(), id, h('div', { class: 'actions' }, submit,
    h('a', { href: '#/login' }, 'ログイン画面へ戻る')));
  onSubmit(form, submit, '送信中…', {
    check: () => missing(form, { customer_id: 'お客さまIDを入力してください。' }),
    send: async () => {
      await api('POST', '/v1/account-unlock', { auth: false, body: { customer_id: id.input.value } });
      state.save({ customer_id: id.input.value });
      go('/unlock/code');
    },
    refused: (problem) => showErrors(form, [{
      field: problem.code === 'validation_failed' ? 'customer_id' : null,
      message: problem.errors[0]?.message || problem.detail || problem.title,
    }]),
  });
  add(view,
    heading('アカウントロックの解除'),
    steps(STEPS, 0),
    h('p', {}, 'アクセスキーを10回続けてまちがえると、アカウントがロックされます。ロックされたお客さまIDを入力すると、ご登録のメールアドレスに8桁の確認コードをお送りします。'),
    h('div', { class: 'card' }, form));
}

function codeStep(view, go) {
  const customerId = state.load().customer_id;
  if (!customerId) {
    go('/unlock', { replace: true });
    return;
  }
  const code = field({
    name: 'code',
    label: '確認コード（8桁の数字）',
    hint: 'メールに記載の8桁の数字です。有効期限は送信から30分です。',
    required: true,
    attrs: { autocomplete: 'one-time-code', inputmode: 'numeric', spellcheck: 'false' },
  });
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, 'ロックを解除する');
  const form = h('form', { novalidate: true }, errorSummary(), code, h('div', { class: 'actions' }, submit));
  onSubmit(form, submit, '確認中…', {
    check: () => missing(form, { code: '確認コードを入力してください。' }),
    send: async () => {
      await api('POST', '/v1/account-unlock/confirm', {
        auth: false,
        body: { customer_id: customerId, code: code.input.value },
      });
      state.clear();
      sessionStorage.setItem(LAST_ID, customerId);
      go('/unlock/done', { replace: true });
    },
    refused: (problem) => {
      const message = {
        invalid_unlock_code: '確認コードが正しくないか、有効期限が切れています。5回まちがえたコードは使えなくなります。新しいコードを送ってやり直してください。',
        too_many_attempts: '確認の失敗が続いたため、しばらく受け付けを止めています。時間をおいてお試しください。',
      }[problem.code];
      showErrors(form, [{ field: problem.code === 'too_many_attempts' ? null : 'code', message: message ?? problem.detail }]);
    },
  });
  add(view,
    heading('確認コードの入力'),
    steps(STEPS, 1),
    notice('info',
      h('p', {}, `お客さまID ${customerId} がロックされている場合、ご登録のメールアドレスに確認コードをお送りしました。`),
      h('p', {}, 'メールが届かないときは、迷惑メールのフォルダもご確認ください。確認コードの送信は1時間に3回までです。ロックされていないお客さまIDには、メールはお送りしません。')),
    h('div', { class: 'card' }, form),
    h('p', {}, h('a', { href: '#/unlock' }, 'お客さまIDを入力し直す・確認コードを送り直す')));
}

function doneStep(view) {
  add(view,
    heading('ロックを解除しました'),
    steps(STEPS, 2),
    notice('success', h('p', {}, 'アカウントのロックを解除しました。アクセスキーは変わっていません。これまでのアクセスキーでログインしてください。')),
    h('p', {}, h('a', { class: 'button button--primary', href: '#/login' }, 'ログイン画面へ')));
}
