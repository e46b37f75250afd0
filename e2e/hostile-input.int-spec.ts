import { mintDevToken, type Role } from '@sp/auth';
import { SERVICES } from '@sp/platform';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Client } from 'pg';
import { MATRIX, MATRIX_ROLES, routeKey, targetsOf, type Outcome, type Target } from './authorization-matrix';
import { fuzzTargets, type FuzzCaller, type FuzzTarget } from './fuzz-targets';
import { names, topLevel, validBody } from './support/body-oracle';
import { csvCases, jsonCases, ndjsonCases, type FuzzCase } from './support/fuzz-cases';
import { inPool, probe, type Reply } from './support/http-probe';
import { MATRIX_REQUESTS, MISSING_ID, MUTATION_ORDER, type MatrixRequest } from './support/matrix-requests';
import { PlatformHarness } from './support/platform-harness';
import { PCN_ICS_MAP, referralBody, seedFuzzFixtures, seedWorld, type World } from './support/two-scopes';

/**
 * Hostile input and access, from outside, on the whole platform (`npm start` on its own Postgres and
 * Kafka, offset 400):
 *  - the authorisation matrix: every route the services publish, for every role, aimed at its own
 *    scope, another scope and a missing id, against the table in authorization-matrix.ts (a live route
 *    without an entry fails the suite), through the gateway; 401s and 403s also at each service;
 *  - fuzzing: every POST and PUT route gets FUZZ_BODIES (1,000) generated bodies, mostly invalid,
 *    and must answer each exactly as an independent model of its rules says, never 5xx, and write
 *    nothing (row counts in the owning database before and after); the bulk import gets as many CSV
 *    and NDJSON files;
 *  - the import's size limit, and the security headers on the console, the API and /docs.
 */
const FUZZ_BODIES = Number(process.env.FUZZ_BODIES ?? 1000);
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
/** Only these routes (e.g. "POST /api/v1/consents"), to replay a failure with its FUZZ_SEED. */
const FUZZ_ROUTES = process.env.FUZZ_ROUTES?.split(',').map((r) => r.trim());
const CONCURRENCY = 8;
/** The fuzzing tests' time limit grows with FUZZ_BODIES (1,000 bodies a route take about a minute). */
const FUZZ_TIMEOUT_MS = Math.max(300_000, FUZZ_BODIES * 300);
const IMPORT_MAX_BYTES = 1024 * 1024;

interface LiveRoute {
  service: string;
  method: string;
  path: string;
  key: string;
}

const h = new PlatformHarness({
  offset: 400,
  pgPort: 25496,
  kafkaPort: 19496,
  env: {
    // Thousands of requests a minute from one token: limits are tested in libs/platform.
    RATE_LIMIT_PER_MINUTE: '0',
    PCN_ICS_MAP,
    IMPORT_MAX_BYTES: String(IMPORT_MAX_BYTES),
  },
});

const isProblem = (r: Reply) => r.type.startsWith('application/problem+json');
const errorFields = (r: Reply): string[] =>
  ((r.json as { errors?: { field: string }[] } | undefined)?.errors ?? []).map((e) => e.field);
/** "fetch failed" says nothing: the socket-level cause (ECONNRESET, other side closed...) does. */
const failureOf = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause ? `${err.message} (${[cause.code, cause.message].filter(Boolean).join(': ')})` : err.message;
};
const excerpt = (text: string) => (text.length > 240 ? `${text.slice(0, 240)}...` : text);

async function liveRoutes(): Promise<LiveRoute[]> {
  const routes: LiveRoute[] = [];
  for (const s of SERVICES) {
    const doc = (await (await fetch(h.url(s.name, '/docs/json'))).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const method of Object.keys(methods)) {
        routes.push({ service: s.name, method: method.toUpperCase(), path, key: routeKey(method, path) });
      }
    }
  }
  return routes;
}

