// One referral, for the PCN team and link workers: its status and timeline, and the next step the
// status allows: consent, assessment, candidate services (with the score's parts and exclusions) and an
// offer, wellbeing outcomes, closing.
import { api, ApiError, apiMaybe, serviceName } from '../api.js';
import {
  backLink,
  button,
  checkboxes,
  codeTag,
  inset,
  onSubmit,
  radios,
  select,
  showErrors,
  success,
  summaryList,
  table,
  textarea,
} from '../components.js';
import { clear, formatDate, formatDateTime, h, percent, shortId, sleep } from '../dom.js';
import {
  CLOSE_REASONS,
  EXCLUSION_REASONS,
  label,
  NEEDS,
  ONS4_ITEMS,
  REFERRAL_STATUSES,
  RESPONSIBLE,
  SWEMWBS_ITEMS,
  TIMELINE,
} from '../labels.js';

const ACTIVE = ['link_worker', 'pcn_ops', 'admin'];
const OPEN = (status) => status !== 'closed' && status !== 'completed';

/**
 * Polls the referral until `done(referral)` holds: the platform applies consent and offers through its
 * event stream, so the referral's status follows a moment after the call that caused it.
 */
async function waitForReferral(id, done, signal, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (!signal.aborted && Date.now() < deadline) {
    last = await api('GET', `/referrals/${id}`, undefined, { signal });
    if (done(last)) return last;
    await sleep(500);
  }
  return last;
}

