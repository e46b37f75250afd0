/**
 * Invented people and their needs for the demo and the traffic simulator: valid in every field the
 * intake checks (test-range NHS numbers, believable birth dates, postcodes of the PCN's districts,
 * Ofcom's drama phone numbers, example.com addresses), and drawn from a seeded generator so a run
 * can be repeated.
 */
import type { NeedCode } from '@sp/contracts';
import { NhsNumber } from '@sp/domain';

export type Rng = () => number;

/** mulberry32: small, fast and good enough to pick names and delays reproducibly. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length) % xs.length];
export const between = (rng: Rng, min: number, max: number) => min + Math.floor(rng() * (max - min + 1));
export const chance = (rng: Rng, p: number) => rng() < p;

/** One draw from weighted choices. */
export function weighted<T>(rng: Rng, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((s, [, w]) => s + w, 0);
  let x = rng() * total;
  for (const [value, w] of choices) {
    x -= w;
    if (x < 0) return value;
  }
  return choices[choices.length - 1][0];
}

/**
 * How often each need is named on a referral, roughly as English link-worker caseloads report them:
 * low mood and isolation lead, then money, activity and long-term conditions; housing, carers and
 * bereavement are frequent enough to matter; digital inclusion and parenting are the long tail.
 */
export const NEED_WEIGHTS: readonly (readonly [NeedCode, number])[] = [
  ['mental-wellbeing', 30],
  ['loneliness', 28],
  ['money', 14],
  ['physical-activity', 12],
  ['long-term-condition', 10],
  ['housing', 8],
  ['carers', 6],
  ['healthy-eating', 5],
  ['bereavement', 5],
  ['employment', 5],
  ['nature', 4],
  ['arts-culture', 4],
  ['digital-inclusion', 3],
  ['family-parenting', 3],
];

/** One to three distinct needs (most referrals name one or two). */
export function needMix(rng: Rng): NeedCode[] {
  const how = weighted(rng, [
    [1, 55],
    [2, 33],
    [3, 12],
  ] as const);
  const needs: NeedCode[] = [];
  while (needs.length < how) {
    const n = weighted(
      rng,
      NEED_WEIGHTS.filter(([c]) => !needs.includes(c)),
    );
    needs.push(n);
  }
  return needs;
}

const GIVEN = [
  'Ada',
  'Alan',
  'Amira',
  'Beatrice',
  'Bilal',
  'Carol',
  'Colin',
  'Daphne',
  'Declan',
  'Edith',
  'Farah',
  'Frank',
  'Gloria',
  'Harold',
  'Imran',
  'Irene',
  'Jack',
  'Janet',
  'Kamal',
  'Kathleen',
  'Leon',
  'Lorna',
  'Marek',
  'Margaret',
  'Nasreen',
  'Norman',
  'Olive',
  'Patrick',
  'Priya',
  'Ruth',
  'Samir',
  'Shirley',
  'Stanley',
  'Tariq',
  'Una',
  'Vera',
  'Walter',
  'Yasmin',
  'Zofia',
];
const FAMILY = [
  'Ackroyd',
  'Ahmed',
  'Atkinson',
  'Barraclough',
  'Begum',
  'Brook',
  'Clough',
  'Dobson',
  'Ellis',
  'Firth',
  'Greenwood',
  'Haigh',
  'Hussain',
  'Illingworth',
  'Kaur',
  'Kowalski',
  'Lumb',
  'Mahmood',
  'Murgatroyd',
  "O'Neill",
  'Pickles',
  'Rahman',
  'Sutcliffe',
  'Thornton',
  'Whiteley',
  'Wood',
  'Nowak',
  'Singh',
];
const REFERRER_ROLES = ['GP', 'GP', 'Practice nurse', 'Clinical pharmacist', 'Physiotherapist'];
// Postcode inward letters never use C, I, K, M, O or V.
const INWARD_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';

export interface FakePerson {
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  postcode: string;
  phone?: string;
  email?: string;
  preferredLanguage?: string;
  accessibilityNeeds?: string[];
}

/** A person living in one of `districts`; most are adults, a good share over 65, a few young. */
export function fakePerson(rng: Rng, districts: readonly string[], now = new Date()): FakePerson {
  const age = weighted(rng, [
    [between(rng, 16, 25), 10],
    [between(rng, 26, 49), 30],
    [between(rng, 50, 64), 25],
    [between(rng, 65, 92), 35],
  ] as const);
  const birth = new Date(
    Date.UTC(now.getUTCFullYear() - age - 1, between(rng, 0, 11), between(rng, 1, 28)) +
      between(rng, 0, 300) * 86_400_000,
  );
  const givenName = pick(rng, GIVEN);
  const familyName = pick(rng, FAMILY);
  const inward = `${between(rng, 1, 9)}${pick(rng, [...INWARD_LETTERS])}${pick(rng, [...INWARD_LETTERS])}`;
  const person: FakePerson = {
    nhsNumber: NhsNumber.generateTestNumber(rng).value,
    givenName,
    familyName,
    birthDate: birth.toISOString().slice(0, 10),
    postcode: `${pick(rng, districts)} ${inward}`,
  };
  // 07700 900000-900999 is the range Ofcom keeps for drama: never a real line.
  if (chance(rng, 0.8)) person.phone = `07700 900${String(between(rng, 0, 999)).padStart(3, '0')}`;
  if (chance(rng, 0.35))
    person.email = `${givenName}.${familyName}`.toLowerCase().replace(/[^a-z.]/g, '') + '@example.com';
  const language = weighted(rng, [
    [undefined, 80],
    ['en', 12],
    ['ur', 3],
    ['pa', 2],
    ['pl', 3],
  ] as const);
  if (language) person.preferredLanguage = language;
  if (chance(rng, 0.08)) person.accessibilityNeeds = [pick(rng, ['step-free', 'hard-of-hearing'])];
  return person;
}

export function fakeReferrer(rng: Rng): { name: string; role: string } {
  return { name: `Dr ${pick(rng, GIVEN)[0]} ${pick(rng, FAMILY)}`, role: pick(rng, REFERRER_ROLES) };
}

/**
 * ONS4 answers (0-10: life satisfaction, worthwhile, happy yesterday, anxious yesterday) and the seven
 * SWEMWBS items (1-5): low-ish at baseline as people referred tend to be, somewhat better at follow-up
 * (anxiety, the fourth ONS4 item, falls when things improve).
 */
export function wellbeingScores(rng: Rng, measure: 'ons4' | 'swemwbs', baseline?: number[]): number[] {
  if (measure === 'ons4') {
    if (!baseline) return [between(rng, 2, 6), between(rng, 3, 7), between(rng, 2, 6), between(rng, 5, 9)];
    return baseline.map((v, i) =>
      i === 3 ? Math.max(0, v - between(rng, 0, 3)) : Math.min(10, v + between(rng, -1, 3)),
    );
  }
  if (!baseline) return Array.from({ length: 7 }, () => between(rng, 1, 4));
  return baseline.map((v) => Math.min(5, Math.max(1, v + between(rng, -1, 2))));
}