/** Row counts of `tables`, read until two readings a second apart agree (consumers have settled). */
async function settledCounts(database: string, tables: string[]): Promise<Record<string, number>> {
  const client = new Client({ connectionString: h.pg.url(database) });
  await client.connect();
  try {
    const read = async () => {
      const sql = `SELECT ${tables.map((t) => `(SELECT count(*)::int FROM ${t}) AS "${t}"`).join(', ')}`;
      return (await client.query<Record<string, number>>(sql)).rows[0];
    };
    let last = await read();
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await read();
      if (JSON.stringify(now) === JSON.stringify(last)) return now;
      last = now;
    }
    throw new Error(`${database}: row counts still changing after 30 s`);
  } finally {
    await client.end();
  }
}

function judge(expected: Outcome, r: Reply, req: MatrixRequest): string | undefined {
  const ok2xx = r.status >= 200 && r.status < 300;
  if (r.status >= 400 && !isProblem(r)) return `a ${r.status} that is not problem+json`;
  switch (expected) {
    case 'allowed':
      return ok2xx || r.status === 400 || r.status === 409 ? undefined : 'allowed';
    case 'forbidden':
      return r.status === 403 ? undefined : '403';
    case 'notFound':
      return r.status === 404 ? undefined : '404';
    case 'hidden': {
      if (!ok2xx) return '2xx without scope B';
      const leaked = (req.otherIds ?? []).filter((id) => r.text.includes(id));
      return leaked.length ? `2xx without scope B, but it shows ${leaked.join(', ')}` : undefined;
    }
    case 'refusedRows': {
      const summary = importSummary(r.text);
      return r.status === 200 && summary?.created === 0 && summary.refused > 0
        ? undefined
        : '200 with every row refused';
    }
  }
}

interface ImportSummary {
  rows: number;
  created: number;
  duplicates: number;
  refused: number;
}

function importSummary(text: string): ImportSummary | undefined {
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line) as { summary?: ImportSummary };
      if (parsed.summary) return parsed.summary;
    } catch {
      // not a report line
    }
  }
  return undefined;
}

