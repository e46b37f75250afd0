import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  CONSENT_DECLINED_V1,
  CONSENT_GRANTED_V1,
  CONSENT_WITHDRAWN_V1,
  OFFER_ACCEPTED_V1,
  OFFER_CANCELLED_V1,
  OFFER_COMPLETED_V1,
  OFFER_DECLINED_V1,
  OFFER_EXPIRED_V1,
  OFFER_MADE_V1,
  REFERRAL_WAITLISTED_V1,
  type ConsentDeclinedV1,
  type ConsentGrantedV1,
  type ConsentWithdrawnV1,
  type OfferAcceptedV1,
  type OfferCancelledV1,
  type OfferCompletedV1,
  type OfferDeclinedV1,
  type OfferExpiredV1,
  type OfferMadeV1,
  type OfferStatus,
  type ReferralWaitlistedV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import type { EntityManager } from 'typeorm';
import { ReferralRow, ReferralStore, StatusChange } from './referral-store';

interface OfferRef {
  offerId: string;
  referralId: string;
  serviceId: string;
  organisationId: string;
}

/**
 * Keeps each referral's status, responsible party, timeline, consent state and offers projection
 * current from the consent and matching services' events. Each handler runs in the inbox transaction
 * and locks the referral row, so one referral's events apply in order and exactly once in effect.
 */
@Controller()
export class ReferralEventsConsumer {
  private readonly log = new Logger('referral-events');

  constructor(private readonly store: ReferralStore) {}

