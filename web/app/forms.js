// Form parts every screen shares: labelled fields with a hint and an inline error, the
// error summary that links to each field (WCAG 3.3.1), busy buttons, and drafts that keep
// what a member typed when the session ends.

import { h, uid } from './dom.js';
import * as session from './session.js';

/**
 * A labelled input. Returns the wrapper; its input is `wrapper.input`.
 * `name` is the key the screen's values and the error map use.
 */
export function field({ name, label, hint, type = 'text', required = false, value = '', attrs = {}, after }) {
  const id = uid(`f-${name}`);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = `${id}-error`;
  const input = h('input', {
    id, name, type, value,
    required: required || undefined,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    ...attrs,
  });
  const wrapper = h('div', { class: 'field', 'data-field': name },
    h('label', { for: id }, label, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, '必須') : null),
    hint ? h('p', { class: 'field__hint', id: hintId }, hint) : null,
    h('p', { class: 'field__error', id: errorId, hidden: true }),
    h('div', { class: 'field__control' }, input, after ?? null));
  wrapper.input = input;
  return wrapper;
}

/** A group of radio buttons or checkboxes in a fieldset with a legend. */
export function choices({ name, legend, type = 'radio', options, value, hint, required = false }) {
  const id = uid(`f-${name}`);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : undefined;
  const inputs = options.map((option) => {
    const optionId = uid(`${id}-o`);
    return h('div', { class: 'choice' },
      h('input', {
        type, name, id: optionId, value: option.value,
        checked: Array.isArray(value) ? value.includes(option.value) : value === option.value,
        disabled: option.disabled || undefined,
        required: (required && type === 'radio') || undefined,
        'aria-describedby': option.hint ? `${optionId}-hint` : undefined,
      }),
      h('label', { for: optionId }, option.label),
      option.hint ? h('p', { class: 'field__hint', id: `${optionId}-hint` }, option.hint) : null);
  });
  return h('fieldset', {
    class: 'field', 'data-field': name,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
  },
  h('legend', {}, legend, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, '必須') : null),
  hint ? h('p', { class: 'field__hint', id: hintId }, hint) : null,
  h('p', { class: 'field__error', id: errorId, hidden: true }),
  h('div', { class: 'choices' }, inputs));
}

/** The place at the top of a form where its errors are summed up. */
export function errorSummary() {
  return h('div', { class: 'error-summary', tabindex: '-1', hidden: true, 'data-error-summary': true });
}

/** Removes every error shown in `form`. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field__error')) {
    el.hidden = true;
    el.textContent = '';
  }
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field--invalid')) el.classList.remove('field--invalid');
  const summary = form.querySelector('[data-error-summary]');
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

/**
 * Shows errors: `[{ field, message }]`, `field` being a field's name or null for the form
 * as a whole. Each field gets its message inline; the summary lists all of them, each
 * linking to its field, and takes the focus.
 */
export function showErrors(form, errors) {
  clearErrors(form);
  const summary = form.querySelector('[data-error-summary]');
  const items = [];
  // Errors found in two places (the portal's checks, the server's dry run) are listed in
  // the order of the fields on the page; those of the form as a whole first.
  const placed = errors.map((error) => ({
    ...error,
    wrapper: error.field ? form.querySelector(`[data-field="${CSS.escape(error.field)}"]`) : null,
  }));
  placed.sort((a, b) => {
    if (!a.wrapper || !b.wrapper) return (a.wrapper ? 1 : 0) - (b.wrapper ? 1 : 0);
    if (a.wrapper === b.wrapper) return 0;
    return a.wrapper.compareDocumentPosition(b.wrapper) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
  });
  for (const { wrapper, message } of placed) {
    if (!wrapper) {
      items.push(h('li', {}, message));
      continue;
    }
    const error = wrapper.querySelector('.field__error');
    error.hidden = false;
    error.textContent = error.textContent ? `${error.textContent} ${message}` : message;
    wrapper.classList.add('field--invalid');
    const target = wrapper.querySelector('input, select, textarea');
    for (const input of wrapper.querySelectorAll('input, select, textarea')) {
      input.setAttribute('aria-invalid', 'true');
    }
    items.push(h('li', {}, h('a', {
      href: `#${target.id}`,
      onclick: (event) => {
        // The page's own routes live in the hash: focus the field instead of navigating.
        event.preventDefault();
        target.focus();
      },
    }, message)));
  }
  if (summary) {
    summary.append(
      h('h2', { class: 'error-summary__title' }, '入力内容を確認してください'),
      h('ul', {}, items));
    summary.hidden = false;
    summary.setAttribute('role', 'alert');
    summary.focus();
  }
}

