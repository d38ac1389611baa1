// ログイン (docs/login.md): customer ID and access key, with the lock and cancellation answers
// explained, and the way to unlock one click away.

import { api } from '../api.js';
import { add, h, notice } from '../dom.js';
import { field, errorSummary, showErrors, clearErrors, missing, onSubmit } from '../forms.js';
import { afterLogin, takeEndReason } from '../main.js';
import * as session from '../session.js';
import { support, deskParts } from '../support.js';

export const title = 'ログイン';

const ENDED = {
  idle: ['操作のない状態が続いたため、ログアウトしました。',
    '入力中の内容はこの端末に残っています。もう一度ログインすると、続きから手続きできます。'],
  server: ['ログインの有効期限が切れたため、ログアウトしました。',
    '入力中の内容はこの端末に残っています。もう一度ログインすると、続きから手続きできます。'],
  logout: ['ログアウトしました。'],
};

/** The customer ID a member just unlocked, to fill in for them. */
export const LAST_ID = 'madoguchi.lastCustomerId';

export async function render({ view, go }) {
  const ended = ENDED[takeEndReason()];
  const status = h('div', { 'data-login-status': true });

  const id = field({
    name: 'customer_id',
    label: 'お客さまID',
    hint: 'CAFから始まる10文字です（例: CAF1234567）。全角でも入力できます。',
    required: true,
    value: sessionStorage.getItem(LAST_ID) ?? '',
    attrs: { autocomplete: 'username', autocapitalize: 'characters', spellcheck: 'false' },
  });
  const toggle = h('button', {
    type: 'button', class: 'button button--small', 'aria-pressed': 'false',
  }, 'アクセスキーを表示');
  const key = field({
    name: 'access_key',
    label: 'アクセスキー',
    hint: '大文字と小文字は区別されます。',
    type: 'password',
    required: true,
    attrs: { autocomplete: 'current-password', autocapitalize: 'off', spellcheck: 'false' },
    after: toggle,
  });
  toggle.setAttribute('aria-controls', key.input.id);
  toggle.addEventListener('click', () => {
    const shown = key.input.type === 'text';
    key.input.type = shown ? 'password' : 'text';
    toggle.setAttribute('aria-pressed', String(!shown));
    toggle.textContent = shown ? 'アクセスキーを表示' : 'アクセスキーを隠す';
  });
  // A case-sensitive key typed with Caps Lock on is the commonest wrong key.
  const caps = h('p', { class: 'field__hint', role: 'status' });
  key.querySelector('.field__control').after(caps);
  key.input.addEventListener('keyup', (event) => {
    caps.textContent = event.getModifierState?.('CapsLock') ? 'Caps Lock がオンになっています。' : '';
  });

  const submit = h('button', { type: 'submit', class: 'button button--primary' }, 'ログイン');
  const form = h('form', { novalidate: true, 'aria-labelledby': 'login-heading' },
    errorSummary(), id, key, h('div', { class: 'actions' }, submit));

  onSubmit(form, submit, 'ログイン中…', {
    check: () => {
      status.replaceChildren();
      return missing(form, {
        customer_id: 'お客さまIDを入力してください。',
        access_key: 'アクセスキーを入力してください。',
      });
    },
    send: async () => {
      const answer = await api('POST', '/v1/sessions', {
        auth: false,
        body: { customer_id: id.input.value, access_key: key.input.value },
      });
      sessionStorage.removeItem(LAST_ID);
      session.begin(answer);
      afterLogin();
    },
    refused: (problem) => {
      // The ID typed is offered again by アカウントロック解除 (never the key).
      sessionStorage.setItem(LAST_ID, id.input.value);
      explain(problem);
    },
  });

  function explain(problem) {
    switch (problem.code) {
      case 'account_locked':
        clearErrors(form);
        status.replaceChildren(notice('error',
          h('p', { class: 'notice__title' }, 'アカウントがロックされています'),
          h('p', {}, 'アクセスキーを10回続けてまちがえたため、このお客さまIDではログインできなくなっています。正しいアクセスキーでもログインできません。'),
          h('p', {}, 'ご登録のメールアドレスに確認コードをお送りして、ロックを解除できます。'),
          h('p', {}, h('a', { href: '#/unlock', class: 'button button--primary' }, 'ロックを解除する'))));
        status.querySelector('.notice').setAttribute('tabindex', '-1');
        status.querySelector('.notice').focus();
        break;
      case 'membership_cancelled':
        clearErrors(form);
        status.replaceChildren(notice('error',
          h('p', { class: 'notice__title' }, '解約済みのお客さまIDです'),
          h('p', {}, 'このお客さまIDは解約の手続きが済んでいるため、ログインできません。')));
        status.querySelector('.notice').setAttribute('tabindex', '-1');
        status.querySelector('.notice').focus();
        break;
      case 'too_many_attempts': {
        const minutes = problem.retryAfter ? Math.ceil(problem.retryAfter / 60) : null;
        showErrors(form, [{
          field: null,
          message: minutes
            ? `ログインの失敗が続いたため、しばらく受け付けを止めています。約${minutes}分後にもう一度お試しください。`
            : problem.detail,
        }]);
        break;
      }
      case 'invalid_credentials':
        // docs/login.md: the warning comes every time, for every ID alike.
        showErrors(form, [{ field: 'access_key', message: 'お客さまIDまたはアクセスキーが正しくありません。大文字と小文字の違いもご確認ください。アクセスキーを10回続けてまちがえると、アカウントがロックされます。' }]);
        break;
      case 'validation_failed':
        showErrors(form, problem.errors.map((e) => ({ field: e.field, message: e.message })));
        break;
      default:
        showErrors(form, [{ field: null, message: problem.detail || problem.title }]);
    }
  }

  add(view,
    h('h1', { id: 'login-heading', tabindex: '-1', 'data-screen-heading': true }, 'ログイン'),
    ended ? notice(ended.length > 1 ? 'warning' : 'info', ...ended.map((line) => h('p', {}, line))) : null,
    h('p', {}, 'お客さまIDとアクセスキーを入力してください。お客さまIDとアクセスキーは、ご契約時にお送りした「登録内容のご案内」に記載されています。'),
    status,
    h('div', { class: 'card' }, form),
    forgotten(),
    h('h2', {}, 'その他の手続き'),
    h('ul', {},
      h('li', {}, h('a', { href: '#/unlock' }, 'アカウントロックを解除する')),
      h('li', {}, h('a', { href: '#/renewal' }, 'ログインせずに更新ユーザー登録をする'), '（購入コードでライセンスを更新します）')),
  );
  return undefined;
}

/** 「アクセスキーをお忘れの方」: a key is reissued by the desk only; how to reach it. */
function forgotten() {
  const desk = h('p', {}, 'お問い合わせ先は、このページの下にあります。');
  support().then((found) => {
    if (found) {
      desk.replaceChildren('お問い合わせ先: ', ...deskParts(found), ' ',
        h('a', { href: found.url, rel: 'noopener' }, 'サポートページ'));
    }
  });
  return h('details', { class: 'help' },
    h('summary', {}, 'アクセスキーをお忘れの方'),
    h('p', {}, 'アクセスキーは、ご本人確認のうえ再発行します。お客さまIDをお手元にご用意のうえ、お問い合わせください。再発行すると、それまでのアクセスキーは使えなくなり、アカウントロックも解除されます。'),
    desk);
}

