/**
 * Loads the demo network (demo-network.ts) into a running platform through its public API, as an
 * admin would, plus the area's postcode geography through the same code path as
 * `npm run import -- postcodes`. Re-runnable: PCNs are looked up by code, organisations by name and
 * ICS, services by organisation and name, and the seeded referrals only go in while the demo's PCNs
 * have none, so a second load adds nothing.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { AuthClaims } from '@sp/auth';
import { loadPostcodeGeography } from '../postcode-geography';
import { PlatformClient, routeOf, type ApiAnswer } from '../traffic/platform-client';
import { TrafficSimulation, type JourneyPlan } from '../traffic/traffic-simulation';
import {
  DEMO_ICS,
  DEMO_ORGANISATIONS,
  DEMO_PCNS,
  DEMO_PRACTICE_COUNT,
  DEMO_SEEDS,
  DEMO_SERVICE_COUNT,
  type DemoSeed,
} from './demo-network';

export const DEMO_POSTCODES_FILE = path.join(__dirname, 'leeds-postcode-districts.csv');

const ADMIN: AuthClaims = { sub: 'demo-loader', role: 'admin' };

interface Tally {
  created: number;
  existing: number;
}

export interface DemoNetworkResult {
  /** The gateway it was loaded through. */
  url: string;
  postcodeDistricts: number;
  pcns: Tally;
  practices: number;
  organisations: Tally;
  services: Tally;
  /** Organisation ids by name, for coordinator tokens. */
  organisationIds: Record<string, string>;
  /** Service ids by `organisationId|name`. */
  serviceIds: Map<string, string>;
  seconds: number;
}

export interface DemoSeedResult {
  /** Referrals created now; 0 when the demo's PCNs already had referrals (seeded before, or in use). */
  seeded: number;
  errors: number;
  seconds: number;
}

function ensure(res: ApiAnswer, method: string, p: string, ok: number[]): void {
  if (!ok.includes(res.status)) {
    const detail = typeof res.body === 'object' ? JSON.stringify(res.body) : String(res.body);
    throw new Error(`${routeOf(method, p)} answered ${res.status}: ${detail.slice(0, 300)}`);
  }
}

/** The demo with its seeded referrals (`npm run demo`); `seed: false` loads the network alone. */
export async function loadDemo(opts: {
  url: string;
  seed?: boolean;
}): Promise<{ network: DemoNetworkResult; seeds?: DemoSeedResult }> {
  const network = await loadDemoNetwork(opts.url);
  return { network, seeds: (opts.seed ?? true) ? await seedDemoReferrals(network) : undefined };
}

