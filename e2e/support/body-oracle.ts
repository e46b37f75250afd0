import fc from 'fast-check';
import { isNotEmptyObject, isObject } from 'class-validator';

/**
 * A small description of a request body's rules, written independently of the services' DTOs, that
 * says of any parsed body whether the platform must accept it, and if not, which top-level fields a
 * 400 must name. Beside each field: arbitraries of valid values and of near misses, so that fuzzing
 * can start from a valid body and change one thing at a time.
 */
export type Check = (value: unknown, parent: Record<string, unknown>) => boolean;

export interface FieldRule {
  /** Absent (or, for an optional field, null) is fine when false. Default true. */
  required?: boolean;
  /** The value's own rules; for a nested object or list, the container's rules. */
  check: Check;
  /** A nested object whose fields are validated (and whitelisted) in turn. */
  nested?: BodySchema;
  /** A list of such objects. */
  each?: BodySchema;
  valid: fc.Arbitrary<unknown>;
  nearMiss?: fc.Arbitrary<unknown>;
}

export type BodySchema = Record<string, FieldRule>;

export interface BodySpec {
  schema: BodySchema;
  /**
   * Rules the service applies after the DTO (a minimum not above a maximum...): the fields a body
   * breaks, judged only once the DTO is satisfied, as the service does.
   */
  after?: (body: Record<string, unknown>) => string[];
}

/** Refused by name at the edge: `__proto__`, `prototype` and every name Object.prototype carries. */
export const PROTOTYPE_KEYS = new Set([
  '__proto__',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

export const all =
  (...checks: ((v: unknown) => boolean)[]): Check =>
  (v) =>
    checks.every((c) => c(v));

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The edge refuses bodies nested deeper than this (libs/platform MAX_BODY_DEPTH). */
export const MAX_DEPTH = 32;

/**
 * Paths of every prototype key in a parsed value, of nesting past MAX_DEPTH, and of every string that
 * holds the NUL character (Postgres can store none): refused before all else.
 */
export function shapePaths(value: unknown, path = ''): string[] {
  const out: string[] = [];
  const pending: { v: unknown; p: string; depth: number }[] = [{ v: value, p: path, depth: 0 }];
  while (pending.length) {
    const { v, p, depth } = pending.pop()!;
    if (typeof v === 'string' && v.includes('\u0000')) {
      out.push(p);
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DEPTH) {
      out.push(p);
      continue;
    }
    for (const key of Object.keys(v)) {
      const here = p ? `${p}.${key}` : key;
      if (PROTOTYPE_KEYS.has(key)) out.push(here);
      else pending.push({ v: (v as Record<string, unknown>)[key], p: here, depth: depth + 1 });
    }
  }
  return out;
}

function schemaProblems(schema: BodySchema, value: unknown, path: string): string[] {
  if (!isPlainObject(value)) return [path || 'body'];
  const join = (k: string) => (path ? `${path}.${k}` : k);
  const out: string[] = [];
  for (const key of Object.keys(value)) if (!Object.hasOwn(schema, key)) out.push(join(key));
  for (const [key, rule] of Object.entries(schema)) {
    const v = value[key];
    const required = rule.required !== false;
    // class-validator's @IsOptional skips a field that is null as well as one that is absent.
    if (v === undefined || (v === null && !required)) {
      if (required) out.push(join(key));
      continue;
    }
    if (!rule.check(v, value)) {
      out.push(join(key));
      continue;
    }
    if (rule.nested) out.push(...schemaProblems(rule.nested, v, join(key)));
    if (rule.each && Array.isArray(v)) {
      v.forEach((item, i) => out.push(...schemaProblems(rule.each!, item, join(`${key}.${i}`))));
    }
  }
  return out;
}

/**
 * The fields a body breaks (empty: the platform must accept it). Prototype keys and absurd nesting are
 * refused before anything else is looked at, so when present they are the whole answer.
 */
export function problemsOf(spec: BodySpec, body: unknown): string[] {
  const shape = shapePaths(body);
  if (shape.length) return shape;
  const problems = schemaProblems(spec.schema, body, '');
  if (problems.length || !spec.after) return problems;
  return spec.after(body as Record<string, unknown>);
}

/** `patient.nhsNumber` -> `patient`; `scores[2]` -> `scores`. */
export function topLevel(field: string): string {
  return field.split(/[.[]/, 1)[0];
}

/** Whether a 400's `errors[].field` names `field` (itself, or something inside it). */
export function names(errorFields: string[], field: string): boolean {
  return errorFields.some((e) => e === field || e.startsWith(`${field}.`) || e.startsWith(`${field}[`));
}

// A nested object is a container for class-validator: @IsObject, @IsNotEmptyObject, @ValidateNested.
export const nestedObject: Check = (v) => isObject(v) && isNotEmptyObject(v);

/** A valid body: every required field, each optional one half the time. */
export function validBody(schema: BodySchema): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema).map(([key, rule]) => {
    const value: fc.Arbitrary<unknown> = rule.nested
      ? validBody(rule.nested)
      : rule.each
        ? fc.array(validBody(rule.each), { minLength: 1, maxLength: 3 })
        : rule.valid;
    const maybe = rule.required === false ? fc.option(value, { nil: undefined, freq: 2 }) : value;
    return maybe.map((v) => [key, v] as const);
  });
  return fc
    .tuple(...entries)
    .map((pairs) => Object.fromEntries(pairs.filter(([, v]) => v !== undefined)) as Record<string, unknown>);
}

function nest(depth: number, leaf: unknown, array: boolean): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = array ? [v] : { n: v };
  return v;
}

