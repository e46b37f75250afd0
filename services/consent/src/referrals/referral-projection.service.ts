import { Injectable } from '@nestjs/common';
import { commitSignals } from '@sp/messaging';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { ReferralProjection } from './referral-projection.entity';

/** How long a request waits for a referral the projection has not heard of yet (read-your-writes). */
export const REFERRAL_WAIT_MS = Number(process.env.CONSENT_REFERRAL_WAIT_MS ?? 3000);

/** Reads of the referral projection, including the per-referral lock decisions are made under. */
@Injectable()
export class ReferralProjectionService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Locks the referral's projection row (`FOR UPDATE`) for the rest of the transaction, so decisions
   * about one referral happen one at a time. Null when the referral is not (yet) known.
   */
  async lock(manager: EntityManager, referralId: string): Promise<ReferralProjection | null> {
    return manager
      .getRepository(ReferralProjection)
      .createQueryBuilder('r')
      .setLock('pessimistic_write')
      .where('r.referral_id = :referralId', { referralId })
      .getOne();
  }

  find(referralId: string): Promise<ReferralProjection | null> {
    return this.dataSource.getRepository(ReferralProjection).findOneBy({ referralId });
  }

  /**
   * Runs `attempt` until it returns a value or the wait runs out. The projection trails intake by one
   * event hop, so a client that has just created a referral may ask about it before consent has heard
   * of it; `attempt` returns null for "not known yet" and must not hold a transaction across the wait.
   */
  async untilKnown<T>(
    referralId: string,
    attempt: () => Promise<T | null>,
    opts: { justChecked?: boolean; waitMs?: number } = {},
  ): Promise<T | null> {
    // Woken as soon as this process's consumer commits an event about the referral.
    return commitSignals.until(referralId, attempt, opts.waitMs ?? REFERRAL_WAIT_MS, opts);
  }
}
