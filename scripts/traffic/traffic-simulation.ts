/**
 * Realistic traffic against a running platform, through the gateway, as the people who use it act:
 * practices refer (fake but valid people, need mixes as caseloads report them), link workers record
 * consent (mostly granted, some declined, a few withdrawn later), assess with automatic offers and
 * record wellbeing scores, VCSO coordinators accept most offers and decline some, record completions
 * and non-attendance, and now and then pause, resume or resize a service. Time is compressed: a
 * referral's weeks take seconds (`pace` scales every wait).
 *
 * Each referral is a journey (an async task); offers are found by polling each PCN's pending offers,
 * so the VCSO side reacts to whatever matching decides, including re-offers after a decline and places
 * given to the waitlist.
 */
import type { AuthClaims } from '@sp/auth';
import type { NeedCode, OfferDeclineReason } from '@sp/contracts';
import { Postcode } from '@sp/domain';
import { DEMO_PCNS } from '../demo/demo-network';
import {
  between,
  chance,
  fakePerson,
  fakeReferrer,
  needMix,
  pick,
  seededRng,
  weighted,
  wellbeingScores,
  type Rng,
} from './fake-people';
import {
  PlatformClient,
  PlatformUnreachable,
  problemText,
  routeOf,
  sleep,
  type ApiAnswer,
} from './platform-client';
import type { TrafficOptions } from './traffic-options';

/** What one referral will go through; drawn at random for traffic, fixed for the demo's seeds. */
export interface JourneyPlan {
  pcn: string;
  practice: string;
  needs: NeedCode[];
  consent: 'granted' | 'declined' | 'none';
  /** With consent granted: whether the link worker assesses (else it waits for assessment). */
  assess: boolean;
  /** A service id the link worker offers by hand (no automatic offer). */
  offerTo?: string;
  /** The VCSO's answer to the first offer; later offers (after a decline) are accepted. */
  vcso: 'accept' | 'decline' | 'hold';
  attendance: 'completed' | 'did-not-attend' | 'hold';
  /** Consent withdrawn once an offer is made (or the referral is waitlisted). */
  withdraw: boolean;
  outcomes: 'ons4' | 'both' | 'none';
  /** Makes the create retry-safe and re-runnable (the demo's seeds). */
  idempotencyKey?: string;
  /** Seeds the person's details, so the same plan makes the same person. */
  personSeed: number;
}

export const STATUSES = [
  'awaiting-consent',
  'awaiting-assessment',
  'matching',
  'offered',
  'waitlisted',
  'accepted',
  'completed',
  'closed',
] as const;
type Reached = (typeof STATUSES)[number];

export interface TrafficStats {
  /** Referrals created. */
  sent: number;
  /** Already there (a seed's idempotent replay). */
  replayed: number;
  /** Referrals of this run that reached each status. */
  reached: Record<Reached, number>;
  consentGranted: number;
  consentDeclined: number;
  withdrawn: number;
  assessed: number;
  offers: number;
  accepted: number;
  vcsoDeclined: number;
  completed: number;
  didNotAttend: number;
  /** Closed by the link worker: nothing suitable exists (unmet need). */
  unmet: number;
  /** Closed by the link worker after non-attendance. */
  noContact: number;
  outcomes: number;
  /** Outcomes not sent because the platform has no outcomes route yet (404). */
  outcomesSkipped: number;
  /** Outcomes the platform refused (400/409): counted, not errors. */
  outcomesRefused: number;
  pauses: number;
  resumes: number;
  capacityChanges: number;
  /** 409s from races the simulation expects (a decision meeting a withdrawal). */
  conflicts: number;
  errors: number;
  errorsByRoute: Record<string, number>;
}

export interface TrafficReport {
  url: string;
  seed: number;
  seconds: number;
  stats: TrafficStats;
  requests: number;
  throttled: number;
  latencyMs: { p50: number; p95: number; p99: number };
  /** GET /metrics/summary per PCN over the run's window (pcn_ops view), when it answered. */
  platform: { pcnCode: string; counts: Record<string, number | null> }[];
  outcomesRoute: 'present' | 'absent' | 'unknown';
}

interface PcnView {
  code: string;
  name: string;
  icsCode: string;
  practices: { code: string; postcode: string }[];
}
interface ServiceView {
  id: string;
  organisationId: string;
  name: string;
  maxActive: number;
  weeklyIntake: number;
  pauseReason: string | null;
  load: { status: string; offersThisWeek: number; weeklyIntake: number };
}
interface OfferView {
  id: string;
  referralId: string;
  serviceId: string;
  organisationId: string;
  pcnCode: string;
  status: string;
  auto: boolean;
  createdAt: string;
}
interface SimPcn {
  code: string;
  practices: { code: string; district: string }[];
  districts: string[];
}
interface SimService {
  id: string;
  organisationId: string;
  name: string;
  maxActive: number;
  weeklyIntake: number;
}

