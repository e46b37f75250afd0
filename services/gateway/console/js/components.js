// NHS.UK design system components as DOM builders, following nhsuk-frontend's own markup (its
// fixtures.json): tags, summary lists, tables, buttons, form groups, the error summary.
import { ApiError } from './api.js';
import { formValues as collect, h, uid } from './dom.js';
import { colour, label } from './labels.js';

export function tag(text, tagColour) {
  return h('strong', { class: ['nhsuk-tag', tagColour && `nhsuk-tag--${tagColour}`] }, text);
}

/** A tag for a code from one of the labels maps ([text, colour] entries). */
export function codeTag(map, code) {
  return tag(label(map, code), colour(map, code));
}

export function summaryList(rows, classes) {
  return h(
    'dl',
    { class: ['nhsuk-summary-list', classes] },
    rows
      .filter(Boolean)
      .map(([key, value]) =>
        h(
          'div',
          { class: 'nhsuk-summary-list__row' },
          h('dt', { class: 'nhsuk-summary-list__key' }, key),
          h('dd', { class: 'nhsuk-summary-list__value' }, value),
        ),
      ),
  );
}

/**
 * An nhsuk table. `responsive` stacks each row on narrow screens (nhsuk-table-responsive), so a phone
 * never scrolls sideways. rows: arrays of cells (text or nodes); rowAttrs(row index) adds attributes.
 */
export function table({ caption, head, rows, responsive = false, rowAttrs, classes }) {
  const headRow = h(
    'tr',
    { role: responsive ? 'row' : undefined },
    head.map((text) =>
      h(
        'th',
        { class: 'nhsuk-table__header', scope: 'col', role: responsive ? 'columnheader' : undefined },
        text,
      ),
    ),
  );
  const body = rows.map((cells, i) =>
    h(
      'tr',
      { class: 'nhsuk-table__row', role: responsive ? 'row' : undefined, ...(rowAttrs?.(i) ?? {}) },
      cells.map((cell, j) =>
        h(
          'td',
          { class: 'nhsuk-table__cell', role: responsive ? 'cell' : undefined },
          responsive
            ? h('span', { class: 'nhsuk-table-responsive__heading', 'aria-hidden': 'true' }, `${head[j]} `)
            : null,
          cell,
        ),
      ),
    ),
  );
  const t = h(
    'table',
    {
      class: [responsive ? 'nhsuk-table-responsive' : 'nhsuk-table', classes],
      role: responsive ? 'table' : undefined,
    },
    caption ? h('caption', { class: 'nhsuk-table__caption nhsuk-table__caption--m' }, caption) : null,
    h('thead', { class: 'nhsuk-table__head', role: responsive ? 'rowgroup' : undefined }, headRow),
    h('tbody', { class: 'nhsuk-table__body' }, body),
  );
  return responsive ? t : h('div', { class: 'sp-table-scroll' }, t);
}

export function button(text, { variant, type = 'button', on, attrs = {} } = {}) {
  return h(
    'button',
    {
      class: ['nhsuk-button', variant && `nhsuk-button--${variant}`],
      type,
      'data-module': 'nhsuk-button',
      on,
      ...attrs,
    },
    text,
  );
}

export function backLink(href, text) {
  return h('div', { class: 'nhsuk-back-link' }, h('a', { class: 'nhsuk-back-link__link', href }, text));
}

export function card(heading, ...content) {
  return h(
    'div',
    { class: 'nhsuk-card' },
    h(
      'div',
      { class: 'nhsuk-card__content' },
      heading ? h('h2', { class: 'nhsuk-card__heading nhsuk-heading-m' }, heading) : null,
      content,
    ),
  );
}

export function inset(...content) {
  return h(
    'div',
    { class: 'nhsuk-inset-text' },
    h('span', { class: 'nhsuk-u-visually-hidden' }, 'Information: '),
    content,
  );
}

export function warning(heading, ...content) {
  return h(
    'div',
    { class: 'nhsuk-warning-callout' },
    h(
      'h3',
      { class: 'nhsuk-warning-callout__label' },
      h('span', { role: 'text' }, h('span', { class: 'nhsuk-u-visually-hidden' }, 'Important: '), heading),
    ),
    content,
  );
}

