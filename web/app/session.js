// The member's login, kept per browser tab (sessionStorage): a reload keeps it, closing the
// tab forgets it. The server ends a session after 13 idle minutes (docs/login.md); the portal
// keeps its own clock of the last call so that it can warn two minutes before.

const KEY = 'madoguchi.session';
const events = new EventTarget();

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY)) ?? null;
  } catch {
    return null;
  }
}

function write(value) {
  if (value) sessionStorage.setItem(KEY, JSON.stringify(value));
  else sessionStorage.removeItem(KEY);
}

/** After a 201 from POST /v1/sessions. */
export function begin({ token, idle_timeout_seconds: idle, customer }) {
  write({ token, idle, customer, lastCall: Date.now() });
  events.dispatchEvent(new Event('change'));
}

export function token() {
  return read()?.token ?? null;
}

export function customer() {
  return read()?.customer ?? null;
}

export function isActive() {
  return token() !== null;
}

/**
 * The server answered a call with the token. It moves its idle clock at most once a
 * minute (most reads stay reads), so the portal's clock moves by the same rule: never
 * later than the server's, so the warning is never late.
 */
const SERVER_TOUCH_INTERVAL_MS = 60_000;
export function touched() {
  const current = read();
  if (current && Date.now() - current.lastCall >= SERVER_TOUCH_INTERVAL_MS) {
    write({ ...current, lastCall: Date.now() });
  }
}

/** Seconds until the server ends the session for idleness, as far as the portal knows. */
export function secondsLeft() {
  const current = read();
  if (!current) return 0;
  return current.idle - (Date.now() - current.lastCall) / 1000;
}

/**
 * The session is over: `reason` is 'logout' (the member's choice), 'idle' (the portal's
 * clock ran out) or 'server' (the API answered 401).
 */
export function end(reason) {
  if (!read()) return;
  write(null);
  events.dispatchEvent(new CustomEvent('end', { detail: { reason } }));
  events.dispatchEvent(new Event('change'));
}

export function on(type, listener) {
  events.addEventListener(type, listener);
}