describe('hostile input and access, through the gateway', () => {
  let world: World;
  let routes: LiveRoute[];

  beforeAll(async () => {
    try {
      await h.start();
    } catch (err) {
      await h.stop();
      throw err;
    }
    console.log(`platform ready in ${(h.startedInMs / 1000).toFixed(1)} s`);
    routes = await liveRoutes();
    const t0 = Date.now();
    world = await seedWorld(h);
    console.log(`two scopes seeded through the API in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 600_000);

  afterAll(async () => {
    await h.stop();
  });

  describe('the authorisation matrix', () => {
    it('has an entry for every route the platform serves, and a way to exercise it', () => {
      const missing = routes
        .filter((r) => !MATRIX[r.key])
        .map((r) => `${r.key} (${r.service}) has no entry in e2e/authorization-matrix.ts`);
      const untested = routes
        .filter((r) => MATRIX[r.key] && !MATRIX_REQUESTS[r.key])
        .map((r) => `${r.key} has no request in e2e/support/matrix-requests.ts`);
      const stale = Object.keys(MATRIX).filter((k) => !routes.some((r) => r.key === k));
      if (stale.length) console.log(`matrix entries for routes not served (yet): ${stale.join(', ')}`);
      expect([...missing, ...untested]).toEqual([]);
      expect(routes.length).toBeGreaterThan(30);
    });

    it('refuses every route without a valid token, at each service and through the gateway', async () => {
      const expired = await mintDevToken({ sub: 'authz-old', role: 'admin' }, { expiresIn: '-1m' });
      // Right claims, signed by a key the platform does not know.
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const kid = (await exportJWK(publicKey)).x!.slice(0, 8);
      const forged = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setSubject('mallory')
        .setIssuer('sp-dev')
        .setAudience('sp-platform')
        .setExpirationTime('1h')
        .sign(privateKey);
      const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
        JSON.stringify({ sub: 'mallory', role: 'admin', iss: 'sp-dev', aud: 'sp-platform', exp: 2e9 }),
      ).toString('base64url')}.`;
      const credentials: [string, Record<string, string>][] = [
        ['no token', {}],
        ['garbage', { authorization: 'Bearer not-a-jwt' }],
        ['expired', { authorization: `Bearer ${expired}` }],
        ['foreign key', { authorization: `Bearer ${forged}` }],
        ['alg none', { authorization: `Bearer ${unsigned}` }],
        ['basic', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ];
      const checks = routes.flatMap((r) =>
        [r.service, 'gateway'].flatMap((target) =>
          credentials.map(([what, headers]) => ({ r, target, what, headers })),
        ),
      );
      const failures: string[] = [];
      await inPool(checks, CONCURRENCY, async ({ r, target, what, headers }) => {
        const path = r.path.replace(/\{[^}]+\}/g, MISSING_ID);
        const res = await probe(h.url(target, path), {
          method: r.method,
          headers,
          body: r.method === 'GET' ? undefined : {},
        });
        if (res.status !== 401 || !isProblem(res))
          failures.push(`${r.method} ${path} at ${target} with ${what}: ${res.status}`);
      });
      expect(failures).toEqual([]);
      console.log(
        `401 checks: ${checks.length} requests (${routes.length} routes x 2 entry points x ${credentials.length} credentials)`,
      );
    });

    it('gives each role what the matrix says for its own scope, another scope and a missing id', async () => {
      interface Case {
        key: string;
        service: string;
        method: string;
        role: Role;
        target: Target;
        expected: Outcome;
      }
      const cases: Case[] = [];
      for (const r of routes) {
        const entry = MATRIX[r.key];
        if (!entry) continue;
        for (const role of MATRIX_ROLES) {
          const e = entry.roles[role];
          for (const target of targetsOf(r.key, e)) {
            cases.push({
              key: r.key,
              service: r.service,
              method: r.method,
              role,
              target,
              expected: e[target]!,
            });
          }
        }
      }
      // Requests that may change state run one by one, in an order where each finds what it needs;
      // every other request (reads, and writes the caller may not make) runs concurrently first.
      const changes = (c: Case) =>
        c.method !== 'GET' && (c.expected === 'allowed' || c.expected === 'refusedRows');
      const order = (key: string) => {
        const i = MUTATION_ORDER.indexOf(key);
        return i < 0 ? MUTATION_ORDER.length : i;
      };
      const quiet = cases.filter((c) => !changes(c));
      const changing = cases
        .filter(changes)
        .sort(
          (a, b) =>
            order(a.key) - order(b.key) ||
            MATRIX_ROLES.indexOf(a.role) - MATRIX_ROLES.indexOf(b.role) ||
            a.target.localeCompare(b.target),
        );
      const failures: string[] = [];
      const direct: string[] = [];
      const run = async (c: Case) => {
        const req = MATRIX_REQUESTS[c.key](world, c.target);
        const p = {
          method: c.method,
          token: world.tokens[c.role],
          body: req.body,
          raw: req.raw ? { data: req.raw.text, type: req.raw.type } : undefined,
        };
        const res = await probe(`${h.gatewayUrl}${req.path}`, p);
        const wrong = judge(c.expected, res, req);
        if (wrong) {
          failures.push(
            `${c.role} on ${c.target} ${c.key}: expected ${wrong}, got ${res.status} ${excerpt(res.text)}`,
          );
        }
        // A role the route refuses is refused by the service itself too, not only behind the gateway.
        if (c.expected === 'forbidden') {
          const at = await probe(h.url(c.service, req.path), p);
          if (at.status !== 403) direct.push(`${c.role} ${c.key} at ${c.service}: ${at.status}`);
        }
      };
      const t0 = Date.now();
      await inPool(quiet, 6, run);
      for (const c of changing) await run(c);
      const counts = cases.reduce<Record<string, number>>((acc, c) => {
        acc[c.expected] = (acc[c.expected] ?? 0) + 1;
        return acc;
      }, {});
      console.log(
        `authorisation matrix: ${routes.length} routes x ${MATRIX_ROLES.length} roles = ${cases.length} cases ` +
          `(${JSON.stringify(counts)}), ${changing.length} of them changing state, in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      expect(failures).toEqual([]);
      expect(direct).toEqual([]);
    });
  });

  describe('security headers', () => {
    it('puts helmet headers with a strict CSP on the console and on API answers, relaxed on /docs only', async () => {
      const strict = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "font-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
      ];
      const answers: [string, Reply][] = [
        ['console /', await probe(`${h.gatewayUrl}/`, { method: 'GET' })],
        [
          'gateway /api/v1/me',
          await probe(`${h.gatewayUrl}/api/v1/me`, { method: 'GET', token: world.tokens.admin }),
        ],
        [
          'proxied /api/v1/pcns',
          await probe(`${h.gatewayUrl}/api/v1/pcns`, { method: 'GET', token: world.tokens.admin }),
        ],
        ['a 401', await probe(`${h.gatewayUrl}/api/v1/referrals`, { method: 'GET' })],
        ['consent /health', await probe(h.url('consent', '/health'), { method: 'GET' })],
      ];
      for (const [what, r] of answers) {
        const csp = r.headers.get('content-security-policy') ?? '';
        for (const d of strict) expect({ what, has: csp.includes(d) }).toEqual({ what, has: true });
        expect({ what, csp }).toEqual({ what, csp: expect.not.stringContaining('unsafe-inline') });
        expect({ what, nosniff: r.headers.get('x-content-type-options') }).toEqual({
          what,
          nosniff: 'nosniff',
        });
        expect({ what, frame: r.headers.get('x-frame-options') }).toEqual({ what, frame: 'DENY' });
        expect({ what, hsts: !!r.headers.get('strict-transport-security') }).toEqual({ what, hsts: true });
      }
      expect(answers[1][1].status).toBe(200);
      for (const service of ['gateway', 'referral-intake']) {
        const docs = await probe(h.url(service, '/docs'), { method: 'GET' });
        expect(docs.status).toBe(200);
        const csp = docs.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("style-src 'self' 'unsafe-inline'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
        for (const [, src] of docs.text.matchAll(/<script src="([^"]+)"/g)) {
          const script = await fetch(new URL(src, h.url(service, '/docs')));
          expect({ service, src, status: script.status }).toEqual({ service, src, status: 200 });
        }
      }
    });
  });

  describe('the bulk import size limit', () => {
    const rowsOf = (pcn: string, practice: string, n: number) =>
      Array.from({ length: n }, () => JSON.stringify(referralBody(pcn, practice))).join('\n') + '\n';

    it('refuses a file whose Content-Length is over IMPORT_MAX_BYTES with 413, before reading it', async () => {
      const before = await settledCounts('sp_referral_intake', ['referral']);
      let text = '';
      while (Buffer.byteLength(text) <= IMPORT_MAX_BYTES) text += rowsOf(world.A.pcn, world.A.practice, 500);
      const res = await probe(`${h.gatewayUrl}/api/v1/referrals/import`, {
        method: 'POST',
        token: world.tokens.link_worker,
        raw: { data: text, type: 'application/x-ndjson' },
      });
      expect({ status: res.status, problem: isProblem(res) }).toEqual({ status: 413, problem: true });
      expect((res.json as { detail: string }).detail).toMatch(/at most 1 MB; split the file/);
      expect(await settledCounts('sp_referral_intake', ['referral'])).toEqual(before);
    });

    it('stops a streamed upload at the limit: rows reported before it are saved, nothing after', async () => {
      const before = await settledCounts('sp_referral_intake', ['referral']);
      const own = rowsOf(world.A.pcn, world.A.practice, 10);
      const other = rowsOf(world.B.pcn, world.B.practice, 200);
      let sent = 0;
      let stop = false;
      // No Content-Length: the service can only count as the bytes arrive.
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (stop || sent > 3 * IMPORT_MAX_BYTES) return controller.close();
          const chunk = new TextEncoder().encode(sent === 0 ? own : other);
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      });
      const res = await fetch(`${h.gatewayUrl}/api/v1/referrals/import`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${world.tokens.link_worker}`,
          'content-type': 'application/x-ndjson',
        },
        body,
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      const text = await res.text();
      stop = true;
      const lines = text
        .trim()
        .split('\n')
        .map(
          (l) => JSON.parse(l) as { status?: string; error?: { message: string }; summary?: ImportSummary },
        );
      expect(res.status).toBe(200);
      expect(lines.find((l) => l.error)?.error?.message).toMatch(/larger than the 1 MB import limit/);
      const created = lines.filter((l) => l.status === 'created').length;
      expect(created).toBe(10);
      expect(lines.at(-1)?.summary?.created).toBe(10);
      const after = await settledCounts('sp_referral_intake', ['referral']);
      expect(after.referral - before.referral).toBe(10);
      console.log(`streamed import stopped at the 1 MB limit after ${(sent / 1048576).toFixed(1)} MB sent`);
    });
  });

  describe('fuzzing every POST and PUT route', () => {
    let targets: FuzzTarget[];
    let tokens: Record<FuzzCaller, string>;
    const timings: string[] = [];
    let total = 0;
    let totalMs = 0;

    beforeAll(async () => {
      const fixtures = await seedFuzzFixtures(h, world);
      targets = fuzzTargets(fixtures);
      tokens = {
        link_worker: world.tokens.link_worker,
        pcn_ops: world.tokens.pcn_ops,
        admin: world.tokens.admin,
        vcso_coordinator: world.tokens.vcso_coordinator,
        other_coordinator: world.tokensB.vcso_coordinator,
      };
      console.log(`fuzzing with FUZZ_SEED=${FUZZ_SEED}, ${FUZZ_BODIES} bodies per route`);
    }, 300_000);

    afterAll(() => {
      if (timings.length)
        console.log(
          `fuzzing: ${total} bodies in ${(totalMs / 1000).toFixed(1)} s (${((total / totalMs) * 1000).toFixed(0)}/s)\n` +
            timings.join('\n'),
        );
    });

    /** Sends every case, checks each answer, and checks the owning database did not change. */
    async function fuzz(
      label: string,
      target: Pick<FuzzTarget, 'method' | 'path' | 'caller' | 'database' | 'tables' | 'grows'>,
      cases: FuzzCase[],
      check: (c: FuzzCase, r: Reply) => string | undefined,
    ): Promise<void> {
      const before = await settledCounts(target.database, target.tables);
      const failures: string[] = [];
      const statuses: Record<number, number> = {};
      let accepted = 0;
      const t0 = Date.now();
      await inPool(cases, CONCURRENCY, async (c) => {
        let r: Reply;
        try {
          r = await probe(`${h.gatewayUrl}${target.path}`, {
            method: target.method,
            token: tokens[target.caller],
            raw: { data: c.data, type: c.type },
          });
        } catch (err) {
          failures.push(
            `${c.kind} ${c.type ?? '(no type)'} ${excerpt(c.data)}\n    -> request failed: ${failureOf(err)}`,
          );
          return;
        }
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status >= 200 && r.status < 300) accepted++;
        const wrong =
          r.status >= 500
            ? `a ${r.status}`
            : r.status >= 400 && !isProblem(r)
              ? `a ${r.status} that is not problem+json`
              : check(c, r);
        if (wrong)
          failures.push(
            `${c.kind} ${c.type ?? '(no type)'} ${excerpt(c.data)}\n    -> ${wrong}: ${r.status} ${excerpt(r.text)}`,
          );
      });
      const ms = Date.now() - t0;
      const after = await settledCounts(target.database, target.tables);
      const expectedAfter = Object.fromEntries(
        target.tables.map((t) => [t, before[t] + (target.grows?.includes(t) ? accepted : 0)]),
      );
      total += cases.length;
      totalMs += ms;
      timings.push(
        `  ${label.padEnd(44)} ${String(cases.length).padStart(5)} bodies ${(ms / 1000).toFixed(1).padStart(6)} s  ${JSON.stringify(statuses)}`,
      );
      if (failures.length)
        console.log(
          `${label}: ${failures.length} wrong answers, first ones:\n${failures.slice(0, 15).join('\n')}`,
        );
      expect({ label, failures: failures.length }).toEqual({ label, failures: 0 });
      expect({ label, rows: after }).toEqual({ label, rows: expectedAfter });
    }

    const statusCheck = (c: FuzzCase, r: Reply): string | undefined => {
      const e = c.expected;
      if (r.status !== e.status)
        return `expected ${e.status}${e.fields ? ` naming ${e.fields.join(', ')}` : ''}`;
      if (e.status !== 400 || !e.fields) return undefined;
      const fields = errorFields(r);
      if (e.subset) {
        // Names each field the model finds wrong (and may name more that depend on them).
        const unnamed = e.fields.filter((f) => f !== 'body' && !names(fields, f));
        return unnamed.length ? `a 400 naming ${unnamed.join(', ')}` : undefined;
      }
      const got = [...new Set(fields.map(topLevel))].sort();
      return JSON.stringify(got) === JSON.stringify([...e.fields].sort())
        ? undefined
        : `a 400 naming exactly ${e.fields.join(', ')}`;
    };

    it(
      `answers ${FUZZ_BODIES} generated bodies per JSON route exactly as the rules say, never 5xx, writing nothing`,
      async () => {
        const seen = new Set(targets.map((t) => t.key));
        const live = routes.filter(
          (r) => (r.method === 'POST' || r.method === 'PUT') && r.key !== 'POST /api/v1/referrals/import',
        );
        // Every POST and PUT the platform serves is fuzzed: a new one needs a target in fuzz-targets.ts.
        expect(live.filter((r) => !seen.has(r.key)).map((r) => r.key)).toEqual([]);
        for (const [i, target] of targets.entries()) {
          if (!live.some((r) => r.key === target.key)) continue;
          if (FUZZ_ROUTES && !FUZZ_ROUTES.includes(target.key)) continue;
          await fuzz(target.key, target, jsonCases(target, FUZZ_BODIES, FUZZ_SEED + i * 101), statusCheck);
        }
      },
      FUZZ_TIMEOUT_MS,
    );

    it(
      `answers ${FUZZ_BODIES} generated NDJSON and CSV files on POST /referrals/import, refusing every row, creating none`,
      async () => {
        const referral = targets.find((t) => t.key === 'POST /api/v1/referrals')!;
        const importTarget = {
          method: 'POST' as const,
          path: '/api/v1/referrals/import',
          caller: 'link_worker' as const,
          database: referral.database,
          tables: referral.tables,
        };
        const valid = validBody(referral.spec!.schema);
        await fuzz(
          'POST /api/v1/referrals/import (NDJSON)',
          importTarget,
          ndjsonCases({ spec: referral.spec, valid }, FUZZ_BODIES, FUZZ_SEED + 7, IMPORT_MAX_BYTES),
          (c, r) => {
            if (r.status !== c.expected.status) return `expected ${c.expected.status}`;
            if (r.status === 413) return undefined;
            const s = importSummary(r.text);
            if (!s) return 'a summary line';
            return s.created === 0 && s.duplicates === 0 && s.refused === c.rows && s.rows === c.rows
              ? undefined
              : `all ${c.rows} rows refused (got ${JSON.stringify(s)})`;
          },
        );
        const wrongTypes = fc.sample(
          fc.tuple(
            fc.constantFrom(
              'text/plain',
              'application/xml',
              'application/json',
              'multipart/form-data; boundary=x',
            ),
            valid,
          ),
          { numRuns: Math.round(FUZZ_BODIES / 10), seed: FUZZ_SEED + 9 },
        );
        const csv = [
          ...csvCases(world.B.pcn, FUZZ_BODIES - wrongTypes.length, FUZZ_SEED + 8),
          ...wrongTypes.map(([type, b]): FuzzCase => ({
            kind: 'content-type',
            data: JSON.stringify(b),
            type,
            expected: { status: 415 },
          })),
        ];
        await fuzz('POST /api/v1/referrals/import (CSV, wrong types)', importTarget, csv, (c, r) => {
          const wrong = statusCheck(c, r);
          if (wrong || r.status !== 200) return wrong;
          const s = importSummary(r.text);
          const reported = r.text.trim().split('\n');
          if (reported.some((l) => /"status":"(created|duplicate)"/.test(l))) return 'no row created';
          if (!s)
            return reported.some((l) => l.startsWith('{"error"')) ? undefined : 'a summary or an error line';
          return s.created === 0 ? undefined : `no row created (got ${JSON.stringify(s)})`;
        });
      },
      FUZZ_TIMEOUT_MS,
    );
  });
});
