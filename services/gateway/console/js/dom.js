// Building the page with DOM calls only: text is always set as text (never parsed as HTML), so nothing
// an API returns can inject markup, and no inline style or script is ever written (CSP default-src 'self').

/**
 * h('a', { class: 'nhsuk-link', href: '#/x', on: { click: fn } }, 'text', child, [more])
 * Attributes: class, text, on (event listeners), dataset (data-*), boolean attributes as true/false;
 * anything else is set with setAttribute. Children: nodes, strings, numbers, arrays; null/false skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (name === 'text') el.textContent = String(value);
    else if (name === 'on') for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** The form's fields as an object; checkboxes with one name become arrays. */
export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === 'checkbox') {
      if (el.dataset.single === 'true') out[el.name] = el.checked;
      else {
        out[el.name] ??= [];
        if (el.checked) out[el.name].push(el.value);
      }
    } else if (el.type === 'radio') {
      if (el.checked) out[el.name] = el.value;
    } else if (el.tagName !== 'BUTTON') out[el.name] = el.value;
  }
  return out;
}

let ids = 0;
/** A unique element id (labels, hints and error messages refer to their fields by id). */
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

export function shortId(id) {
  return String(id ?? '').slice(0, 8);
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/London',
});
const dateOnly = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'Europe/London',
});

export function formatDateTime(iso) {
  return iso ? dateTime.format(new Date(iso)) : '';
}

export function formatDate(iso) {
  return iso ? dateOnly.format(new Date(iso)) : '';
}

export function percent(ratio) {
  return `${Math.round((Number(ratio) || 0) * 100)}%`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