/** Postcode districts, PCNs and practices, organisations and services: what exists is left alone. */
export async function loadDemoNetwork(url: string): Promise<DemoNetworkResult> {
  const started = Date.now();
  const client = new PlatformClient(url, { maxInFlight: 8 });

  const pcns: Tally = { created: 0, existing: 0 };
  const listed = await client.call<{ items: { code: string }[] }>(ADMIN, 'GET', '/pcns');
  ensure(listed, 'GET', '/pcns', [200]);
  const known = new Set(listed.body.items.map((p) => p.code));
  // Geography before any service (and after the platform answered, so nothing is written to a
  // database whose platform is not running): a service registered with a known place carries its
  // coordinates to matching.
  const geo = await loadPostcodeGeography(createReadStream(DEMO_POSTCODES_FILE));
  if (geo.rejectedCount) throw new Error(`the demo's postcode file has ${geo.rejectedCount} bad rows`);
  for (const pcn of DEMO_PCNS) {
    if (known.has(pcn.code)) {
      pcns.existing++;
      continue;
    }
    const res = await client.call(ADMIN, 'POST', '/pcns', {
      code: pcn.code,
      name: pcn.name,
      icsCode: DEMO_ICS.code,
      practices: pcn.practices,
      settings: { offerExpiryDays: 14, autoOffer: true },
    });
    // 409: another loader got there between the look-up and now, which is as good.
    ensure(res, 'POST', '/pcns', [201, 409]);
    pcns[res.status === 201 ? 'created' : 'existing']++;
  }

  const organisations: Tally = { created: 0, existing: 0 };
  const orgs = await client.all<{ id: string; name: string; icsCode: string }>(ADMIN, '/organisations');
  const orgIds: Record<string, string> = {};
  for (const o of orgs) if (o.icsCode === DEMO_ICS.code) orgIds[o.name] ??= o.id;
  await Promise.all(
    DEMO_ORGANISATIONS.map(async (org) => {
      if (orgIds[org.name]) {
        organisations.existing++;
        return;
      }
      const body = { name: org.name, icsCode: DEMO_ICS.code, contactEmail: org.contactEmail };
      const res = await client.call<{ id: string }>(ADMIN, 'POST', '/organisations', {
        ...body,
        ...(org.charityNumber ? { charityNumber: org.charityNumber } : {}),
      });
      ensure(res, 'POST', '/organisations', [201]);
      orgIds[org.name] = res.body.id;
      organisations.created++;
    }),
  );

  const services: Tally = { created: 0, existing: 0 };
  const existing = await client.all<{ id: string; organisationId: string; name: string }>(ADMIN, '/services');
  const serviceIds = new Map(existing.map((s) => [`${s.organisationId}|${s.name}`, s.id]));
  await Promise.all(
    DEMO_ORGANISATIONS.flatMap((org) =>
      org.services.map(async ({ pausedFor, ...svc }) => {
        const organisationId = orgIds[org.name];
        const key = `${organisationId}|${svc.name}`;
        if (serviceIds.has(key)) {
          services.existing++;
          return;
        }
        const res = await client.call<{ id: string }>(ADMIN, 'POST', '/services', { organisationId, ...svc });
        ensure(res, 'POST', '/services', [201]);
        serviceIds.set(key, res.body.id);
        services.created++;
        if (pausedFor) {
          // Its coordinator paused it: a volunteer-run group that could not cover its sessions.
          const p = `/services/${res.body.id}/capacity`;
          const coordinator: AuthClaims = {
            sub: 'demo-coordinator',
            role: 'vcso_coordinator',
            org: organisationId,
          };
          ensure(
            await client.call(coordinator, 'PUT', p, { status: 'paused', reason: pausedFor }),
            'PUT',
            p,
            [200],
          );
        }
      }),
    ),
  );

  return {
    url,
    postcodeDistricts: geo.loaded,
    pcns,
    practices: DEMO_PRACTICE_COUNT,
    organisations,
    services,
    organisationIds: orgIds,
    serviceIds,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * The seeded referrals, driven to their states by the traffic simulator's own journeys, only while
 * the demo's PCNs have no referrals at all (and each create carries an Idempotency-Key besides).
 */
export async function seedDemoReferrals(network: DemoNetworkResult): Promise<DemoSeedResult> {
  const started = Date.now();
  const client = new PlatformClient(network.url, { maxInFlight: 8 });
  if (await demoHasReferrals(client)) return { seeded: 0, errors: 0, seconds: (Date.now() - started) / 1000 };
  const serviceId = (name: string) => {
    const org = DEMO_ORGANISATIONS.find((o) => o.services.some((s) => s.name === name))!;
    return network.serviceIds.get(`${network.organisationIds[org.name]}|${name}`);
  };
  const sim = new TrafficSimulation({
    url: network.url,
    ratePerSec: 1,
    seed: 4242,
    // Quick steps: the seeds are history by the time anyone looks.
    pace: 0.1,
    pcns: DEMO_PCNS.map((p) => p.code),
    capacityEveryMs: 0,
    drainMs: 60_000,
  });
  const report = await sim.runPlans(DEMO_SEEDS.map((s, i) => seedPlan(s, i, serviceId)));
  return { seeded: report.stats.sent, errors: report.stats.errors, seconds: (Date.now() - started) / 1000 };
}

/** Whether any of the demo's PCNs has a referral (then the seeds went in before, or real use began). */
async function demoHasReferrals(client: PlatformClient): Promise<boolean> {
  for (const pcn of DEMO_PCNS) {
    const claims: AuthClaims = { sub: 'demo-loader', role: 'pcn_ops', pcn: pcn.code };
    const res = await client.call<{ total: number }>(claims, 'GET', '/referrals?pageSize=1');
    ensure(res, 'GET', '/referrals', [200]);
    if (res.body.total > 0) return true;
  }
  return false;
}

function seedPlan(seed: DemoSeed, i: number, serviceId: (name: string) => string | undefined): JourneyPlan {
  const stage = seed.stage;
  const offerTo = seed.offerTo ? serviceId(seed.offerTo) : undefined;
  if (seed.offerTo && !offerTo) throw new Error(`the demo has no service called ${seed.offerTo}`);
  return {
    pcn: seed.pcn,
    practice: seed.practice,
    needs: seed.needs,
    consent: stage === 'awaiting-consent' ? 'none' : stage === 'consent-declined' ? 'declined' : 'granted',
    assess: stage !== 'awaiting-assessment',
    offerTo,
    vcso: stage === 'offered' ? 'hold' : 'accept',
    attendance: stage === 'completed' ? 'completed' : stage === 'did-not-attend' ? 'did-not-attend' : 'hold',
    withdraw: false,
    outcomes: 'both',
    // The same key, caller and body every time: a repeated seed answers 200 with the first referral.
    idempotencyKey: `demo-seed-${i + 1}`,
    personSeed: 1000 + i,
  };
}

/**
 * The one line `npm start` and `npm run demo` print: what was loaded and how to sign in. `seeds` is
 * the seeding's result, or 'background' when it is still under way.
 */
export function demoSummaryLine(
  r: DemoNetworkResult,
  gatewayUrl: string,
  seeds?: DemoSeedResult | 'background',
): string {
  const added = r.pcns.created + r.organisations.created + r.services.created;
  const what =
    `${DEMO_ICS.name} (${DEMO_ICS.code}): ${DEMO_PCNS.length} PCNs (${DEMO_PCNS.map((p) => p.code).join(', ')}), ` +
    `${r.practices} practices, ${DEMO_ORGANISATIONS.length} VCSOs running ${DEMO_SERVICE_COUNT} services, ` +
    `${r.postcodeDistricts} postcode districts`;
  const news = added
    ? `${r.pcns.created} PCNs, ${r.organisations.created} VCSOs and ${r.services.created} services added`
    : 'already loaded, nothing added';
  const carers = r.organisationIds['Carers Together West Yorkshire'];
  let seeded = '';
  if (seeds === 'background') seeded = '; seeding referrals in the background';
  else if (seeds?.seeded) seeded = `; ${seedSummary(seeds)}`;
  return (
    `demo network: ${what} (${news}) in ${r.seconds.toFixed(1)} s${seeded}. Sign in at ${gatewayUrl}/ ` +
    `with a token from npm run token -- --role pcn_ops --pcn U60101 (or link_worker; ` +
    `--role vcso_coordinator --org ${carers ?? '<organisation id>'} for the carers' charity; ` +
    `--role ics_analyst --ics ${DEMO_ICS.code})`
  );
}

export function seedSummary(seeds: DemoSeedResult): string {
  if (!seeds.seeded) return 'the demo PCNs already have referrals: none seeded';
  const errors = seeds.errors ? ` (${seeds.errors} errors)` : '';
  return `${seeds.seeded} referrals seeded in ${seeds.seconds.toFixed(1)} s${errors}`;
}
