import { mintDevToken } from '@sp/auth';
import { NhsNumber } from '@sp/domain';
import { RetryingClient, sleep } from './retrying-client';

/**
 * Referrals driven through the public API from intake to their end, as the people who use the
 * platform would: a link worker refers, records consent and assesses with autoOffer; the VCSO
 * coordinator, watching their pending offers, accepts (or declines) and completes. Each journey
 * follows one path, so the run knows each referral's expected end state.
 */
export const PCN = 'U05001';
export const PRACTICE = 'P05001';
export const ICS = 'QCH';
export const NEEDS = ['loneliness', 'physical-activity', 'mental-wellbeing', 'nature'] as const;
/** District centroids (lat, lon) the run loads as postcode geography. */
export const DISTRICTS: Record<string, [number, number]> = {
  LS1: [53.7965, -1.5478],
  LS2: [53.8017, -1.5436],
  LS3: [53.8014, -1.565],
  LS4: [53.81, -1.58],
  LS5: [53.819, -1.6],
  LS6: [53.818, -1.57],
  LS7: [53.825, -1.53],
  LS8: [53.825, -1.5],
  LS9: [53.797, -1.505],
};

export type JourneyPath =
  | 'complete'
  | 'decline-then-complete'
  | 'withdraw-offered'
  | 'withdraw-accepted'
  | 'consent-declined'
  | 'did-not-attend';

/** Which path referral `i` takes: mostly completed, and each other ending often enough to matter. */
export function pathOf(i: number): JourneyPath {
  const slot = i % 50;
  if (slot < 2) return 'consent-declined'; // 4 %
  if (slot < 5) return 'withdraw-offered'; // 6 %
  if (slot < 7) return 'withdraw-accepted'; // 4 %
  if (slot < 11) return 'decline-then-complete'; // 8 %
  if (slot < 12) return 'did-not-attend'; // 2 %
  return 'complete';
}

export interface ExpectedEnd {
  status: string;
  closeReason: string | null;
  /** Statuses of the referral's offers at matching, sorted. */
  offers: string[];
  /** Timeline entries by kind: each exactly this many times. */
  timeline: Record<string, number>;
}

const BEGINNING = { received: 1, 'consent-granted': 1, assessed: 1 };
export const EXPECTED: Record<JourneyPath, ExpectedEnd> = {
  complete: {
    status: 'completed',
    closeReason: null,
    offers: ['completed'],
    timeline: { ...BEGINNING, 'offer-made': 1, 'offer-accepted': 1, 'offer-completed': 1 },
  },
  'decline-then-complete': {
    status: 'completed',
    closeReason: null,
    offers: ['completed', 'declined'],
    timeline: {
      ...BEGINNING,
      'offer-made': 2,
      'offer-declined': 1,
      'offer-accepted': 1,
      'offer-completed': 1,
    },
  },
  'withdraw-offered': {
    status: 'closed',
    closeReason: 'consent-withdrawn',
    offers: ['cancelled'],
    timeline: { ...BEGINNING, 'offer-made': 1, 'consent-withdrawn': 1, 'offer-cancelled': 1 },
  },
  'withdraw-accepted': {
    status: 'closed',
    closeReason: 'consent-withdrawn',
    offers: ['cancelled'],
    timeline: {
      ...BEGINNING,
      'offer-made': 1,
      'offer-accepted': 1,
      'consent-withdrawn': 1,
      'offer-cancelled': 1,
    },
  },
  'consent-declined': {
    status: 'closed',
    closeReason: 'consent-declined',
    offers: [],
    timeline: { received: 1, 'consent-declined': 1 },
  },
  'did-not-attend': {
    status: 'closed',
    closeReason: 'no-contact',
    offers: ['did-not-attend'],
    timeline: {
      ...BEGINNING,
      'offer-made': 1,
      'offer-accepted': 1,
      'did-not-attend': 1,
      closed: 1,
    },
  },
};
/** Timeline kinds a journey may gain without anything being wrong (no place free for a moment). */
export const TOLERATED_KINDS = new Set(['waitlisted']);

