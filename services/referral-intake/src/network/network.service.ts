import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Postcode } from '@sp/domain';
import { ValidationProblem } from '@sp/platform';
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

/** The network: PCNs, the ICS each sits in, their practices and settings. */
@Injectable()
export class NetworkService {
  constructor(private readonly ds: DataSource) {}

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
      return (await this.load(m, [dto.code]))[0];
    });
  }

  async list(): Promise<PcnView[]> {
    return this.load(this.ds.manager);
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

  /** The PCN a practice belongs to, or null when the practice is unknown. */
  async pcnOfPractice(m: EntityManager, practiceCode: string): Promise<string | null> {
    const rows: { pcn_code: string }[] = await m.query(`SELECT pcn_code FROM practice WHERE code = $1`, [
      practiceCode,
    ]);
    return rows[0]?.pcn_code ?? null;
  }

  private async load(m: EntityManager, codes?: string[]): Promise<PcnView[]> {
    const pcns: PcnRow[] = codes
      ? await m.query(`SELECT * FROM pcn WHERE code = ANY($1) ORDER BY code`, [codes])
      : await m.query(`SELECT * FROM pcn ORDER BY code`);
    if (pcns.length === 0) return [];
    const practices: PracticeRow[] = await m.query(
      `SELECT * FROM practice WHERE pcn_code = ANY($1) ORDER BY code`,
      [pcns.map((p) => p.code)],
    );
    return pcns.map((p) => ({
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
