import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  CAPACITY_ALERT_RAISED_V1,
  CAPACITY_UPDATED_V1,
  SERVICE_REOPENED_V1,
  SERVICE_THROTTLED_V1,
  type CapacityAlertRaisedV1,
  type CapacityChangeReason,
  type CapacityUpdatedV1,
  type ServiceReopenedV1,
  type ServiceThrottledV1,
} from '@sp/contracts';
import { commitSoon, OutboxWriter } from '@sp/messaging';
import type { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../common/clock';
import { londonIsoWeek, londonMonth } from '../common/london-time';
import { VcsoService } from '../directory/vcso-service.entity';
import { CapacityQueue } from './capacity-queue';
import { deriveStatus, isStrained, isThrottled, softThreshold } from './capacity-rules';
import type { ActivityKind } from './offer-activity.entity';

const LOCK_TIMEOUT = '5s';

/** How long a service may stay limited or full before the early warning (CAPACITY_ALERT_AFTER_MINUTES). */
export function alertAfterMs(env: NodeJS.ProcessEnv = process.env): number {
  const minutes = Number(env.CAPACITY_ALERT_AFTER_MINUTES ?? 7 * 24 * 60);
  return (Number.isFinite(minutes) && minutes > 0 ? minutes : 7 * 24 * 60) * 60_000;
}

/** What an offer event does to a service's load. */
export interface OfferFact {
  ceId: string;
  offerId: string;
  serviceId: string;
  kind: ActivityKind;
  at: Date;
}

const LOAD_CHANGE: Record<ActivityKind, { reserved: number; active: number; reason: CapacityChangeReason }> =
  {
    offered: { reserved: 1, active: 0, reason: 'offer-reserved' },
    accepted: { reserved: -1, active: 1, reason: 'placement-started' },
    declined: { reserved: -1, active: 0, reason: 'offer-released' },
    expired: { reserved: -1, active: 0, reason: 'offer-released' },
    cancelled: { reserved: -1, active: 0, reason: 'offer-released' },
    completed: { reserved: 0, active: -1, reason: 'placement-ended' },
    'did-not-attend': { reserved: 0, active: -1, reason: 'placement-ended' },
  };

/**
 * Every change to a service's limits, pause or load goes through here: under the service row's lock,
 * the status is derived again, the row saved, and `capacity.updated.v1` (plus `service.throttled.v1` or
 * `service.reopened.v1` when the status crosses in or out of throttling) enqueued in the same
 * transaction, so the events exist exactly when the change does, in the order the changes happened.
 */
@Injectable()
export class CapacityService {
  private readonly log = new Logger('capacity');
  private readonly threshold = softThreshold();
  private readonly alertAfter = alertAfterMs();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly queue: CapacityQueue,
    readonly clock: Clock,
  ) {}

  /**
   * A transaction for a request that changes a service: it waits at most LOCK_TIMEOUT for the row
   * (a burst of offer events may hold it), then answers 503 rather than pile requests up behind it.
   */
  async inLockedTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        await manager.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
        return work(manager);
      });
    } catch (err) {
      if ((err as { driverError?: { code?: string } }).driverError?.code === '55P03') {
        throw new ServiceUnavailableException('another change to this service is in progress; retry shortly');
      }
      throw err;
    }
  }

  /**
   * Locks a service's row for the rest of the transaction; null when there is no such service. Every
   * offer event and coordinator change for the service queues for that row, so the transaction is
   * asked to commit soon (a consumer ends its chunk at this event).
   */
  lock(manager: EntityManager, serviceId: string): Promise<VcsoService | null> {
    commitSoon(manager);
    return manager
      .getRepository(VcsoService)
      .createQueryBuilder('s')
      .setLock('pessimistic_write')
      .where('s.id = :serviceId', { serviceId })
      .getOne();
  }

  /**
   * Runs `change` on the locked service and settles it; `change` returns the reason, or null for "no
   * change after all" (nothing is written or published). Null when the service does not exist.
   */
  async changeLocked(
    manager: EntityManager,
    serviceId: string,
    change: (svc: VcsoService, now: Date) => CapacityChangeReason | null,
  ): Promise<VcsoService | null> {
    const svc = await this.lock(manager, serviceId);
    if (!svc) return null;
    const now = this.clock.now();
    const reason = change(svc, now);
    if (reason === null) return svc;
    await this.settle(manager, svc, reason, now, 'update');
    return svc;
  }

  /**
   * Derives the status again, saves the row (inserting a new service) and enqueues the events. Deadlines
   * (pause end, early warning) are armed here too: a job that fires before this transaction commits
   * waits on the row lock, then sees the committed state.
   */
  async settle(
    manager: EntityManager,
    svc: VcsoService,
    reason: CapacityChangeReason,
    now: Date,
    mode: 'insert' | 'update',
  ): Promise<void> {
    const week = londonIsoWeek(now);
    if (svc.offersWeek !== week) {
      svc.offersWeek = week;
      svc.offersThisWeek = 0;
    }
    if (!svc.paused) {
      svc.pauseReason = null;
      svc.pausedUntil = null;
    }
    const before = mode === 'insert' ? 'open' : svc.status;
    const status = deriveStatus(svc, this.threshold);
    if (status !== before || mode === 'insert') {
      svc.status = status;
      svc.statusChangedAt = now;
    }
    if (isStrained(status)) {
      if (!svc.strainedSince) {
        svc.strainedSince = now;
        svc.alertedAt = null;
        await this.queue.armQuietly(
          'alert',
          { serviceId: svc.id, sinceMs: now.getTime() },
          new Date(now.getTime() + this.alertAfter),
          now,
        );
      }
    } else {
      svc.strainedSince = null;
      svc.alertedAt = null;
    }
    if (svc.paused && svc.pausedUntil) {
      await this.queue.armQuietly(
        'reopen',
        { serviceId: svc.id, untilMs: svc.pausedUntil.getTime() },
        svc.pausedUntil,
        now,
      );
    }
    svc.updatedAt = now;
    if (mode === 'insert') await manager.insert(VcsoService, svc);
    else {
      // The row is locked and in hand: write it back in one statement (save() would read it again
      // first, to see what changed).
      const { id, ...columns } = svc;
      await manager.update(VcsoService, { id }, columns);
    }

    const updated: CapacityUpdatedV1 = {
      serviceId: svc.id,
      organisationId: svc.organisationId,
      maxActive: svc.maxActive,
      weeklyIntake: svc.weeklyIntake,
      active: svc.active,
      reserved: svc.reserved,
      offersThisWeek: svc.offersThisWeek,
      status,
      reason,
      changedAt: now.toISOString(),
    };
    if (svc.pausedUntil) updated.pausedUntil = svc.pausedUntil.toISOString();
    await this.outbox.enqueue<CapacityUpdatedV1>(manager, {
      type: CAPACITY_UPDATED_V1,
      subject: svc.id,
      data: updated,
      time: now,
    });
    if (status !== before && isThrottled(status)) {
      await this.outbox.enqueue<ServiceThrottledV1>(manager, {
        type: SERVICE_THROTTLED_V1,
        subject: svc.id,
        data: { serviceId: svc.id, organisationId: svc.organisationId, status, at: now.toISOString() },
        time: now,
      });
    } else if (status !== before && isThrottled(before)) {
      await this.outbox.enqueue<ServiceReopenedV1>(manager, {
        type: SERVICE_REOPENED_V1,
        subject: svc.id,
        data: { serviceId: svc.id, organisationId: svc.organisationId, at: now.toISOString() },
        time: now,
      });
    }
  }

  /**
   * Applies one of matching's offer events, inside the consumer's inbox transaction. The activity row
   * (keyed by the event id) is a second guard behind the inbox against counting an event twice. An
   * event for a service this directory does not hold changes nothing.
   */
  async applyOffer(manager: EntityManager, fact: OfferFact): Promise<void> {
    const svc = await this.lock(manager, fact.serviceId);
    if (!svc) {
      this.log.warn(`offer event for unknown service ${fact.serviceId} ignored`);
      return;
    }
    const inserted: unknown[] = await manager.query(
      `INSERT INTO offer_activity (ce_id, service_id, offer_id, kind, at, week, month)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ce_id) DO NOTHING RETURNING ce_id`,
      [
        fact.ceId,
        fact.serviceId,
        fact.offerId,
        fact.kind,
        fact.at,
        londonIsoWeek(fact.at),
        londonMonth(fact.at),
      ],
    );
    if (inserted.length === 0) return;
    const delta = LOAD_CHANGE[fact.kind];
    // Never below zero: a release whose offer predates this service's records has nothing to release.
    svc.reserved = Math.max(0, svc.reserved + delta.reserved);
    svc.active = Math.max(0, svc.active + delta.active);
    const now = this.clock.now();
    if (fact.kind === 'offered') {
      const week = londonIsoWeek(fact.at);
      const current = svc.offersWeek === londonIsoWeek(now) ? svc.offersWeek : null;
      if (current === week) svc.offersThisWeek += 1;
      else if (week === londonIsoWeek(now)) {
        svc.offersWeek = week;
        svc.offersThisWeek = 1;
      }
    }
    await this.settle(manager, svc, delta.reason, now, 'update');
  }

  /** The scheduled end of a pause: reopens when it is due (re-arming if the job fired early). */
  async reopenIfDue(serviceId: string): Promise<boolean> {
    let reopened = false;
    await this.dataSource.transaction(async (manager) => {
      await this.changeLocked(manager, serviceId, (svc, now) => {
        if (!svc.paused || !svc.pausedUntil) return null;
        if (svc.pausedUntil.getTime() > now.getTime()) return null;
        svc.paused = false;
        reopened = true;
        return 'scheduled-reopen';
      });
    });
    if (!reopened) await this.rearmReopen(serviceId);
    return reopened;
  }

  private async rearmReopen(serviceId: string): Promise<void> {
    const svc = await this.dataSource.getRepository(VcsoService).findOneBy({ id: serviceId });
    if (svc?.paused && svc.pausedUntil) {
      await this.queue.arm(
        'reopen',
        { serviceId, untilMs: svc.pausedUntil.getTime() },
        svc.pausedUntil,
        this.clock.now(),
      );
    }
  }

  /** Raises the early warning once per limited-or-full episode, when the episode has lasted long enough. */
  async alertIfDue(serviceId: string): Promise<boolean> {
    let early: Date | null = null;
    const raised = await this.dataSource.transaction(async (manager) => {
      const svc = await this.lock(manager, serviceId);
      if (!svc?.strainedSince || svc.alertedAt || !isStrained(svc.status)) return false;
      const now = this.clock.now();
      const due = new Date(svc.strainedSince.getTime() + this.alertAfter);
      if (due.getTime() > now.getTime()) {
        early = due;
        return false;
      }
      svc.alertedAt = now;
      await manager.update(VcsoService, { id: svc.id }, { alertedAt: now });
      await this.outbox.enqueue<CapacityAlertRaisedV1>(manager, {
        type: CAPACITY_ALERT_RAISED_V1,
        subject: svc.id,
        data: {
          serviceId: svc.id,
          organisationId: svc.organisationId,
          status: svc.status,
          sinceAt: svc.strainedSince.toISOString(),
          at: now.toISOString(),
        },
        time: now,
      });
      return true;
    });
    const sinceRow = early
      ? await this.dataSource.getRepository(VcsoService).findOneBy({ id: serviceId })
      : null;
    if (early && sinceRow?.strainedSince) {
      await this.queue.arm(
        'alert',
        { serviceId, sinceMs: sinceRow.strainedSince.getTime() },
        early,
        this.clock.now(),
      );
    }
    return raised;
  }

  /**
   * The London week turned over: zero each weekly count that belongs to an earlier week, publishing the
   * change (a service full on intake alone reopens here). Returns how many services changed.
   */
  async rollWeek(): Promise<number> {
    const week = londonIsoWeek(this.clock.now());
    const stale: { id: string }[] = await this.dataSource.query(
      // A count of 0 from an older week reads as 0 anyway: only real counts are worth an event.
      `SELECT id FROM vcso_services WHERE offers_week IS DISTINCT FROM $1 AND offers_this_week > 0`,
      [week],
    );
    let changed = 0;
    for (const { id } of stale) {
      await this.dataSource.transaction(async (manager) => {
        await this.changeLocked(manager, id, (s, now) => {
          if (s.offersWeek === londonIsoWeek(now) || s.offersThisWeek === 0) return null;
          changed++;
          return 'week-rolled-over';
        });
      });
    }
    return changed;
  }
}
