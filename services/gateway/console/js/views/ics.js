// The ICS analyst's view (also PCN operations'): live load of every VCSO service in scope, unmet need by
// need and area, and weekly trends. De-identified and, for an ICS, small numbers suppressed by the API.
// Load changes arrive live from GET /api/v1/stream (Server-Sent Events read with fetch).
import '/assets/chart.js/chart.umd.min.js';
import { api, apiAll, session } from '../api.js';
import { codeTag, summaryList, table, tag } from '../components.js';
import { clear, formatDateTime, h, percent } from '../dom.js';
import { CAPACITY_STATUSES, label, NEEDS } from '../labels.js';
import { openStream } from '../sse.js';

const { Chart } = globalThis;
const COLOURS = { open: '#007f3b', limited: '#ffb81c', full: '#d5281b', paused: '#768692' };
const SERIES = { received: '#005eb8', offered: '#330072', accepted: '#007f3b' };
const WEEKS = 8;
// The stream carries every change; this slow poll only repairs anything missed while disconnected.
const POLL_MS = 120000;
const FIGURES_DEBOUNCE_MS = 3000;

Chart.defaults.font.family = 'Frutiger W01, Arial, sans-serif';
Chart.defaults.animation = false;

const shown = (n) => (n === null || n === undefined ? 'suppressed' : String(n));

/** Mondays (UTC dates) starting each of the last `n` weeks, oldest first, and the Monday after. */
function weekStarts(n) {
  const today = new Date();
  const monday = new Date(
    Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - ((today.getUTCDay() + 6) % 7)),
  );
  return Array.from({ length: n + 1 }, (_, i) =>
    new Date(monday.getTime() - (n - 1 - i) * 7 * 86400000).toISOString().slice(0, 10),
  );
}

