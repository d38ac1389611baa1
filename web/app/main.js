// The portal's shell: routes in the URL's hash (so that Back works at every step and the
// files need no server rewrite rules), the header and menu, and the idle-timeout warning.

import { api } from './api.js';
import { h, fill, notice, heading } from './dom.js';
import { forgetDrafts, whileBusy } from './forms.js';
import * as session from './session.js';
import { showDesk } from './support.js';

// `member`: needs a login; `guest`: only without one (ログイン); `any`: both.
const ROUTES = [
  ['/login', 'guest', () => import('./screens/login.js')],
  ['/unlock', 'guest', () => import('./screens/unlock.js')],
  ['/unlock/:step', 'guest', () => import('./screens/unlock.js')],
  ['/usage', 'member', () => import('./screens/usage.js')],
  ['/serials/:serial', 'member', () => import('./screens/serial.js')],
  ['/serials/:serial/:step', 'member', () => import('./screens/serial.js')],
  ['/line-notification', 'member', () => import('./screens/line-notification.js')],
  ['/line-notification/:step', 'member', () => import('./screens/line-notification.js')],
  ['/renewal', 'any', () => import('./screens/renewal.js')],
  ['/renewal/:step', 'any', () => import('./screens/renewal.js')],
  ['/readers', 'member', () => import('./screens/readers.js')],
  ['/readers/:step', 'member', () => import('./screens/readers.js')],
  ['/cancel', 'member', () => import('./screens/cancel.js')],
  // 受付完了 of a cancellation is shown after the session it ended (docs/cancellation.md).
  ['/cancel/done', 'any', () => import('./screens/cancel.js')],
  ['/cancel/:step', 'member', () => import('./screens/cancel.js')],
  ['/receipts', 'member', () => import('./screens/receipts.js')],
  ['/contract', 'member', () => import('./screens/contract.js')],
  ['/orders/:order_no', 'member', () => import('./screens/order.js')],
  ['/services/:service', 'member', () => import('./screens/service.js')],
  ['/services/:service/:step', 'member', () => import('./screens/service.js')],
];

/** The page title's last part; the service's name is put before it once it is known. */
let site = '会員ポータル';
const WARN_BEFORE_SECONDS = 120;
const main = document.getElementById('main');

