import { Logger } from '@nestjs/common';
import { ICS_CODE_PATTERN, PCN_CODE_PATTERN } from '@sp/contracts';
import { createHash, createHmac } from 'node:crypto';
import type { EntityManager } from 'typeorm';

const log = new Logger('metrics-config');

function jsonObject(raw: string | undefined, name: string): Record<string, string> {
  if (!raw || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${name} must be a JSON object`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${name} must be a JSON object`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string' || v === '') throw new Error(`${name}: the value for ${k} must be a string`);
    out[k.toUpperCase()] = v;
  }
  return out;
}

/** Anything that runs SQL: the data source, or a transaction's manager. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** The projections whose rows carry the ICS of their PCN (`pcn_code`, `ics_code`). */
export const ATTRIBUTED_TABLES = ['referral_fact', 'offer_fact', 'unmet_need', 'outcome_record'] as const;

/** Advisory lock serialising the attribution of rows to an ICS with a change of a PCN's ICS. */
const ATTRIBUTION_LOCK = 'commissioning-metrics:pcn-ics';

/**
 * Which ICS a PCN belongs to. First what pcn.registered.v1 said (the `pcn_ics` table, latest
 * `registeredAt` wins); for a PCN no such event has named (one registered before intake published
 * it), `PCN_ICS_MAP` (JSON, e.g. `{"U00001":"QWO"}`), else `DEFAULT_ICS_CODE` (default `QWO`, the demo
 * ICS). The environment stays as that fallback so that those older PCNs keep their ICS.
 *
 * Rows are attributed when written (`ics_code` columns, so ICS-scoped queries stay index lookups);
 * a registration that moves a PCN re-attributes its rows already written, and a lock keeps the two
 * from crossing (see forWrite).
 */
export class IcsDirectory {
  private readonly map: Record<string, string>;
  readonly fallback: string;
  /** Per writing transaction: the ICS of each PCN looked up under the shared lock (stable until commit). */
  private readonly seen = new WeakMap<EntityManager, Map<string, string>>();

  /** `db` reads `pcn_ics` outside transactions; without one (unit tests) only the environment counts. */
  constructor(
    env: NodeJS.ProcessEnv = process.env,
    private readonly db?: Queryable,
  ) {
    this.map = jsonObject(env.PCN_ICS_MAP, 'PCN_ICS_MAP');
    for (const [pcn, ics] of Object.entries(this.map)) {
      if (!PCN_CODE_PATTERN.test(pcn)) throw new Error(`PCN_ICS_MAP: ${pcn} is not a PCN code`);
      if (!ICS_CODE_PATTERN.test(ics.toUpperCase()))
        throw new Error(`PCN_ICS_MAP: ${ics} is not an ICS code`);
      this.map[pcn] = ics.toUpperCase();
    }
    this.fallback = (env.DEFAULT_ICS_CODE ?? 'QWO').toUpperCase();
    if (!ICS_CODE_PATTERN.test(this.fallback)) throw new Error('DEFAULT_ICS_CODE must be an ICS code');
  }

  /** The environment's answer alone: for PCNs that no pcn.registered.v1 has named. */
  fromEnv(pcnCode: string): string {
    return this.map[pcnCode.toUpperCase()] ?? this.fallback;
  }

  /** The PCNs the environment's map names, with their ICS. */
  entries(): [string, string][] {
    return Object.entries(this.map);
  }

  /** The ICS of a PCN, for reading (scopes, the stream): the registered one, else the environment's. */
  async icsOf(pcnCode: string, q: Queryable | undefined = this.db): Promise<string> {
    const pcn = pcnCode.toUpperCase();
    if (!q) return this.fromEnv(pcn);
    const rows = (await q.query(`SELECT ics_code FROM pcn_ics WHERE pcn_code = $1`, [pcn])) as {
      ics_code: string;
    }[];
    return rows[0]?.ics_code ?? this.fromEnv(pcn);
  }

