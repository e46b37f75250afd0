import {
  CLOSE_REASONS,
  CONSENT_METHODS,
  ICS_CODE_PATTERN,
  LANGUAGE_CODE_PATTERN,
  NEED_CODES,
  OFFER_DECLINE_REASONS,
  OFFER_OUTCOMES,
  OUTCOME_ITEM_RULES,
  OUTCOME_MEASURES,
  OUTCOME_STAGES,
  PCN_CODE_PATTERN,
  SERVICE_MODES,
  SHORT_CODE_PATTERN,
  type OutcomeMeasure,
} from '@sp/contracts';
import { isBelievableBirthDate, isPracticeCode, NhsNumber, Postcode } from '@sp/domain';
import {
  arrayMaxSize,
  arrayMinSize,
  arrayUnique,
  isArray,
  isBoolean,
  isEmail,
  isIn,
  isInt,
  isNotEmpty,
  isNumber,
  isString,
  isUUID,
  matches,
  max,
  maxLength,
  min,
  minLength,
} from 'class-validator';
import fc from 'fast-check';
import {
  all,
  nestedObject,
  type BodySchema,
  type BodySpec,
  type Check,
  type FieldRule,
} from './support/body-oracle';

/**
 * The routes that take a body, what each body must be (written from CONTRACT.md and the DTOs' rules,
 * not imported from them), and where each is aimed so that a body the platform accepts still changes
 * nothing: a decision already taken (409), a scope the caller lacks (403/404), an unknown organisation
 * (400 naming only that field). Only POST /organisations writes for a valid body, and the spec counts
 * exactly those rows.
 */

/** Objects seeded for fuzzing, each in a state where a valid request is refused after validation. */
export interface FuzzFixtures {
  ownPcn: string;
  otherPcn: string;
  /** Consent granted, assessed, an offer pending, every outcome stage recorded. */
  referralG: string;
  pendingOfferG: string;
  /** An accepted offer. */
  acceptedOfferH: string;
  /** A closed referral. */
  closedReferralC: string;
  /** A withdrawn consent. */
  withdrawnConsentW: string;
  /** A service of organisation A. */
  serviceF: string;
}

export type FuzzCaller = 'link_worker' | 'pcn_ops' | 'admin' | 'vcso_coordinator' | 'other_coordinator';

export interface Expected {
  status: number;
  /** For a 400: exactly these top-level fields are named. */
  fields?: string[];
}

export interface FuzzTarget {
  key: string;
  method: 'POST' | 'PUT';
  path: string;
  caller: FuzzCaller;
  /** Absent: the route reads no body (any JSON object or array is ignored). */
  spec?: BodySpec;
  /** What a body that passes validation gets. */
  accepted: (body: Record<string, unknown>) => Expected;
  /** The owning service's database and the tables its requests write, counted before and after. */
  database: string;
  tables: string[];
  /** Tables a valid body adds exactly one row to. */
  grows?: string[];
}

// Field checks in class-validator's own terms (its standalone functions), combined as the DTOs say.
const str = (n: number) => all(isString, (v) => maxLength(v, n));
const nonEmpty = (n: number) => all(isString, isNotEmpty, (v) => maxLength(v, n));
const oneOf = (values: readonly unknown[]) => (v: unknown) => isIn(v, [...values]);
const intIn = (lo: number, hi: number) =>
  all(
    isInt,
    (v) => min(v, lo),
    (v) => max(v, hi),
  );
const uuid = (v: unknown) => isString(v) && isUUID(v, 'all');
const match = (pattern: RegExp) => (v: unknown) => isString(v) && matches(v, pattern);

