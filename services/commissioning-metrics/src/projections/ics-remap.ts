import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ATTRIBUTED_TABLES, IcsDirectory } from '../common/metrics-config';

/**
 * Makes the PCN-to-ICS attribution in force authoritative for rows projected under an older one, at
 * boot: a PCN registered by pcn.registered.v1 keeps that ICS; any other PCN gets the environment's
 * (PCN_ICS_MAP, else DEFAULT_ICS_CODE), so a change of the map moves the PCNs intake never announced.
 * Analytics events already published keep the ICS they were published under.
 */
@Injectable()
export class IcsRemap implements OnApplicationBootstrap {
  private readonly log = new Logger('ics-remap');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly ics: IcsDirectory,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const entries = this.ics.entries();
    const pcns = entries.map(([pcn]) => pcn);
    const icss = entries.map(([, ics]) => ics);
    const moved = await this.ds.transaction(async (m) => {
      // Exclusive: no projection writes, and no registration, while the rows are re-attributed.
      await this.ics.lockForReattribution(m);
      let n = 0;
      for (const table of ATTRIBUTED_TABLES) {
        const [row]: { n: number }[] = await m.query(
          `WITH w AS (
             SELECT DISTINCT t.pcn_code, COALESCE(p.ics_code, e.ics, $3) AS ics
               FROM ${table} t
               LEFT JOIN pcn_ics p ON p.pcn_code = t.pcn_code
               LEFT JOIN unnest($1::text[], $2::text[]) AS e(pcn, ics) ON e.pcn = t.pcn_code
              WHERE t.pcn_code IS NOT NULL),
           u AS (
             UPDATE ${table} t SET ics_code = w.ics FROM w
              WHERE t.pcn_code = w.pcn_code AND t.ics_code IS DISTINCT FROM w.ics
              RETURNING 1)
           SELECT count(*)::int AS n FROM u`,
          [pcns, icss, this.ics.fallback],
        );
        n += row.n;
      }
      return n;
    });
    if (moved > 0) this.log.log(`re-mapped ${moved} projected rows to the ICS of their PCN`);
  }
}
