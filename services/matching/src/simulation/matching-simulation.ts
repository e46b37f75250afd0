import { NEED_CODES } from '@sp/contracts';
import {
  distanceKm,
  rankServices,
  ROOM_REASONS,
  type LatLon,
  type PersonProfile,
  type ServiceProfile,
} from '../matches/scoring';

/**
 * `npm run simulate -- matching`: a synthetic ICS, pure and in memory, run once with matching's own
 * policy (the scoring function the service uses) and once with "the nearest service with a free
 * place", on the same people and services, to compare placements, distances, how evenly load falls
 * on services, and waitlists.
 */
export interface SimulationOptions {
  services: number;
  referrals: number;
  days: number;
  seed: number;
}

export const DEFAULT_SIMULATION: SimulationOptions = {
  services: 300,
  referrals: 30_000,
  days: 365,
  seed: 42,
};

export type Policy = 'matching' | 'nearest';

export interface PolicyResult {
  policy: Policy;
  referrals: number;
  placed: number;
  noSuitableService: number;
  /** Placements with online or phone services (no distance). */
  remote: number;
  /** In-person placements with a measurable distance. */
  meanKm: number;
  p95Km: number;
  /** Per service, utilisation ((active + reserved) / maxActive) averaged over the days. */
  peakUtilisation: number;
  meanUtilisation: number;
  utilisationSd: number;
  /** Share of services whose average utilisation is 90 % or more. */
  saturatedServices: number;
  idleServices: number;
  meanWaitlist: number;
  peakWaitlist: number;
  finalWaitlist: number;
  meanWaitDays: number;
}

/** Deterministic pseudo-random numbers (mulberry32), so two runs with one seed agree. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface World {
  services: ServiceProfile[];
  people: { profile: PersonProfile; arrivalDay: number; stayDays: number; suitable: number[] }[];
}

const CENTRE: LatLon = { lat: 53.8, lon: -1.55 };

/** A synthetic ICS: 80 districts around a town centre, people and services denser near the centre. */
export function buildWorld(opts: SimulationOptions): World {
  const rand = rng(opts.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
  const districts: { at: LatLon; weight: number }[] = [];
  for (let i = 0; i < 80; i++) {
    // Up to ~30 km out; the centre's districts are the most populous.
    const r = 30 * Math.sqrt(rand());
    const theta = rand() * 2 * Math.PI;
    const at = {
      lat: CENTRE.lat + (r / 111) * Math.sin(theta),
      lon: CENTRE.lon + (r / (111 * Math.cos((CENTRE.lat * Math.PI) / 180))) * Math.cos(theta),
    };
    districts.push({ at, weight: 1 + 4 * Math.exp(-r / 8) });
  }
  // Services cluster in town more than people do: their weights are sharpened.
  const sampler = (weights: number[]) => {
    const sum = weights.reduce((a, b) => a + b, 0);
    return () => {
      let x = rand() * sum;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i];
        if (x <= 0) return districts[i];
      }
      return districts[districts.length - 1];
    };
  };
  const personDistrict = sampler(districts.map((d) => d.weight));
  const serviceDistrict = sampler(districts.map((d) => d.weight ** 1.6));
  // Some needs are common, some rare: uneven demand and supply per need.
  const needWeights = NEED_CODES.map((_, i) => 1 / (1 + i * 0.35));
  const needTotal = needWeights.reduce((s, w) => s + w, 0);
  const need = () => {
    let x = rand() * needTotal;
    for (let i = 0; i < NEED_CODES.length; i++) {
      x -= needWeights[i];
      if (x <= 0) return NEED_CODES[i];
    }
    return NEED_CODES[0];
  };
  const services: ServiceProfile[] = [];
  for (let i = 0; i < opts.services; i++) {
    const needs = [
      ...new Set([need(), ...(rand() < 0.5 ? [need()] : []), ...(rand() < 0.2 ? [need()] : [])]),
    ];
    // Uneven capacity: many small groups, a few large ones.
    const maxActive = Math.max(2, Math.round(Math.exp(1.2 + rand() * 2.6)));
    const roll = rand();
    services.push({
      serviceId: `svc-${String(i).padStart(4, '0')}`,
      organisationId: `org-${Math.floor(i / 3)}`,
      needs,
      location: serviceDistrict().at,
      radiusKm: pick([5, 8, 10, 15, 20]),
      minAge: rand() < 0.15 ? 18 : null,
      maxAge: rand() < 0.1 ? 64 : null,
      languages: rand() < 0.1 ? ['en', pick(['pl', 'ur', 'pa', 'ro'])] : [],
      accessibility: rand() < 0.7 ? ['step-free'] : [],
      mode: roll < 0.85 ? 'in-person' : roll < 0.95 ? 'online' : 'phone',
      paused: false,
      maxActive,
      weeklyIntake: Math.max(1, Math.round(maxActive / 3)),
      active: 0,
      reserved: 0,
      offersThisWeek: 0,
      recentOffers: 0,
      alreadyOffered: false,
    });
  }
  const bands = ['18-24', '25-34', '35-44', '45-54', '55-64', '65-74', '75-84', '85+'];
  const people: World['people'] = [];
  for (let i = 0; i < opts.referrals; i++) {
    const profile: PersonProfile = {
      needs: [...new Set([need(), ...(rand() < 0.35 ? [need()] : [])])],
      ageBand: pick(bands),
      preferredLanguage: rand() < 0.06 ? pick(['pl', 'ur', 'pa', 'ro']) : null,
      accessibilityNeeds: rand() < 0.1 ? ['wheelchair'] : [],
      location: personDistrict().at,
    };
    // Which services suit this person at all (room aside) never changes: work it out once.
    const ranking = rankServices(profile, services);
    const roomOnly = new Set(ROOM_REASONS);
    const suitable = [
      ...ranking.candidates.map((c) => c.serviceId),
      ...ranking.excluded.filter((e) => e.reasons.every((r) => roomOnly.has(r))).map((e) => e.serviceId),
    ].map((id) => Number(id.slice(4)));
    people.push({
      profile,
      arrivalDay: Math.floor((i / opts.referrals) * opts.days),
      stayDays: 28 + Math.floor(rand() * 42),
      suitable,
    });
  }
  return { services, people };
}