/** A JSON object holding a prototype key as its own property (as JSON.parse makes them). */
export function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const PROTO_PAYLOADS = [
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"prototype":{"polluted":true}}',
];

/** Values of the wrong type, odd strings, huge strings, nested junk and prototype-key objects. */
export const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, -0.0001),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202e\u0041',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '../../etc/passwd',
    '${7*7}{{7*7}}',
    '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧‍👦',
    'NaN',
    'null',
    'true',
    '1e400',
    '9'.repeat(400),
  ),
  fc.constantFrom(2_001, 70_000, 300_000).map((n) => 'Ä'.repeat(n)),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  fc.tuple(fc.integer({ min: 20, max: 1000 }), fc.boolean()).map(([depth, array]) => nest(depth, 'x', array)),
  fc.constantFrom(...PROTO_PAYLOADS).map((text) => JSON.parse(text) as unknown),
);

const EXTRA_KEYS = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    'id',
    'isAdmin',
    'role',
    'pcn',
    'status',
    'createdAt',
    'toString',
    'hasOwnProperty',
    'a.b',
    '',
  ),
);

type Path = (string | number)[];

function pathsOf(value: unknown, path: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [];
  const out: Path[] = [];
  for (const key of Object.keys(value)) {
    const k = Array.isArray(value) ? Number(key) : key;
    out.push([...path, k]);
    out.push(...pathsOf((value as Record<string, unknown>)[key], [...path, k]));
  }
  return out;
}

function ruleAt(schema: BodySchema, path: Path): FieldRule | undefined {
  let current: BodySchema | undefined = schema;
  let rule: FieldRule | undefined;
  for (let i = 0; i < path.length; i++) {
    const step = path[i];
    if (typeof step === 'number') continue;
    rule = current && Object.hasOwn(current, step) ? current[step] : undefined;
    if (!rule) return undefined;
    current = rule.nested ?? rule.each;
  }
  return rule;
}

function containerAt(root: unknown, path: Path): Record<string, unknown> | unknown[] | undefined {
  let v: unknown = root;
  for (const step of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[step as string];
  }
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
}

type Mutation =
  | { kind: 'drop' | 'junk' | 'nearMiss' | 'otherValid'; at: number; value: unknown; pick: number }
  | { kind: 'extra' | 'proto'; at: number; key: string; value: unknown }
  | { kind: 'wrap'; how: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('drop', 'junk', 'nearMiss', 'otherValid') as fc.Arbitrary<
      'drop' | 'junk' | 'nearMiss' | 'otherValid'
    >,
    at: fc.nat(),
    value: junkValue,
    pick: fc.nat(),
  }),
  fc.record({ kind: fc.constant('extra' as const), at: fc.nat(), key: EXTRA_KEYS, value: junkValue }),
  fc.record({
    kind: fc.constant('proto' as const),
    at: fc.nat(),
    key: fc.constantFrom(...PROTOTYPE_KEYS),
    value: fc.constantFrom({ polluted: true }, 'x', null),
  }),
  fc.record({ kind: fc.constant('wrap' as const), how: fc.nat(3) }),
);