/** A success banner (nhsuk notification banner, success variant). */
export function success(text) {
  return h(
    'div',
    {
      class: 'nhsuk-notification-banner nhsuk-notification-banner--success',
      role: 'alert',
      'data-module': 'nhsuk-notification-banner',
    },
    h(
      'div',
      { class: 'nhsuk-notification-banner__header' },
      h('h2', { class: 'nhsuk-notification-banner__title' }, 'Success'),
    ),
    h(
      'div',
      { class: 'nhsuk-notification-banner__content' },
      h('p', { class: 'nhsuk-notification-banner__heading' }, text),
    ),
  );
}

function hintFor(id, hint) {
  return hint ? h('div', { class: 'nhsuk-hint', id: `${id}-hint` }, hint) : null;
}

export function input({ name, label: text, hint, type = 'text', value, width, inputmode, attrs = {} }) {
  const id = uid(`f-${name}`);
  return h(
    'div',
    { class: 'nhsuk-form-group', dataset: { field: name } },
    h('label', { class: 'nhsuk-label', for: id }, text),
    hintFor(id, hint),
    h('input', {
      class: ['nhsuk-input', width && `nhsuk-input--width-${width}`],
      id,
      name,
      type,
      value: value ?? undefined,
      inputmode,
      'aria-describedby': hint ? `${id}-hint` : undefined,
      ...attrs,
    }),
  );
}

export function textarea({ name, label: text, hint, rows = 4 }) {
  const id = uid(`f-${name}`);
  return h(
    'div',
    { class: 'nhsuk-form-group', dataset: { field: name } },
    h('label', { class: 'nhsuk-label', for: id }, text),
    hintFor(id, hint),
    h('textarea', {
      class: 'nhsuk-textarea',
      id,
      name,
      rows,
      'aria-describedby': hint ? `${id}-hint` : undefined,
    }),
  );
}

/** options: [{value, text, selected}] */
export function select({ name, label: text, hint, options, attrs = {} }) {
  const id = uid(`f-${name}`);
  return h(
    'div',
    { class: 'nhsuk-form-group', dataset: { field: name } },
    h('label', { class: 'nhsuk-label', for: id }, text),
    hintFor(id, hint),
    h(
      'select',
      { class: 'nhsuk-select', id, name, 'aria-describedby': hint ? `${id}-hint` : undefined, ...attrs },
      options.map((o) => h('option', { value: o.value, selected: !!o.selected }, o.text)),
    ),
  );
}

function choices(kind, { name, legend, hint, items, inline, small, single }) {
  const base = uid(`f-${name}`);
  const prefix = kind === 'radio' ? 'nhsuk-radios' : 'nhsuk-checkboxes';
  return h(
    'div',
    { class: 'nhsuk-form-group', dataset: { field: name } },
    h(
      'fieldset',
      { class: 'nhsuk-fieldset', 'aria-describedby': hint ? `${base}-hint` : undefined },
      h('legend', { class: 'nhsuk-fieldset__legend nhsuk-fieldset__legend--s' }, legend),
      hintFor(base, hint),
      h(
        'div',
        {
          class: [prefix, inline && `${prefix}--inline`, small && `${prefix}--small`],
          'data-module': prefix,
        },
        items.map((item, i) => {
          const id = i === 0 ? base : `${base}-${i + 1}`;
          return h(
            'div',
            { class: `${prefix}__item` },
            h('input', {
              class: `${prefix}__input`,
              id,
              name,
              type: kind,
              value: item.value,
              checked: !!item.checked,
              dataset: single ? { single: 'true' } : undefined,
            }),
            h('label', { class: ['nhsuk-label', `${prefix}__label`], for: id }, item.text),
            item.hint ? h('div', { class: ['nhsuk-hint', `${prefix}__hint`] }, item.hint) : null,
          );
        }),
      ),
    ),
  );
}

export const radios = (opts) => choices('radio', opts);
export const checkboxes = (opts) => choices('checkbox', opts);

