// お問い合わせ先 (docs/support.md): the desk, its phone and hours, asked for once (no login)
// and shown in the header's name, the footer, and wherever a member is sent for help.

import { api } from './api.js';
import { h, fill } from './dom.js';

let asked = null;

/** The desk as the operators configured it; null when it cannot be read now. */
export function support() {
  if (!asked) {
    asked = api('GET', '/v1/support', { auth: false }).catch(() => {
      asked = null;
      return null;
    });
  }
  return asked;
}

/** 「会員サポートセンター 0120-000-000、受付時間 9:00〜18:00」: who to call, in one line,
 * the phone number never broken across lines. */
export function deskParts(desk) {
  return [`${desk.desk_name} `, h('span', { class: 'nowrap' }, desk.phone), `、受付時間 ${desk.hours}`];
}

/** The header's name, the page title's and the footer's desk, once the desk is known. */
export async function showDesk() {
  const desk = await support();
  if (!desk) return null;
  document.getElementById('brand-name').textContent = desk.service_name;
  fill(document.getElementById('footer-desk'),
    h('span', {}, 'お問い合わせ: ', ...deskParts(desk)), ' ',
    h('a', { href: desk.url, rel: 'noopener' }, 'サポートページ'));
  return desk;
}