/**
 * A valid body changed in one to three places: a field dropped, set to junk, to a near miss or to
 * another valid value; an extra or prototype key added; the whole wrapped in something else. Whether
 * the result is still valid is for problemsOf to say.
 */
export function mutatedBody(
  spec: BodySpec,
  valid: fc.Arbitrary<Record<string, unknown>>,
): fc.Arbitrary<unknown> {
  const nearMisses = new Map<FieldRule, unknown[]>();
  const sampleOf = (rule: FieldRule, arb: fc.Arbitrary<unknown>, pick: number, seed: number): unknown => {
    let pool = nearMisses.get(rule);
    if (!pool) {
      pool = fc.sample(arb, { numRuns: 40, seed });
      nearMisses.set(rule, pool);
    }
    return structuredClone(pool[pick % pool.length]);
  };
  return fc
    .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 }), fc.integer())
    .map(([body, mutations, seed]) => {
      let root: unknown = structuredClone(body);
      for (const m of mutations) {
        if (m.kind === 'wrap') {
          root = [[root], { data: root }, JSON.stringify(root), null][m.how];
          continue;
        }
        const paths = pathsOf(root);
        if (m.kind === 'extra' || m.kind === 'proto') {
          const containers: Path[] = [[], ...paths.filter((p) => isPlainObject(containerAt(root, p)))];
          const target = containerAt(root, containers[m.at % containers.length]);
          if (isPlainObject(target)) withOwnKey(target, m.key, structuredClone(m.value));
          continue;
        }
        if (!paths.length) continue;
        const path = paths[m.at % paths.length];
        const parent = containerAt(root, path.slice(0, -1));
        const key = path[path.length - 1];
        if (!parent) continue;
        const rule = ruleAt(spec.schema, path);
        if (m.kind === 'drop') {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete parent[key as string];
        } else if (m.kind === 'junk' || (m.kind === 'nearMiss' && !rule?.nearMiss)) {
          (parent as Record<string, unknown>)[key as string] = structuredClone(m.value);
        } else if (m.kind === 'nearMiss' && rule?.nearMiss) {
          (parent as Record<string, unknown>)[key as string] = sampleOf(rule, rule.nearMiss, m.pick, seed);
        } else if (m.kind === 'otherValid' && rule && !rule.nested && !rule.each) {
          (parent as Record<string, unknown>)[key as string] = structuredClone(
            fc.sample(rule.valid, { numRuns: 1, seed })[0],
          );
        }
      }
      return root;
    });
}

/** Text that is not JSON at all, or JSON broken in the ways clients break it. */
export function brokenJson(valid: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    valid.chain((b) => {
      const text = JSON.stringify(b);
      return fc.nat(Math.max(0, text.length - 1)).map((cut) => text.slice(0, cut));
    }),
    valid.map((b) => JSON.stringify(b).replace(/}$/, ',}')),
    valid.map((b) => JSON.stringify(b).replace(/"/g, "'")),
    valid.map((b) => `\uFEFF${JSON.stringify(b)}`),
    valid.map((b) => `${JSON.stringify(b)}${JSON.stringify(b)}`),
    fc.constantFrom(
      '{',
      '}',
      '[',
      '{"a":}',
      '{"a":NaN}',
      '{"a":undefined}',
      '{a:1}',
      'nul',
      '\u0000',
      '{"a":"\\x41"}',
    ),
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom(5000, 20000).map((depth) => '['.repeat(depth)),
  );
}

export type Parsed = { ok: true; value: unknown } | { ok: false };

/**
 * A JSON body as Express's parser reads it: a leading byte-order mark dropped, an empty body an empty
 * object, and (strict mode) only an object or an array at the top.
 */
export function parseLikeTheServer(text: string): Parsed {
  const t = text.replace(/^\uFEFF/, '');
  if (t.length === 0) return { ok: true, value: {} };
  const first = /^[ \t\n\r]*(.)/s.exec(t)?.[1];
  if (first !== '{' && first !== '[') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(t) as unknown };
  } catch {
    return { ok: false };
  }
}
