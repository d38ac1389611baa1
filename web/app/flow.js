// A stepped procedure (回線情報通知, 更新ユーザー登録, ICカードリーダー, 解約): each step is
// its own route, so Back and Forward move between steps; what was typed and chosen is kept
// in this tab's draft, so a reload, a step back or an ended session loses nothing.
//
// The confirmation step shows the API's dry run, and holds one Idempotency-Key for what it
// confirms: a double click or a retry after a lost answer sends that same key, so the
// submission takes effect once (docs/api.md). A confirmation shown again after a submission
// whose answer was lost (a reload, a dropped connection) first asks for that answer with
// the same key, since a dry run would now refuse what has already been done.

/** A refusal that will not change if sent again: the next try is a new submission. */
function final(problem) {
  return problem.status >= 400 && problem.status < 500
    && problem.status !== 401 && problem.status !== 429
    && problem.code !== 'idempotency_key_in_use';
}

import { api, newKey } from './api.js';
import { draft } from './forms.js';

export function flow(name) {
  const store = draft(`flow.${name}`);
  const state = () => store.load();
  return {
    /** Everything kept for this flow. */
    get: state,
    /** Keeps `patch` in the flow's draft. */
    set(patch) {
      store.save({ ...state(), ...patch });
    },
    /** Forgets the flow: a new procedure starts from nothing. */
    clear() {
      store.clear();
    },
    /**
     * The key of the confirmation of `body`: the same key while the same body is being
     * confirmed, a new one when anything in it changed.
     */
    keyFor(body) {
      const current = state();
      const text = JSON.stringify(body);
      if (current.confirming?.body === text && current.confirming.key) return current.confirming.key;
      const key = newKey();
      this.set({ confirming: { body: text, key } });
      return key;
    },
    /**
     * Submits `body` to `path` with the confirmation's key. After a final refusal the key
     * is dropped (the server keeps that answer for the key), so that a corrected
     * submission is not answered with the old refusal.
     */
    async submit(path, body) {
      const key = this.keyFor(body);
      this.set({ confirming: { ...state().confirming, sent: true } });
      try {
        return await api('POST', path, { body: { ...body, dry_run: false }, key });
      } catch (problem) {
        if (final(problem)) this.set({ confirming: null });
        throw problem;
      }
    },
    /**
     * The answer to a submission of `body` that was sent but whose answer never came, asked
     * for again with its key; null when nothing was sent or it was refused.
     */
    async replay(path, body) {
      const sent = state().confirming;
      if (!sent?.sent || sent.body !== JSON.stringify(body)) return null;
      try {
        return await this.submit(path, body);
      } catch (problem) {
        if (problem.code === 'network' || problem.status === 401) throw problem;
        return null;
      }
    },
    /**
     * The confirmation's content: the dry run of `body`. A refusal is sent back to the step
     * that owns its fields (`back`), as the errors `explain` makes of it, kept for that
     * step to show; the answer is then null, as after a 401 (the shell shows ログイン). A
     * lost connection is thrown, for the router to offer a reload.
     */
    async preview(path, body, { back, explain, go }) {
      try {
        return await api('POST', path, { body: { ...body, dry_run: true } });
      } catch (problem) {
        if (problem.status === 401) return null;
        if (problem.code === 'network') throw problem;
        this.set({ errors: explain(problem) });
        go(back, { replace: true });
        return null;
      }
    },
    /** The submission went through: keep its answer for 受付完了 and forget the form. */
    done(answer) {
      store.save({ receipt: answer });
    },
    /** The answer of the submission, once there is one. */
    receipt() {
      return state().receipt ?? null;
    },
  };
}
