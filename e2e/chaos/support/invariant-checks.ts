import { SERVICES } from '@sp/platform';
import { Client } from 'pg';
import type { PlatformHarness } from '../../support/platform-harness';
import { readAllTopics } from '../../read-topics';
import { EXPECTED, TOLERATED_KINDS, secretsOf, type JourneyRecord } from './referral-journeys';

/** Runs `work` with a client on one of the platform's databases. */
export async function withDb<T>(
  harness: PlatformHarness,
  db: string,
  work: (c: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({ connectionString: harness.pg.url(db) });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const databases = () => SERVICES.filter((s) => s.database).map((s) => s.database!);

/** Referrals not yet at their journey's end status at referral-intake (the event hops still running). */
export async function unsettled(harness: PlatformHarness, journeys: JourneyRecord[]): Promise<number> {
  // A journey that failed stopped half way: its referral has no end to reach (the checks report it).
  const want = new Map(
    journeys.filter((j) => j.referralId && !j.error).map((j) => [j.referralId!, EXPECTED[j.path]]),
  );
  const rows = await withDb(
    harness,
    'sp_referral_intake',
    async (c) => (await c.query<{ id: string; status: string }>(`SELECT id, status FROM referral`)).rows,
  );
  let behind = 0;
  for (const r of rows) if (want.get(r.id) && want.get(r.id)!.status !== r.status) behind++;
  return behind + Math.max(0, want.size - rows.filter((r) => want.has(r.id)).length);
}

/** What a check found wrong: something missing or in the wrong state, applied twice, or over a limit. */
export type ProblemKind = 'lost' | 'duplicate' | 'capacity';

export interface EndCheck {
  /** The first 100 problems of each kind. */
  problems: Record<ProblemKind, string[]>;
  /** How many there were in all, by kind. */
  counts: Record<ProblemKind, number>;
  figures: Record<string, number>;
}

/**
 * Every referral the API accepted, checked at its end in every service that keeps it: the status and
 * close reason at intake and in the commissioning figures, each timeline entry exactly once, each
 * offer exactly once and in the expected state (matching's record, intake's and the metrics'
 * projections agreeing), one consent decision, every outbox row published, nothing dead-lettered,
 * and each service's places and weekly intake within their limits and equal to its open offers.
 */
export async function checkEnds(harness: PlatformHarness, journeys: JourneyRecord[]): Promise<EndCheck> {
  const problems: Record<ProblemKind, string[]> = { lost: [], duplicate: [], capacity: [] };
  const counts: Record<ProblemKind, number> = { lost: 0, duplicate: 0, capacity: 0 };
  const figures: Record<string, number> = {};
  const accepted = journeys.filter((j) => j.referralId);
  const byId = new Map(accepted.map((j) => [j.referralId!, j]));
  // A journey that failed (reported on its own) stopped half way: its referral has no end to check.
  const ended = new Map([...byId].filter(([, j]) => !j.error));
  const note = (kind: ProblemKind, p: string) => {
    counts[kind]++;
    if (problems[kind].length < 100) problems[kind].push(p);
  };

  await withDb(harness, 'sp_referral_intake', async (c) => {
    const referrals = (
      await c.query<{ id: string; status: string; close_reason: string | null }>(
        `SELECT id, status, close_reason FROM referral`,
      )
    ).rows;
    figures.referralRows = referrals.length;
    // One row per accepted journey: a retried POST /referrals must never have made a second one.
    if (referrals.length !== byId.size)
      note(
        referrals.length > byId.size ? 'duplicate' : 'lost',
        `referral-intake holds ${referrals.length} referrals for ${byId.size} accepted ones`,
      );
    const seen = new Set<string>();
    for (const r of referrals) {
      seen.add(r.id);
      const j = byId.get(r.id);
      if (!j) {
        note('duplicate', `referral ${r.id} was never answered to a client`);
        continue;
      }
      if (j.error) continue;
      const want = EXPECTED[j.path];
      if (r.status !== want.status || r.close_reason !== want.closeReason)
        note(
          'lost',
          `referral ${r.id} (${j.path}): ${r.status}/${r.close_reason}, expected ${want.status}/${want.closeReason}`,
        );
    }
    for (const id of byId.keys()) if (!seen.has(id)) note('lost', `accepted referral ${id} is lost`);

    const kinds = (
      await c.query<{ referral_id: string; kind: string; n: number }>(
        `SELECT referral_id, kind, count(*)::int AS n FROM referral_timeline GROUP BY 1, 2`,
      )
    ).rows;
    const timeline = new Map<string, Record<string, number>>();
    for (const k of kinds) {
      const t = timeline.get(k.referral_id) ?? {};
      t[k.kind] = k.n;
      timeline.set(k.referral_id, t);
    }
    figures.timelineEntries = kinds.reduce((a, k) => a + k.n, 0);
    figures.waitlisted = kinds.filter((k) => k.kind === 'waitlisted').reduce((a, k) => a + k.n, 0);
    for (const [id, j] of ended) {
      const got = timeline.get(id) ?? {};
      const want = EXPECTED[j.path].timeline;
      for (const kind of new Set([...Object.keys(got), ...Object.keys(want)])) {
        if (TOLERATED_KINDS.has(kind) && !(kind in want)) continue;
        if ((got[kind] ?? 0) !== (want[kind] ?? 0))
          note(
            (got[kind] ?? 0) > (want[kind] ?? 0) ? 'duplicate' : 'lost',
            `referral ${id} (${j.path}): timeline has ${got[kind] ?? 0} x ${kind}, expected ${want[kind] ?? 0}`,
          );
      }
    }
    const [dupEvents] = (
      await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT ce_id FROM referral_timeline GROUP BY ce_id HAVING count(*) > 1) d`,
      )
    ).rows;
    const [dupOffers] = (
      await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM (SELECT detail->>'offerId' FROM referral_timeline WHERE kind = 'offer-made'
           GROUP BY 1 HAVING count(*) > 1) d`,
      )
    ).rows;
    if (dupEvents.n) note('duplicate', `${dupEvents.n} event ids appear twice in timelines`);
    if (dupOffers.n) note('duplicate', `${dupOffers.n} offers appear twice as offer-made in timelines`);
  });

  const offers = await withDb(harness, 'sp_matching', async (c) => {
    const rows = (
      await c.query<{ id: string; referral_id: string; service_id: string; status: string }>(
        `SELECT id, referral_id, service_id, status FROM offers`,
      )
    ).rows;
    const loads = (
      await c.query<{
        service_id: string;
        active: number;
        reserved: number;
        max_active: number;
        offers_this_week: number;
        weekly_intake: number;
      }>(`SELECT * FROM service_load`)
    ).rows;
    const weekly = (
      await c.query<{ service_id: string; week: string; n: number }>(
        `SELECT service_id, week, count(*)::int AS n FROM offers GROUP BY 1, 2`,
      )
    ).rows;
    return { rows, loads, weekly };
  });
  figures.offers = offers.rows.length;
  const offersOf = new Map<string, { id: string; service_id: string; status: string }[]>();
  for (const o of offers.rows) offersOf.set(o.referral_id, [...(offersOf.get(o.referral_id) ?? []), o]);
  for (const [id, j] of ended) {
    const got = (offersOf.get(id) ?? []).map((o) => o.status).sort();
    if (JSON.stringify(got) !== JSON.stringify(EXPECTED[j.path].offers))
      note(
        got.length > EXPECTED[j.path].offers.length ? 'duplicate' : 'lost',
        `referral ${id} (${j.path}): offers ${JSON.stringify(got)}, expected ${JSON.stringify(EXPECTED[j.path].offers)}`,
      );
    const services = (offersOf.get(id) ?? []).map((o) => o.service_id);
    if (new Set(services).size !== services.length)
      note('duplicate', `referral ${id} was offered one service twice`);
  }
  for (const l of offers.loads) {
    const mine = offers.rows.filter((o) => o.service_id === l.service_id);
    const active = mine.filter((o) => o.status === 'accepted').length;
    const reserved = mine.filter((o) => o.status === 'pending').length;
    if (l.active + l.reserved > l.max_active)
      note(
        'capacity',
        `service ${l.service_id} holds ${l.active + l.reserved}, above maxActive ${l.max_active}`,
      );
    if (l.offers_this_week > l.weekly_intake)
      note(
        'capacity',
        `service ${l.service_id} took ${l.offers_this_week} offers this week, above ${l.weekly_intake}`,
      );
    // A duplicate applied twice (or a place released twice) would leave the counters off the offers.
    if (l.active !== active || l.reserved !== reserved)
      note(
        'duplicate',
        `service ${l.service_id}: load ${l.active} active/${l.reserved} reserved, offers say ${active}/${reserved}`,
      );
  }
  for (const w of offers.weekly) {
    const limit = offers.loads.find((l) => l.service_id === w.service_id)?.weekly_intake ?? 0;
    if (w.n > limit)
      note('capacity', `service ${w.service_id} got ${w.n} offers in week ${w.week}, above ${limit}`);
  }
  figures.servicesAtWeeklyLimit = offers.loads.filter((l) => l.offers_this_week >= l.weekly_intake).length;

  // Intake's and the metrics' projections of the offers agree with matching's record.
  const matchingStatus = new Map(offers.rows.map((o) => [o.id, o.status]));
  const compare = (where: string, rows: { offer_id: string; status: string }[]) => {
    if (rows.length !== matchingStatus.size)
      note('lost', `${where} knows ${rows.length} offers, matching ${matchingStatus.size}`);
    for (const r of rows)
      if (matchingStatus.get(r.offer_id) !== r.status)
        note(
          'lost',
          `${where}: offer ${r.offer_id} is ${r.status}, at matching ${matchingStatus.get(r.offer_id)}`,
        );
  };
  compare(
    'referral-intake',
    await withDb(
      harness,
      'sp_referral_intake',
      async (c) =>
        (await c.query<{ offer_id: string; status: string }>(`SELECT offer_id, status FROM referral_offer`))
          .rows,
    ),
  );
  await withDb(harness, 'sp_commissioning_metrics', async (c) => {
    const facts = (
      await c.query<{ referral_id: string; status: string }>(`SELECT referral_id, status FROM referral_fact`)
    ).rows;
    if (facts.length !== byId.size)
      note('lost', `commissioning-metrics knows ${facts.length} referrals of ${byId.size}`);
    for (const f of facts) {
      const j = ended.get(f.referral_id);
      if (j && f.status !== EXPECTED[j.path].status)
        note(
          'lost',
          `commissioning-metrics: referral ${f.referral_id} is ${f.status}, expected ${EXPECTED[j.path].status}`,
        );
    }
    const [{ n }] = (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM offer_fact`)).rows;
    if (n !== matchingStatus.size)
      note('lost', `commissioning-metrics knows ${n} offers, matching ${matchingStatus.size}`);
  });
  await withDb(harness, 'sp_consent', async (c) => {
    const rows = (
      await c.query<{ referral_id: string; n: number }>(
        `SELECT referral_id, count(*)::int AS n FROM consents GROUP BY 1`,
      )
    ).rows;
    for (const r of rows)
      if (r.n !== 1) note('duplicate', `referral ${r.referral_id} has ${r.n} consent decisions`);
    if (rows.length !== byId.size)
      note('lost', `consent holds decisions for ${rows.length} of ${byId.size} referrals`);
  });

  figures.unpublished = 0;
  figures.deadLettered = 0;
  for (const db of databases()) {
    await withDb(harness, db, async (c) => {
      const [{ n }] = (
        await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)
      ).rows;
      const [{ d }] = (
        await c.query<{ d: number }>(`SELECT count(*)::int AS d FROM inbox WHERE status = 'dead-lettered'`)
      ).rows;
      figures.unpublished += n;
      figures.deadLettered += d;
      if (n) note('lost', `${db}: ${n} outbox rows never published`);
      if (d) note('lost', `${db}: ${d} events dead-lettered`);
    });
  }
  return { problems, counts, figures };
}

/**
 * Searches every message of every topic (keys, headers, bodies, DLQs included) and the platform's
 * own output for the personal data of every referral. The data was made of distinctive tokens, so
 * the text is split into tokens once and each looked up, rather than searched thousands of times.
 */
export async function scanForPersonalData(
  harness: PlatformHarness,
  journeys: JourneyRecord[],
): Promise<{ leaks: string[]; messagesBytes: number; topics: number; secrets: number }> {
  const secrets = new Set(journeys.flatMap((j) => secretsOf(j.person)));
  const topics = await readAllTopics(harness.broker.brokers, 180_000);
  const leaks: string[] = [];
  let bytes = 0;
  for (const [where, text] of [...topics, ['platform output', harness.output] as [string, string]]) {
    bytes += text.length;
    const found = new Set<string>();
    // Emails, postcodes, dates, NHS and phone numbers as typed, then words and digit runs: the
    // longer shapes first, so that a postcode is not taken apart into a word and a number.
    const tokens =
      /[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}|\d{4}-\d{2}-\d{2}|\d{3} \d{3} \d{4}|\d{5} \d{6}|[A-Za-z]+|\d+/g;
    for (let m = tokens.exec(text); m; m = tokens.exec(text)) if (secrets.has(m[0])) found.add(m[0]);
    for (const f of [...found].slice(0, 5)) leaks.push(`${where}: ${f}`);
  }
  return { leaks, messagesBytes: bytes, topics: topics.length, secrets: secrets.size };
}
