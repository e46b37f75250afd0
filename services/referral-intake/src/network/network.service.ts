import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { PCN_REGISTERED_V1, type PcnRegisteredV1 } from '@sp/contracts';
import { Postcode } from '@sp/domain';
import { OutboxWriter } from '@sp/messaging';
import { PageQuery, pageOf, ValidationProblem, type Page } from '@sp/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CreatePcnDto, PcnView } from './pcn.dto';

interface PcnRow {
  code: string;
  name: string;
  ics_code: string;
  offer_expiry_days: number;
  auto_offer: boolean;
  created_at: Date;
}
interface PracticeRow {
  code: string;
  pcn_code: string;
  name: string;
  postcode: string;
}

/**
 * A name as one line for the event: runs of whitespace and control characters become one space. The
 * API accepts any non-empty name (even "   " or one with a line break); the event must never carry a
 * second line into a consumer's log, nor fail (and with it the request) over one.
 */
function oneLine(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** The network: PCNs, the ICS each sits in, their practices and settings. */
@Injectable()
export class NetworkService {
  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(dto: CreatePcnDto): Promise<PcnView> {
    const practices = dto.practices.map((p) => ({
      code: p.code,
      name: p.name.trim(),
      postcode: Postcode.parse(p.postcode).value,
    }));
    const seen = new Set<string>();
    const problems = practices.flatMap((p, i) => {
      if (seen.has(p.code)) return [{ field: `practices.${i}.code`, message: 'is listed twice' }];
      seen.add(p.code);
      return [];
    });
    if (problems.length) throw new ValidationProblem(problems);

    return this.ds.transaction(async (m) => {
      const inserted: unknown[] = await m.query(
        `INSERT INTO pcn (code, name, ics_code, offer_expiry_days, auto_offer) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (code) DO NOTHING RETURNING code`,
        [
          dto.code,
          dto.name.trim(),
          dto.icsCode,
          dto.settings?.offerExpiryDays ?? 14,
          dto.settings?.autoOffer ?? false,
        ],
      );
      if (inserted.length === 0) throw new ConflictException(`PCN ${dto.code} already exists`);
      const taken: { code: string }[] = await m.query(`SELECT code FROM practice WHERE code = ANY($1)`, [
        practices.map((p) => p.code),
      ]);
      if (taken.length) {
        throw new ValidationProblem(
          taken.map((t) => ({
            field: `practices.${practices.findIndex((p) => p.code === t.code)}.code`,
            message: 'already belongs to another PCN',
          })),
        );
      }
      for (const p of practices) {
        await m.query(`INSERT INTO practice (code, pcn_code, name, postcode) VALUES ($1, $2, $3, $4)`, [
          p.code,
          dto.code,
          p.name,
          p.postcode,
        ]);
      }
      const [view] = await this.load(m, [dto.code]);
      await this.published(m, view);
      return view;
    });
  }

  /**
   * pcn.registered.v1 in the transaction that stored the PCN, so the other services learn its ICS and
   * settings exactly when it exists. Every accepted change must call this (the event is the whole
   * current picture; consumers keep the latest `registeredAt`). A practice travels as its code and
   * district: its name and full postcode stay here.
   */
  private async published(m: EntityManager, view: PcnView): Promise<void> {
    const data: PcnRegisteredV1 = {
      pcnCode: view.code,
      name: oneLine(view.name) || view.code,
      icsCode: view.icsCode,
      practices: view.practices.map((p) => ({
        code: p.code,
        postcodeDistrict: Postcode.parse(p.postcode).district,
      })),
      settings: { ...view.settings },
      registeredAt: view.createdAt,
    };
    await this.outbox.enqueue(m, {
      type: PCN_REGISTERED_V1,
      subject: view.code,
      data,
      time: new Date(view.createdAt),
    });
  }

  /** One page of the network, by PCN code. */
  async list(q: PageQuery): Promise<Page<PcnView>> {
    const { page, pageSize, offset } = pageOf(q);
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const [{ total }]: { total: number }[] = await m.query(`SELECT count(*)::int AS total FROM pcn`);
      const pcns: PcnRow[] = await m.query(`SELECT * FROM pcn ORDER BY code LIMIT $1 OFFSET $2`, [
        pageSize,
        offset,
      ]);
      return { items: await this.views(m, pcns), page, pageSize, total };
    });
  }

  async get(code: string): Promise<PcnView> {
    const [found] = await this.load(this.ds.manager, [code.trim().toUpperCase()]);
    if (!found) throw new NotFoundException('PCN not found');
    return found;
  }

  /** The PCN's settings, or null when the PCN is unknown. */
  async settings(
    m: EntityManager,
    code: string,
  ): Promise<{ offerExpiryDays: number; autoOffer: boolean } | null> {
    const rows: PcnRow[] = await m.query(`SELECT * FROM pcn WHERE code = $1`, [code]);
    return rows[0] ? { offerExpiryDays: rows[0].offer_expiry_days, autoOffer: rows[0].auto_offer } : null;
  }

  /**
   * In one read: whether the PCN is registered, and the PCN the practice belongs to (null when the
   * practice is unknown).
   */
  async pcnAndPractice(
    m: EntityManager,
    pcnCode: string,
    practiceCode: string,
  ): Promise<{ pcnKnown: boolean; practicePcn: string | null }> {
    const [row]: { pcn_known: boolean; practice_pcn: string | null }[] = await m.query(
      `SELECT EXISTS (SELECT 1 FROM pcn WHERE code = $1) AS pcn_known,
              (SELECT pcn_code FROM practice WHERE code = $2) AS practice_pcn`,
      [pcnCode, practiceCode],
    );
    return { pcnKnown: row.pcn_known, practicePcn: row.practice_pcn };
  }

  private async load(m: EntityManager, codes: string[]): Promise<PcnView[]> {
    const pcns: PcnRow[] = await m.query(`SELECT * FROM pcn WHERE code = ANY($1) ORDER BY code`, [codes]);
    return this.views(m, pcns);
  }

  private async views(m: EntityManager, pcns: PcnRow[]): Promise<PcnView[]> {
    if (pcns.length === 0) return [];
    const practices: PracticeRow[] = await m.query(
      `SELECT * FROM practice WHERE pcn_code = ANY($1) ORDER BY code`,
      [pcns.map((p) => p.code)],
    );
    return pcns.map((p) => ({
      // A PCN is known by its ODS code; `id` carries it too, as every resource carries its id.
      id: p.code,
      code: p.code,
      name: p.name,
      icsCode: p.ics_code,
      practices: practices
        .filter((pr) => pr.pcn_code === p.code)
        .map((pr) => ({ code: pr.code, name: pr.name, postcode: pr.postcode })),
      settings: { offerExpiryDays: p.offer_expiry_days, autoOffer: p.auto_offer },
      createdAt: p.created_at.toISOString(),
    }));
  }
}
