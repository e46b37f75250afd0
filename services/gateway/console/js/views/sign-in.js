// Sign-in: the organisation's identity provider (OIDC) when configured, and in dev auth mode a local
// sign-in that picks a role and its scope from the live network (PCNs, practices, organisations, ICSs).
import { api, consoleRequest, session } from '../api.js';
import { button, inset, onSubmit, radios, select, showErrors, warning } from '../components.js';
import { h } from '../dom.js';
import { ROLES } from '../labels.js';

const ERRORS = {
  'provider-unavailable': 'The identity provider could not be reached. Try again in a minute.',
  'sign-in-expired': 'The sign-in took too long or was started in another tab. Sign in again.',
  'sign-in-failed': 'The identity provider’s answer could not be checked. Sign in again.',
  'session-ended': 'Your session has ended. Sign in again.',
};

/** Which scope fields each role needs (CONTRACT.md, Auth). */
const SCOPES = {
  referrer: ['pcn', 'practice'],
  link_worker: ['pcn'],
  pcn_ops: ['pcn'],
  vcso_coordinator: ['org'],
  ics_analyst: ['ics'],
  admin: [],
};

function none(text) {
  return [{ value: '', text }];
}

export async function signInView({ main, query, navigate, homeFor }) {
  main.append(h('h1', {}, 'Sign in'));
  if (query.error) showErrors(main, new Error(ERRORS[query.error] ?? 'Sign-in failed. Try again.'));
  const config = await consoleRequest('GET', '/console/config');

  if (config.oidc) {
    main.append(
      h('p', {}, 'Sign in with your organisation’s account.'),
      h(
        'a',
        {
          class: 'nhsuk-button',
          href: '/console/auth/login',
          role: 'button',
          draggable: 'false',
          id: 'oidc-sign-in',
        },
        'Sign in',
      ),
    );
  }
  if (!config.devSignIn) {
    if (!config.oidc)
      main.append(
        warning(
          'Sign-in is not configured',
          h('p', {}, 'Set OIDC_ISSUER and OIDC_CLIENT_ID, or run with AUTH_MODE=dev.'),
        ),
      );
    return;
  }

  const options = await consoleRequest('GET', '/console/dev/options');
  const section = h('section', { 'aria-labelledby': 'dev-sign-in' });
  main.append(section);
  section.append(
    h('h2', { id: 'dev-sign-in' }, config.oidc ? 'Local sign-in (development)' : 'Local sign-in'),
    inset(
      h(
        'p',
        {},
        'Development mode: choose who you are. The gateway signs a token for that role and scope; it is kept in this tab only.',
      ),
    ),
  );
  if (options.unavailable.length) {
    section.append(
      warning(
        'Some choices could not be loaded',
        h(
          'p',
          {},
          `The ${options.unavailable.join(' and ')} could not be read: the services may still be starting. `,
          h('a', { href: '#/sign-in', on: { click: () => navigate('#/sign-in') } }, 'Try again'),
        ),
      ),
    );
  }

  const pcnSelect = select({
    name: 'pcn',
    label: 'Primary care network',
    options: options.pcns.length
      ? options.pcns.map((p) => ({ value: p.code, text: `${p.name} (${p.code})` }))
      : none('No PCNs yet: an administrator adds them with POST /api/v1/pcns'),
  });
  const practiceSelect = select({ name: 'practice', label: 'Practice', options: none('Choose a PCN first') });
  const orgSelect = select({
    name: 'org',
    label: 'Organisation',
    options: options.organisations.length
      ? options.organisations.map((o) => ({ value: o.id, text: o.name }))
      : none('No organisations yet'),
  });
  const icsSelect = select({
    name: 'ics',
    label: 'Integrated care system',
    options: options.icsCodes.length
      ? options.icsCodes.map((c) => ({ value: c, text: c }))
      : none('No ICSs yet'),
  });
  const groups = { pcn: pcnSelect, practice: practiceSelect, org: orgSelect, ics: icsSelect };

  const fillPractices = () => {
    const pcn = options.pcns.find((p) => p.code === pcnSelect.querySelector('select').value);
    const el = practiceSelect.querySelector('select');
    el.replaceChildren(
      ...(pcn?.practices.length
        ? pcn.practices.map((p) => ({ value: p.code, text: `${p.name} (${p.code})` }))
        : none('No practices')
      ).map((o) => h('option', { value: o.value }, o.text)),
    );
  };
  pcnSelect.querySelector('select').addEventListener('change', fillPractices);
  fillPractices();

  const roleGroup = radios({
    name: 'role',
    legend: 'Role',
    items: Object.entries(ROLES).map(([value, [text, hint]], i) => ({ value, text, hint, checked: i === 0 })),
  });
  const showScopes = () => {
    const role = roleGroup.querySelector('input:checked')?.value;
    for (const [name, group] of Object.entries(groups)) {
      const wanted = (SCOPES[role] ?? []).includes(name);
      group.hidden = !wanted;
      group.querySelector('select').disabled = !wanted; // hidden fields are not sent
    }
  };
  roleGroup.addEventListener('change', showScopes);
  showScopes();

  const form = h(
    'form',
    { id: 'dev-sign-in-form' },
    roleGroup,
    pcnSelect,
    practiceSelect,
    orgSelect,
    icsSelect,
    button('Sign in', { type: 'submit' }),
  );
  section.append(form);
  onSubmit(
    form,
    async (values) => {
      const { token } = await consoleRequest('POST', '/console/dev/token', values);
      session.token = token;
      session.me = await api('GET', '/me');
      navigate(homeFor(session.me.role));
    },
    { errorHost: main },
  );
}
