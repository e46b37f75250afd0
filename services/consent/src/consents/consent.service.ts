import { ConflictException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { assertInScope, canSeePcn, type AuthClaims } from '@sp/auth';
import {
  CONSENT_DECLINED_V1,
  CONSENT_GRANTED_V1,
  CONSENT_WITHDRAWN_V1,
  type ConsentDeclinedV1,
  type ConsentGrantedV1,
  type ConsentWithdrawnV1,
} from '@sp/contracts';
import { OutboxWriter } from '@sp/messaging';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { ReferralProjectionService } from '../referrals/referral-projection.service';
import { ConsentRecord } from './consent-record.entity';
import { decisionConflict, withdrawalConflict } from './consent-rules';
import type {
  ConsentPage,
  ConsentView,
  ListConsentsQuery,
  RecordConsentDto,
  WithdrawConsentDto,
} from './consent.dto';

// A decision waits this long for another on the same referral to finish before giving up (503), so a
// stuck transaction cannot pile requests up behind the lock.
const LOCK_TIMEOUT = '5s';

export function toView(c: ConsentRecord): ConsentView {
  return {
    id: c.id,
    referralId: c.referralId,
    decision: c.decision,
    method: c.method,
    shareWithVcso: c.shareWithVcso,
    recordedAt: c.recordedAt.toISOString(),
    withdrawnAt: c.withdrawnAt ? c.withdrawnAt.toISOString() : null,
  };
}

const isPgError = (err: unknown, code: string) =>
  typeof err === 'object' &&
  err !== null &&
  (err as { driverError?: { code?: string } }).driverError?.code === code;

/**
 * Records consent decisions and withdrawals. Each runs in one transaction that holds the referral's
 * projection row lock, writes the append-only history and enqueues its event in the outbox, so the
 * event exists exactly when the decision does.
 */
@Injectable()
export class ConsentService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly referrals: ReferralProjectionService,
    private readonly outbox: OutboxWriter,
  ) {}

  async record(user: AuthClaims, dto: RecordConsentDto): Promise<ConsentView> {
    const decide = () =>
      this.inLockedTransaction(async (manager) => {
        const referral = await this.referrals.lock(manager, dto.referralId);
        // Another PCN's referral reads exactly as an unknown one, wait included, so neither the answer
        // nor its timing tells the caller that it exists.
        if (!referral || !canSeePcn(user, referral.pcnCode)) return null;
        const history = await manager.find(ConsentRecord, { where: { referralId: referral.referralId } });
        const conflict = decisionConflict(referral.closed, history);
        if (conflict) throw new ConflictException(conflict);

        const record = manager.create(ConsentRecord, {
          id: randomUUID(),
          referralId: referral.referralId,
          pcnCode: referral.pcnCode,
          decision: dto.decision,
          method: dto.method,
          // A decline shares nothing, whatever the flag said.
          shareWithVcso: dto.decision === 'granted' ? dto.shareWithVcso : false,
          recordedBySub: user.sub,
          recordedByRole: user.role,
          recordedAt: new Date(),
          withdrawnAt: null,
          withdrawnBySub: null,
          withdrawnByRole: null,
          withdrawalReason: null,
        });
        await manager.insert(ConsentRecord, record);
        await this.publishDecision(manager, record);
        return toView(record);
      });
    // Usually the referral is known: one transaction. When it is not yet, it is waited for with plain
    // reads (one statement each, where a locked attempt is four), then decided on.
    let view = await decide();
    if (view === null) {
      const known = await this.referrals.untilKnown(
        dto.referralId,
        async () => {
          const found = await this.referrals.find(dto.referralId);
          return found && canSeePcn(user, found.pcnCode) ? found : null;
        },
        { justChecked: true },
      );
      if (known) view = await decide();
    }
    assertInScope(view, 'referral');
    return view;
  }

  async withdraw(user: AuthClaims, id: string, dto: WithdrawConsentDto): Promise<ConsentView> {
    return this.inLockedTransaction(async (manager) => {
      const found = await manager.findOneBy(ConsentRecord, { id });
      assertInScope(found && canSeePcn(user, found.pcnCode), 'consent');
      // Same lock order as a decision (referral first), then read the record again under it.
      await this.referrals.lock(manager, found.referralId);
      const record = await manager.findOneByOrFail(ConsentRecord, { id });
      const conflict = withdrawalConflict(record);
      if (conflict) throw new ConflictException(conflict);

      const withdrawnAt = new Date();
      await manager.update(
        ConsentRecord,
        { id: record.id },
        {
          withdrawnAt,
          withdrawnBySub: user.sub,
          withdrawnByRole: user.role,
          withdrawalReason: dto.reason ?? null,
        },
      );
      record.withdrawnAt = withdrawnAt;
      await this.outbox.enqueue<ConsentWithdrawnV1>(manager, {
        type: CONSENT_WITHDRAWN_V1,
        subject: record.referralId,
        data: {
          consentId: record.id,
          referralId: record.referralId,
          pcnCode: record.pcnCode,
          withdrawnAt: withdrawnAt.toISOString(),
        },
      });
      return toView(record);
    });
  }

  async history(user: AuthClaims, query: ListConsentsQuery): Promise<ConsentPage> {
    const referral = await this.referrals.untilKnown(query.referralId, async () => {
      const found = await this.referrals.find(query.referralId);
      return found && canSeePcn(user, found.pcnCode) ? found : null;
    });
    assertInScope(referral, 'referral');
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const [rows, total] = await this.dataSource.getRepository(ConsentRecord).findAndCount({
      where: { referralId: referral.referralId },
      order: { recordedAt: 'DESC', id: 'DESC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: rows.map(toView), page, pageSize, total };
  }

  private async publishDecision(manager: EntityManager, record: ConsentRecord): Promise<void> {
    const common = {
      consentId: record.id,
      referralId: record.referralId,
      pcnCode: record.pcnCode,
      method: record.method,
      recordedAt: record.recordedAt.toISOString(),
    };
    switch (record.decision) {
      case 'granted':
        await this.outbox.enqueue<ConsentGrantedV1>(manager, {
          type: CONSENT_GRANTED_V1,
          subject: record.referralId,
          data: { ...common, shareWithVcso: record.shareWithVcso },
        });
        return;
      case 'declined':
        await this.outbox.enqueue<ConsentDeclinedV1>(manager, {
          type: CONSENT_DECLINED_V1,
          subject: record.referralId,
          data: common,
        });
        return;
    }
  }

  private async inLockedTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        await manager.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        return work(manager);
      });
    } catch (err) {
      if (isPgError(err, '55P03')) {
        throw new ServiceUnavailableException(
          'another change to this referral is in progress; retry shortly',
        );
      }
      // The partial unique index caught a second standing decision the lock should already have stopped.
      if (isPgError(err, '23505'))
        throw new ConflictException('a consent decision already stands for this referral');
      throw err;
    }
  }
}