export interface Person {
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  postcode: string;
  phone: string;
  email: string;
  referrerName: string;
  notes: string;
  notesForVcso: string;
}

const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
const letters = (n: number, width = 5) => {
  let s = '';
  for (let k = 0; k < width; k++, n = Math.floor(n / 26)) s = String.fromCharCode(97 + (n % 26)) + s;
  return s;
};

/**
 * Personal data made to be found: every name and note carries a token no event or log line would
 * contain by chance, so a plain token search of every topic proves none of it travelled.
 */
export function makePerson(i: number, usedNhs: Set<string>): Person {
  let nhs: string;
  do nhs = NhsNumber.generateTestNumber().value;
  while (usedNhs.has(nhs));
  usedNhs.add(nhs);
  const tag = letters(i);
  const district = Object.keys(DISTRICTS)[i % Object.keys(DISTRICTS).length];
  // Inward codes starting 5-9: the services and practice sit at "<district> 1AA", never a person.
  const inward = `${5 + (i % 5)}${INWARD_LETTERS[i % 20]}${INWARD_LETTERS[Math.floor(i / 20) % 20]}`;
  const year = 1935 + (i % 65);
  const month = String(1 + (i % 12)).padStart(2, '0');
  const day = String(1 + (i % 28)).padStart(2, '0');
  return {
    nhsNumber: nhs,
    givenName: `Chx${tag}`,
    familyName: `Qzv${tag}`,
    birthDate: `${year}-${month}-${day}`,
    postcode: `${district} ${inward}`,
    phone: `07700 9${String(i).padStart(5, '0')}`,
    email: `chx${tag}@chaos.example`,
    referrerName: `Dr Rfx${tag}`,
    notes: `Nqx${tag} prefers mornings and a quiet room`,
    notesForVcso: `Vnx${tag} would like a call after lunch`,
  };
}

/** The tokens of a person's data that must never appear on a topic or in a log line. */
export function secretsOf(p: Person): string[] {
  const tag = p.givenName.slice(3);
  return [
    p.nhsNumber,
    p.nhsNumber.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3'),
    p.givenName,
    p.familyName,
    p.birthDate,
    p.postcode,
    p.postcode.replace(' ', ''),
    p.phone,
    p.phone.replace(' ', ''),
    p.email,
    `Rfx${tag}`,
    `Nqx${tag}`,
    `Vnx${tag}`,
  ];
}

export interface SeededService {
  id: string;
  organisationId: string;
  maxActive: number;
  weeklyIntake: number;
}

export interface Network {
  admin: string;
  linkWorker: string;
  ops: string;
  /** Coordinator token by organisation id. */
  coordinators: Map<string, string>;
  services: SeededService[];
}

/**
 * One PCN, four VCSOs with four services each, each service covering two of the four needs (so every
 * referral, with two needs, suits every service). Two services are small (few places, a small weekly
 * intake) so that the limits are reached and must hold; the others have room enough for the whole
 * run, so every journey can end.
 */
