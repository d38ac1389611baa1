// A stepped procedure (回線情報通知, 更新ユーザー登録, ICカードリーダー, 解約): each step is
// its own route, so Back and Forward move between steps; what was typed and chosen is kept
// in this tab's draft, so a reload, a step back or an ended session loses nothing.
//
// The confirmation step shows the API's dry run, and holds one Idempotency-Key for what it
// confirms: a double click, a retry after a lost answer or a reload of the same
// confirmation sends that same key, so the submission takes effect once (SPEC §1).

import { newKey } from './api.js';
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