export interface SimulationSettings extends TrafficOptions {
  /** Receives the running summary line; none when absent. */
  progress?: (line: string) => void;
  /** How often the summary line is written (ms). */
  progressEveryMs?: number;
  /** Whether pending offers of referrals from before the run (made after it started) are acted on. */
  adopt?: boolean;
}

const ADMIN: AuthClaims = { sub: 'sim-admin', role: 'admin' };
/** A PCN has a few link workers; each referral is one's (so no one token carries a PCN's whole load). */
const LINK_WORKERS = 3;
const lw = (pcn: string, n: number): AuthClaims => ({
  sub: `sim-lw-${pcn.toLowerCase()}-${n}`,
  role: 'link_worker',
  pcn,
});
const ops = (pcn: string): AuthClaims => ({ sub: `sim-ops-${pcn.toLowerCase()}`, role: 'pcn_ops', pcn });
const referrer = (pcn: string, practice: string): AuthClaims => ({
  sub: `sim-gp-${practice.toLowerCase()}`,
  role: 'referrer',
  pcn,
  practice,
});
const coordinator = (org: string): AuthClaims => ({
  sub: `sim-co-${org.slice(0, 8)}`,
  role: 'vcso_coordinator',
  org,
});

/** Think times (ms, at pace 1) between the steps people take. */
const THINK = {
  consent: [300, 2000],
  assess: [300, 2000],
  decide: [500, 3000],
  attend: [2000, 8000],
  withdraw: [1000, 5000],
  followUp: [300, 1500],
  closeAfterDna: [500, 2000],
} as const;

const PAUSE_REASONS = ['volunteer-shortage', 'holiday-closure', 'venue-unavailable', 'staff-sickness'];
const DECLINE_REASONS: readonly (readonly [OfferDeclineReason, number])[] = [
  ['no-capacity', 40],
  ['not-suitable', 35],
  ['person-unreachable', 25],
];

class Journey {
  id = '';
  consentId?: string;
  offersSeen = 0;
  waitlisted = false;
  readonly reached = new Set<Reached>();
  readonly baseline = new Map<'ons4' | 'swemwbs', number[]>();
  private wake: (() => void)[] = [];

  constructor(readonly plan: JourneyPlan) {}

  /** Resolves on the next offer or waitlisting, or after `ms`; true when something happened. */
  waitPlacement(ms: number): Promise<boolean> {
    if (this.offersSeen > 0 || this.waitlisted) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.wake.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  placed(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }
}

export function emptyStats(): TrafficStats {
  return {
    sent: 0,
    replayed: 0,
    reached: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Reached, number>,
    consentGranted: 0,
    consentDeclined: 0,
    withdrawn: 0,
    assessed: 0,
    offers: 0,
    accepted: 0,
    vcsoDeclined: 0,
    completed: 0,
    didNotAttend: 0,
    unmet: 0,
    noContact: 0,
    outcomes: 0,
    outcomesSkipped: 0,
    outcomesRefused: 0,
    pauses: 0,
    resumes: 0,
    capacityChanges: 0,
    conflicts: 0,
    errors: 0,
    errorsByRoute: {},
  };
}

export class TrafficSimulation {
  readonly stats = emptyStats();
  readonly client: PlatformClient;
  private readonly rng: Rng;
  private readonly journeys = new Map<string, Journey>();
  private readonly handledOffers = new Set<string>();
  private readonly tasks = new Set<Promise<void>>();
  private pcns: SimPcn[] = [];
  private services: SimService[] = [];
  private readonly pausedByUs = new Map<string, number>();
  private readonly original = new Map<string, { maxActive: number; weeklyIntake: number }>();
  private outcomesRoute: 'present' | 'absent' | 'unknown' = 'unknown';
  private creating = true;
  private halted = false;
  private startedAt = Date.now();
  private startedIso = new Date().toISOString();
  private lastProgress = 0;

  constructor(private readonly settings: SimulationSettings) {
    this.client = new PlatformClient(settings.url);
    this.rng = seededRng(settings.seed);
  }

  /** Stop creating referrals; journeys under way finish (within `drainMs`). Twice: stop at once. */
  stop(): void {
    if (!this.creating) this.halted = true;
    this.creating = false;
  }

