// The console's one way to the API: a bearer token from sessionStorage (gone when the tab closes) on
// every call, and problem+json errors turned into ApiError so views can show them in an error summary.

const TOKEN_KEY = 'sp.console.token';
const HANDOFF_COOKIE = 'sp_console_token';

/** An API answer other than 2xx; `problem` is the RFC 9457 body (with `errors` naming fields on 400). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `request failed (${status})`);
    this.status = status;
    this.problem = problem ?? { status };
  }

  /** [{field, message}]: the problem's field errors, or one line with its detail. */
  get fieldErrors() {
    const errors = Array.isArray(this.problem.errors) ? this.problem.errors : [];
    if (errors.length) return errors;
    return [{ field: undefined, message: this.message }];
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  me: null,
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    this.me = null;
  },
};

/**
 * After OIDC sign-in the gateway hands the access token over in a cookie that lives a minute: move it
 * to sessionStorage and delete the cookie, so it is neither kept nor sent again.
 */
export function takeHandoffToken() {
  const entry = document.cookie.split(';').find((c) => c.trim().startsWith(`${HANDOFF_COOKIE}=`));
  if (!entry) return false;
  session.token = decodeURIComponent(entry.trim().slice(HANDOFF_COOKIE.length + 1));
  document.cookie = `${HANDOFF_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax`;
  return true;
}

let onUnauthorised = () => {};
export function setUnauthorisedHandler(fn) {
  onUnauthorised = fn;
}

async function parse(res) {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

/** Same-origin request outside /api (the gateway's /console routes); no token. */
export async function consoleRequest(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await parse(res);
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

/** `api('GET', '/referrals?status=matching')`: JSON in and out, under /api/v1, with the bearer token. */
export async function api(method, path, body, { signal } = {}) {
  const headers = { accept: 'application/json' };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const parsed = await parse(res);
  if (res.status === 401) {
    session.clear();
    onUnauthorised();
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

/** Every item of a paged list (`{items, total}`), page by page. */
export async function apiAll(path, { signal, pageSize = 100, maxPages = 20 } = {}) {
  const items = [];
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 1; page <= maxPages; page++) {
    const body = await api('GET', `${path}${sep}page=${page}&pageSize=${pageSize}`, undefined, { signal });
    items.push(...body.items);
    if (body.items.length === 0 || items.length >= body.total) break;
  }
  return items;
}

/** GET that answers undefined on 404 (an object outside the caller's scope reads as absent). */
export async function apiMaybe(path, opts) {
  try {
    return await api('GET', path, undefined, opts);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return undefined;
    throw err;
  }
}

const serviceNames = new Map();
/** A VCSO service's name (any signed-in role may read the directory), cached for the tab's life. */
export async function serviceName(id) {
  if (!id) return '';
  if (!serviceNames.has(id)) {
    serviceNames.set(
      id,
      apiMaybe(`/services/${id}`).then(
        (s) => s?.name ?? `Service ${id.slice(0, 8)}`,
        () => `Service ${id.slice(0, 8)}`,
      ),
    );
  }
  return serviceNames.get(id);
}

export function rememberServiceName(id, name) {
  serviceNames.set(id, Promise.resolve(name));
}