  @EventPattern(CONSENT_GRANTED_V1)
  async consentGranted(@Payload() data: ConsentGrantedV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, data.referralId, async (m, row) => {
      if (row.status === 'closed')
        return this.note(m, row, ctx, 'consent-granted', { consentId: data.consentId });
      await m.query(`UPDATE referral SET consent_state = 'granted', share_with_vcso = $2 WHERE id = $1`, [
        row.id,
        data.shareWithVcso,
      ]);
      await this.change(m, row, ctx, {
        to: row.status === 'awaiting-consent' ? 'awaiting-assessment' : row.status,
        responsibleParty: row.responsible_party,
        kind: 'consent-granted',
        detail: { consentId: data.consentId, method: data.method, shareWithVcso: data.shareWithVcso },
      });
    });
  }

  @EventPattern(CONSENT_DECLINED_V1)
  async consentDeclined(@Payload() data: ConsentDeclinedV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, data.referralId, async (m, row) => {
      await m.query(`UPDATE referral SET consent_state = 'declined', share_with_vcso = false WHERE id = $1`, [
        row.id,
      ]);
      await this.change(m, row, ctx, {
        to: 'closed',
        closeReason: row.status === 'closed' ? (row.close_reason ?? 'consent-declined') : 'consent-declined',
        responsibleParty: row.responsible_party,
        kind: 'consent-declined',
        detail: { consentId: data.consentId, method: data.method },
      });
    });
  }

  @EventPattern(CONSENT_WITHDRAWN_V1)
  async consentWithdrawn(@Payload() data: ConsentWithdrawnV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, data.referralId, async (m, row) => {
      // Sharing stops at once, whatever the referral's state: the contact route checks this column.
      await m.query(
        `UPDATE referral SET consent_state = 'withdrawn', share_with_vcso = false WHERE id = $1`,
        [row.id],
      );
      const wasClosed = row.status === 'closed' || row.status === 'completed';
      await this.change(m, row, ctx, {
        to: wasClosed ? row.status : 'closed',
        closeReason: wasClosed ? (row.close_reason ?? undefined) : 'consent-withdrawn',
        responsibleParty: wasClosed ? row.responsible_party : 'link-worker',
        kind: 'consent-withdrawn',
        detail: { consentId: data.consentId },
      });
    });
  }

  @EventPattern(OFFER_MADE_V1)
  async offerMade(@Payload() data: OfferMadeV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, data.referralId, async (m, row) => {
      await this.projectOffer(m, data, 'pending');
      const live = !['closed', 'completed', 'accepted'].includes(row.status);
      await this.change(m, row, ctx, {
        to: live ? 'offered' : row.status,
        responsibleParty: row.responsible_party,
        kind: 'offer-made',
        detail: { ...offerDetail(data), auto: data.auto, expiresAt: data.expiresAt },
      });
    });
  }

  @EventPattern(OFFER_ACCEPTED_V1)
  async offerAccepted(@Payload() data: OfferAcceptedV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, data.referralId, async (m, row) => {
      await this.projectOffer(m, data, 'accepted');
      const open = row.status !== 'closed' && row.status !== 'completed';
      await this.change(m, row, ctx, {
        to: open ? 'accepted' : row.status,
        responsibleParty: open ? 'vcso' : row.responsible_party,
        kind: 'offer-accepted',
        detail: offerDetail(data),
      });
    });
  }

  @EventPattern(OFFER_DECLINED_V1)
  async offerDeclined(@Payload() data: OfferDeclinedV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.offerEnded(ctx, data, 'declined', 'offer-declined', { reason: data.reason });
  }

  @EventPattern(OFFER_EXPIRED_V1)
  async offerExpired(@Payload() data: OfferExpiredV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.offerEnded(ctx, data, 'expired', 'offer-expired', {});
  }

  @EventPattern(OFFER_CANCELLED_V1)
  async offerCancelled(@Payload() data: OfferCancelledV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.offerEnded(ctx, data, 'cancelled', 'offer-cancelled', { reason: data.reason });
  }

  @EventPattern(OFFER_COMPLETED_V1)
  async offerCompleted(@Payload() data: OfferCompletedV1, @Ctx() ctx: EventContext): Promise<void> {
    if (data.outcome === 'did-not-attend') {
      await this.offerEnded(ctx, data, 'did-not-attend', 'did-not-attend', { outcome: data.outcome });
      return;
    }
    await this.apply(ctx, data.referralId, async (m, row) => {
      await this.projectOffer(m, data, 'completed');
      await this.change(m, row, ctx, {
        to: row.status === 'closed' ? row.status : 'completed',
        responsibleParty: row.responsible_party,
        kind: 'offer-completed',
        detail: { ...offerDetail(data), outcome: data.outcome },
      });
    });
  }

  @EventPattern(REFERRAL_WAITLISTED_V1)
  async waitlisted(@Payload() data: ReferralWaitlistedV1, @Ctx() ctx: EventContext): Promise<void> {
    await this.apply(ctx, data.referralId, async (m, row) => {
      await this.change(m, row, ctx, {
        to: row.status === 'matching' ? 'waitlisted' : row.status,
        responsibleParty: row.responsible_party,
        kind: 'waitlisted',
        detail: { needs: data.needs },
      });
    });
  }

  /**
   * A declined, expired, cancelled or unattended offer: the place is gone, and unless another offer is
   * still live the referral goes back to matching with the link worker holding the duty of care.
   */
  private async offerEnded(
    ctx: EventContext,
    data: OfferRef,
    status: OfferStatus,
    kind: string,
    extra: Record<string, unknown>,
  ): Promise<void> {
    await this.apply(ctx, data.referralId, async (m, row) => {
      await this.projectOffer(m, data, status);
      const live: unknown[] = await m.query(
        `SELECT 1 FROM referral_offer WHERE referral_id = $1 AND status IN ('pending', 'accepted')`,
        [row.id],
      );
      const handBack = (row.status === 'offered' || row.status === 'accepted') && live.length === 0;
      await this.change(m, row, ctx, {
        to: handBack ? 'matching' : row.status,
        responsibleParty: handBack ? 'link-worker' : row.responsible_party,
        kind,
        detail: { ...offerDetail(data), ...extra },
      });
    });
  }

  private async apply(
    ctx: EventContext,
    referralId: string,
    work: (m: EntityManager, row: ReferralRow) => Promise<void>,
  ): Promise<void> {
    const m = ctx.getManager();
    const row = await this.store.lock(m, referralId);
    if (!row) {
      // Not ours (another environment's referral on a shared topic): acknowledge and move on.
      this.log.debug(`${ctx.getEvent().type} ${ctx.getEvent().id}: unknown referral ${referralId}, skipped`);
      return;
    }
    await work(m, row);
  }

  private async change(
    m: EntityManager,
    row: ReferralRow,
    ctx: EventContext,
    change: Omit<StatusChange, 'causeId' | 'at'>,
  ): Promise<void> {
    await this.store.change(m, row, {
      ...change,
      causeId: ctx.getEvent().id,
      at: new Date(ctx.getEvent().time),
    });
  }

  private async note(
    m: EntityManager,
    row: ReferralRow,
    ctx: EventContext,
    kind: string,
    detail: Record<string, unknown>,
  ): Promise<void> {
    await this.store.addTimeline(m, row.id, {
      kind,
      detail,
      causeId: ctx.getEvent().id,
      at: new Date(ctx.getEvent().time),
    });
  }

  private async projectOffer(m: EntityManager, offer: OfferRef, status: OfferStatus): Promise<void> {
    await m.query(
      `INSERT INTO referral_offer (offer_id, referral_id, service_id, organisation_id, status) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (offer_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()`,
      [offer.offerId, offer.referralId, offer.serviceId, offer.organisationId, status],
    );
  }
}

function offerDetail(o: OfferRef): Record<string, unknown> {
  return { offerId: o.offerId, serviceId: o.serviceId, organisationId: o.organisationId };
}