export async function seedNetwork(api: RetryingClient, opts: { maxActive: number }): Promise<Network> {
  const admin = await mintDevToken({ sub: 'chaos-admin', role: 'admin' });
  const ops = await mintDevToken({ sub: 'chaos-ops', role: 'pcn_ops', pcn: PCN });
  const linkWorker = await mintDevToken({ sub: 'chaos-lw', role: 'link_worker', pcn: PCN });
  const created = async (p: string, token: string, body: unknown) => {
    const res = await api.call<{ id: string }>('POST', p, token, body);
    if (res.status !== 201) throw new Error(`seed ${p}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await created('/pcns', admin, {
    code: PCN,
    name: 'Chaos PCN',
    icsCode: ICS,
    practices: [{ code: PRACTICE, name: 'Chaos Practice', postcode: 'LS6 1AA' }],
    settings: { offerExpiryDays: 14, autoOffer: true },
  });
  const coordinators = new Map<string, string>();
  const services: SeededService[] = [];
  const districts = Object.keys(DISTRICTS);
  for (let o = 0; o < 4; o++) {
    const org = await created('/organisations', ops, {
      name: `Chaos VCSO ${o + 1}`,
      icsCode: ICS,
      contactEmail: `vcso${o + 1}@chaos-org.example`,
    });
    coordinators.set(
      org.id,
      await mintDevToken({ sub: `chaos-co-${o + 1}`, role: 'vcso_coordinator', org: org.id }),
    );
    for (let s = 0; s < 4; s++) {
      const n = o * 4 + s;
      const small = n === 5 || n === 10;
      const maxActive = small ? 3 : opts.maxActive;
      const weeklyIntake = small ? 20 : 5000;
      const service = await created('/services', ops, {
        organisationId: org.id,
        name: `Chaos group ${n + 1}`,
        needs: [NEEDS[n % 4], NEEDS[(n + 1) % 4]],
        postcode: `${districts[n % districts.length]} 1AA`,
        radiusKm: 25,
        mode: 'in-person',
        maxActive,
        weeklyIntake,
      });
      services.push({ id: service.id, organisationId: org.id, maxActive, weeklyIntake });
    }
  }
  return { admin, linkWorker, ops, coordinators, services };
}

export interface OfferSeen {
  id: string;
  referralId: string;
  serviceId: string;
  organisationId: string;
}

/**
 * What each coordinator does all day: looks at their organisation's pending offers. Journeys wait
 * here for their referral's next offer, so one poll per organisation serves every waiting journey.
 */
export class OfferBoard {
  private readonly waiters = new Map<
    string,
    { except: Set<string>; resolve: (o: OfferSeen) => void; timer: NodeJS.Timeout }
  >();
  private running = false;
  private loop?: Promise<void>;
  polls = 0;
  pollFailures = 0;

  constructor(
    private readonly api: RetryingClient,
    private readonly coordinators: Map<string, string>,
    private readonly intervalMs = 300,
  ) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        if (this.waiters.size) await this.pollOnce();
        await sleep(this.intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  next(referralId: string, except: Set<string>, timeoutMs: number): Promise<OfferSeen> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(referralId);
        reject(new Error(`no pending offer for referral ${referralId} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.set(referralId, { except, resolve, timer });
    });
  }

  private async pollOnce(): Promise<void> {
    await Promise.all(
      [...this.coordinators.values()].map(async (token) => {
        for (let page = 1; page <= 20; page++) {
          let items: OfferSeen[];
          try {
            this.polls++;
            const res = await this.api.call<{ items: OfferSeen[] }>(
              'GET',
              `/offers?status=pending&pageSize=100&page=${page}`,
              token,
            );
            if (res.status !== 200) throw new Error(String(res.status));
            items = res.body.items;
          } catch {
            this.pollFailures++;
            return;
          }
          for (const offer of items) {
            const waiter = this.waiters.get(offer.referralId);
            if (waiter && !waiter.except.has(offer.id)) {
              clearTimeout(waiter.timer);
              this.waiters.delete(offer.referralId);
              waiter.resolve(offer);
            }
          }
          if (items.length < 100) return;
        }
      }),
    );
  }
}

export interface JourneyRecord {
  i: number;
  path: JourneyPath;
  person: Person;
  idempotencyKey: string;
  referralId?: string;
  /** 201, or 200 when a retried POST /referrals was answered from its Idempotency-Key. */
  createdStatus?: number;
  offerIds: string[];
  error?: string;
  startedAt: number;
  endedAt?: number;
  /** When each step was done, in ms from the start: where a slow journey spent its time. */
  steps: [string, number][];
}

export interface JourneyStats {
  /** POST /referrals answered 200: a retry absorbed by its Idempotency-Key. */
  idempotentReplays: number;
  /** 409s after a retried request whose first attempt had in fact been applied. */
  conflictsAbsorbed: number;
  /** Waits for an event hop a fault delayed (consent not yet known, referral not yet consented). */
  propagationWaits: number;
}