/** The group of a form field named `field` (nested names such as `scores.2` or `patient.x` match their root). */
function fieldGroup(form, field) {
  if (!form || !field) return undefined;
  const names = [field, field.split(/[.[]/)[0]];
  for (const name of names) {
    const group = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (group) return group;
  }
  return undefined;
}

/** The input a field error is about: `scores[3]` (or `scores.3`) is the fourth input of its group. */
function focusTarget(group, field) {
  const inputs = group ? [...group.querySelectorAll('input, select, textarea')] : [];
  const index = /(?:\[(\d+)\]|\.(\d+))$/.exec(field ?? '');
  return (index && inputs[Number(index[1] ?? index[2])]) || inputs[0];
}

/** Removes the error summary and field errors a previous submission left. */
export function clearErrors(container, form) {
  container.querySelectorAll(':scope > .nhsuk-error-summary').forEach((el) => el.remove());
  form?.querySelectorAll('.nhsuk-error-message').forEach((el) => el.remove());
  form
    ?.querySelectorAll('.nhsuk-form-group--error')
    .forEach((el) => el.classList.remove('nhsuk-form-group--error'));
  form
    ?.querySelectorAll('.nhsuk-input--error, .nhsuk-select--error, .nhsuk-textarea--error')
    .forEach((el) => {
      el.classList.remove('nhsuk-input--error', 'nhsuk-select--error', 'nhsuk-textarea--error');
    });
}

/**
 * Shows an error (an ApiError's problem+json, or any Error) as an nhsuk error summary at the top of
 * `container`, naming each field; fields found in `form` are marked and linked from the summary.
 */
export function showErrors(container, err, form) {
  clearErrors(container, form);
  const problems =
    err instanceof ApiError ? err.fieldErrors : [{ field: undefined, message: err?.message ?? String(err) }];
  const items = problems.map(({ field, message }) => {
    const group = fieldGroup(form, field);
    const target = focusTarget(group, field);
    const text = field && !String(message).includes(field) ? `${field}: ${message}` : String(message);
    if (group) {
      group.classList.add('nhsuk-form-group--error');
      const msg = h(
        'span',
        { class: 'nhsuk-error-message' },
        h('span', { class: 'nhsuk-u-visually-hidden' }, 'Error: '),
        text,
      );
      const anchor = group.querySelector('.nhsuk-hint') ?? group.querySelector('label, legend');
      if (anchor) anchor.after(msg);
      else group.prepend(msg);
      target?.classList.add(
        target.tagName === 'SELECT'
          ? 'nhsuk-select--error'
          : target.tagName === 'TEXTAREA'
            ? 'nhsuk-textarea--error'
            : 'nhsuk-input--error',
      );
    }
    return h(
      'li',
      {},
      target
        ? h('a', {
            href: `#${target.id}`,
            // The console routes by hash: focus the field without changing the location.
            on: {
              click: (e) => {
                e.preventDefault();
                target.focus();
              },
            },
            text,
          })
        : text,
    );
  });
  const status = err instanceof ApiError ? err.status : undefined;
  const summary = h(
    'div',
    { class: 'nhsuk-error-summary', tabindex: '-1', dataset: { status: status ?? '' } },
    h(
      'div',
      { role: 'alert' },
      h('h2', { class: 'nhsuk-error-summary__heading' }, 'There is a problem'),
      h(
        'div',
        { class: 'nhsuk-error-summary__body' },
        h('ul', { class: 'nhsuk-list nhsuk-error-summary__list' }, items),
      ),
    ),
  );
  container.prepend(summary);
  summary.focus();
  return summary;
}

/**
 * Wires a form: on submit, clears old errors, disables the submit button while `action(values)` runs,
 * and shows any error in an error summary above the form (inside `errorHost`, default the form's parent).
 */
export function onSubmit(form, action, { errorHost } = {}) {
  form.setAttribute('novalidate', '');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const host = errorHost ?? form.parentElement;
    clearErrors(host, form);
    const buttons = [...form.querySelectorAll('button')];
    buttons.forEach((b) => (b.disabled = true));
    try {
      await action(e.submitter?.value ? { ...collect(form), _action: e.submitter.value } : collect(form));
    } catch (err) {
      if (form.isConnected) showErrors(host, err, form);
      else console.error(err);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  });
  return form;
}