  /** The PCNs and services the traffic uses; throws PlatformUnreachable when nothing answers. */
  async discover(): Promise<{ pcns: string[]; services: number }> {
    const res = await this.client.call<{ items: PcnView[] }>(ADMIN, 'GET', '/pcns');
    if (res.status !== 200) throw new Error(`GET /pcns answered ${res.status}`);
    const all = res.body.items;
    const wanted = this.settings.pcns ?? DEMO_PCNS.map((p) => p.code);
    const chosen = all.filter((p) => wanted.includes(p.code));
    if (!chosen.length) {
      throw new Error(
        this.settings.pcns
          ? `none of ${wanted.join(', ')} is on the platform (GET /pcns)`
          : 'the demo network is not loaded: run npm run demo (or pass --pcn with PCNs of your own)',
      );
    }
    this.pcns = chosen.map((p) => {
      const practices = p.practices.map((pr) => ({
        code: pr.code,
        district: Postcode.districtOf(pr.postcode),
      }));
      const demo = DEMO_PCNS.find((d) => d.code === p.code);
      return {
        code: p.code,
        practices,
        districts: demo?.districts ?? [...new Set(practices.map((pr) => pr.district))],
      };
    });
    const icss = new Set(chosen.map((p) => p.icsCode));
    const orgs = await this.client.all<{ id: string; icsCode: string }>(ADMIN, '/organisations');
    const inIcs = new Set(orgs.filter((o) => icss.has(o.icsCode)).map((o) => o.id));
    const services = await this.client.all<ServiceView>(ADMIN, '/services');
    // Services already paused when the run starts stay as their coordinators left them.
    this.services = services
      .filter((s) => inIcs.has(s.organisationId) && s.load.status !== 'paused')
      .map((s) => ({
        id: s.id,
        organisationId: s.organisationId,
        name: s.name,
        maxActive: s.maxActive,
        weeklyIntake: s.weeklyIntake,
      }));
    for (const s of this.services)
      this.original.set(s.id, { maxActive: s.maxActive, weeklyIntake: s.weeklyIntake });
    return { pcns: this.pcns.map((p) => p.code), services: this.services.length };
  }

  /** Random traffic at the configured rate until `count`, `durationMs` or stop(). */
  async run(): Promise<TrafficReport> {
    if (!this.pcns.length) await this.discover();
    const { ratePerSec, count, durationMs } = this.settings;
    return this.drive(async () => {
      let next = Date.now();
      for (let i = 0; this.creating; i++) {
        if (count !== undefined && i >= count) break;
        if (durationMs !== undefined && Date.now() - this.startedAt >= durationMs) break;
        await this.sleepUnlessStopped(next - Date.now());
        if (!this.creating) break;
        this.spawn(this.journey(this.randomPlan()));
        // Poisson arrivals: exponential gaps at the mean rate, as referrals really come.
        next += (-Math.log(1 - this.rng()) / ratePerSec) * 1000;
      }
    }, true);
  }

  /** Fixed journeys, all at once (the demo's seeds); no capacity changes, offers of others left alone. */
  async runPlans(plans: JourneyPlan[]): Promise<TrafficReport> {
    if (!this.pcns.length) await this.discover();
    return this.drive(async () => {
      for (const plan of plans) this.spawn(this.journey(plan));
    }, false);
  }

  /** A plan drawn as traffic comes: most people consent; most offers are taken up. */
  randomPlan(): JourneyPlan {
    const rng = this.rng;
    const pcn = weighted(
      rng,
      this.pcns.map((p) => [p, p.practices.length] as const),
    );
    const practice = pick(rng, pcn.practices);
    const consent = chance(rng, 0.1) ? 'declined' : 'granted';
    return {
      pcn: pcn.code,
      practice: practice.code,
      needs: needMix(rng),
      consent,
      assess: true,
      vcso: chance(rng, 0.15) ? 'decline' : 'accept',
      attendance: chance(rng, 0.15) ? 'did-not-attend' : 'completed',
      withdraw: consent === 'granted' && chance(rng, 0.05),
      outcomes: weighted(rng, [
        ['both', 50],
        ['ons4', 40],
        ['none', 10],
      ] as const),
      personSeed: Math.floor(rng() * 2 ** 31),
    };
  }