export async function icsView({ main, me, signal }) {
  const scope = me.ics ? `ICS ${me.ics}` : me.pcn ? `PCN ${me.pcn}` : 'All ICSs';
  const live = h(
    'span',
    { id: 'live-status', class: 'sp-live', dataset: { state: 'connecting' } },
    tag('Connecting', 'grey'),
  );
  main.append(
    h('span', { class: 'nhsuk-caption-l' }, scope),
    live,
    h('h1', {}, me.role === 'ics_analyst' ? 'System load and unmet need' : 'Load and unmet need'),
  );

  const loadSection = h('section', { id: 'service-load', 'aria-labelledby': 'load-heading' });
  const needSection = h('section', { id: 'unmet-need', 'aria-labelledby': 'need-heading' });
  const trendSection = h('section', { id: 'trends', 'aria-labelledby': 'trend-heading' });
  main.append(loadSection, needSection, trendSection);

  const charts = [];
  signal.addEventListener('abort', () => charts.forEach((c) => c.destroy()), { once: true });
  const chart = (canvas, config) => {
    const c = new Chart(canvas, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, ...config.options },
    });
    charts.push(c);
    return c;
  };

  // ---- service load, kept live
  const names = new Map((await apiAll('/services', { signal })).map((s) => [s.id, s.name]));
  const load = new Map();
  const loadRows = async () => {
    const page = await api('GET', '/metrics/vcso-load?pageSize=1000', undefined, { signal });
    load.clear();
    for (const row of page.items) load.set(row.serviceId, row);
  };
  await loadRows();

  const statusCanvas = h('canvas', {
    id: 'status-chart',
    'aria-label': 'Services by capacity status',
    role: 'img',
  });
  const utilCanvas = h('canvas', {
    id: 'utilisation-chart',
    'aria-label': 'Utilisation of the busiest services',
    role: 'img',
  });
  const tiles = h('ul', { class: 'sp-tiles', id: 'load-counts', 'aria-label': 'Services by status' });
  const loadTable = h('div', { id: 'load-table' });
  loadSection.append(
    h('h2', { id: 'load-heading' }, 'Service load'),
    h('p', {}, 'Every community service in scope: full, limited and paused services first. Updated live.'),
    tiles,
    h(
      'div',
      { class: 'nhsuk-grid-row' },
      h('div', { class: 'nhsuk-grid-column-one-third' }, h('div', { class: 'sp-chart' }, statusCanvas)),
      h('div', { class: 'nhsuk-grid-column-two-thirds' }, h('div', { class: 'sp-chart' }, utilCanvas)),
    ),
    loadTable,
  );
  const statusChart = chart(statusCanvas, {
    type: 'doughnut',
    data: {
      labels: Object.keys(COLOURS).map((s) => label(CAPACITY_STATUSES, s)),
      datasets: [{ data: [], backgroundColor: Object.values(COLOURS) }],
    },
    options: { plugins: { legend: { position: 'bottom' } } },
  });
  const utilChart = chart(utilCanvas, {
    type: 'bar',
    data: { labels: [], datasets: [{ label: 'Places used', data: [], backgroundColor: [] }] },
    options: {
      indexAxis: 'y',
      scales: { x: { min: 0, suggestedMax: 100, ticks: { callback: (v) => `${v}%` } } },
      plugins: { legend: { display: false } },
    },
  });

  const order = { full: 0, paused: 1, limited: 2, open: 3 };
  const drawLoad = () => {
    const rows = [...load.values()].sort(
      (a, b) => order[a.status] - order[b.status] || b.utilisation - a.utilisation,
    );
    const counts = Object.fromEntries(
      Object.keys(COLOURS).map((s) => [s, rows.filter((r) => r.status === s).length]),
    );
    tiles.replaceChildren(
      ...Object.keys(COLOURS).map((s) =>
        h(
          'li',
          {},
          h(
            'div',
            { class: 'sp-tile', dataset: { status: s } },
            h('span', { class: 'sp-tile__count' }, String(counts[s])),
            codeTag(CAPACITY_STATUSES, s),
          ),
        ),
      ),
    );
    statusChart.data.datasets[0].data = Object.keys(COLOURS).map((s) => counts[s]);
    statusChart.update();
    const busiest = [...rows].sort((a, b) => b.utilisation - a.utilisation).slice(0, 15);
    utilChart.data.labels = busiest.map((r) => names.get(r.serviceId) ?? r.serviceId.slice(0, 8));
    utilChart.data.datasets[0].data = busiest.map((r) => Math.round(r.utilisation * 100));
    utilChart.data.datasets[0].backgroundColor = busiest.map((r) => COLOURS[r.status] ?? COLOURS.open);
    utilChart.update();
    clear(loadTable).append(
      rows.length
        ? table({
            head: ['Service', 'Area', 'Needs', 'People', 'Used', 'Status'],
            rowAttrs: (i) => ({ dataset: { serviceId: rows[i].serviceId, status: rows[i].status } }),
            rows: rows.map((r) => [
              names.get(r.serviceId) ?? r.serviceId.slice(0, 8),
              r.postcodeDistrict ?? '',
              r.needs.map((n) => label(NEEDS, n)).join(', '),
              `${r.active + r.reserved} of ${r.maxActive}`,
              percent(r.utilisation),
              h('span', { class: 'sp-load-status' }, codeTag(CAPACITY_STATUSES, r.status)),
            ]),
          })
        : h('p', {}, 'No services in scope yet.'),
    );
  };
  drawLoad();

  // ---- unmet need and trends, refreshed when referrals move
  const needCanvas = h('canvas', { id: 'need-chart', 'aria-label': 'Unmet need by need', role: 'img' });
  const needBody = h('div');
  needSection.append(
    h('h2', { id: 'need-heading' }, 'Unmet need'),
    h(
      'p',
      {},
      'People who could not be placed: waitlisted, or no suitable service at all. The evidence for new community capacity.',
    ),
    h('div', { class: 'sp-chart' }, needCanvas),
    needBody,
  );
  const needChart = chart(needCanvas, {
    type: 'bar',
    data: {
      labels: [],
      datasets: [
        { label: 'Waitlisted', data: [], backgroundColor: COLOURS.limited },
        { label: 'No suitable service', data: [], backgroundColor: COLOURS.full },
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });

  const trendCanvas = h('canvas', { id: 'trend-chart', 'aria-label': 'Referrals by week', role: 'img' });
  const trendBody = h('div');
  trendSection.append(
    h('h2', { id: 'trend-heading' }, `Trends over ${WEEKS} weeks`),
    h('div', { class: 'sp-chart' }, trendCanvas),
    trendBody,
  );
  const trendChart = chart(trendCanvas, {
    type: 'line',
    data: {
      labels: [],
      datasets: Object.entries(SERIES).map(([key, c]) => ({
        label: key[0].toUpperCase() + key.slice(1),
        data: [],
        borderColor: c,
        backgroundColor: c,
        spanGaps: false,
      })),
    },
    options: { scales: { y: { beginAtZero: true } } },
  });

  const drawFigures = async () => {
    const weeks = weekStarts(WEEKS);
    const [unmet, overall, ...weekly] = await Promise.all([
      api('GET', '/metrics/unmet-need', undefined, { signal }),
      api('GET', '/metrics/summary', undefined, { signal }),
      ...weeks
        .slice(0, -1)
        .map((from, i) =>
          api('GET', `/metrics/summary?from=${from}&to=${weeks[i + 1]}`, undefined, { signal }),
        ),
    ]);
    if (signal.aborted) return;
    const byNeed = new Map();
    for (const row of unmet.items) {
      const n = byNeed.get(row.need) ?? { waitlisted: 0, none: 0 };
      n.waitlisted += row.waitlisted ?? 0;
      n.none += row.noSuitableService ?? 0;
      byNeed.set(row.need, n);
    }
    needChart.data.labels = [...byNeed.keys()].map((n) => label(NEEDS, n));
    needChart.data.datasets[0].data = [...byNeed.values()].map((v) => v.waitlisted);
    needChart.data.datasets[1].data = [...byNeed.values()].map((v) => v.none);
    needChart.update();
    const note = unmet.disclosure.exact
      ? null
      : h(
          'p',
          { class: 'nhsuk-body-s sp-muted' },
          `Counts from 1 to ${unmet.disclosure.threshold} are suppressed and others rounded to ${unmet.disclosure.roundingBase}; the chart counts suppressed cells as 0.`,
        );
    clear(needBody).append(
      note ?? '',
      unmet.items.length
        ? table({
            head: ['Need', 'Area', 'People', 'Waitlisted', 'No suitable service'],
            rows: unmet.items.map((r) => [
              label(NEEDS, r.need),
              r.postcodeDistrict,
              shown(r.referrals),
              shown(r.waitlisted),
              shown(r.noSuitableService),
            ]),
          })
        : h('p', {}, 'No unmet need recorded.'),
    );

    trendChart.data.labels = weeks.slice(0, -1).map((w) => `w/c ${w.slice(8, 10)}/${w.slice(5, 7)}`);
    for (const ds of trendChart.data.datasets) {
      const key = ds.label.toLowerCase();
      ds.data = weekly.map((s) => s.counts[key]);
    }
    trendChart.update();
    const c = overall.counts;
    clear(trendBody).append(
      table({
        head: ['Week starting', 'Received', 'Offered', 'Accepted', 'Completed'],
        rows: weekly.map((s, i) => [
          weeks[i],
          shown(s.counts.received),
          shown(s.counts.offered),
          shown(s.counts.accepted),
          shown(s.counts.completed),
        ]),
      }),
      h('h3', {}, 'All time'),
      summaryList([
        ['Received', shown(c.received)],
        ['Consented', shown(c.consented)],
        ['Offered a place', shown(c.offered)],
        ['Accepted', shown(c.accepted)],
        ['Completed', shown(c.completed)],
        ['Did not attend', shown(c.didNotAttend)],
        ['Waitlisted', shown(c.waitlisted)],
        [
          'Median days to first offer',
          overall.days.toFirstOffer.median === null
            ? 'not enough data'
            : overall.days.toFirstOffer.median.toFixed(1),
        ],
        ['Updated', h('span', { id: 'figures-updated' }, formatDateTime(new Date().toISOString()))],
      ]),
    );
  };
  await drawFigures();

  let figuresTimer;
  const figuresSoon = () => {
    clearTimeout(figuresTimer);
    figuresTimer = setTimeout(
      () => drawFigures().catch((err) => console.warn('figures refresh failed', err)),
      FIGURES_DEBOUNCE_MS,
    );
  };
  const poll = setInterval(() => {
    loadRows()
      .then(drawLoad)
      .catch((err) => console.warn('load refresh failed', err));
  }, POLL_MS);
  signal.addEventListener('abort', () => (clearTimeout(figuresTimer), clearInterval(poll)), { once: true });

  const setLive = (state) => {
    const [text, c] = {
      open: ['Live', 'green'],
      reconnecting: ['Reconnecting', 'orange'],
      closed: ['Not live', 'grey'],
    }[state];
    live.dataset.state = state;
    live.replaceChildren(tag(text, c));
  };
  void openStream('/stream', {
    token: () => session.token,
    signal,
    onState: setLive,
    onEvent: (ev) => {
      if (ev.type === 'analytics.load-changed.v1') {
        const d = JSON.parse(ev.data);
        const row = load.get(d.serviceId);
        load.set(d.serviceId, {
          needs: [],
          postcodeDistrict: null,
          weeklyIntake: 0,
          offersThisWeek: 0,
          ...row,
          serviceId: d.serviceId,
          organisationId: d.organisationId,
          active: d.active,
          reserved: d.reserved,
          maxActive: d.maxActive,
          utilisation: d.utilisation,
          status: d.status,
          changedAt: d.at,
        });
        if (!names.has(d.serviceId)) {
          api('GET', `/services/${d.serviceId}`, undefined, { signal })
            .then((s) => (names.set(s.id, s.name), drawLoad()))
            .catch(() => {});
        }
        drawLoad();
      } else if (ev.type === 'analytics.status-changed.v1') figuresSoon();
    },
  });
}
