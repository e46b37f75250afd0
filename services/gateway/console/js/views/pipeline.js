// The PCN's pipeline: how many referrals stand at each status, and the list at one of them.
import { api } from '../api.js';
import { codeTag, table } from '../components.js';
import { formatDateTime, h, shortId } from '../dom.js';
import { label, NEEDS, REFERRAL_STATUSES, RESPONSIBLE } from '../labels.js';

const PAGE_SIZE = 25;

export async function pipelineView({ main, me, params, query, signal }) {
  const statuses = Object.keys(REFERRAL_STATUSES);
  const scope = me.practice ? `practice ${me.practice}` : me.pcn ? `PCN ${me.pcn}` : 'all PCNs';
  main.append(
    h('span', { class: 'nhsuk-caption-l' }, scope),
    h('h1', {}, me.role === 'referrer' ? 'My referrals' : 'Referral pipeline'),
  );

  const totals = await Promise.all(
    statuses.map((s) =>
      api('GET', `/referrals?status=${s}&pageSize=1`, undefined, { signal }).then((p) => p.total),
    ),
  );
  const counts = Object.fromEntries(statuses.map((s, i) => [s, totals[i]]));
  const current =
    params.status && statuses.includes(params.status)
      ? params.status
      : (statuses.find((s) => counts[s] > 0 && s !== 'closed' && s !== 'completed') ?? 'awaiting-consent');

  main.append(
    h(
      'ul',
      { class: 'sp-tiles', id: 'pipeline-counts', 'aria-label': 'Referrals by status' },
      statuses.map((s) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              class: ['sp-tile', s === current && 'sp-tile--current'],
              href: `#/pipeline/${s}`,
              'aria-current': s === current ? 'true' : undefined,
              dataset: { status: s },
            },
            h('span', { class: 'sp-tile__count' }, String(counts[s])),
            codeTag(REFERRAL_STATUSES, s),
          ),
        ),
      ),
    ),
  );

  const page = Math.max(1, Number(query.page) || 1);
  const list = await api(
    'GET',
    `/referrals?status=${current}&page=${page}&pageSize=${PAGE_SIZE}`,
    undefined,
    { signal },
  );
  main.append(h('h2', {}, `${label(REFERRAL_STATUSES, current)} (${list.total})`));
  if (list.items.length === 0) {
    main.append(h('p', {}, 'No referrals at this status.'));
    return;
  }
  main.append(
    table({
      responsive: true,
      head: ['Referral', 'Received', 'Needs', 'Practice', 'Duty of care'],
      rows: list.items.map((r) => [
        h(
          'a',
          { href: `#/referrals/${r.id}`, class: 'sp-break', dataset: { referralId: r.id } },
          `Referral ${shortId(r.id)}`,
        ),
        formatDateTime(r.createdAt),
        r.needs.map((n) => label(NEEDS, n)).join(', '),
        r.practiceCode,
        label(RESPONSIBLE, r.responsibleParty),
      ]),
    }),
  );
  const pages = Math.ceil(list.total / PAGE_SIZE);
  if (pages > 1) {
    main.append(
      h(
        'nav',
        { class: 'nhsuk-pagination', role: 'navigation', 'aria-label': 'Pagination' },
        h(
          'ul',
          { class: 'nhsuk-list nhsuk-pagination__list' },
          page > 1
            ? h(
                'li',
                { class: 'nhsuk-pagination-item--previous' },
                h(
                  'a',
                  {
                    class: 'nhsuk-pagination__link nhsuk-pagination__link--prev',
                    href: `#/pipeline/${current}?page=${page - 1}`,
                  },
                  h('span', { class: 'nhsuk-pagination__title' }, 'Previous'),
                  h('span', { class: 'nhsuk-pagination__page' }, `Page ${page - 1} of ${pages}`),
                ),
              )
            : null,
          page < pages
            ? h(
                'li',
                { class: 'nhsuk-pagination-item--next' },
                h(
                  'a',
                  {
                    class: 'nhsuk-pagination__link nhsuk-pagination__link--next',
                    href: `#/pipeline/${current}?page=${page + 1}`,
                  },
                  h('span', { class: 'nhsuk-pagination__title' }, 'Next'),
                  h('span', { class: 'nhsuk-pagination__page' }, `Page ${page + 1} of ${pages}`),
                ),
              )
            : null,
        ),
      ),
    );
  }
}
