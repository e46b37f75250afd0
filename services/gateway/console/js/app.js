// The console: a hash router over a few views, the signed-in user's header and navigation.
// Routes: #/sign-in, #/signed-in (OIDC hand-over), #/pipeline[/:status], #/referrals/:id, #/coordinator, #/ics.
import { initAll } from '/assets/nhsuk/nhsuk-frontend.min.js';
import { api, session, setUnauthorisedHandler, takeHandoffToken } from './api.js';
import { showErrors } from './components.js';
import { clear, h } from './dom.js';
import { label, ROLES } from './labels.js';
import { coordinatorView } from './views/coordinator.js';
import { icsView } from './views/ics.js';
import { pipelineView } from './views/pipeline.js';
import { referralView } from './views/referral.js';
import { signInView } from './views/sign-in.js';

const ROUTES = [
  { pattern: /^\/sign-in$/, view: signInView, public: true, title: 'Sign in' },
  { pattern: /^\/pipeline(?:\/([a-z-]+))?$/, view: pipelineView, keys: ['status'], title: 'Pipeline' },
  { pattern: /^\/referrals\/([0-9a-f-]{36})$/i, view: referralView, keys: ['id'], title: 'Referral' },
  { pattern: /^\/coordinator$/, view: coordinatorView, title: 'My services' },
  { pattern: /^\/ics$/, view: icsView, title: 'System load' },
];

/** Where each role starts, and the views it is offered in the navigation. */
const NAV = {
  link_worker: [['#/pipeline', 'Pipeline']],
  pcn_ops: [
    ['#/pipeline', 'Pipeline'],
    ['#/ics', 'Load and unmet need'],
  ],
  referrer: [['#/pipeline', 'My referrals']],
  vcso_coordinator: [['#/coordinator', 'My services']],
  ics_analyst: [['#/ics', 'System load']],
  admin: [
    ['#/ics', 'System load'],
    ['#/pipeline', 'Pipeline'],
  ],
};

export function homeFor(role) {
  return (NAV[role] ?? [['#/sign-in']])[0][0];
}

export function navigate(hash) {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

function scopeText(me) {
  return [me.pcn, me.practice, me.org && `organisation ${me.org.slice(0, 8)}`, me.ics]
    .filter(Boolean)
    .join(', ');
}

function renderHeader(me, current) {
  const account = document.getElementById('account');
  const nav = document.getElementById('navigation');
  clear(account);
  clear(nav);
  account.hidden = !me;
  nav.hidden = !me;
  if (!me) return;
  account.append(
    h(
      'ul',
      { class: 'nhsuk-header__account-list' },
      h(
        'li',
        { class: 'nhsuk-header__account-item', id: 'signed-in-as', dataset: { role: me.role } },
        `${label(ROLES, me.role)}${scopeText(me) ? ` (${scopeText(me)})` : ''}`,
      ),
      h(
        'li',
        { class: 'nhsuk-header__account-item' },
        h(
          'button',
          {
            class: 'nhsuk-header__account-button',
            type: 'button',
            on: {
              click: () => {
                session.clear();
                navigate('#/sign-in');
              },
            },
          },
          'Sign out',
        ),
      ),
    ),
  );
  nav.append(
    h(
      'div',
      { class: 'nhsuk-header__navigation-container nhsuk-width-container' },
      h(
        'ul',
        { class: 'nhsuk-header__navigation-list' },
        (NAV[me.role] ?? []).map(([href, text]) => {
          const active = current.startsWith(href.slice(1));
          return h(
            'li',
            { class: ['nhsuk-header__navigation-item', active && 'nhsuk-header__navigation-item--current'] },
            h(
              'a',
              { class: 'nhsuk-header__navigation-link', href, 'aria-current': active ? 'page' : undefined },
              text,
            ),
          );
        }),
      ),
    ),
  );
}

let leaving = new AbortController();

async function currentUser() {
  if (!session.token) return null;
  session.me ??= await api('GET', '/me');
  return session.me;
}

async function render() {
  leaving.abort();
  leaving = new AbortController();
  const signal = leaving.signal;
  const raw = location.hash.startsWith('#/') ? location.hash.slice(1) : '/';
  const [path, queryString] = raw.split('?');
  const query = Object.fromEntries(new URLSearchParams(queryString ?? ''));
  const main = clear(document.getElementById('view'));

  if (path === '/signed-in') {
    if (!takeHandoffToken()) return navigate('#/sign-in?error=sign-in-expired');
    session.me = null;
  }
  let me = null;
  try {
    me = await currentUser();
  } catch (err) {
    session.clear();
    me = null;
    if (path !== '/sign-in') return navigate('#/sign-in?error=session-ended');
    console.warn(err);
  }
  if (signal.aborted) return;
  if (path === '/' || path === '/signed-in') return navigate(me ? homeFor(me.role) : '#/sign-in');
  const route = ROUTES.find((r) => r.pattern.test(path));
  if (!route) return navigate(me ? homeFor(me.role) : '#/sign-in');
  if (!route.public && !me) return navigate('#/sign-in');

  renderHeader(me, path);
  document.title = `${route.title} - Social prescribing`;
  const match = route.pattern.exec(path);
  const params = Object.fromEntries((route.keys ?? []).map((k, i) => [k, match[i + 1]]));
  const ctx = { main, me, params, query, signal, navigate, homeFor };
  try {
    await route.view(ctx);
  } catch (err) {
    if (signal.aborted) return;
    console.error(err);
    showErrors(main, err);
  }
}

setUnauthorisedHandler(() => {
  if (!location.hash.startsWith('#/sign-in')) navigate('#/sign-in?error=session-ended');
});
window.addEventListener('hashchange', () => void render());
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
void render();
