import { mintDevToken } from '@sp/auth';
import { readAllTopics } from './read-topics';
import { KafkaBroker, TempPostgres } from '@sp/infra';
import { SERVICES } from '@sp/platform';
import { waitFor } from '@sp/testing';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * `npm start` from the outside, as a new user runs it: every service and the gateway come up ready;
 * every /api route refuses a request without a valid token; each /health turns unready when its
 * database or Kafka stops and ready again when they return; Ctrl-C stops everything.
 * The platform runs on shifted ports against a Postgres and a Kafka broker of the test's own, so
 * that stopping them disturbs nothing else.
 */
const OFFSET = 200;
const ROOT = path.resolve(__dirname, '..');
const port = (name: string) => SERVICES.find((s) => s.name === name)!.port + OFFSET;
const url = (name: string, p: string) => `http://127.0.0.1:${port(name)}${p}`;

interface HealthBody {
  status: string;
  details?: Record<string, { status: string }>;
}
async function health(name: string): Promise<{ code: number; body: HealthBody }> {
  const res = await fetch(url(name, '/health'), { signal: AbortSignal.timeout(5000) });
  return { code: res.status, body: (await res.json()) as HealthBody };
}

describe('npm start: the whole platform from outside', () => {
  const pg = new TempPostgres({ port: 25492 });
  const broker = new KafkaBroker({
    port: 19492,
    controllerPort: 19493,
    dataDir: mkdtempSync(path.join(tmpdir(), 'sp-e2e-kafka-')),
  });
  let platform: ChildProcess;
  let output = '';
  let startedIn = 0;

  beforeAll(async () => {
    await Promise.all([pg.start(), broker.start()]);
    const t0 = Date.now();
    platform = spawn('npm', ['start'], {
      cwd: ROOT,
      detached: true, // its own process group, as in a terminal: Ctrl-C goes to the group
      env: {
        ...process.env,
        SP_PORT_OFFSET: String(OFFSET),
        DATABASE_URL: pg.url('postgres'),
        KAFKA_BROKERS: broker.brokers.join(','),
        DEMO: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    platform.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    platform.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('ready in') || platform.exitCode !== null, {
      timeoutMs: 280_000,
      intervalMs: 500,
      message: 'npm start to print "ready in"',
    });
    if (platform.exitCode !== null)
      throw new Error(`npm start exited (${platform.exitCode}):\n${output.slice(-3000)}`);
    startedIn = Date.now() - t0;
    console.log(`npm start: every service ready in ${(startedIn / 1000).toFixed(1)} s`);
  }, 300_000);

  afterAll(async () => {
    if (platform && platform.exitCode === null && platform.signalCode === null)
      process.kill(-platform.pid!, 'SIGKILL');
    await broker.stop('SIGKILL');
    await pg.stop('immediate');
  });

  it('brings every service and the gateway to ready, with metrics and docs', async () => {
    for (const s of SERVICES) {
      const h = await health(s.name);
      expect({ service: s.name, code: h.code, status: h.body.status }).toEqual({
        service: s.name,
        code: 200,
        status: 'ok',
      });
      const metrics = await fetch(url(s.name, '/metrics'));
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('process_resident_memory_bytes');
      const docs = await fetch(url(s.name, '/docs/json'));
      expect(docs.status).toBe(200);
    }
  });

  it('refuses bodies over 1 MB with 413, at a service and at the gateway', async () => {
    const big = JSON.stringify({ padding: 'x'.repeat(1_100_000) });
    for (const target of ['consent', 'gateway']) {
      const res = await fetch(url(target, '/api/v1/consents'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: big,
      });
      expect({ target, status: res.status, type: res.headers.get('content-type') }).toEqual({
        target,
        status: 413,
        type: expect.stringContaining('application/problem+json'),
      });
    }
    const rss: string[] = [];
    for (const s of SERVICES) {
      const text = await (await fetch(url(s.name, '/metrics'))).text();
      const bytes = Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1]);
      rss.push(`${s.name} ${(bytes / 1048576).toFixed(0)} MB`);
    }
    console.log(`resident memory after start: ${rss.join(', ')}`);
  });

  it('refuses every /api route without a valid token, at each service and through the gateway', async () => {
    const routes: { service: string; method: string; path: string }[] = [];
    for (const s of SERVICES) {
      const doc = (await (await fetch(url(s.name, '/docs/json'))).json()) as {
        paths: Record<string, Record<string, unknown>>;
      };
      for (const [p, methods] of Object.entries(doc.paths)) {
        if (!p.startsWith('/api/')) continue;
        for (const method of Object.keys(methods))
          routes.push({ service: s.name, method: method.toUpperCase(), path: p });
      }
    }
    expect(routes.length).toBeGreaterThan(0);
    const expired = await mintDevToken({ sub: 'e2e', role: 'admin' }, { expiresIn: '-1m' }).catch(
      () => 'expired.token.here',
    );
    const badTokens: (string | undefined)[] = [
      undefined,
      'Bearer not-a-jwt',
      `Bearer ${expired}`,
      'Basic YWRtaW46YWRtaW4=',
    ];
    const failures: string[] = [];
    for (const r of routes) {
      const concrete = r.path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
      for (const target of [r.service, 'gateway']) {
        for (const auth of badTokens) {
          const res = await fetch(url(target, concrete), {
            method: r.method,
            headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) },
            body: ['GET', 'HEAD'].includes(r.method) ? undefined : '{}',
          });
          if (res.status !== 401)
            failures.push(`${r.method} ${concrete} via ${target} with ${auth ?? 'no token'}: ${res.status}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // ...and a valid token gets through.
    const token = await mintDevToken({ sub: 'e2e-ops', role: 'pcn_ops', pcn: 'U00001' });
    const me = await fetch(url('gateway', '/api/v1/me'), { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ sub: 'e2e-ops', role: 'pcn_ops', pcn: 'U00001' });
    // The scheme is case-insensitive, at the gateway as at the services (RFC 9110 11.1).
    for (const target of ['gateway', 'referral-intake']) {
      const lower = await fetch(url(target, '/api/v1/pcns'), {
        headers: { authorization: `bearer ${token}` },
      });
      expect({ target, status: lower.status }).toEqual({ target, status: 200 });
    }
  });

  it("carries no personal data on any topic or in any log line through a referral's whole journey", async () => {
    const admin = await mintDevToken({ sub: 'e2e-admin', role: 'admin' });
    const ops = await mintDevToken({ sub: 'e2e-ops', role: 'pcn_ops', pcn: 'U07001' });
    const lw = await mintDevToken({ sub: 'e2e-lw', role: 'link_worker', pcn: 'U07001' });
    const call = async (method: string, p: string, token: string, body?: unknown) => {
      const res = await fetch(url('gateway', p), {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    // Distinctive personal data, so that any leak is found by a plain text search.
    const person = {
      nhsNumber: '9434765919',
      givenName: 'Zebedee',
      familyName: 'Quillfeather',
      birthDate: '1951-02-17',
      postcode: 'LS6 2QX',
      phone: '07700 900417',
      email: 'zebedee.quillfeather@example.org',
    };
    const notes = 'Prefers mornings; widowed last spring, keen on allotments';
    expect(
      (
        await call('POST', '/api/v1/pcns', admin, {
          code: 'U07001',
          name: 'Privacy PCN',
          icsCode: 'QPR',
          practices: [{ code: 'P07001', name: 'Privacy Practice', postcode: 'LS6 1AA' }],
        })
      ).status,
    ).toBe(201);
    const org = await call('POST', '/api/v1/organisations', ops, {
      name: 'Privacy Befrienders',
      icsCode: 'QPR',
      contactEmail: 'team@befrienders.example',
    });
    const service = await call('POST', '/api/v1/services', ops, {
      organisationId: org.body.id,
      name: 'Privacy walking group',
      needs: ['loneliness'],
      postcode: 'LS6 1AA',
      radiusKm: 20,
      mode: 'in-person',
      maxActive: 5,
      weeklyIntake: 5,
    });
    expect(service.status).toBe(201);
    const referral = await call('POST', '/api/v1/referrals', lw, {
      pcnCode: 'U07001',
      practiceCode: 'P07001',
      referrer: { name: 'Dr Ottoline Wrenfield', role: 'GP' },
      patient: { ...person, preferredLanguage: 'en' },
      needs: ['loneliness'],
      notes,
    });
    expect(referral.status).toBe(201);
    const referralId = referral.body.id as string;
    const consent = await call('POST', '/api/v1/consents', lw, {
      referralId,
      decision: 'granted',
      method: 'verbal',
      shareWithVcso: true,
    });
    expect(consent.status).toBe(201);
    expect(
      (
        await call('POST', `/api/v1/referrals/${referralId}/assessment`, lw, {
          needs: ['loneliness'],
          notesForVcso: notes,
        })
      ).status,
    ).toBeLessThan(300);
    const offer = await waitFor(
      async () => {
        const r = await call('POST', '/api/v1/offers', lw, { referralId, serviceId: service.body.id });
        return r.status === 201 ? r : undefined;
      },
      { timeoutMs: 30_000, message: 'an offer made for the referral' },
    );
    const coordinator = await mintDevToken({
      sub: 'e2e-co',
      role: 'vcso_coordinator',
      org: org.body.id as string,
    });
    expect((await call('POST', `/api/v1/offers/${offer.body.id}/accept`, coordinator)).status).toBe(200);
    const contact = await waitFor(
      async () => {
        const r = await call('GET', `/api/v1/referrals/${referralId}/contact`, coordinator);
        return r.status === 200 ? r : undefined;
      },
      { timeoutMs: 30_000, message: 'contact details for the accepting VCSO' },
    );
    expect(contact.body).toMatchObject({ givenName: person.givenName });
    const consentId = consent.body.id as string;
    expect((await call('POST', `/api/v1/consents/${consentId}/withdraw`, lw, {})).status).toBe(200);
    await waitFor(
      async () => (await call('GET', `/api/v1/referrals/${referralId}`, lw)).body.status === 'closed',
      {
        timeoutMs: 30_000,
        message: 'referral closed after the withdrawal',
      },
    );

    const leaks: string[] = [];
    const secrets = [
      ...Object.values(person),
      person.nhsNumber.replace(/(\d{3})(\d{3})(\d{4})/, '$1 $2 $3'),
      notes,
      'Ottoline',
    ];
    const topics = await readAllTopics(broker.brokers);
    for (const [where, text] of [...topics, ['platform output', output] as const]) {
      for (const secret of secrets) if (text.includes(secret)) leaks.push(`${secret} in ${where}`);
    }
    expect(topics.length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });

  it('turns each /health unready when its database stops, and ready again when it is back', async () => {
    const withDb = SERVICES.filter((s) => s.database);
    await pg.stop('fast');
    for (const s of withDb) {
      await waitFor(async () => (await health(s.name)).code === 503, {
        timeoutMs: 30_000,
        message: `${s.name} unready without its database`,
      });
      expect((await health(s.name)).body.details?.database.status).toBe('down');
    }
    await pg.start();
    for (const s of SERVICES) {
      await waitFor(async () => (await health(s.name)).code === 200, {
        timeoutMs: 60_000,
        message: `${s.name} ready again`,
      });
    }
  });

  it('turns each /health unready when Kafka stops, and ready again when it is back', async () => {
    await broker.stop('SIGTERM');
    for (const s of SERVICES) {
      await waitFor(async () => (await health(s.name)).code === 503, {
        timeoutMs: 30_000,
        message: `${s.name} unready without Kafka`,
      });
      expect((await health(s.name)).body.details?.kafka.status).toBe('down');
    }
    await broker.start();
    for (const s of SERVICES) {
      await waitFor(async () => (await health(s.name)).code === 200, {
        timeoutMs: 90_000,
        message: `${s.name} ready again after Kafka returned`,
      });
    }
  });

  it('stops every service cleanly on Ctrl-C', async () => {
    const exited = new Promise<string>((resolve) =>
      platform.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)),
    );
    process.kill(-platform.pid!, 'SIGINT');
    // npm re-raises the SIGINT it was stopped by; the start script itself exits 0 after its services.
    expect(['code 0', 'SIGINT']).toContain(await exited);
    await waitFor(() => output.includes('services stopped'), {
      timeoutMs: 20_000,
      message: 'the start script to report its services stopped',
    });
    for (const s of SERVICES) {
      await waitFor(
        async () => {
          try {
            await fetch(url(s.name, '/health/live'), { signal: AbortSignal.timeout(1000) });
            return false;
          } catch {
            return true;
          }
        },
        { timeoutMs: 20_000, message: `${s.name} no longer listening` },
      );
    }
  });
});
