import { Logger } from '@nestjs/common';
import { ICS_CODE_PATTERN, PCN_CODE_PATTERN } from '@sp/contracts';
import { createHash, createHmac } from 'node:crypto';

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

/**
 * Which ICS a PCN belongs to. Referral events do not carry the ICS and no event announces the network
 * yet, so the mapping comes from `PCN_ICS_MAP` (JSON, e.g. `{"U00001":"QWO"}`); PCNs it does not name
 * belong to `DEFAULT_ICS_CODE` (default `QWO`, the demo ICS).
 */
export class IcsDirectory {
  private readonly map: Record<string, string>;
  readonly fallback: string;

  constructor(env: NodeJS.ProcessEnv = process.env) {
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

  icsFor(pcnCode: string): string {
    return this.map[pcnCode.toUpperCase()] ?? this.fallback;
  }

  /** The PCNs the map names, with their ICS. */
  entries(): [string, string][] {
    return Object.entries(this.map);
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
