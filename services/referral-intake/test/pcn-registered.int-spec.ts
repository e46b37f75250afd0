import { fromKafkaMessage, validateEvent, type CloudEvent, type PcnRegisteredV1 } from '@sp/contracts';
import { waitFor } from '@sp/testing';
import { randomInt } from 'node:crypto';
import { call, IntakeHarness, tokenFor, type CollectedMessage } from './intake-fixtures';

/**
 * `POST /pcns` publishes pcn.registered.v1 on sp.referral.events.v1, through the outbox, once per
 * accepted change: keyed by the PCN code, with the ICS, the practices' codes and districts and the
 * settings, and none of the practices' names or full postcodes.
 */
const h = new IntakeHarness();
let admin: string;
// PCN and practice codes of this run, so earlier runs' events on the shared topic never match.
const n = randomInt(0, 100000);
const code = (letter: string, i: number) => `${letter}${String((n + i) % 100000).padStart(5, '0')}`;
const PCN_A = code('U', 0);
const PCN_B = code('U', 1);
const PCN_BAD = code('U', 2);
const MARKER = code('U', 3);
const practice = (i: number) => code('K', i);
const PRACTICES = [
  { code: practice(1), name: 'Zanzibar Lane Surgery', postcode: 'LS6 1AA' },
  { code: practice(2), name: 'Quorndon Medical Practice', postcode: 'ls4 2pq' },
];

function decode(m: CollectedMessage): CloudEvent {
  return fromKafkaMessage({
    key: Buffer.from(m.key),
    value: Buffer.from(m.value),
    headers: JSON.parse(m.headers) as Record<string, string>,
  } as unknown as Parameters<typeof fromKafkaMessage>[0]);
}

/** This run's pcn.registered.v1 messages for `pcnCode`, in offset order per partition. */
function registrations(pcnCode: string): CollectedMessage[] {
  return h.collected.filter((m) => m.key === pcnCode && m.headers.includes('"ce_type":"pcn.registered.v1"'));
}

async function outboxRows(pcnCode: string): Promise<number> {
  const [{ count }]: { count: number }[] = await h.ds.query(
    `SELECT count(*)::int AS count FROM outbox WHERE type = 'pcn.registered.v1' AND key = $1`,
    [pcnCode],
  );
  return count;
}

beforeAll(async () => {
  await h.start();
  admin = await tokenFor({ sub: 'admin-pcn', role: 'admin' });
}, 180_000);

afterAll(async () => {
  await h.stop();
});

describe('pcn.registered.v1', () => {
  it('is published once when a PCN is registered, keyed by its code, without personal data', async () => {
    const res = await call<{ createdAt: string }>('POST', '/pcns', admin, {
      code: PCN_A,
      name: 'Harbourside\nPCN',
      icsCode: 'QWO',
      practices: PRACTICES,
      settings: { offerExpiryDays: 21, autoOffer: true },
    });
    expect(res.status).toBe(201);
    const [message] = await waitFor(() => (registrations(PCN_A).length ? registrations(PCN_A) : undefined), {
      timeoutMs: 30_000,
      message: `pcn.registered.v1 for ${PCN_A} on sp.referral.events.v1`,
    });
    const ev = decode(message);
    expect(validateEvent(ev)).toEqual([]);
    expect(ev.subject).toBe(PCN_A);
    expect(ev.source).toContain('referral-intake');
    expect(ev.data).toEqual<PcnRegisteredV1>({
      pcnCode: PCN_A,
      name: 'Harbourside PCN', // one line on the topic
      icsCode: 'QWO',
      practices: [
        { code: PRACTICES[0].code, postcodeDistrict: 'LS6' },
        { code: PRACTICES[1].code, postcodeDistrict: 'LS4' },
      ],
      settings: { offerExpiryDays: 21, autoOffer: true },
      registeredAt: res.body.createdAt,
    });
    // The practices' names and full postcodes stay in intake, in any spelling.
    for (const p of PRACTICES) {
      const raw = `${message.value} ${message.headers}`.toUpperCase().replace(/\s+/g, '');
      expect(raw).not.toContain(p.postcode.toUpperCase().replace(/\s+/g, ''));
      expect(raw).not.toContain(p.name.toUpperCase().replace(/\s+/g, ''));
    }
  });

  it('carries the default settings when the request names none', async () => {
    expect(
      (
        await call('POST', '/pcns', admin, {
          code: PCN_B,
          name: 'Moorland PCN',
          icsCode: 'QXY',
          practices: [{ code: practice(3), name: 'Moorland Surgery', postcode: 'YO1 7HH' }],
        })
      ).status,
    ).toBe(201);
    const [message] = await waitFor(() => (registrations(PCN_B).length ? registrations(PCN_B) : undefined), {
      timeoutMs: 30_000,
      message: `pcn.registered.v1 for ${PCN_B}`,
    });
    expect(decode(message).data).toMatchObject({
      icsCode: 'QXY',
      practices: [{ code: practice(3), postcodeDistrict: 'YO1' }],
      settings: { offerExpiryDays: 14, autoOffer: false },
    });
  });

  it('is not published for a request refused (a duplicate, bad input): once per accepted change', async () => {
    const again = await call('POST', '/pcns', admin, {
      code: PCN_A,
      name: 'Harbourside PCN',
      icsCode: 'QAA',
      practices: [{ code: practice(4), name: 'Other Surgery', postcode: 'LS1 4AP' }],
    });
    expect(again.status).toBe(409);
    const bad = await call('POST', '/pcns', admin, {
      code: PCN_BAD,
      name: 'Nowhere PCN',
      icsCode: 'QWO',
      practices: [{ code: practice(5), name: 'Nowhere Surgery', postcode: 'not a postcode' }],
    });
    expect(bad.status).toBe(400);
    // A practice another PCN holds: refused after the PCN row was inserted, so the outbox row must go too.
    const taken = await call('POST', '/pcns', admin, {
      code: PCN_BAD,
      name: 'Nowhere PCN',
      icsCode: 'QWO',
      practices: [{ code: PRACTICES[0].code, name: 'Zanzibar Lane Surgery', postcode: 'LS6 1AA' }],
    });
    expect(taken.status).toBe(400);
    // A marker after them: once it is on the topic, anything they had published would be too.
    expect(
      (
        await call('POST', '/pcns', admin, {
          code: MARKER,
          name: 'Marker PCN',
          icsCode: 'QWO',
          practices: [{ code: practice(6), name: 'Marker Surgery', postcode: 'LS2 9JT' }],
        })
      ).status,
    ).toBe(201);
    await waitFor(() => registrations(MARKER).length > 0, { timeoutMs: 30_000, message: 'the marker PCN' });
    expect(await outboxRows(PCN_A)).toBe(1);
    expect(await outboxRows(PCN_BAD)).toBe(0);
    expect(registrations(PCN_A)).toHaveLength(1);
    expect(registrations(PCN_BAD)).toHaveLength(0);
  });
});