export async function referralView(ctx) {
  const { main, me, params, signal } = ctx;
  const id = params.id.toLowerCase();
  let banner;

  async function render(referral) {
    clear(main);
    main.append(backLink(`#/pipeline/${referral.status}`, 'Back to the pipeline'));
    if (banner) main.append(success(banner));
    banner = undefined;
    const name = referral.patient
      ? `${referral.patient.givenName} ${referral.patient.familyName}`
      : `Referral ${shortId(referral.id)}`;
    main.append(
      h('span', { class: 'nhsuk-caption-l sp-break' }, `Referral ${referral.id}`),
      h('h1', { id: 'referral-heading' }, name),
    );
    main.append(
      summaryList([
        [
          'Status',
          h(
            'span',
            { id: 'referral-status', dataset: { status: referral.status } },
            codeTag(REFERRAL_STATUSES, referral.status),
          ),
        ],
        referral.closeReason ? ['Closed because', label(CLOSE_REASONS, referral.closeReason)] : null,
        ['Duty of care', label(RESPONSIBLE, referral.responsibleParty)],
        ['Needs', referral.needs.map((n) => label(NEEDS, n)).join(', ')],
        ['PCN and practice', `${referral.pcnCode}, ${referral.practiceCode}`],
        ['Received', formatDateTime(referral.createdAt)],
        referral.patient ? ['NHS number', referral.patient.nhsNumber] : null,
        referral.patient ? ['Date of birth', formatDate(referral.patient.birthDate)] : null,
        referral.patient?.referrer
          ? ['Referred by', `${referral.patient.referrer.name} (${referral.patient.referrer.role})`]
          : null,
        referral.possibleDuplicate
          ? ['Possible duplicate', 'Another open referral names the same person']
          : null,
      ]),
    );

    const steps = h('div', { id: 'next-step' });
    main.append(steps);
    if (ACTIVE.includes(me.role)) await nextStep(steps, referral);
    if (signal.aborted) return;
    if (ACTIVE.includes(me.role) && me.role !== 'admin') {
      await consentSection(referral);
      if (referral.status !== 'awaiting-consent') await outcomesSection(referral);
      if (OPEN(referral.status)) closeSection(referral);
    }
    await timelineSection(referral);
  }

  /** Re-reads the referral (waiting for `done` when given) and draws the page again with a banner. */
  async function refresh(message, done) {
    const referral = done
      ? await waitForReferral(id, done, signal)
      : await api('GET', `/referrals/${id}`, undefined, { signal });
    if (signal.aborted) return;
    banner = message;
    await render(referral);
    main.querySelector('.nhsuk-notification-banner')?.focus();
  }

  async function nextStep(host, referral) {
    switch (referral.status) {
      case 'awaiting-consent':
        return consentForm(host, referral);
      case 'awaiting-assessment':
        if (me.role === 'link_worker') return assessmentForm(host, referral);
        host.append(inset(h('p', {}, 'Consent is recorded. A link worker assesses the person next.')));
        return;
      case 'matching':
      case 'waitlisted':
        return candidates(host, referral);
      case 'offered':
      case 'accepted':
        return currentOffer(host, referral);
      case 'completed':
      case 'closed':
        return;
    }
  }

  function consentForm(host, referral) {
    const form = h(
      'form',
      { id: 'consent-form' },
      radios({
        name: 'decision',
        legend: 'What did the person decide?',
        items: [
          { value: 'granted', text: 'They agree to be referred', checked: true },
          { value: 'declined', text: 'They do not agree' },
        ],
      }),
      radios({
        name: 'method',
        legend: 'How was consent given?',
        inline: true,
        items: [
          { value: 'verbal', text: 'Verbally', checked: true },
          { value: 'written', text: 'In writing' },
          { value: 'digital', text: 'Digitally' },
        ],
      }),
      checkboxes({
        name: 'shareWithVcso',
        legend: 'Sharing',
        single: true,
        items: [
          {
            value: 'true',
            text: 'They agree that their contact details may be shared with the community organisation',
            hint: 'Without this, no organisation sees anything about them and no place can be offered.',
            checked: true,
          },
        ],
      }),
      button('Record consent', { type: 'submit' }),
    );
    host.append(h('h2', {}, 'Record consent'), form);
    onSubmit(form, async (values) => {
      await api('POST', '/consents', {
        referralId: referral.id,
        decision: values.decision,
        method: values.method,
        shareWithVcso: values.shareWithVcso === true,
      });
      await refresh(
        values.decision === 'granted' ? 'Consent recorded' : 'The person’s decision is recorded',
        (r) => r.status !== 'awaiting-consent',
      );
    });
  }

  function assessmentForm(host, referral) {
    const form = h(
      'form',
      { id: 'assessment-form' },
      checkboxes({
        name: 'needs',
        legend: 'Which needs will you address?',
        hint: 'The referral’s needs are ticked; change them to what matters to the person.',
        items: Object.entries(NEEDS).map(([value, text]) => ({
          value,
          text,
          checked: referral.needs.includes(value),
        })),
      }),
      textarea({
        name: 'notesForVcso',
        label: 'Notes for the community organisation (optional)',
        hint: 'Shared only with an organisation that accepts the person, and only with consent to share.',
      }),
      checkboxes({
        name: 'autoOffer',
        legend: 'Offer',
        single: true,
        items: [
          {
            value: 'true',
            text: 'Offer the best-matching service automatically',
            hint: 'Otherwise you choose from the candidate services next.',
          },
        ],
      }),
      button('Save assessment', { type: 'submit' }),
    );
    host.append(h('h2', {}, 'Assessment'), form);
    onSubmit(form, async (values) => {
      const body = { needs: values.needs, autoOffer: values.autoOffer === true };
      if (values.notesForVcso.trim()) body.notesForVcso = values.notesForVcso.trim();
      await api('POST', `/referrals/${referral.id}/assessment`, body);
      await refresh(
        'Assessment saved',
        body.autoOffer
          ? (r) => r.status !== 'matching' && r.status !== 'awaiting-assessment'
          : (r) => r.status !== 'awaiting-assessment',
      );
    });
  }

  async function candidates(host, referral) {
    const section = h(
      'section',
      { id: 'candidates', 'aria-labelledby': 'candidates-heading' },
      h('h2', { id: 'candidates-heading' }, 'Candidate services'),
    );
    host.append(section);
    const waiting = h('p', { class: 'sp-muted' }, 'Finding suitable services…');
    section.append(waiting);
    // Matching learns of the assessment through the event stream; until then it does not know the referral.
    let matches;
    const deadline = Date.now() + 20000;
    while (!signal.aborted) {
      matches = await apiMaybe(`/matches/${referral.id}`, { signal });
      const caughtUp =
        matches && matches.needs.length && matches.needs.every((n) => referral.needs.includes(n));
      if (caughtUp || Date.now() > deadline) break;
      await sleep(700);
    }
    waiting.remove();
    if (!matches) {
      section.append(
        inset(h('p', {}, 'Matching has not seen this referral yet. Reload the page in a moment.')),
      );
      return;
    }
    if (referral.status === 'waitlisted' || matches.waitlisted) {
      section.append(
        inset(
          h(
            'p',
            {},
            'The person is on the waitlist: suitable services have no room now. They are offered a place as soon as one opens.',
          ),
        ),
      );
    }
    if (!matches.locationKnown) {
      section.append(
        h(
          'p',
          { class: 'sp-muted' },
          'The person’s postcode district is not in the geography table, so distance could not be measured.',
        ),
      );
    }
    const names = await Promise.all(matches.candidates.map((c) => serviceName(c.serviceId)));
    if (matches.candidates.length === 0) {
      section.append(
        h(
          'p',
          {},
          matches.suitable ? 'Suitable services have no room now.' : 'No service suits these needs.',
        ),
      );
    } else {
      section.append(
        table({
          responsive: true,
          head: ['Service', 'Score', 'Why', ''],
          rowAttrs: (i) => ({ dataset: { serviceId: matches.candidates[i].serviceId } }),
          rows: matches.candidates.map((c, i) => [
            h('strong', {}, names[i]),
            c.score.toFixed(2),
            scoreParts(c.parts),
            button('Offer a place', {
              variant: i === 0 ? undefined : 'secondary',
              attrs: { 'aria-label': `Offer a place at ${names[i]}`, dataset: { offerService: c.serviceId } },
              on: { click: (e) => void makeOffer(e.currentTarget, section, referral, c.serviceId, names[i]) },
            }),
          ]),
        }),
      );
    }
    if (matches.excluded.length) {
      const excludedNames = await Promise.all(matches.excluded.map((x) => serviceName(x.serviceId)));
      section.append(
        h(
          'details',
          { class: 'nhsuk-details' },
          h(
            'summary',
            { class: 'nhsuk-details__summary' },
            h(
              'span',
              { class: 'nhsuk-details__summary-text' },
              `Services left out (${matches.excluded.length})`,
            ),
          ),
          h(
            'div',
            { class: 'nhsuk-details__text' },
            table({
              responsive: true,
              head: ['Service', 'Why'],
              rows: matches.excluded.map((x, i) => [
                excludedNames[i],
                x.reasons.map((r) => label(EXCLUSION_REASONS, r)).join(', '),
              ]),
            }),
          ),
        ),
      );
    }
  }

  async function makeOffer(btn, section, referral, serviceId, name) {
    btn.disabled = true;
    try {
      // Matching hears of the consent and the assessment through the event stream, a moment after the
      // referral shows them: while it catches up it answers 409 with these reasons, so try again briefly.
      const deadline = Date.now() + 10000;
      for (;;) {
        try {
          await api('POST', '/offers', { referralId: referral.id, serviceId });
          break;
        } catch (err) {
          const catchingUp =
            err instanceof ApiError && err.status === 409 && /not been assessed|no consent/.test(err.message);
          if (!catchingUp || Date.now() > deadline) throw err;
          await sleep(500);
        }
      }
      await refresh(`Place offered at ${name}`, (r) => r.status === 'offered');
    } catch (err) {
      btn.disabled = false;
      showErrors(section, err);
    }
  }

  async function currentOffer(host, referral) {
    const made = [...referral.timeline]
      .reverse()
      .find((e) => e.kind === 'offer-made' || e.kind === 'offer-accepted');
    if (!made) return;
    const name = await serviceName(made.detail.serviceId);
    const offered = referral.timeline.find(
      (e) => e.kind === 'offer-made' && e.detail.offerId === made.detail.offerId,
    );
    host.append(
      h('h2', {}, referral.status === 'accepted' ? 'Place accepted' : 'Place offered'),
      summaryList([
        ['Service', h('span', { id: 'offer-service' }, name)],
        ['Offered', formatDateTime(offered?.at ?? made.at)],
        offered?.detail.expiresAt && referral.status === 'offered'
          ? ['Answer due by', formatDateTime(offered.detail.expiresAt)]
          : null,
        offered?.detail.auto ? ['Chosen', 'Automatically (best match)'] : null,
      ]),
    );
  }

  async function consentSection(referral) {
    const page = await api('GET', `/consents?referralId=${referral.id}`, undefined, { signal });
    if (!page.items.length) return;
    const latest = page.items.reduce((a, b) => (a.recordedAt > b.recordedAt ? a : b));
    const section = h('section', { id: 'consent' }, h('h2', {}, 'Consent'));
    section.append(
      summaryList([
        [
          'Decision',
          latest.withdrawnAt ? 'Withdrawn' : latest.decision === 'granted' ? 'Granted' : 'Declined',
        ],
        ['How', latest.method],
        ['Share with the organisation', latest.shareWithVcso ? 'Yes' : 'No'],
        ['Recorded', formatDateTime(latest.recordedAt)],
        latest.withdrawnAt ? ['Withdrawn', formatDateTime(latest.withdrawnAt)] : null,
      ]),
    );
    if (latest.decision === 'granted' && !latest.withdrawnAt && OPEN(referral.status)) {
      section.append(
        button('Record withdrawal of consent', {
          variant: 'warning',
          on: {
            click: async (e) => {
              e.currentTarget.disabled = true;
              try {
                await api('POST', `/consents/${latest.id}/withdraw`, {});
                await refresh(
                  'Consent withdrawn: open offers are cancelled and nothing more is shared',
                  (r) => r.status === 'closed',
                );
              } catch (err) {
                showErrors(section, err);
              }
            },
          },
        }),
      );
    }
    main.append(section);
  }

  async function outcomesSection(referral) {
    const section = h(
      'section',
      { id: 'outcomes', 'aria-labelledby': 'outcomes-heading' },
      h('h2', { id: 'outcomes-heading' }, 'Wellbeing outcomes'),
    );
    main.append(section);
    let recorded = [];
    try {
      recorded = (await api('GET', `/referrals/${referral.id}/outcomes`, undefined, { signal })).items ?? [];
    } catch (err) {
      // Outcomes are one part of the page: their failure is shown here and the rest still works.
      if (signal.aborted) return;
      showErrors(section, err);
    }
    if (recorded.length) {
      section.append(
        table({
          responsive: true,
          head: ['Measure', 'Stage', 'Total', 'Recorded'],
          rows: recorded.map((o) => [
            o.measure === 'ons4' ? 'ONS4' : 'SWEMWBS',
            o.stage === 'baseline' ? 'Baseline' : 'Follow-up',
            String(o.total),
            formatDateTime(o.recordedAt),
          ]),
        }),
      );
    } else
      section.append(
        h('p', {}, 'None recorded yet. Record a baseline before support starts and a follow-up after it.'),
      );

    const scores = h('div', { class: 'nhsuk-form-group', dataset: { field: 'scores' } });
    const fillScores = (measure) => {
      const items = measure === 'ons4' ? ONS4_ITEMS : SWEMWBS_ITEMS;
      const [min, max] = measure === 'ons4' ? [0, 10] : [1, 5];
      scores.replaceChildren(
        h(
          'fieldset',
          { class: 'nhsuk-fieldset' },
          h(
            'legend',
            { class: 'nhsuk-fieldset__legend nhsuk-fieldset__legend--s' },
            `Scores (${min} to ${max})`,
          ),
          items.map((text, i) => {
            const fid = `outcome-score-${i}`;
            return h(
              'div',
              { class: 'nhsuk-form-group' },
              h('label', { class: 'nhsuk-label', for: fid }, text),
              h('input', {
                class: 'nhsuk-input nhsuk-input--width-2',
                id: fid,
                name: `score-${i}`,
                type: 'number',
                inputmode: 'numeric',
                min,
                max,
                step: 1,
              }),
            );
          }),
        ),
      );
    };
    const measure = radios({
      name: 'measure',
      legend: 'Measure',
      inline: true,
      items: [
        { value: 'ons4', text: 'ONS4', checked: true },
        { value: 'swemwbs', text: 'SWEMWBS' },
      ],
    });
    measure.addEventListener('change', () => fillScores(measure.querySelector('input:checked').value));
    fillScores('ons4');
    const form = h(
      'form',
      { id: 'outcome-form' },
      measure,
      radios({
        name: 'stage',
        legend: 'Stage',
        inline: true,
        items: [
          { value: 'baseline', text: 'Baseline', checked: !recorded.length },
          { value: 'follow-up', text: 'Follow-up', checked: recorded.length > 0 },
        ],
      }),
      scores,
      button('Record outcome', { type: 'submit', variant: 'secondary' }),
    );
    section.append(form);
    onSubmit(form, async (values) => {
      const n = values.measure === 'ons4' ? ONS4_ITEMS.length : SWEMWBS_ITEMS.length;
      const list = Array.from({ length: n }, (_, i) => {
        const v = values[`score-${i}`];
        return v === '' ? null : Number(v);
      });
      await api('POST', `/referrals/${referral.id}/outcomes`, {
        measure: values.measure,
        stage: values.stage,
        scores: list,
      });
      await refresh('Outcome recorded');
    });
  }

  function closeSection(referral) {
    const form = h(
      'form',
      { id: 'close-form' },
      select({
        name: 'reason',
        label: 'Why is the referral closing?',
        options: [
          { value: '', text: 'Choose a reason' },
          ...Object.entries(CLOSE_REASONS).map(([value, text]) => ({ value, text })),
        ],
      }),
      button('Close referral', { type: 'submit', variant: 'warning' }),
    );
    const section = h('section', { id: 'close' }, h('h2', {}, 'Close the referral'), form);
    main.append(section);
    onSubmit(form, async (values) => {
      await api('POST', `/referrals/${referral.id}/close`, { reason: values.reason || undefined });
      await refresh('Referral closed');
    });
  }

  async function timelineSection(referral) {
    const names = await Promise.all(
      referral.timeline.map((e) => (e.detail?.serviceId ? serviceName(e.detail.serviceId) : '')),
    );
    main.append(
      h('h2', {}, 'Timeline'),
      h(
        'ol',
        { class: 'nhsuk-list nhsuk-list--border', id: 'timeline' },
        referral.timeline.map((e, i) =>
          h(
            'li',
            { dataset: { kind: e.kind } },
            h('strong', {}, label(TIMELINE, e.kind)),
            names[i] ? ` – ${names[i]}` : '',
            e.detail?.reason ? ` (${label(CLOSE_REASONS, e.detail.reason)})` : '',
            h('br'),
            h('span', { class: 'nhsuk-body-s sp-muted' }, formatDateTime(e.at)),
          ),
        ),
      ),
    );
  }

  await render(await api('GET', `/referrals/${id}`, undefined, { signal }));
}

function scoreParts(parts) {
  const d = parts.distance;
  const distance =
    d.km === null
      ? ({
          'remote-service': 'meets online or by phone',
          'person-location-unknown': 'person’s area unknown',
          'service-location-unknown': 'service’s area unknown',
        }[d.note] ?? d.note)
      : `${d.km} km (within ${d.radiusKm} km)`;
  return h(
    'ul',
    { class: 'sp-score-parts' },
    h(
      'li',
      {},
      `Needs: ${parts.needs.covered.length} of ${parts.needs.of} covered (${parts.needs.score.toFixed(2)} × ${parts.needs.weight})`,
    ),
    h('li', {}, `Distance: ${distance} (${d.score.toFixed(2)} × ${d.weight})`),
    h(
      'li',
      {},
      `Load: ${percent(parts.load.utilisation)} used, ${parts.load.active + parts.load.reserved} of ${parts.load.maxActive} (${parts.load.score.toFixed(2)} × ${parts.load.weight})`,
    ),
    h(
      'li',
      {},
      `Fairness: ${parts.fairness.recentOffers} offers in ${parts.fairness.days} days (${parts.fairness.score.toFixed(2)} × ${parts.fairness.weight})`,
    ),
  );
}