  private async drive(produce: () => Promise<void>, traffic: boolean): Promise<TrafficReport> {
    this.startedAt = Date.now();
    this.lastProgress = this.startedAt;
    // Offers made from a second before: a clock a little apart from the platform's still counts them.
    this.startedIso = new Date(this.startedAt - 1000).toISOString();
    const loops = [this.offerLoop(), this.waitlistLoop(), this.progressLoop()];
    if (traffic && this.settings.capacityEveryMs > 0) loops.push(this.capacityLoop());
    try {
      await produce();
      this.creating = false;
      const deadline = Date.now() + this.settings.drainMs;
      while (!this.halted && Date.now() < deadline) {
        await Promise.race([Promise.allSettled([...this.tasks]), sleep(500)]);
        if (this.tasks.size === 0) {
          // One more look for offers the last journeys' decisions caused, then done.
          await this.pollOffers();
          if (this.tasks.size === 0) break;
        }
      }
    } finally {
      this.creating = false;
      this.halted = true;
      await Promise.allSettled(loops);
      await this.resumeOurPauses();
    }
    return this.report();
  }

  private spawn(task: Promise<void>): void {
    const tracked = task.catch((err: unknown) => this.failed('task', err));
    this.tasks.add(tracked);
    void tracked.finally(() => this.tasks.delete(tracked));
  }

  private failed(route: string, err: unknown): void {
    this.stats.errors++;
    const kind =
      err instanceof PlatformUnreachable ? `${route} unreachable` : `${route} ${(err as Error).message}`;
    this.stats.errorsByRoute[kind] = (this.stats.errorsByRoute[kind] ?? 0) + 1;
  }

  /** True when the answer is one of `ok`; an expected race's 409 counts as a conflict, else an error. */
  private check(res: ApiAnswer, method: string, path: string, ok: number[], conflictOk = false): boolean {
    if (ok.includes(res.status)) return true;
    if (res.status === 409 && conflictOk) {
      this.stats.conflicts++;
      return false;
    }
    this.stats.errors++;
    const key = `${routeOf(method, path)} ${res.status}`;
    this.stats.errorsByRoute[key] = (this.stats.errorsByRoute[key] ?? 0) + 1;
    return false;
  }

  private reach(j: Journey | undefined, status: Reached): void {
    if (!j || j.reached.has(status)) return;
    j.reached.add(status);
    this.stats.reached[status]++;
  }

  /** A person's pause before their next step; false when the run was halted meanwhile. */
  private async step(range: readonly [number, number]): Promise<boolean> {
    await this.sleepUnlessStopped(between(this.rng, range[0], range[1]) * this.settings.pace);
    return !this.halted;
  }

  private async sleepUnlessStopped(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.halted && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
  }