const NAME = /^[\p{L}\p{M}][\p{L}\p{M} '.-]*$/u;
const PHONE = /^\+?(?:[0-9][ ()-]?){7,15}$/;
const PRACTICE = (v: unknown) => isString(v) && /^[A-Z]\d{5}$/.test(v) && isPracticeCode(v);

const needsRule = (checkMax: number): FieldRule => ({
  check: all(
    isArray,
    (v) => arrayMinSize(v, 1),
    (v) => arrayMaxSize(v, checkMax),
    (v) => arrayUnique(v as unknown[]),
    (v) => (v as unknown[]).every((x) => isIn(x, [...NEED_CODES])),
  ),
  valid: fc.uniqueArray(fc.constantFrom(...NEED_CODES), { minLength: 1, maxLength: 4 }),
  nearMiss: fc.constantFrom(
    [],
    ['loneliness', 'loneliness'],
    ['Loneliness'],
    ['unknown-need'],
    'loneliness',
    [1],
  ),
});

const shortCodes = (maxItems: number): Check =>
  all(
    isArray,
    (v) => arrayMaxSize(v, maxItems),
    (v) => (v as unknown[]).every((x) => isString(x) && maxLength(x, 40) && match(SHORT_CODE_PATTERN)(x)),
  );

/** Deterministic test NHS numbers (the 999 range, never issued). */
const nhsNumber = fc.integer().map((seed) => {
  let s = seed >>> 0;
  const rng = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return NhsNumber.generateTestNumber(rng).value;
});

function referralSchema(otherPcn: string): BodySchema {
  return {
    pcnCode: {
      check: all(isString, match(PCN_CODE_PATTERN)),
      // Never the caller's own PCN: a valid body must not create a referral.
      valid: fc.constantFrom(otherPcn, 'U49999'),
      nearMiss: fc.constantFrom('U4000', 'u40002', 'P40002', 'U400021', '', ' U40002'),
    },
    practiceCode: {
      check: PRACTICE,
      valid: fc.constantFrom('P40001', 'P40002', 'Y12345'),
      nearMiss: fc.constantFrom('U40001', 'p40001', 'P4000', 'PP40001', 'P400011'),
    },
    referrer: {
      check: nestedObject,
      nested: {
        name: { check: nonEmpty(100), valid: fc.constantFrom('Dr A Patel', 'Dr Zoë Ørsted') },
        role: { check: nonEmpty(50), valid: fc.constantFrom('GP', 'Practice nurse') },
      },
      valid: fc.constant(null),
    },
    patient: {
      check: nestedObject,
      nested: {
        nhsNumber: {
          check: all(
            isString,
            (v) => maxLength(v, 12),
            (v) => NhsNumber.isValid(v),
          ),
          valid: nhsNumber,
          nearMiss: fc.constantFrom('9434765918', '943476591', '94347659190', '943 476 591 9', 9434765919),
        },
        givenName: {
          check: all(isString, isNotEmpty, (v) => maxLength(v, 100), match(NAME)),
          valid: fc.constantFrom('Ann', 'Zoë', 'Łukasz', 'Nguyễn', 'José María'),
          nearMiss: fc.constantFrom('Ann1', '<b>Ann</b>', ' Ann', '-Ann', 'A'.repeat(101)),
        },
        familyName: {
          check: all(isString, isNotEmpty, (v) => maxLength(v, 100), match(NAME)),
          valid: fc.constantFrom("O'Neil", 'Anne-Marie', 'Smith'),
          nearMiss: fc.constantFrom('Smith;', '', '\u0000'),
        },
        birthDate: {
          check: all(
            isString,
            (v) => maxLength(v, 10),
            (v) => /^\d{4}-\d{2}-\d{2}$/.test(v as string) && isBelievableBirthDate(v as string),
          ),
          valid: fc.constantFrom('1950-03-02', '1988-11-30', '2001-01-01'),
          nearMiss: fc.constantFrom('2099-01-01', '1850-01-01', '1990-02-30', '01/02/1990', '1990-1-1'),
        },
        postcode: {
          check: all(
            isString,
            (v) => maxLength(v, 10),
            (v) => Postcode.isValid(v),
          ),
          valid: fc.constantFrom('LS6 2AB', 'ls62ab', 'SW1A 1AA', 'M1 1AE'),
          nearMiss: fc.constantFrom('LS6', 'XX', 'LS6 2AB LS', '12345'),
        },
        phone: {
          required: false,
          check: all(isString, (v) => maxLength(v, 20), match(PHONE)),
          valid: fc.constantFrom('07700 900123', '+44 7700 900123'),
          nearMiss: fc.constantFrom('123', 'call me', '0770090012345678'),
        },
        email: {
          required: false,
          check: all(
            isString,
            (v) => maxLength(v, 254),
            (v) => isEmail(v),
          ),
          valid: fc.constantFrom('ann@example.org'),
          nearMiss: fc.constantFrom('ann@', 'ann', '@example.org', 'a b@example.org'),
        },
        preferredLanguage: {
          required: false,
          check: all(isString, match(LANGUAGE_CODE_PATTERN)),
          valid: fc.constantFrom('en', 'pl', 'ur'),
          nearMiss: fc.constantFrom('EN', 'eng', 'e'),
        },
        accessibilityNeeds: {
          required: false,
          check: (v, parent) => shortCodes(20)(v, parent) && arrayUnique(v as unknown[]),
          valid: fc.constantFrom(['wheelchair'], ['bsl', 'step-free'], []),
          nearMiss: fc.constantFrom(['Wheelchair'], ['a', 'a'], 'wheelchair', [['x']]),
        },
      },
      valid: fc.constant(null),
    },
    needs: needsRule(NEED_CODES.length),
    notes: {
      required: false,
      check: str(2000),
      valid: fc.constantFrom('Prefers mornings', ''),
      nearMiss: fc.constant('n'.repeat(2001)),
    },
  };
}

const scoresOf = (measure: OutcomeMeasure) => {
  const r = OUTCOME_ITEM_RULES[measure];
  return fc.array(fc.integer({ min: r.min, max: r.max }), { minLength: r.items, maxLength: r.items });
};

export function fuzzTargets(fx: FuzzFixtures): FuzzTarget[] {
  const intake = 'sp_referral_intake';
  const intakeTables = [
    'referral',
    'referral_identity',
    'referral_timeline',
    'referral_outcome',
    'audit_log',
    'idempotency_key',
    'pcn',
    'practice',
    'outbox',
  ];
  const conflict = () => ({ status: 409 });
  return [
    {
      key: 'POST /api/v1/referrals',
      method: 'POST',
      path: '/api/v1/referrals',
      caller: 'link_worker',
      spec: { schema: referralSchema(fx.otherPcn) },
      // Valid, but for another PCN than the caller's: refused after validation, naming no value.
      accepted: () => ({ status: 403 }),
      database: intake,
      tables: intakeTables,
    },
    {
      key: 'POST /api/v1/referrals/{id}/assessment',
      method: 'POST',
      path: `/api/v1/referrals/${fx.referralG}/assessment`,
      caller: 'link_worker',
      spec: {
        schema: {
          needs: needsRule(NEED_CODES.length),
          notesForVcso: { required: false, check: str(2000), valid: fc.constantFrom('Mornings', '') },
          autoOffer: {
            required: false,
            check: isBoolean,
            valid: fc.boolean(),
            nearMiss: fc.constantFrom('true', 1, 0),
          },
        },
      },
      accepted: conflict,
      database: intake,
      tables: intakeTables,
    },
    {
      key: 'POST /api/v1/referrals/{id}/close',
      method: 'POST',
      path: `/api/v1/referrals/${fx.closedReferralC}/close`,
      caller: 'link_worker',
      spec: {
        schema: {
          reason: {
            check: oneOf(CLOSE_REASONS),
            valid: fc.constantFrom(...CLOSE_REASONS),
            nearMiss: fc.constantFrom('Other', 'closed', ''),
          },
        },
      },
      accepted: conflict,
      database: intake,
      tables: intakeTables,
    },
    {
      key: 'POST /api/v1/referrals/{id}/outcomes',
      method: 'POST',
      path: `/api/v1/referrals/${fx.referralG}/outcomes`,
      caller: 'link_worker',
      spec: {
        schema: {
          measure: {
            check: oneOf(OUTCOME_MEASURES),
            valid: fc.constantFrom(...OUTCOME_MEASURES),
            nearMiss: fc.constantFrom('ONS4', 'wemwbs', ''),
          },
          stage: {
            check: oneOf(OUTCOME_STAGES),
            valid: fc.constantFrom(...OUTCOME_STAGES),
            nearMiss: fc.constantFrom('followup', 'final'),
          },
          scores: {
            check: (v, body) => {
              if (!isArray(v)) return false;
              if (!isIn(body.measure, [...OUTCOME_MEASURES])) return true;
              return (v as unknown[]).length === OUTCOME_ITEM_RULES[body.measure as OutcomeMeasure].items;
            },
            valid: fc.constantFrom(...OUTCOME_MEASURES).chain(scoresOf),
            nearMiss: fc.constantFrom(
              [1, 2, 3],
              [0, 0, 0, 11],
              [1.5, 2, 3, 4],
              ['1', 2, 3, 4],
              [-1, 2, 3, 4],
            ),
          },
        },
        // Each score inside its measure's range, named by position (the service's own check).
        after: (b) => {
          const r = OUTCOME_ITEM_RULES[b.measure as OutcomeMeasure];
          const scores = b.scores as unknown[];
          return scores.some(
            (x) => !(Number.isInteger(x) && (x as number) >= r.min && (x as number) <= r.max),
          )
            ? ['scores']
            : [];
        },
      },
      accepted: conflict,
      database: intake,
      tables: intakeTables,
    },
    {
      key: 'POST /api/v1/pcns',
      method: 'POST',
      path: '/api/v1/pcns',
      caller: 'admin',
      spec: {
        schema: {
          // PCNs that exist: a valid body is a 409.
          code: {
            check: all(isString, match(PCN_CODE_PATTERN)),
            valid: fc.constantFrom(fx.ownPcn, fx.otherPcn),
            nearMiss: fc.constantFrom('U4000', 'X40001', 'u40001'),
          },
          name: { check: nonEmpty(200), valid: fc.constantFrom('Riverside PCN', 'Ærø PCN') },
          icsCode: {
            check: all(isString, match(ICS_CODE_PATTERN)),
            valid: fc.constantFrom('QA4', 'QZ9'),
            nearMiss: fc.constantFrom('qa4', 'Q4', 'QAAA'),
          },
          practices: {
            check: all(
              isArray,
              (v) => arrayMinSize(v, 1),
              (v) => arrayMaxSize(v, 200),
            ),
            each: {
              code: { check: PRACTICE, valid: fc.constantFrom('P41001', 'P41002', 'Y41003') },
              name: { check: nonEmpty(200), valid: fc.constantFrom('Riverside Surgery') },
              postcode: {
                check: all(
                  isString,
                  (v) => maxLength(v, 10),
                  (v) => Postcode.isValid(v),
                ),
                valid: fc.constantFrom('LS6 1AA', 'M1 1AE'),
              },
            },
            valid: fc.constant(null),
            nearMiss: fc.constantFrom([], {}, [1], 'P41001'),
          },
          settings: {
            required: false,
            check: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
            nested: {
              offerExpiryDays: {
                required: false,
                check: intIn(1, 90),
                valid: fc.integer({ min: 1, max: 90 }),
                nearMiss: fc.constantFrom(0, 91, 1.5, '14'),
              },
              autoOffer: { required: false, check: isBoolean, valid: fc.boolean() },
            },
            valid: fc.constant(null),
          },
        },
        // A practice listed twice is named by the service once the DTO passes.
        after: (b) => {
          const codes = (b.practices as { code: string }[]).map((p) => p.code);
          return new Set(codes).size === codes.length ? [] : ['practices'];
        },
      },
      accepted: conflict,
      database: intake,
      tables: intakeTables,
    },
    {
      key: 'POST /api/v1/consents',
      method: 'POST',
      path: '/api/v1/consents',
      caller: 'link_worker',
      spec: {
        schema: {
          referralId: {
            check: uuid,
            valid: fc.constant(fx.referralG),
            nearMiss: fc.constantFrom(fx.referralG.replace(/-/g, ''), `${fx.referralG}x`, 'not-a-uuid'),
          },
          decision: {
            check: oneOf(['granted', 'declined']),
            valid: fc.constantFrom('granted', 'declined'),
            nearMiss: fc.constantFrom('yes', 'GRANTED'),
          },
          method: { check: oneOf(CONSENT_METHODS), valid: fc.constantFrom(...CONSENT_METHODS) },
          shareWithVcso: { check: isBoolean, valid: fc.boolean(), nearMiss: fc.constantFrom('true', 1) },
        },
      },
      // G's decision already stands; any other referral id reads as unknown.
      accepted: (b) => ({ status: String(b.referralId).toLowerCase() === fx.referralG ? 409 : 404 }),
      database: 'sp_consent',
      tables: ['consents', 'outbox'],
    },
    {
      key: 'POST /api/v1/consents/{id}/withdraw',
      method: 'POST',
      path: `/api/v1/consents/${fx.withdrawnConsentW}/withdraw`,
      caller: 'link_worker',
      spec: {
        schema: {
          reason: {
            required: false,
            check: oneOf(['person-request', 'recorded-in-error', 'lacks-capacity', 'other']),
            valid: fc.constantFrom('person-request', 'recorded-in-error', 'lacks-capacity', 'other'),
            nearMiss: fc.constantFrom('because', 'Person-Request'),
          },
        },
      },
      accepted: conflict,
      database: 'sp_consent',
      tables: ['consents', 'outbox'],
    },
    {
      key: 'POST /api/v1/offers',
      method: 'POST',
      path: '/api/v1/offers',
      caller: 'link_worker',
      spec: {
        schema: {
          referralId: {
            check: uuid,
            valid: fc.constant(fx.referralG),
            nearMiss: fc.constantFrom('not-a-uuid', fx.referralG.slice(1)),
          },
          serviceId: { check: uuid, valid: fc.uuid(), nearMiss: fc.constantFrom('svc-1', '') },
        },
      },
      // G already holds an open offer; any other referral id reads as unknown.
      accepted: (b) => ({ status: String(b.referralId).toLowerCase() === fx.referralG ? 409 : 404 }),
      database: 'sp_matching',
      tables: ['offers', 'outbox'],
    },
    ...(['accept', 'decline', 'complete'] as const).map((action): FuzzTarget => ({
      key: `POST /api/v1/offers/{id}/${action}`,
      method: 'POST',
      path: `/api/v1/offers/${action === 'complete' ? fx.pendingOfferG : fx.acceptedOfferH}/${action}`,
      caller: 'vcso_coordinator',
      spec:
        action === 'accept'
          ? undefined
          : action === 'decline'
            ? {
                schema: {
                  reason: {
                    check: oneOf(OFFER_DECLINE_REASONS),
                    valid: fc.constantFrom(...OFFER_DECLINE_REASONS),
                    nearMiss: fc.constantFrom('full', ''),
                  },
                },
              }
            : {
                schema: {
                  outcome: {
                    check: oneOf(OFFER_OUTCOMES),
                    valid: fc.constantFrom(...OFFER_OUTCOMES),
                    nearMiss: fc.constantFrom('done', 'DNA'),
                  },
                },
              },
      // H is accepted (accept and decline need a pending offer); G is pending (complete needs accepted).
      accepted: conflict,
      database: 'sp_matching',
      tables: ['offers', 'outbox'],
    })),
    {
      key: 'POST /api/v1/organisations',
      method: 'POST',
      path: '/api/v1/organisations',
      caller: 'pcn_ops',
      spec: {
        schema: {
          name: {
            check: all(
              isString,
              (v) => minLength(v, 1),
              (v) => maxLength(v, 200),
            ),
            valid: fc.constantFrom('Befrienders', 'Åland Walkers'),
          },
          icsCode: {
            // The DTO trims and upper-cases before matching.
            check: (v) => isString(v) && ICS_CODE_PATTERN.test(v.trim().toUpperCase()),
            valid: fc.constantFrom('QA4', ' qb4 ', 'qz9'),
            nearMiss: fc.constantFrom('Q4', 'QAAA', 'A44'),
          },
          charityNumber: {
            required: false,
            check: all(isString, match(/^[0-9]{6,8}(-[0-9]{1,2})?$|^SC[0-9]{6}$/)),
            valid: fc.constantFrom('1234567', 'SC012345', '123456-1'),
            nearMiss: fc.constantFrom('12345', 'SC12345', 'charity'),
          },
          contactEmail: {
            check: all(isEmail, (v) => maxLength(v, 254)),
            valid: fc.constantFrom('team@example.org'),
            nearMiss: fc.constantFrom('team@', 'team'),
          },
        },
      },
      accepted: () => ({ status: 201 }),
      database: 'sp_vcso_capacity',
      tables: ['organisations', 'vcso_services', 'outbox'],
      grows: ['organisations'],
    },
    {
      key: 'POST /api/v1/services',
      method: 'POST',
      path: '/api/v1/services',
      caller: 'pcn_ops',
      spec: {
        schema: {
          organisationId: { check: uuid, valid: fc.uuid(), nearMiss: fc.constantFrom('org-1', '') },
          name: {
            check: all(
              isString,
              (v) => minLength(v, 1),
              (v) => maxLength(v, 200),
            ),
            valid: fc.constant('Walks'),
          },
          needs: {
            ...needsRule(NEED_CODES.length),
            check: all(
              isArray,
              (v) => arrayMinSize(v, 1),
              (v) => arrayUnique(v as unknown[]),
              (v) => (v as unknown[]).every((x) => isIn(x, [...NEED_CODES])),
            ),
          },
          postcode: {
            check: (v) => isString(v) && (Postcode.isValid(v) || Postcode.isValidDistrict(v)),
            valid: fc.constantFrom('LS6 1AA', 'LS6', 'SW1A', 'm1 1ae'),
            nearMiss: fc.constantFrom('LS', '123', 'LS6 1AA 1'),
          },
          radiusKm: {
            check: all(
              (v) => isNumber(v, { allowNaN: false, allowInfinity: false }),
              (v) => min(v, 0),
              (v) => max(v, 500),
            ),
            valid: fc.double({ min: 0, max: 500, noNaN: true }),
            nearMiss: fc.constantFrom(-1, 501, '5'),
          },
          minAge: { required: false, check: intIn(0, 120), valid: fc.integer({ min: 0, max: 120 }) },
          maxAge: { required: false, check: intIn(0, 120), valid: fc.integer({ min: 0, max: 120 }) },
          languages: {
            required: false,
            check: all(
              isArray,
              (v) => arrayMaxSize(v, 30),
              (v) => (v as unknown[]).every((x) => match(LANGUAGE_CODE_PATTERN)(x)),
            ),
            valid: fc.constantFrom(['en'], ['en', 'pl'], []),
            nearMiss: fc.constantFrom(['EN'], 'en'),
          },
          accessibility: {
            required: false,
            check: shortCodes(30),
            valid: fc.constantFrom(['step-free'], []),
            nearMiss: fc.constantFrom(['Step Free'], ['x'.repeat(41)]),
          },
          mode: {
            check: oneOf(SERVICE_MODES),
            valid: fc.constantFrom(...SERVICE_MODES),
            nearMiss: fc.constantFrom('video', 'Online'),
          },
          maxActive: { check: intIn(0, 100000), valid: fc.integer({ min: 0, max: 100000 }) },
          weeklyIntake: { check: intIn(0, 10000), valid: fc.integer({ min: 0, max: 10000 }) },
        },
        after: (b) =>
          typeof b.minAge === 'number' && typeof b.maxAge === 'number' && b.minAge > b.maxAge
            ? ['maxAge']
            : [],
      },
      // An organisation that does not exist: the only field named.
      accepted: () => ({ status: 400, fields: ['organisationId'] }),
      database: 'sp_vcso_capacity',
      tables: ['organisations', 'vcso_services', 'outbox'],
    },
    {
      key: 'PUT /api/v1/services/{id}/capacity',
      method: 'PUT',
      path: `/api/v1/services/${fx.serviceF}/capacity`,
      // Another organisation's coordinator: a valid body reads the service as absent.
      caller: 'other_coordinator',
      spec: {
        schema: {
          maxActive: { required: false, check: intIn(0, 100000), valid: fc.integer({ min: 0, max: 100000 }) },
          weeklyIntake: {
            required: false,
            check: intIn(0, 10000),
            valid: fc.integer({ min: 0, max: 10000 }),
          },
          status: {
            required: false,
            check: oneOf(['open', 'paused']),
            valid: fc.constantFrom('open', 'paused'),
            nearMiss: fc.constantFrom('full', 'limited'),
          },
          reason: {
            required: false,
            check: all(isString, (v) => maxLength(v, 40), match(SHORT_CODE_PATTERN)),
            valid: fc.constantFrom('volunteer-shortage', 'holiday'),
            nearMiss: fc.constantFrom('Volunteer shortage', 'x'.repeat(41)),
          },
          reopenOn: {
            required: false,
            check: all(isString, (v) =>
              /^\d{4}-\d{2}-\d{2}$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(
                v as string,
              ),
            ),
            valid: fc.constantFrom('2031-06-01', '2031-06-01T10:00:00Z'),
            nearMiss: fc.constantFrom('2020-01-01', 'tomorrow', '2031-06-01 10:00'),
          },
        },
        // The service's own rules: a reopening date (sent at all, even null) must lie ahead, and an
        // opening takes neither a reason nor a date.
        after: (b) => {
          if (b.reopenOn !== undefined) {
            const v = b.reopenOn;
            const at =
              typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)
                ? new Date(`${v}T00:00:00Z`)
                : new Date(v as string);
            if (Number.isNaN(at.getTime()) || at.getTime() <= Date.now()) return ['reopenOn'];
          }
          if (b.status === 'open' && (b.reopenOn !== undefined || b.reason !== undefined)) {
            return [b.reopenOn !== undefined ? 'reopenOn' : 'reason'];
          }
          return [];
        },
      },
      accepted: () => ({ status: 404 }),
      database: 'sp_vcso_capacity',
      tables: ['organisations', 'vcso_services', 'outbox'],
    },
  ];
}