const FAIRNESS_DAYS = 28;

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Runs one policy over the world, day by day: placements end, the waitlist goes first, then arrivals. */
export function simulate(world: World, policy: Policy, days: number): PolicyResult {
  const services = world.services.map((s) => ({ ...s }));
  const recent: number[][] = services.map(() => []); // days of each offer in the fairness window
  const ends: { day: number; service: number }[] = [];
  const waitlist: { person: number; since: number }[] = [];
  const utilSum = services.map(() => 0);
  const distances: number[] = [];
  const waits: number[] = [];
  let placed = 0;
  let remote = 0;
  let noSuitable = 0;
  let waitlistSum = 0;
  let peakWaitlist = 0;
  let nextPerson = 0;

  const choose = (p: number, day: number): number | null => {
    const person = world.people[p];
    const pool = person.suitable.map((i) => {
      const s = services[i];
      const window = recent[i];
      while (window.length && window[0] <= day - FAIRNESS_DAYS) window.shift();
      s.recentOffers = window.length;
      return s;
    });
    const { candidates } = rankServices(person.profile, pool);
    if (candidates.length === 0) return null;
    if (policy === 'matching') return Number(candidates[0].serviceId.slice(4));
    // Nearest with a free place; remote services only when no in-person one has room.
    let best: { i: number; km: number } | null = null;
    for (const c of candidates) {
      const km = c.parts.distance.km ?? Number.POSITIVE_INFINITY;
      if (!best || km < best.km) best = { i: Number(c.serviceId.slice(4)), km };
    }
    return best ? best.i : null;
  };
  const place = (p: number, i: number, day: number) => {
    const s = services[i];
    s.active++;
    s.offersThisWeek++;
    recent[i].push(day);
    ends.push({ day: day + world.people[p].stayDays, service: i });
    placed++;
    const person = world.people[p].profile;
    if (s.mode !== 'in-person') remote++;
    else if (person.location && s.location) {
      distances.push(distanceKm(person.location, s.location));
    }
  };

  for (let day = 0; day < days; day++) {
    if (day % 7 === 0) for (const s of services) s.offersThisWeek = 0;
    for (let k = ends.length - 1; k >= 0; k--) {
      if (ends[k].day <= day) {
        services[ends[k].service].active--;
        ends.splice(k, 1);
      }
    }
    // The waitlist in arrival order, before today's arrivals.
    for (let w = 0; w < waitlist.length;) {
      const { person, since } = waitlist[w];
      const i = choose(person, day);
      if (i === null) {
        w++;
        continue;
      }
      place(person, i, day);
      waits.push(day - since);
      waitlist.splice(w, 1);
    }
    while (nextPerson < world.people.length && world.people[nextPerson].arrivalDay <= day) {
      const p = nextPerson++;
      if (world.people[p].suitable.length === 0) {
        noSuitable++;
        continue;
      }
      const i = choose(p, day);
      if (i === null) waitlist.push({ person: p, since: day });
      else {
        place(p, i, day);
        waits.push(0);
      }
    }
    services.forEach((s, i) => (utilSum[i] += s.active / s.maxActive));
    waitlistSum += waitlist.length;
    peakWaitlist = Math.max(peakWaitlist, waitlist.length);
  }
  const util = utilSum.map((u) => u / days);
  const meanUtil = util.reduce((a, b) => a + b, 0) / util.length;
  const sd = Math.sqrt(util.reduce((a, u) => a + (u - meanUtil) ** 2, 0) / util.length);
  return {
    policy,
    referrals: world.people.length,
    placed,
    noSuitableService: noSuitable,
    remote,
    meanKm: distances.reduce((a, b) => a + b, 0) / Math.max(1, distances.length),
    p95Km: percentile(distances, 95),
    peakUtilisation: Math.max(...util),
    meanUtilisation: meanUtil,
    utilisationSd: sd,
    saturatedServices: util.filter((u) => u >= 0.9).length / util.length,
    idleServices: util.filter((u) => u < 0.05).length / util.length,
    meanWaitlist: waitlistSum / days,
    peakWaitlist,
    finalWaitlist: waitlist.length,
    meanWaitDays: waits.reduce((a, b) => a + b, 0) / Math.max(1, waits.length),
  };
}