function match(path) {
  const parts = path.split('/');
  for (const [pattern, access, load] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    const same = want.every((w, i) => {
      if (w.startsWith(':')) {
        try {
          params[w.slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          return false;
        }
        return parts[i] !== '';
      }
      return w === parts[i];
    });
    if (same) return { access, load, params };
  }
  return null;
}

/** Goes to a route of the portal: `go('/usage')`. */
export function go(path, { replace = false } = {}) {
  const target = `#${path}`;
  if (location.hash === target) {
    route();
  } else if (replace) {
    history.replaceState(null, '', target);
    route();
  } else {
    location.hash = target;
  }
}

/** Where the member was when a login was asked for, to go back there after it. */
const RETURN_TO = 'madoguchi.returnTo';
/** The member last logged in at this tab. */
const LAST_MEMBER = 'madoguchi.lastMember';
/** Why the last session ended, shown on the login screen once. */
const ENDED = 'madoguchi.ended';

let generation = 0;

// The desk in the header and the footer. Asked again at each screen until it is known: a
// first try that failed (offline, a server restarting) must not leave the footer empty.
let deskShown = false;
async function showDeskOnce() {
  if (deskShown) return;
  const desk = await showDesk();
  if (!desk || deskShown) return;
  deskShown = true;
  site = `${desk.service_name} 会員ポータル`;
  const [screen] = document.title.split(' | ');
  document.title = `${screen} | ${site}`;
}

async function route() {
  showDeskOnce();
  const hash = location.hash;
  // A plain `#id` (a link to a field) is not a route: stay on the screen.
  if (hash && !hash.startsWith('#/')) return;
  const [path, search = ''] = (hash ? hash.slice(1) : '/').split('?');
  if (path === '/') {
    go(session.isActive() ? '/usage' : '/login', { replace: true });
    return;
  }
  const found = match(path);
  if (found?.access === 'member' && !session.isActive()) {
    sessionStorage.setItem(RETURN_TO, hash.slice(1));
    go('/login', { replace: true });
    return;
  }
  if (found?.access === 'guest' && session.isActive()) {
    go('/usage', { replace: true });
    return;
  }
  showChrome(path);
  // A confirmation dialog belongs to the screen it was opened on.
  for (const open of document.querySelectorAll('dialog[open]:not(#idle-warning)')) open.close();

  generation += 1;
  const mine = generation;
  const view = h('div', { class: 'screen' });
  fill(main, h('p', { class: 'loading', role: 'status' }, '読み込み中…'));
  if (!found) {
    document.title = `ページが見つかりません | ${site}`;
    fill(main, view);
    view.append(heading('ページが見つかりません'), h('p', {}, h('a', { href: '#/' }, 'トップへ戻る')));
    focusHeading(view);
    return;
  }
  try {
    const screen = await found.load();
    if (mine !== generation) return;
    const title = typeof screen.title === 'function' ? screen.title(found.params) : screen.title;
    document.title = `${title} | ${site}`;
    const query = new URLSearchParams(search);
    const ready = screen.render({ view, params: found.params, query, go, path });
    // A screen that loads data shows the loading line until it has it.
    await ready;
    if (mine !== generation) return;
    fill(main, view);
    focusHeading(view);
    announce(title);
  } catch (error) {
    if (mine !== generation) return;
    fill(main, view);
    view.replaceChildren(
      heading('表示できませんでした'),
      notice('error', error?.detail || error?.message || '時間をおいてもう一度お試しください。'),
      h('p', {}, h('button', { type: 'button', class: 'button', onclick: () => route() }, 'もう一度読み込む')));
    focusHeading(view);
  }
}

function focusHeading(view) {
  const target = view.querySelector('[data-screen-heading]') ?? main;
  target.focus({ preventScroll: false });
  window.scrollTo(0, 0);
}

function announce(text) {
  const announcer = document.getElementById('announcer');
  announcer.textContent = '';
  setTimeout(() => { announcer.textContent = `${text}を表示しました`; }, 50);
}

function showChrome(path) {
  const active = session.isActive();
  document.getElementById('site-nav').hidden = !active;
  menuButton.hidden = !active;
  closeMenu();
  document.getElementById('who').hidden = !active;
  document.getElementById('who-name').textContent = active ? `${session.customer()?.name ?? ''} 様` : '';
  document.getElementById('nav-who').textContent = document.getElementById('who-name').textContent;
  for (const link of document.querySelectorAll('#site-nav a')) {
    const target = link.getAttribute('href').slice(1);
    const current = path === target || path.startsWith(`${target}/`)
      || (target === '/usage' && (path.startsWith('/serials/') || path.startsWith('/services/')))
      || (target === '/contract' && path.startsWith('/cancel'));
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

/** After a login: back to where the member was asked to log in, or to ご利用状況. */
export function afterLogin() {
  // Someone else than the last member at this tab: nothing of theirs is offered.
  const who = session.customer()?.customer_id;
  if (sessionStorage.getItem(LAST_MEMBER) !== who) {
    forgetDrafts();
    sessionStorage.removeItem(RETURN_TO);
  }
  sessionStorage.setItem(LAST_MEMBER, who);
  const back = sessionStorage.getItem(RETURN_TO);
  sessionStorage.removeItem(RETURN_TO);
  const known = back && match(back.split('?')[0]);
  go(known && known.access !== 'guest' ? back : '/usage', { replace: true });
}

/** Why the previous session ended, once: 'idle', 'server' or 'logout'. */
export function takeEndReason() {
  const reason = sessionStorage.getItem(ENDED);
  sessionStorage.removeItem(ENDED);
  return reason;
}

session.on('end', (event) => {
  const { reason } = event.detail;
  // 解約 ended the membership and the session together: its screen shows the receipt and
  // then leaves by itself, so no jump to ログイン here.
  if (reason === 'cancelled') {
    sessionStorage.removeItem(RETURN_TO);
    return;
  }
  sessionStorage.setItem(ENDED, reason);
  const dialog = document.getElementById('idle-warning');
  if (dialog.open) dialog.close();
  if (reason === 'logout') {
    forgetDrafts();
    sessionStorage.removeItem(RETURN_TO);
  } else {
    const here = location.hash.slice(1);
    const access = match(here.split('?')[0])?.access;
    if (access === 'member' || access === 'any') sessionStorage.setItem(RETURN_TO, here);
  }
  go('/login', { replace: true });
});

// On a phone the menu is one button in the header's row, opening the links below it.
const menuButton = document.getElementById('menu-button');
function closeMenu() {
  menuButton.setAttribute('aria-expanded', 'false');
  document.getElementById('site-nav').classList.remove('site-nav--open');
}
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && menuButton.getAttribute('aria-expanded') === 'true') {
    closeMenu();
    menuButton.focus();
  }
});
menuButton.addEventListener('click', () => {
  const open = menuButton.getAttribute('aria-expanded') !== 'true';
  menuButton.setAttribute('aria-expanded', String(open));
  document.getElementById('site-nav').classList.toggle('site-nav--open', open);
});

const logout = document.getElementById('logout');
logout.addEventListener('click', () => whileBusy(logout, 'ログアウト中…', async () => {
  try {
    await api('DELETE', '/v1/sessions/current');
  } catch {
    // Already ended on the server: the member is logged out either way.
  }
  session.end('logout');
}));

// Idle warning: two minutes before the server would end the session (docs/login.md, 13 minutes).
const dialog = document.getElementById('idle-warning');
const left = document.getElementById('idle-left');
const stay = document.getElementById('idle-stay');
stay.addEventListener('click', () => whileBusy(stay, '確認中…', async () => {
  try {
    await api('GET', '/v1/usage');
  } catch {
    // A 401 ends the session through the API client; anything else: try again later.
  }
  if (dialog.open) dialog.close();
}));
document.getElementById('idle-leave').addEventListener('click', () => logout.click());
document.getElementById('nav-logout').addEventListener('click', () => logout.click());
function watchIdle() {
  if (!session.isActive()) return;
  const seconds = session.secondsLeft();
  if (seconds <= 0) {
    // The server has ended it by its own clock; no call is made, as a tab duplicated
    // from this one may share the token and still be in use.
    session.end('idle');
  } else if (seconds <= WARN_BEFORE_SECONDS) {
    const whole = Math.ceil(seconds);
    const minutes = Math.floor(whole / 60);
    left.textContent = minutes > 0 ? `${minutes}分${whole % 60}秒` : `${whole}秒`;
    if (!dialog.open) dialog.showModal();
  } else if (dialog.open) {
    dialog.close();
  }
}
setInterval(watchIdle, 1000);

document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', route);
route();
