// 契約内容: who the member is to madoguchi, and the way out (解約), kept apart from the
// everyday menu so that nobody reaches it by a slip of the thumb.

import { api } from '../api.js';
import { add, h, heading, facts } from '../dom.js';
import { support, deskParts } from '../support.js';

export const title = '契約内容';

export async function render({ view }) {
  const [usage, desk] = await Promise.all([api('GET', '/v1/usage'), support()]);
  add(view,
    heading('契約内容'),
    h('section', { class: 'card', 'aria-labelledby': 'contract-who' },
      h('h2', { class: 'card__title', id: 'contract-who' }, 'ご契約者'),
      facts([
        ['お客さまID', h('span', { class: 'mono' }, usage.customer_id)],
        ['お名前', `${usage.name} 様`],
        ['ご登録のメールアドレス', usage.email],
      ]),
      h('p', {}, 'お名前やメールアドレスの変更は、お問い合わせ先で承ります。', ...(desk ? [...deskParts(desk), '。'] : []))),
    h('section', { class: 'card', 'aria-labelledby': 'contract-end' },
      h('h2', { class: 'card__title', id: 'contract-end' }, '解約'),
      h('p', {}, '会員契約を解約すると、本日から次のようになります。'),
      h('ul', {},
        h('li', {}, 'セキュリティ対策ツールによる端末の保護と、ご契約中のサービスが終わります。'),
        h('li', {}, 'ご利用の回線も、あわせて廃止のお手続き（工事）を行います。'),
        h('li', {}, 'お申し込み中のご注文は取り下げになります（発送済みのICカードリーダーを除きます）。')),
      h('p', {}, '解約の前に、結果をすべて確認画面でお示しします。'),
      h('p', {}, h('a', { class: 'button', href: '#/cancel' }, '解約のお手続きへ'))));
  return undefined;
}