/**
 * Turns an API problem into errors to show. `codes` maps a problem `code` to the field it
 * concerns; `fields` maps the API's field path (`applicant.name`) to a field's name.
 */
export function problemErrors(problem, { codes = {}, fields = {} } = {}) {
  if (problem.errors.length > 0) {
    return problem.errors.map((e) => ({
      field: fields[e.field] ?? e.field,
      message: e.message || problem.detail,
    }));
  }
  const field = codes[problem.code] ?? null;
  return [{ field, message: problem.detail || problem.title }];
}

/** Marks a button busy while `work` runs, so that a second click sends nothing. */
export async function whileBusy(button, busyText, work) {
  if (button.getAttribute('aria-disabled') === 'true') return undefined;
  const text = button.textContent;
  button.setAttribute('aria-disabled', 'true');
  button.setAttribute('aria-busy', 'true');
  button.disabled = true;
  button.textContent = busyText;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-disabled');
    button.removeAttribute('aria-busy');
    button.textContent = text;
  }
}

/**
 * What every form does on submit: `check` returns (or resolves to) the errors found before
 * sending (none by default), shown with the summary; otherwise `send` runs. The button is
 * busy while a request runs, a check that asks the server included, so a second click
 * sends nothing; a check made on the page alone answers at once. A problem `send` throws
 * goes to `refused`, except a session that has ended (the shell then shows ログイン,
 * keeping what was typed).
 */
export function onSubmit(form, button, busyText, { check = () => [], send, refused }) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.getAttribute('aria-disabled') === 'true') return;
    let errors = check();
    if (errors instanceof Promise) {
      const pending = errors;
      errors = await whileBusy(button, busyText, () => pending);
    }
    if (!errors) return; // Busy already: the click that made it so decides.
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    clearErrors(form);
    await whileBusy(button, busyText, async () => {
      try {
        await send();
      } catch (problem) {
        if (problem.code === 'unauthorized') return;
        refused(problem);
      }
    });
  });
}

/** The values of a form's named inputs: text as typed, checkboxes as booleans. */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') out[el.name] = el.checked;
    else if (el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
      else if (!(el.name in out)) out[el.name] = null;
    } else out[el.name] = el.value;
  }
  return out;
}

/** The fields that are required and left empty, as errors. */
export function missing(form, labels) {
  const errors = [];
  const seen = new Set();
  for (const el of form.elements) {
    if (!el.name || !el.required || seen.has(el.name)) continue;
    seen.add(el.name);
    const empty = el.type === 'radio'
      ? !form.querySelector(`input[name="${CSS.escape(el.name)}"]:checked`)
      : el.type === 'checkbox' ? !el.checked : el.value.trim() === '';
    if (empty) errors.push({ field: el.name, message: labels[el.name] ?? '入力してください。' });
  }
  return errors;
}

/** Whose drafts are shown: the member logged in, or a visitor without a login. */
function owner() {
  return session.customer()?.customer_id ?? 'guest';
}

/**
 * What a member typed into a form, kept in this tab while they work, so that an ended
 * session or a step back loses nothing. Cleared once the form is submitted. A draft is
 * shown only to whoever wrote it: after a session ends, a visitor at the same browser
 * sees none of the member's, and the member sees them again after logging in.
 */
export function draft(name) {
  const key = `madoguchi.draft.${name}`;
  // A form left on screen when its session ends still fires its last `change`: what it
  // saves then belongs to the member who typed it, not to whoever is at the tab now.
  const writer = owner();
  return {
    load() {
      try {
        const kept = JSON.parse(sessionStorage.getItem(key));
        return kept?.owner === owner() ? kept.value ?? {} : {};
      } catch {
        return {};
      }
    },
    save(value) {
      if (owner() !== writer) return;
      sessionStorage.setItem(key, JSON.stringify({ owner: writer, value }));
    },
    clear() {
      sessionStorage.removeItem(key);
    },
  };
}

/** Forgets every draft: on an explicit logout, the next person at this browser sees none. */
export function forgetDrafts() {
  for (const key of Object.keys(sessionStorage)) {
    if (key.startsWith('madoguchi.draft.')) sessionStorage.removeItem(key);
  }
}

/** Keeps a form's values in its draft as they are typed. */
export function keepDraft(form, store, extra = () => ({})) {
  const save = () => store.save({ ...store.load(), ...values(form), ...extra() });
  form.addEventListener('input', save);
  form.addEventListener('change', save);
}