  /**
   * The ICS to write on rows of a PCN, inside the writing transaction. It takes the attribution lock
   * shared, so a registration moving this PCN (which takes it exclusively) either committed before
   * (and is read here) or waits until this transaction commits (and then re-attributes its rows):
   * a referral projected while its PCN is being registered is never left under the old ICS.
   */
  async forWrite(m: EntityManager, pcnCode: string): Promise<string> {
    const pcn = pcnCode.toUpperCase();
    let known = this.seen.get(m);
    if (!known) {
      if (!m.queryRunner?.isTransactionActive) throw new Error('IcsDirectory.forWrite needs a transaction');
      await m.query(`SELECT pg_advisory_xact_lock_shared(hashtext($1))`, [ATTRIBUTION_LOCK]);
      known = new Map();
      this.seen.set(m, known);
    }
    let ics = known.get(pcn);
    if (ics === undefined) {
      ics = await this.icsOf(pcn, m);
      known.set(pcn, ics);
    }
    return ics;
  }

  /** Takes the attribution lock exclusively for the rest of the transaction (a re-attribution). */
  async lockForReattribution(m: EntityManager): Promise<void> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [ATTRIBUTION_LOCK]);
  }

  /**
   * Applies pcn.registered.v1: keeps the PCN's ICS if this registration is not older than the one
   * held, and moves the rows already attributed to the PCN to it. Returns the rows moved, or null
   * when a newer registration stands (nothing changes).
   */
  async register(
    m: EntityManager,
    pcnCode: string,
    icsCode: string,
    registeredAt: string,
  ): Promise<number | null> {
    const pcn = pcnCode.toUpperCase();
    const ics = icsCode.toUpperCase();
    await this.lockForReattribution(m);
    const kept: unknown[] = await m.query(
      `INSERT INTO pcn_ics AS p (pcn_code, ics_code, registered_at) VALUES ($1, $2, $3)
       ON CONFLICT (pcn_code) DO UPDATE SET ics_code = EXCLUDED.ics_code, registered_at = EXCLUDED.registered_at,
                                            updated_at = now()
        WHERE p.registered_at <= EXCLUDED.registered_at
       RETURNING 1`,
      [pcn, ics, registeredAt],
    );
    if (kept.length === 0) return null;
    // Earlier messages of this same transaction may have looked the PCN up already.
    this.seen.get(m)?.set(pcn, ics);
    let moved = 0;
    for (const table of ATTRIBUTED_TABLES) {
      const [{ n }]: { n: number }[] = await m.query(
        `WITH u AS (UPDATE ${table} SET ics_code = $2 WHERE pcn_code = $1 AND ics_code IS DISTINCT FROM $2 RETURNING 1)
         SELECT count(*)::int AS n FROM u`,
        [pcn, ics],
      );
      moved += n;
    }
    return moved;
  }
}

/**
 * Re-keys the platform's person key per ICS for the analytics stream: HMAC-SHA256 under that ICS's
 * secret, so one ICS's stream cannot be joined with another's or with the operational topics. Secrets
 * come from `ANALYTICS_ICS_KEYS` (JSON, ICS code to secret); without one, outside production, a key is
 * derived from the ICS code so that local runs work (and say so once).
 */
export class AnalyticsKeys {
  private readonly keys: Record<string, string>;
  private readonly production: boolean;
  private readonly warned = new Set<string>();

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.keys = jsonObject(env.ANALYTICS_ICS_KEYS, 'ANALYTICS_ICS_KEYS');
    this.production = env.NODE_ENV === 'production';
  }

  private keyFor(icsCode: string): string {
    const own = this.keys[icsCode];
    if (own) return own;
    if (this.production) throw new Error(`ANALYTICS_ICS_KEYS has no key for ICS ${icsCode}`);
    if (!this.warned.has(icsCode)) {
      this.warned.add(icsCode);
      log.warn(`no analytics key for ICS ${icsCode} in ANALYTICS_ICS_KEYS: using a development key`);
    }
    return createHash('sha256').update(`sp-dev-analytics-key:${icsCode}`).digest('hex');
  }

  /** The person key as ICS `icsCode` sees it: 64 lower-case hex digits. */
  personKeyFor(icsCode: string, platformPersonKey: string): string {
    return createHmac('sha256', this.keyFor(icsCode)).update(platformPersonKey, 'utf8').digest('hex');
  }
}