type Decision = 'accept' | 'decline' | 'complete';

/** Runs journeys against the platform; `run(i)` takes referral `i` along its path to its end. */
export class JourneyRunner {
  readonly stats: JourneyStats = { idempotentReplays: 0, conflictsAbsorbed: 0, propagationWaits: 0 };
  private readonly usedNhs = new Set<string>();

  constructor(
    private readonly api: RetryingClient,
    private readonly network: Network,
    private readonly board: OfferBoard,
    private readonly opts: { runId: string; stepTimeoutMs: number; onCreated?: () => void },
  ) {}

  async run(i: number): Promise<JourneyRecord> {
    const rec: JourneyRecord = {
      i,
      path: pathOf(i),
      person: makePerson(i, this.usedNhs),
      idempotencyKey: `chaos-${this.opts.runId}-${i}`,
      offerIds: [],
      startedAt: Date.now(),
      steps: [],
    };
    try {
      await this.walk(rec);
    } catch (err) {
      rec.error = err instanceof Error ? err.message : String(err);
    }
    rec.endedAt = Date.now();
    return rec;
  }

  private async walk(rec: JourneyRecord): Promise<void> {
    const step = (name: string) => rec.steps.push([name, Date.now() - rec.startedAt]);
    const lw = this.network.linkWorker;
    const p = rec.person;
    const needs = [NEEDS[rec.i % 4], NEEDS[(rec.i + 2) % 4]];
    const created = await this.api.call<{ id: string }>(
      'POST',
      '/referrals',
      lw,
      {
        pcnCode: PCN,
        practiceCode: PRACTICE,
        referrer: { name: p.referrerName, role: 'GP' },
        patient: {
          nhsNumber: p.nhsNumber,
          givenName: p.givenName,
          familyName: p.familyName,
          birthDate: p.birthDate,
          postcode: p.postcode,
          phone: p.phone,
          email: p.email,
        },
        needs,
        notes: p.notes,
      },
      { 'Idempotency-Key': rec.idempotencyKey },
    );
    if (created.status !== 201 && created.status !== 200)
      throw new Error(`POST /referrals: ${created.status} ${JSON.stringify(created.body)}`);
    if (created.status === 200) this.stats.idempotentReplays++;
    rec.createdStatus = created.status;
    const id = created.body.id;
    rec.referralId = id;
    this.opts.onCreated?.();
    step('referred');

    const consentId = await this.recordConsent(id, rec.path === 'consent-declined' ? 'declined' : 'granted');
    step('consent');
    if (rec.path === 'consent-declined') return;
    await this.assess(id, needs, p.notesForVcso);
    step('assessed');

    let offer = await this.board.next(id, new Set(), this.opts.stepTimeoutMs);
    rec.offerIds.push(offer.id);
    step('offered');
    if (rec.path === 'withdraw-offered') return this.withdraw(consentId);
    if (rec.path === 'decline-then-complete') {
      await this.decide(offer, 'decline', { reason: 'no-capacity' }, 'declined');
      step('declined');
      // Matching owes an automatic referral its next candidate, never the same service again.
      offer = await this.board.next(id, new Set(rec.offerIds), this.opts.stepTimeoutMs);
      rec.offerIds.push(offer.id);
      step('offered again');
    }
    await this.decide(offer, 'accept', undefined, 'accepted');
    step('accepted');
    if (rec.path === 'withdraw-accepted') return this.withdraw(consentId);
    if (rec.path === 'did-not-attend') {
      await this.decide(offer, 'complete', { outcome: 'did-not-attend' }, 'did-not-attend');
      return this.close(id, 'no-contact');
    }
    await this.decide(offer, 'complete', { outcome: 'completed' }, 'completed');
  }

