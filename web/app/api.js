// The one way the portal talks to madoguchi: the public HTTP API on the same origin
// (docs/api.md). Problems come back as `ApiProblem`s carrying the stable `code`.

import * as session from './session.js';

export class ApiProblem extends Error {
  constructor(status, body, retryAfter) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? 'unknown';
    this.title = body?.title ?? '';
    this.detail = body?.detail ?? '';
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
    this.retryAfter = retryAfter;
  }
}

const UNREACHABLE = {
  code: 'network',
  title: '通信できませんでした',
  detail: '通信が切れたか、サーバーが応答しませんでした。入力した内容はそのままです。もう一度お試しください。',
};

/**
 * Calls the API. `key` is the submission's Idempotency-Key: the same key for a retry of the
 * same submission, so that it never takes effect twice. `auth: false` sends no token.
 */
export async function api(method, path, { body, key, auth = true } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': 'ja' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = auth ? session.token() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers['Idempotency-Key'] = key;

  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiProblem(0, UNREACHABLE);
  }

  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.ok) {
    if (token) session.touched();
    return data;
  }
  if (response.status === 401 && token) session.end('server');
  const retryAfter = Number(response.headers.get('Retry-After')) || undefined;
  throw new ApiProblem(response.status, data ?? { code: 'unknown', title: `HTTP ${response.status}` }, retryAfter);
}

/** A fresh Idempotency-Key: one per confirmation screen. */
export function newKey() {
  return crypto.randomUUID();
}