/** The comparison as a markdown table. */
export function markdownTable(results: PolicyResult[], opts: SimulationOptions): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const rows: [string, (r: PolicyResult) => string][] = [
    ['referrals', (r) => String(r.referrals)],
    ['placed', (r) => `${r.placed} (${pct(r.placed / r.referrals)})`],
    ['no suitable service at all', (r) => String(r.noSuitableService)],
    ['placed with online or phone services', (r) => `${r.remote} (${pct(r.remote / Math.max(1, r.placed))})`],
    ['mean distance (in person)', (r) => `${r.meanKm.toFixed(1)} km`],
    ['95th percentile distance', (r) => `${r.p95Km.toFixed(1)} km`],
    ['peak utilisation (busiest service, run average)', (r) => pct(r.peakUtilisation)],
    ['mean utilisation across services', (r) => pct(r.meanUtilisation)],
    ['spread of utilisation (sd across services)', (r) => pct(r.utilisationSd)],
    ['services at 90 %+ on average', (r) => pct(r.saturatedServices)],
    ['services almost idle (< 5 %)', (r) => pct(r.idleServices)],
    [
      'waitlist length: mean / peak / at the end',
      (r) => `${r.meanWaitlist.toFixed(0)} / ${r.peakWaitlist} / ${r.finalWaitlist}`,
    ],
    ['mean wait before an offer', (r) => `${r.meanWaitDays.toFixed(1)} days`],
  ];
  const header = `| ${opts.services} services, ${opts.referrals} referrals, ${opts.days} days (seed ${opts.seed}) | ${results.map((r) => (r.policy === 'matching' ? 'matching policy (score)' : 'nearest with a free place')).join(' | ')} |`;
  const rule = `|---|${results.map(() => '---:').join('|')}|`;
  return [header, rule, ...rows.map(([label, f]) => `| ${label} | ${results.map(f).join(' | ')} |`)].join(
    '\n',
  );
}

export function runMatchingSimulation(opts: SimulationOptions = DEFAULT_SIMULATION): string {
  const world = buildWorld(opts);
  const results = (['matching', 'nearest'] as const).map((p) => simulate(world, p, opts.days));
  return markdownTable(results, opts);
}
