import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { IcsDirectory } from '../common/metrics-config';

const TABLES = ['referral_fact', 'offer_fact', 'unmet_need'] as const;

/**
 * Makes the PCN-to-ICS mapping in force authoritative for rows projected under an older one: a PCN
 * moved between ICSs (or mapped for the first time) is counted in its ICS as of this boot. Analytics
 * events already published keep the ICS they were published under.
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
    let moved = 0;
    for (const table of TABLES) {
      const [mapped]: { n: number }[] = await this.ds.query(
        `WITH u AS (
           UPDATE ${table} t SET ics_code = m.ics
             FROM unnest($1::text[], $2::text[]) AS m(pcn, ics)
            WHERE t.pcn_code = m.pcn AND t.ics_code IS DISTINCT FROM m.ics
            RETURNING 1)
         SELECT count(*)::int AS n FROM u`,
        [pcns, icss],
      );
      const [rest]: { n: number }[] = await this.ds.query(
        `WITH u AS (
           UPDATE ${table} SET ics_code = $2
            WHERE pcn_code IS NOT NULL AND NOT (pcn_code = ANY($1::text[])) AND ics_code IS DISTINCT FROM $2
            RETURNING 1)
         SELECT count(*)::int AS n FROM u`,
        [pcns, this.ics.fallback],
      );
      moved += mapped.n + rest.n;
    }
    if (moved > 0) this.log.log(`re-mapped ${moved} projected rows to the ICS of their PCN`);
  }
}