  private async recordConsent(referralId: string, decision: 'granted' | 'declined'): Promise<string> {
    const lw = this.network.linkWorker;
    const deadline = Date.now() + this.opts.stepTimeoutMs;
    for (;;) {
      const res = await this.api.call<{ id: string; detail?: string }>('POST', '/consents', lw, {
        referralId,
        decision,
        method: 'verbal',
        shareWithVcso: true,
      });
      if (res.status === 201) return res.body.id;
      if (res.status === 409) {
        // A retried request whose first attempt was applied: the decision stands, find it.
        const list = await this.api.call<{ items: { id: string; decision: string }[] }>(
          'GET',
          `/consents?referralId=${referralId}`,
          lw,
        );
        const mine = list.status === 200 ? list.body.items.find((c) => c.decision === decision) : undefined;
        if (mine) {
          this.stats.conflictsAbsorbed++;
          return mine.id;
        }
      }
      // 404: consent has not yet heard of the referral (its event is held up by a fault).
      if (res.status !== 404 || Date.now() > deadline)
        throw new Error(`POST /consents: ${res.status} ${JSON.stringify(res.body)}`);
      this.stats.propagationWaits++;
      await sleep(1000);
    }
  }

  private async assess(referralId: string, needs: string[], notesForVcso: string): Promise<void> {
    const lw = this.network.linkWorker;
    const deadline = Date.now() + this.opts.stepTimeoutMs;
    for (;;) {
      const res = await this.api.call('POST', `/referrals/${referralId}/assessment`, lw, {
        needs,
        notesForVcso,
        autoOffer: true,
      });
      if (res.status === 200) return;
      if (res.status !== 409) throw new Error(`POST assessment: ${res.status} ${JSON.stringify(res.body)}`);
      const now = await this.api.call<{ status: string; timeline: { kind: string }[] }>(
        'GET',
        `/referrals/${referralId}`,
        lw,
      );
      if (now.body.timeline?.some((t) => t.kind === 'assessed')) {
        this.stats.conflictsAbsorbed++;
        return;
      }
      const waiting = now.body.status === 'awaiting-consent' || now.body.status === 'awaiting-assessment';
      if (!waiting || Date.now() > deadline)
        throw new Error(`POST assessment: 409 while the referral is ${now.body.status}`);
      // Intake had not yet heard that consent was granted (the event is held up by a fault or a
      // backlog), or has heard of it just now: try again.
      this.stats.propagationWaits++;
      if (now.body.status === 'awaiting-consent') await sleep(1000);
    }
  }

  private async decide(offer: OfferSeen, action: Decision, body: unknown, target: string): Promise<void> {
    const token = this.network.coordinators.get(offer.organisationId);
    if (!token) throw new Error(`offer ${offer.id} of an unknown organisation`);
    const res = await this.api.call<{ detail?: string }>(
      'POST',
      `/offers/${offer.id}/${action}`,
      token,
      body,
    );
    if (res.status === 200) return;
    const now = /the offer is ([a-z-]+), not/.exec(res.body?.detail ?? '')?.[1];
    if (res.status === 409 && now === target && res.retries > 0) {
      this.stats.conflictsAbsorbed++;
      return;
    }
    throw new Error(`POST offer ${action}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  private async withdraw(consentId: string): Promise<void> {
    const res = await this.api.call<{ detail?: string }>(
      'POST',
      `/consents/${consentId}/withdraw`,
      this.network.linkWorker,
      { reason: 'person-request' },
    );
    if (res.status === 200) return;
    if (res.status === 409 && res.retries > 0 && /already withdrawn/.test(res.body?.detail ?? '')) {
      this.stats.conflictsAbsorbed++;
      return;
    }
    throw new Error(`POST withdraw: ${res.status} ${JSON.stringify(res.body)}`);
  }

  private async close(referralId: string, reason: string): Promise<void> {
    const res = await this.api.call<{ detail?: string }>(
      'POST',
      `/referrals/${referralId}/close`,
      this.network.linkWorker,
      { reason },
    );
    if (res.status === 200) return;
    if (res.status === 409 && res.retries > 0 && /already closed/.test(res.body?.detail ?? '')) {
      this.stats.conflictsAbsorbed++;
      return;
    }
    throw new Error(`POST close: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