  /** Calls until `done` says the answer is final (a 404 or 409 while events are still on their way). */
  private async until<T>(
    claims: AuthClaims,
    method: string,
    path: string,
    body: unknown,
    retry: (res: ApiAnswer<T>) => boolean,
    ms = 20_000,
  ): Promise<ApiAnswer<T>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const res = await this.client.call<T>(claims, method, path, body);
      if (!retry(res) || Date.now() > deadline || this.halted) return res;
      await sleep(300);
    }
  }

  private async journey(plan: JourneyPlan): Promise<void> {
    const j = new Journey(plan);
    const rng = seededRng(plan.personSeed);
    const pcn = this.pcns.find((p) => p.code === plan.pcn);
    const practice = pcn?.practices.find((p) => p.code === plan.practice);
    if (!pcn || !practice) throw new Error(`practice ${plan.practice} of ${plan.pcn} is not on the platform`);
    // Most people live in their practice's own district; the rest across the PCN's patch.
    const home = chance(rng, 0.6) ? [practice.district] : pcn.districts;
    const body = {
      pcnCode: plan.pcn,
      practiceCode: plan.practice,
      referrer: fakeReferrer(rng),
      patient: fakePerson(rng, home),
      needs: plan.needs,
    };
    const created = await this.client.call<{ id: string }>(
      referrer(plan.pcn, plan.practice),
      'POST',
      '/referrals',
      body,
      plan.idempotencyKey ? { 'idempotency-key': plan.idempotencyKey } : {},
    );
    if (created.status === 200 && plan.idempotencyKey) {
      this.stats.replayed++;
      return;
    }
    if (!this.check(created, 'POST', '/referrals', [201])) return;
    j.id = created.body.id;
    this.journeys.set(j.id, j);
    this.stats.sent++;
    this.reach(j, 'awaiting-consent');
    if (plan.consent === 'none') return;

    const worker = lw(plan.pcn, (plan.personSeed % LINK_WORKERS) + 1);
    if (!(await this.step(THINK.consent))) return;
    const granted = plan.consent === 'granted';
    const consent = await this.until<{ id: string }>(
      worker,
      'POST',
      '/consents',
      {
        referralId: j.id,
        decision: plan.consent,
        method: weighted(rng, [
          ['verbal', 60],
          ['written', 15],
          ['digital', 25],
        ] as const),
        shareWithVcso: granted,
      },
      // The consent service learns of a referral from its event: until then it is unknown here.
      (res) => res.status === 404,
    );
    if (!this.check(consent, 'POST', '/consents', [201])) return;
    j.consentId = consent.body.id;
    if (!granted) {
      this.stats.consentDeclined++;
      this.reach(j, 'closed');
      return;
    }
    this.stats.consentGranted++;
    this.reach(j, 'awaiting-assessment');
    if (!plan.assess) return;

    if (!(await this.step(THINK.assess))) return;
    // The link worker's assessment sometimes finds one more need, or narrows two to one.
    let needs = plan.needs;
    if (chance(rng, 0.15) && needs.length > 1) needs = needs.slice(0, -1);
    else if (chance(rng, 0.1)) needs = [...new Set([...needs, ...needMix(rng).slice(0, 1)])];
    const path = `/referrals/${j.id}/assessment`;
    const assessed = await this.until(
      worker,
      'POST',
      path,
      { needs, autoOffer: plan.offerTo === undefined },
      // 409 while the consent event is still on its way to intake.
      (res) => res.status === 409 && /awaiting-consent/.test(problemText(res.body)),
    );
    if (!this.check(assessed, 'POST', path, [200, 201])) return;
    this.stats.assessed++;
    this.reach(j, 'matching');
    if (plan.outcomes !== 'none') {
      await this.outcome(j, worker, 'ons4', 'baseline');
      if (plan.outcomes === 'both') await this.outcome(j, worker, 'swemwbs', 'baseline');
    }

    if (plan.offerTo) {
      const offer = await this.until(
        worker,
        'POST',
        '/offers',
        { referralId: j.id, serviceId: plan.offerTo },
        // Matching hears of the consent and the assessment by events: 404/409 until it has.
        (res) =>
          res.status === 404 ||
          (res.status === 409 && /not been assessed|no consent/.test(problemText(res.body))),
      );
      this.check(offer, 'POST', '/offers', [201]);
    }
    await this.awaitPlacement(j, worker);
    if (plan.withdraw && j.consentId && (j.offersSeen > 0 || j.waitlisted)) {
      if (!(await this.step(THINK.withdraw))) return;
      const p = `/consents/${j.consentId}/withdraw`;
      const res = await this.client.call(worker, 'POST', p, { reason: 'person-request' });
      if (this.check(res, 'POST', p, [200], true)) {
        this.stats.withdrawn++;
        this.reach(j, 'closed');
      }
    }
  }

  /**
   * Waits for matching's decision: an offer or the waitlist (both seen by the pollers). When neither
   * comes, asks: still matching with nothing suitable at all means unmet need, and the link worker
   * closes it; anything else is still on its way.
   */
  private async awaitPlacement(j: Journey, worker: AuthClaims): Promise<void> {
    for (let round = 0; round < 4 && !this.halted; round++) {
      if (await j.waitPlacement(Math.max(3000, 6000 * this.settings.pace))) return;
      const res = await this.client.call<{ status: string }>(worker, 'GET', `/referrals/${j.id}`);
      if (!this.check(res, 'GET', '/referrals/:id', [200])) return;
      if (res.body.status === 'waitlisted') {
        this.markWaitlisted(j);
        return;
      }
      if (res.body.status !== 'matching') continue;
      const matches = await this.client.call<{ suitable: number; candidates: unknown[] }>(
        worker,
        'GET',
        `/matches/${j.id}`,
      );
      if (matches.status === 404) continue; // matching has not heard of the assessment yet
      if (!this.check(matches, 'GET', '/matches/:id', [200])) return;
      if (matches.body.suitable === 0) {
        const p = `/referrals/${j.id}/close`;
        const closed = await this.client.call(worker, 'POST', p, { reason: 'no-suitable-service' });
        if (this.check(closed, 'POST', p, [200], true)) {
          this.stats.unmet++;
          this.reach(j, 'closed');
        }
        return;
      }
    }
  }

  private markWaitlisted(j: Journey): void {
    if (!j.waitlisted) {
      j.waitlisted = true;
      this.reach(j, 'waitlisted');
    }
    j.placed();
  }

  private async outcome(
    j: Journey,
    worker: AuthClaims,
    measure: 'ons4' | 'swemwbs',
    stage: 'baseline' | 'follow-up',
  ): Promise<void> {
    if (this.outcomesRoute === 'absent') {
      this.stats.outcomesSkipped++;
      return;
    }
    const before = j.baseline.get(measure);
    if (stage === 'follow-up' && !before) return;
    const scores = wellbeingScores(this.rng, measure, stage === 'follow-up' ? before : undefined);
    const path = `/referrals/${j.id}/outcomes`;
    const res = await this.client.call(worker, 'POST', path, { measure, stage, scores });
    if (res.status === 201) {
      this.outcomesRoute = 'present';
      this.stats.outcomes++;
      if (stage === 'baseline') j.baseline.set(measure, scores);
      return;
    }
    // No such route yet (an older platform): Nest's own 404 says "Cannot POST".
    if (res.status === 404 && /Cannot POST/i.test(problemText(res.body))) {
      this.outcomesRoute = 'absent';
      this.stats.outcomesSkipped++;
      return;
    }
    if (res.status === 400 || res.status === 409) {
      this.stats.outcomesRefused++;
      return;
    }
    this.check(res, 'POST', path, [201]);
  }

  // ---- the VCSO side ----

  private async offerLoop(): Promise<void> {
    while (!this.halted) {
      try {
        await this.pollOffers();
      } catch (err) {
        this.failed('GET /offers', err);
      }
      await this.sleepUnlessStopped(1000);
    }
  }

  private async pollOffers(): Promise<void> {
    for (const pcn of this.pcns) {
      // The PCN's operations view: the pollers keep off the link workers' own request budgets.
      const offers = await this.client.all<OfferView>(ops(pcn.code), '/offers?status=pending', 5);
      for (const offer of offers) {
        if (this.handledOffers.has(offer.id)) continue;
        this.handledOffers.add(offer.id);
        const j = this.journeys.get(offer.referralId);
        // Someone else's referral (a seed, an earlier run) is left alone, unless matching offered it a
        // place during this run (a waitlisted referral of an earlier run): then it is ours to answer.
        if (!j && !(this.settings.adopt && offer.createdAt >= this.startedIso)) continue;
        this.spawn(this.answerOffer(offer, j));
      }
    }
  }

  private async answerOffer(offer: OfferView, j: Journey | undefined): Promise<void> {
    this.stats.offers++;
    let decision: JourneyPlan['vcso'] = 'accept';
    if (j) {
      j.offersSeen++;
      this.reach(j, 'offered');
      j.placed();
      if (j.offersSeen === 1) decision = j.plan.vcso;
    }
    if (decision === 'hold') return;
    const co = coordinator(offer.organisationId);
    if (!(await this.step(THINK.decide))) return;
    if (decision === 'decline') {
      const p = `/offers/${offer.id}/decline`;
      const res = await this.client.call(co, 'POST', p, { reason: weighted(this.rng, DECLINE_REASONS) });
      if (this.check(res, 'POST', p, [200], true)) this.stats.vcsoDeclined++;
      return;
    }
    const accept = `/offers/${offer.id}/accept`;
    const accepted = await this.client.call(co, 'POST', accept);
    // A 409 here is a withdrawal (or a lapse) that got there first.
    if (!this.check(accepted, 'POST', accept, [200], true)) return;
    this.stats.accepted++;
    this.reach(j, 'accepted');
    const attendance: JourneyPlan['attendance'] =
      j?.plan.attendance ?? (chance(this.rng, 0.15) ? 'did-not-attend' : 'completed');
    if (attendance === 'hold') return;
    if (!(await this.step(THINK.attend))) return;
    const complete = `/offers/${offer.id}/complete`;
    const done = await this.client.call(co, 'POST', complete, { outcome: attendance });
    if (!this.check(done, 'POST', complete, [200], true)) return;
    const worker = lw(offer.pcnCode, j ? (j.plan.personSeed % LINK_WORKERS) + 1 : 1);
    if (attendance === 'completed') {
      this.stats.completed++;
      this.reach(j, 'completed');
      if (j && j.baseline.size) {
        if (!(await this.step(THINK.followUp))) return;
        for (const measure of j.baseline.keys()) await this.outcome(j, worker, measure, 'follow-up');
      }
      return;
    }
    this.stats.didNotAttend++;
    // The person stopped coming: duty of care is back with the link worker, who closes it.
    if (!(await this.step(THINK.closeAfterDna))) return;
    const p = `/referrals/${offer.referralId}/close`;
    const closed = await this.client.call(worker, 'POST', p, { reason: 'no-contact' });
    if (this.check(closed, 'POST', p, [200], true)) {
      this.stats.noContact++;
      this.reach(j, 'closed');
    }
  }

  private async waitlistLoop(): Promise<void> {
    while (!this.halted) {
      await this.sleepUnlessStopped(2000);
      for (const pcn of this.pcns) {
        try {
          const items = await this.client.all<{ id: string }>(
            ops(pcn.code),
            '/referrals?status=waitlisted',
            3,
          );
          for (const r of items) {
            const j = this.journeys.get(r.id);
            if (j) this.markWaitlisted(j);
          }
        } catch (err) {
          this.failed('GET /referrals?status=waitlisted', err);
        }
      }
    }
  }

  /** Coordinators pause (and later resume) a service, or change its limits, now and then. */
  private async capacityLoop(): Promise<void> {
    while (!this.halted) {
      await this.sleepUnlessStopped(this.settings.capacityEveryMs * (0.5 + this.rng()));
      if (this.halted || !this.services.length) break;
      try {
        await this.capacityChange();
      } catch (err) {
        this.failed('PUT /services/:id/capacity', err);
      }
    }
  }

  private async capacityChange(): Promise<void> {
    const now = Date.now();
    for (const [id, until] of this.pausedByUs) {
      if (until <= now) {
        this.pausedByUs.delete(id);
        await this.setCapacity(id, { status: 'open' }, 'resumes');
      }
    }
    const svc = pick(this.rng, this.services);
    if (this.pausedByUs.has(svc.id)) return;
    const original = this.original.get(svc.id)!;
    if (chance(this.rng, 0.25) && this.pausedByUs.size < 2) {
      this.pausedByUs.set(svc.id, now + this.settings.capacityEveryMs * between(this.rng, 1, 3));
      await this.setCapacity(svc.id, { status: 'paused', reason: pick(this.rng, PAUSE_REASONS) }, 'pauses');
      return;
    }
    const res = await this.client.call<ServiceView>(ADMIN, 'GET', `/services/${svc.id}`);
    if (!this.check(res, 'GET', '/services/:id', [200])) return;
    const load = res.body.load;
    // Compressed time never turns the week over: a coordinator who has used the week's intake
    // takes on a few more (up to three times the usual) instead; otherwise places come and go.
    if (load.offersThisWeek >= load.weeklyIntake && svc.weeklyIntake < original.weeklyIntake * 3) {
      svc.weeklyIntake += between(this.rng, 1, 3);
      await this.setCapacity(svc.id, { weeklyIntake: svc.weeklyIntake }, 'capacityChanges');
      return;
    }
    const lo = Math.max(1, Math.ceil(original.maxActive * 0.6));
    const hi = Math.ceil(original.maxActive * 1.5);
    const next = Math.min(hi, Math.max(lo, svc.maxActive + pick(this.rng, [-2, -1, 1, 2])));
    if (next === svc.maxActive) return;
    svc.maxActive = next;
    await this.setCapacity(svc.id, { maxActive: next }, 'capacityChanges');
  }

  private async setCapacity(
    id: string,
    body: Record<string, unknown>,
    counter: 'pauses' | 'resumes' | 'capacityChanges',
  ): Promise<void> {
    const svc = this.services.find((s) => s.id === id)!;
    const p = `/services/${id}/capacity`;
    const res = await this.client.call(coordinator(svc.organisationId), 'PUT', p, body);
    if (this.check(res, 'PUT', p, [200])) this.stats[counter]++;
  }

  /** Nothing the simulation paused stays paused after it. */
  private async resumeOurPauses(): Promise<void> {
    for (const id of [...this.pausedByUs.keys()]) {
      this.pausedByUs.delete(id);
      try {
        await this.setCapacity(id, { status: 'open' }, 'resumes');
      } catch (err) {
        this.failed('PUT /services/:id/capacity', err);
      }
    }
  }

  // ---- reporting ----

  private async progressLoop(): Promise<void> {
    const every = this.settings.progressEveryMs ?? 2000;
    while (!this.halted) {
      await this.sleepUnlessStopped(Math.min(every, 250));
      if (this.settings.progress && Date.now() - this.lastProgress >= every) {
        this.lastProgress = Date.now();
        this.settings.progress(this.summaryLine());
      }
    }
  }

  summaryLine(): string {
    const s = this.stats;
    const r = s.reached;
    const secs = (Date.now() - this.startedAt) / 1000;
    const rate = secs > 0 ? (s.sent / secs) * 60 : 0;
    return (
      `[${secs.toFixed(0).padStart(4)} s] sent ${s.sent} (${rate.toFixed(1)}/min) | ` +
      `consented ${r['awaiting-assessment']} declined ${s.consentDeclined} | assessed ${r.matching} | ` +
      `offered ${r.offered} waitlisted ${r.waitlisted} | offers ${s.offers}: accepted ${s.accepted} ` +
      `declined ${s.vcsoDeclined} | completed ${s.completed} dna ${s.didNotAttend} | closed ${r.closed} | ` +
      `outcomes ${s.outcomes} | capacity ${s.pauses + s.resumes + s.capacityChanges} | errors ${s.errors}`
    );
  }

  private async report(): Promise<TrafficReport> {
    const lat = [...this.client.latenciesMs].sort((a, b) => a - b);
    const pct = (p: number) =>
      lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : 0;
    const platform: TrafficReport['platform'] = [];
    for (const pcn of this.pcns) {
      try {
        const from = encodeURIComponent(this.startedIso);
        const res = await this.client.call<{ counts: Record<string, number | null> }>(
          ops(pcn.code),
          'GET',
          `/metrics/summary?pcnCode=${pcn.code}&from=${from}`,
        );
        if (res.status === 200) platform.push({ pcnCode: pcn.code, counts: res.body.counts });
      } catch {
        // the figures are a courtesy; the run's own counts stand
      }
    }
    return {
      url: this.settings.url,
      seed: this.settings.seed,
      seconds: (Date.now() - this.startedAt) / 1000,
      stats: this.stats,
      requests: this.client.requests,
      throttled: this.client.throttled,
      latencyMs: { p50: pct(50), p95: pct(95), p99: pct(99) },
      platform,
      outcomesRoute: this.outcomesRoute,
    };
  }
}

