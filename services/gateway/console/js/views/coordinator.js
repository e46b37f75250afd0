// A VCSO coordinator's view, made for a phone: offers to answer, people attending, and the
// organisation's services with their load, limits and pause. Contact details only when the API allows.
import { api, apiAll, apiMaybe, rememberServiceName, serviceName } from '../api.js';
import { button, codeTag, input, onSubmit, select, showErrors, success, summaryList } from '../components.js';
import { clear, formatDate, formatDateTime, h, percent, shortId } from '../dom.js';
import { CAPACITY_STATUSES, DECLINE_REASONS, label, NEEDS, PAUSE_REASONS } from '../labels.js';

const REFRESH_MS = 30000;

export async function coordinatorView({ main, me, signal }) {
  let banner;

  async function render() {
    const [services, pending, accepted] = await Promise.all([
      apiAll(`/services?organisationId=${me.org}`, { signal }),
      apiAll('/offers?status=pending', { signal }),
      apiAll('/offers?status=accepted', { signal }),
    ]);
    if (signal.aborted) return;
    services.forEach((s) => rememberServiceName(s.id, s.name));
    const content = [
      h('span', { class: 'nhsuk-caption-l' }, `Organisation ${shortId(me.org)}`),
      h('h1', {}, 'My services'),
      banner ? success(banner) : null,
      await offersSection('Offers waiting for your answer', 'pending-offers', pending, pendingActions),
      await offersSection('People attending', 'accepted-offers', accepted, acceptedActions),
      h('h2', {}, 'Services'),
      services.length
        ? services.map(serviceCard)
        : h('p', {}, 'Your organisation has no services in the directory yet. Ask your PCN to add them.'),
    ];
    banner = undefined;
    if (signal.aborted) return;
    clear(main).append(...content.flat().filter(Boolean));
  }

  async function act(message, host, call) {
    try {
      await call();
      banner = message;
      await render();
      main.querySelector('.nhsuk-notification-banner')?.focus();
      window.scrollTo(0, 0);
    } catch (err) {
      showErrors(host, err, host.querySelector('form') ?? undefined);
    }
  }

  async function offersSection(title, id, offers, actions) {
    const section = h(
      'section',
      { id, 'aria-labelledby': `${id}-heading` },
      h('h2', { id: `${id}-heading` }, `${title} (${offers.length})`),
    );
    if (!offers.length) {
      section.append(h('p', { class: 'sp-muted' }, 'None at the moment.'));
      return section;
    }
    const names = await Promise.all(offers.map((o) => serviceName(o.serviceId)));
    offers.forEach((offer, i) => {
      const body = h('div', { class: 'nhsuk-card__content' });
      const wrapper = h(
        'div',
        { class: 'nhsuk-card', dataset: { offerId: offer.id, referralId: offer.referralId } },
        body,
      );
      body.append(
        h('h3', { class: 'nhsuk-card__heading nhsuk-heading-s' }, names[i]),
        summaryList(
          [
            ['Referral', h('span', { class: 'sp-break' }, shortId(offer.referralId))],
            ['Offered', formatDateTime(offer.createdAt)],
            offer.status === 'pending'
              ? ['Answer by', formatDateTime(offer.expiresAt)]
              : ['Accepted', formatDateTime(offer.decidedAt)],
          ],
          'nhsuk-summary-list--no-border',
        ),
        contactDetails(offer),
        actions(offer, body),
      );
      section.append(wrapper);
    });
    return section;
  }

  function contactDetails(offer) {
    const host = h('div', { class: 'sp-contact' });
    const show = button('Show contact details', {
      variant: 'secondary',
      on: {
        click: async () => {
          show.disabled = true;
          try {
            // 404 whenever the organisation may not see them: no open offer, or no consent to share.
            const contact = await apiMaybe(`/referrals/${offer.referralId}/contact`, { signal });
            host.replaceChildren(
              contact
                ? summaryList([
                    ['Name', h('span', { class: 'sp-contact-name' }, contact.givenName)],
                    contact.phone
                      ? [
                          'Phone',
                          h('a', { href: `tel:${contact.phone.replace(/[^+\d]/g, '')}` }, contact.phone),
                        ]
                      : null,
                    contact.email
                      ? [
                          'Email',
                          h('a', { href: `mailto:${contact.email}`, class: 'sp-break' }, contact.email),
                        ]
                      : null,
                    contact.preferredLanguage ? ['Language', contact.preferredLanguage] : null,
                    contact.notesForVcso ? ['Notes from the link worker', contact.notesForVcso] : null,
                  ])
                : h('p', { class: 'sp-contact-unavailable' }, 'Contact details are not available.'),
            );
          } catch (err) {
            show.disabled = false;
            showErrors(host, err);
          }
        },
      },
    });
    host.append(show);
    return host;
  }

  function pendingActions(offer, host) {
    const accept = button('Accept', {
      attrs: { dataset: { action: 'accept' } },
      on: {
        click: () =>
          act('Offer accepted: the person is now in your care', host, () =>
            api('POST', `/offers/${offer.id}/accept`),
          ),
      },
    });
    const decline = h(
      'form',
      { class: 'sp-decline' },
      select({
        name: 'reason',
        label: 'Reason for declining',
        options: [
          { value: '', text: 'Choose a reason' },
          ...Object.entries(DECLINE_REASONS).map(([value, text]) => ({ value, text })),
        ],
      }),
      button('Decline', { type: 'submit', variant: 'secondary', attrs: { dataset: { action: 'decline' } } }),
    );
    onSubmit(
      decline,
      async (values) => {
        await api('POST', `/offers/${offer.id}/decline`, { reason: values.reason || undefined });
        banner = 'Offer declined: the link worker takes the referral back';
        await render();
      },
      { errorHost: host },
    );
    return h(
      'div',
      {},
      accept,
      h(
        'details',
        { class: 'nhsuk-details' },
        h(
          'summary',
          { class: 'nhsuk-details__summary' },
          h('span', { class: 'nhsuk-details__summary-text' }, 'Decline this offer'),
        ),
        h('div', { class: 'nhsuk-details__text' }, decline),
      ),
    );
  }

  function acceptedActions(offer, host) {
    const complete = (outcome, text, variant) =>
      button(text, {
        variant,
        attrs: { dataset: { action: outcome } },
        on: {
          click: () =>
            act(
              outcome === 'completed'
                ? 'Recorded as completed'
                : 'Recorded as did not attend: the link worker is told',
              host,
              () => api('POST', `/offers/${offer.id}/complete`, { outcome }),
            ),
        },
      });
    return h(
      'div',
      { class: 'sp-actions' },
      complete('completed', 'Completed', undefined),
      complete('did-not-attend', 'Did not attend', 'secondary'),
    );
  }

  function serviceCard(service) {
    const load = service.load;
    const body = h('div', { class: 'nhsuk-card__content' });
    const wrapper = h(
      'div',
      { class: 'nhsuk-card', dataset: { serviceId: service.id, status: load.status } },
      body,
    );
    body.append(
      h(
        'h3',
        { class: 'nhsuk-card__heading nhsuk-heading-m' },
        service.name,
        ' ',
        h('span', { class: 'sp-service-status' }, codeTag(CAPACITY_STATUSES, load.status)),
      ),
      summaryList(
        [
          [
            'People',
            `${load.active} attending, ${load.reserved} offered, of ${load.maxActive} places (${percent(load.utilisation)})`,
          ],
          ['This week', `${load.offersThisWeek} of ${load.weeklyIntake} new offers`],
          ['Needs', service.needs.map((n) => label(NEEDS, n)).join(', ')],
          service.pauseReason ? ['Paused because', label(PAUSE_REASONS, service.pauseReason)] : null,
          service.pausedUntil ? ['Reopens', formatDate(service.pausedUntil)] : null,
        ],
        'nhsuk-summary-list--no-border',
      ),
    );

    const limits = h(
      'form',
      { class: 'sp-limits' },
      h(
        'div',
        { class: 'sp-actions' },
        input({
          name: 'maxActive',
          label: 'Places at once',
          type: 'number',
          inputmode: 'numeric',
          width: 4,
          value: service.maxActive,
          attrs: { min: 0 },
        }),
        input({
          name: 'weeklyIntake',
          label: 'New people a week',
          type: 'number',
          inputmode: 'numeric',
          width: 4,
          value: service.weeklyIntake,
          attrs: { min: 0 },
        }),
      ),
      button('Save limits', { type: 'submit', variant: 'secondary' }),
    );
    onSubmit(limits, async (values) => {
      await api('PUT', `/services/${service.id}/capacity`, {
        maxActive: toNumber(values.maxActive),
        weeklyIntake: toNumber(values.weeklyIntake),
      });
      banner = `Limits of ${service.name} saved`;
      await render();
    });
    body.append(h('h4', { class: 'nhsuk-heading-s' }, 'Capacity'), limits);

    if (load.status === 'paused') {
      body.append(
        button('Resume referrals', {
          attrs: { dataset: { action: 'resume' } },
          on: {
            click: () =>
              act(`${service.name} takes referrals again`, body, () =>
                api('PUT', `/services/${service.id}/capacity`, { status: 'open' }),
              ),
          },
        }),
      );
    } else {
      const pause = h(
        'form',
        { class: 'sp-pause' },
        select({
          name: 'reason',
          label: 'Why pause?',
          options: [
            { value: '', text: 'Choose a reason' },
            ...Object.entries(PAUSE_REASONS).map(([value, text]) => ({ value, text })),
          ],
        }),
        input({
          name: 'reopenOn',
          label: 'Reopen automatically on (optional)',
          type: 'date',
          hint: 'Leave empty to resume by hand.',
        }),
        button('Pause referrals', {
          type: 'submit',
          variant: 'warning',
          attrs: { dataset: { action: 'pause' } },
        }),
      );
      onSubmit(pause, async (values) => {
        const bodyOut = { status: 'paused', reason: values.reason || undefined };
        if (values.reopenOn) bodyOut.reopenOn = values.reopenOn;
        await api('PUT', `/services/${service.id}/capacity`, bodyOut);
        banner = `${service.name} is paused: no new offers until it resumes`;
        await render();
      });
      body.append(h('h4', { class: 'nhsuk-heading-s' }, 'Pause'), pause);
    }
    return wrapper;
  }

  await render();
  // Offers arrive while the page is open: refresh quietly, unless a form is being filled in.
  const timer = setInterval(() => {
    const editing =
      main.contains(document.activeElement) && document.activeElement.matches('input, select, textarea');
    if (!editing) render().catch((err) => console.warn('refresh failed', err));
  }, REFRESH_MS);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}

function toNumber(value) {
  const n = Number(value);
  return value === '' || !Number.isFinite(n) ? value : n;
}
