import { AuthClaims } from '@sp/auth';
import { isPracticeCode } from '@sp/domain';
import { waitFor } from '@sp/testing';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PlatformHarness, ROOT } from './support/platform-harness';

/**
 * `npm start` with the demo on: the demo network (PCNs, practices, VCSOs, services, postcode districts,
 * seeded referrals) is there when it says ready, loading it again adds nothing, and the traffic
 * simulator drives referrals through consent, assessment, offers, acceptance, completion and the
 * waitlist, the platform's own figures agreeing with what it did.
 */
const ADMIN: AuthClaims = { sub: 'e2e-admin', role: 'admin' };
// What scripts/demo/demo-network.ts promises, written out here so that the test checks it.
const DEMO_PCNS = ['U60101', 'U60102', 'U60103'];
const DEMO_ORGANISATIONS = 17;
const DEMO_SERVICES = 39;
const DEMO_SEEDS = 17;
const opsOf = (pcn: string): AuthClaims => ({ sub: 'e2e-ops', role: 'pcn_ops', pcn });

interface Page<T> {
  items: T[];
  total: number;
}
interface ServiceView {
  id: string;
  organisationId: string;
  name: string;
  mode: string;
  minAge: number | null;
  languages: string[];
  locationKnown: boolean;
  distanceKm?: number | null;
  load: { active: number; reserved: number; maxActive: number; status: string };
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('the demo network and simulated traffic', () => {
  const platform = new PlatformHarness({
    offset: 600,
    pgPort: 25500,
    kafkaPort: 19500,
    demo: true,
    // The simulator sends many calls per token; this spec is about flow, not the rate limiter.
    env: { RATE_LIMIT_PER_MINUTE: '0' },
  });
  const token = (claims: AuthClaims) => platform.token(claims);
  const get = async <T>(claims: AuthClaims, path: string): Promise<T> => {
    const res = await platform.api<T>('GET', path, { token: await token(claims) });
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    return res.body;
  };
  const demoServices = async () => {
    const orgs = await get<Page<{ id: string; icsCode: string }>>(ADMIN, '/organisations?pageSize=100');
    const ids = new Set(orgs.items.filter((o) => o.icsCode === 'QWO').map((o) => o.id));
    const services = await get<Page<ServiceView>>(ADMIN, '/services?pageSize=100');
    return services.items.filter((s) => ids.has(s.organisationId));
  };
  const referralTotal = async (status?: string) => {
    let total = 0;
    for (const pcn of DEMO_PCNS) {
      const q = status ? `?status=${status}&pageSize=1` : '?pageSize=1';
      total += (await get<Page<unknown>>(opsOf(pcn), `/referrals${q}`)).total;
    }
    return total;
  };

  beforeAll(async () => {
    await platform.start();
    // The seeded referrals follow "ready" in the background, and say when they are in.
    await waitFor(
      () =>
        /demo network: (\d+ referrals seeded|seeding failed|already have referrals)/.test(platform.output),
      {
        timeoutMs: 90_000,
        intervalMs: 250,
        message: 'the demo seeds to report',
      },
    );
    console.log(
      `npm start with the demo: ready in ${(platform.startedInMs / 1000).toFixed(1)} s\n` +
        platform.output
          .split('\n')
          .filter((l) => l.startsWith('demo network'))
          .join('\n'),
    );
  }, 320_000);

  afterAll(() => platform.stop());

  it('has the demo network loaded when npm start says ready, and says how to sign in', async () => {
    expect(platform.output).toMatch(
      /demo network: West Yorkshire \(QWO\): 3 PCNs \(U60101, U60102, U60103\), 10 practices, 17 VCSOs running 39 services, 26 postcode districts \(3 PCNs, 17 VCSOs and 39 services added\) in [\d.]+ s; seeding referrals in the background/,
    );
    expect(platform.output).toMatch(/demo network: 17 referrals seeded in [\d.]+ s\n/);
    expect(platform.output).toContain('npm run token -- --role pcn_ops --pcn U60101');

    const pcns = await get<Page<{ code: string; icsCode: string; practices: { code: string }[] }>>(
      ADMIN,
      '/pcns',
    );
    const demo = pcns.items.filter((p) => DEMO_PCNS.includes(p.code));
    expect(demo).toHaveLength(3);
    const practices = demo.flatMap((p) => p.practices.map((pr) => pr.code));
    expect(practices).toHaveLength(10);
    expect(practices.every((c) => isPracticeCode(c))).toBe(true);
    expect(demo.every((p) => p.icsCode === 'QWO')).toBe(true);

    const services = await demoServices();
    expect(services).toHaveLength(DEMO_SERVICES);
    expect(new Set(services.map((s) => s.mode))).toEqual(new Set(['in-person', 'online', 'phone']));
    expect(services.some((s) => s.minAge !== null)).toBe(true);
    expect(services.some((s) => s.languages.includes('ur'))).toBe(true);
    // Every service is placed by the demo's own postcode districts.
    expect(services.filter((s) => !s.locationKnown).map((s) => s.name)).toEqual([]);
    const byName = new Map(services.map((s) => [s.name, s]));
    expect(byName.get('Bereavement support group')!.load.status).toBe('paused');
    // The seeds leave the small services nearly full or full.
    const cafe = byName.get("Carers' café")!.load;
    expect(cafe.active + cafe.reserved).toBe(3);
    expect(byName.get('Damp and repairs casework')!.load.status).toBe('full');
    expect(byName.get('Tablet and smartphone help')!.load.status).toBe('full');

    // Distances measured from the demo's districts (vcso-capacity's copy of the geography) ...
    const near = await get<Page<ServiceView>>(ADMIN, '/services?near=LS12&need=carers&radiusKm=5');
    expect(near.items.map((s) => s.name)).toContain("Carers' café");
    expect(near.items.find((s) => s.name === "Carers' café")!.distanceKm).toBeLessThan(5);

    // ... and the seeded referrals in their varied states, which matching locates (its own copy).
    expect(await referralTotal()).toBe(DEMO_SEEDS);
    const counts = Object.fromEntries(
      await Promise.all(
        ['awaiting-consent', 'awaiting-assessment', 'offered', 'accepted', 'completed', 'closed'].map(
          async (s) => [s, await referralTotal(s)] as const,
        ),
      ),
    );
    expect(counts).toEqual({
      'awaiting-consent': 2,
      'awaiting-assessment': 2,
      offered: 4,
      accepted: 5,
      completed: 2,
      closed: 2,
    });
    const offered = await get<Page<{ id: string }>>(opsOf('U60101'), '/referrals?status=offered');
    const matches = await get<{ locationKnown: boolean }>(
      { sub: 'e2e-lw', role: 'link_worker', pcn: 'U60101' },
      `/matches/${offered.items[0].id}`,
    );
    expect(matches.locationKnown).toBe(true);
  });

  it('adds nothing when the demo is loaded again (npm run demo)', async () => {
    const before = { services: (await demoServices()).length, referrals: await referralTotal() };
    const orgsBefore = (await get<Page<unknown>>(ADMIN, '/organisations?pageSize=1')).total;
    const t0 = Date.now();
    const { code, output } = await run(['run', '-s', 'demo'], platform.env);
    console.log(`npm run demo again: ${((Date.now() - t0) / 1000).toFixed(1)} s\n${output.trim()}`);
    expect(code).toBe(0);
    expect(output).toContain('already loaded, nothing added');
    expect({ services: (await demoServices()).length, referrals: await referralTotal() }).toEqual(before);
    expect((await get<Page<unknown>>(ADMIN, '/organisations?pageSize=1')).total).toBe(orgsBefore);
    expect(orgsBefore).toBe(DEMO_ORGANISATIONS);
  });

  it('drives referrals to acceptance, completion, declines and the waitlist, as the API counts them', async () => {
    // Most services paused by their coordinators, a few large ones left open: some people are
    // placed, others wait for a place.
    const keep = new Set(['Online anxiety course', 'Telephone befriending', 'Benefits helpline']);
    for (const s of await demoServices()) {
      if (keep.has(s.name) || s.load.status === 'paused') continue;
      const res = await platform.api('PUT', `/services/${s.id}/capacity`, {
        token: await token(ADMIN),
        body: { status: 'paused', reason: 'volunteer-shortage' },
      });
      expect(res.status).toBe(200);
    }
    const before = {
      completed: await referralTotal('completed'),
      accepted: await referralTotal('accepted'),
      all: await referralTotal(),
    };
    const reportFile = path.join(mkdtempSync(path.join(tmpdir(), 'sp-simulate-')), 'report.json');
    const cli = await run(
      [
        'run',
        '-s',
        'simulate',
        '--',
        '--count',
        '30',
        '--rate',
        '3/s',
        '--pace',
        '0.3',
        '--seed',
        '11',
        '--capacity-every',
        '0',
        '--drain',
        '2m',
        '--report',
        reportFile,
      ],
      platform.env,
    );
    console.log(`npm run simulate -- --count 30 ...\n${cli.output.trim()}`);
    expect({ code: cli.code, tail: cli.code === 0 ? '' : cli.output.slice(-2000) }).toEqual({
      code: 0,
      tail: '',
    });
    // The running line and the final table.
    expect(cli.output).toMatch(
      /simulating 180\.0 referrals\/min from U60101, U60102, U60103 \(\d+ services\)/,
    );
    expect(cli.output).toMatch(/sent 30 .*\| errors 0/);
    expect(cli.output).toMatch(/\| referrals sent +\| +30 \(/);
    expect(cli.output).toContain("the platform's own figures since the run began");
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
      stats: {
        sent: number;
        accepted: number;
        completed: number;
        consentGranted: number;
        consentDeclined: number;
        vcsoDeclined: number;
        outcomes: number;
        reached: Record<string, number>;
        errorsByRoute: Record<string, number>;
      };
    };
    const s = report.stats;
    expect(s.errorsByRoute).toEqual({});
    expect(s.sent).toBe(30);
    expect(s.accepted).toBeGreaterThan(0);
    expect(s.completed).toBeGreaterThan(0);
    expect(s.reached.waitlisted).toBeGreaterThan(0);
    expect(s.consentDeclined + s.vcsoDeclined).toBeGreaterThan(0);
    expect(s.consentGranted + s.consentDeclined).toBe(30);
    // Baselines after assessment, follow-ups after completion, through the outcomes route.
    expect(s.outcomes).toBeGreaterThan(s.completed);

    // The platform's figures agree with what the simulated people did.
    await waitFor(async () => (await referralTotal()) === before.all + 30, {
      timeoutMs: 30_000,
      message: 'the 30 referrals listed',
    });
    await waitFor(async () => (await referralTotal('completed')) === before.completed + s.completed, {
      timeoutMs: 30_000,
      message: `${s.completed} more referrals completed`,
    });
    expect(await referralTotal('waitlisted')).toBeGreaterThan(0);
    const received = async () => {
      let n = 0;
      for (const pcn of DEMO_PCNS) {
        const summary = await get<{ counts: { received: number } }>(
          opsOf(pcn),
          `/metrics/summary?pcnCode=${pcn}&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`,
        );
        n += summary.counts.received;
      }
      return n;
    };
    await waitFor(async () => (await received()) === before.all + 30, {
      timeoutMs: 30_000,
      message: 'the metrics summary counting every referral received',
    });
  });

  it('refuses options it does not understand', async () => {
    const bad = await run(['run', '-s', 'simulate', '--', '--rate', 'fast'], platform.env);
    expect(bad.code).toBe(64);
    expect(bad.output).toContain('--rate fast');
  });
});