/** The final table (markdown, so it pastes into an issue). */
export function formatReport(r: TrafficReport): string {
  const s = r.stats;
  const rows: [string, string][] = [
    ['referrals sent', `${s.sent} (${((s.sent / Math.max(1, r.seconds)) * 60).toFixed(1)}/min)`],
    ['consent granted / declined / withdrawn', `${s.consentGranted} / ${s.consentDeclined} / ${s.withdrawn}`],
    ['assessed (autoOffer)', `${s.assessed}`],
    ['offers seen / accepted / declined by VCSO', `${s.offers} / ${s.accepted} / ${s.vcsoDeclined}`],
    ['completed / did not attend', `${s.completed} / ${s.didNotAttend}`],
    ['closed: unmet need / no contact after DNA', `${s.unmet} / ${s.noContact}`],
    ...STATUSES.map((st) => [`reached ${st}`, `${s.reached[st]}`] as [string, string]),
    [
      'wellbeing outcomes recorded',
      r.outcomesRoute === 'absent'
        ? `0 (no outcomes route: ${s.outcomesSkipped} skipped)`
        : `${s.outcomes}${s.outcomesRefused ? ` (${s.outcomesRefused} refused)` : ''}`,
    ],
    ['capacity: pauses / resumes / limit changes', `${s.pauses} / ${s.resumes} / ${s.capacityChanges}`],
    [
      'API calls (429s waited out)',
      `${r.requests} (${r.throttled}), ${(r.requests / Math.max(1, r.seconds)).toFixed(1)}/s`,
    ],
    ['API latency p50 / p95 / p99', `${r.latencyMs.p50} / ${r.latencyMs.p95} / ${r.latencyMs.p99} ms`],
    ['expected conflicts (races)', `${s.conflicts}`],
    ['errors', `${s.errors}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const v = Math.max(...rows.map(([, x]) => x.length));
  const lines = [
    `traffic against ${r.url}: ${r.seconds.toFixed(1)} s, seed ${r.seed}`,
    `| ${'measure'.padEnd(w)} | ${'value'.padStart(v)} |`,
    `| ${'-'.repeat(w)} | ${'-'.repeat(v - 1)}: |`,
    ...rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padStart(v)} |`),
  ];
  for (const [route, n] of Object.entries(s.errorsByRoute)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8))
    lines.push(`  error: ${route} x${n}`);
  if (r.platform.length) {
    const keys = [
      'received',
      'consented',
      'offered',
      'waitlisted',
      'accepted',
      'completed',
      'didNotAttend',
      'closed',
    ];
    lines.push('', "the platform's own figures since the run began (GET /metrics/summary, per PCN):");
    lines.push(`| PCN    | ${keys.join(' | ')} |`);
    lines.push(`| ------ | ${keys.map((k) => `${'-'.repeat(k.length - 1)}:`).join(' | ')} |`);
    for (const p of r.platform)
      lines.push(
        `| ${p.pcnCode} | ${keys.map((k) => String(p.counts[k] ?? '-').padStart(k.length)).join(' | ')} |`,
      );
  }
  return lines.join('\n');
}
