import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { assertInScope, canSeeOrg, canSeePcn, type AuthClaims } from '@sp/auth';
import {
  OFFER_ACCEPTED_V1,
  OFFER_CANCELLED_V1,
  OFFER_COMPLETED_V1,
  OFFER_DECLINED_V1,
  OFFER_EXPIRED_V1,
  OFFER_MADE_V1,
  type OfferAcceptedV1,
  type OfferCancelReason,
  type OfferCancelledV1,
  type OfferCompletedV1,
  type OfferDeclinedV1,
  type OfferExpiredV1,
  type OfferMadeV1,
  type OfferStatus,
} from '@sp/contracts';
import { isoWeekLondon } from '@sp/domain';
import { commitSignals, OutboxWriter } from '@sp/messaging';
import { transactionWithRetry } from '@sp/persistence';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type {
  CompleteOfferDto,
  DeclineOfferDto,
  ListOffersQuery,
  MakeOfferDto,
  OfferPage,
  OfferView,
} from './offer.dto';
import {
  activateReservation,
  queryRows,
  releaseActive,
  releaseReservation,
  reservePlace,
  type ShortageReason,
} from './places';

interface OfferRow {
  id: string;
  referral_id: string;
  service_id: string;
  organisation_id: string;
  pcn_code: string;
  status: OfferStatus;
  auto: boolean;
  decline_reason: string | null;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
}

interface ReferralRow {
  referral_id: string;
  pcn_code: string;
  assessed_at: Date | null;
  consent: 'none' | 'granted' | 'declined' | 'withdrawn';
  share_with_vcso: boolean;
  closed: boolean;
}

const SHORTAGE: Record<ShortageReason, string> = {
  'unknown-service': 'the service is unknown to matching',
  paused: 'the service is paused by its coordinator',
  full: 'the service has no place left (active plus reserved is at maxActive)',
  'weekly-intake-used': "the service's weekly intake is used for this week",
};

export function toOfferView(o: OfferRow): OfferView {
  return {
    id: o.id,
    referralId: o.referral_id,
    serviceId: o.service_id,
    organisationId: o.organisation_id,
    pcnCode: o.pcn_code,
    status: o.status,
    auto: o.auto,
    declineReason: o.decline_reason,
    createdAt: new Date(o.created_at).toISOString(),
    expiresAt: new Date(o.expires_at).toISOString(),
    decidedAt: o.decided_at ? new Date(o.decided_at).toISOString() : null,
  };
}

/** A place given back at a service by a decision on an offer of the referral. */
export interface FreedPlace {
  referralId: string;
  serviceId: string;
  /** Whether the offer was an automatic one (matching then owes the referral the next candidate). */
  auto: boolean;
}

/** For a PCN no pcn.registered.v1 has named (one registered before intake published them). */
const defaultOfferExpiryDays = () => Number(process.env.OFFER_EXPIRY_DAYS ?? 14);

/**
 * Offers and the places they hold. Every change locks in one order (referral, then offer, then the
 * service's load row) and writes its event to the outbox in the same transaction.
 */
@Injectable()
export class OfferService {
  private offerMadeListeners: ((offerId: string, expiresAt: Date) => Promise<void>)[] = [];
  private placeFreedListeners: ((freed: FreedPlace) => Promise<void>)[] = [];

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Called after an offer's transaction commits (the expiry processor arms its job). */
  onOfferMade(listener: (offerId: string, expiresAt: Date) => Promise<void>): void {
    this.offerMadeListeners.push(listener);
  }

  /**
   * Called after a transaction that gave a place back commits (decline, expiry, completion): matching
   * moves an automatic referral on and offers the place to the waitlist.
   */
  onPlaceFreed(listener: (freed: FreedPlace) => Promise<void>): void {
    this.placeFreedListeners.push(listener);
  }

  async make(user: AuthClaims, body: MakeOfferDto): Promise<OfferView> {
    await this.untilKnown(body.referralId);
    const view = await transactionWithRetry(this.ds, async (m) => {
      const [referral]: ReferralRow[] = await m.query(
        `SELECT referral_id, pcn_code, assessed_at, consent, share_with_vcso, closed
           FROM referral_projection WHERE referral_id = $1 FOR UPDATE`,
        [body.referralId],
      );
      assertInScope(referral && canSeePcn(user, referral.pcn_code), 'referral');
      if (referral.closed) throw new ConflictException('the referral is closed');
      // Invariant 2: nothing about a person reaches a VCSO before consent that covers it.
      if (referral.consent !== 'granted' || !referral.share_with_vcso) {
        throw new ConflictException('no consent to share with VCSOs stands for this referral');
      }
      if (!referral.assessed_at) throw new ConflictException('the referral has not been assessed yet');
      const [open] = await m.query(
        `SELECT 1 FROM offers WHERE referral_id = $1 AND status IN ('pending', 'accepted')`,
        [body.referralId],
      );
      if (open) throw new ConflictException('the referral already has an open offer');
      const [before] = await m.query(`SELECT 1 FROM offers WHERE referral_id = $1 AND service_id = $2`, [
        body.referralId,
        body.serviceId,
      ]);
      if (before) throw new ConflictException('this service was already offered for this referral');

      const made = await this.offerInTransaction(m, referral, body.serviceId, {
        auto: false,
        createdBy: user.sub,
      });
      if ('shortage' in made) {
        if (made.shortage === 'unknown-service') throw new NotFoundException('service not found');
        throw new ConflictException(SHORTAGE[made.shortage]);
      }
      // The link worker chose: the referral leaves the waitlist and owes no automatic offer.
      await m.query(
        `UPDATE referral_projection SET auto_pending = false, waitlisted_at = NULL WHERE referral_id = $1`,
        [body.referralId],
      );
      return made;
    });
    await this.offerMade(view);
    return view;
  }

  /**
   * Reserves a place at the service and writes the offer and its event, inside the caller's
   * transaction, which must already hold the referral's row and have checked consent. The caller
   * decides what a shortage means (a 409 for a link worker, the next candidate for matching).
   */
  async offerInTransaction(
    m: EntityManager,
    referral: { referral_id: string; pcn_code: string },
    serviceId: string,
    opts: { auto: boolean; createdBy: string },
  ): Promise<OfferView | { shortage: ShortageReason }> {
    const week = isoWeekLondon();
    const place = await reservePlace(m, serviceId, week);
    if ('shortage' in place) return place;
    const now = new Date();
    // Open for the PCN's own number of days (pcn_settings), else OFFER_EXPIRY_DAYS: whole 24-hour days.
    const [offer]: OfferRow[] = await m.query(
      `INSERT INTO offers (id, referral_id, service_id, organisation_id, pcn_code, status, auto, week, created_by, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $8, $9,
               $9::timestamptz + COALESCE((SELECT offer_expiry_days FROM pcn_settings WHERE pcn_code = $5), $10::float8)
                                 * interval '24 hours')
       RETURNING *`,
      [
        randomUUID(),
        referral.referral_id,
        serviceId,
        place.organisationId,
        referral.pcn_code,
        opts.auto,
        week,
        opts.createdBy,
        now,
        defaultOfferExpiryDays(),
      ],
    );
    const expiresAt = new Date(offer.expires_at);
    const data: OfferMadeV1 = {
      ...this.ref(offer),
      auto: offer.auto,
      expiresAt: expiresAt.toISOString(),
      madeAt: now.toISOString(),
    };
    await this.outbox.enqueue(m, { type: OFFER_MADE_V1, subject: offer.referral_id, data });
    return toOfferView(offer);
  }

  /**
   * Tells the listeners (the expiry processor) about an offer. Best after its transaction commits;
   * an offer made inside an event consumer's transaction is announced before, which is harmless: the
   * expiry job finds nothing to expire if the transaction rolled back.
   */
  async offerMade(view: OfferView): Promise<void> {
    // A failure here loses nothing: the processor re-arms every pending offer from Postgres.
    for (const listener of this.offerMadeListeners) {
      await listener(view.id, new Date(view.expiresAt)).catch(() => undefined);
    }
  }

  async accept(user: AuthClaims, id: string): Promise<OfferView> {
    return this.decide(user, id, 'pending', async (m, offer) => {
      await activateReservation(m, offer.service_id);
      const updated = await this.setStatus(m, offer.id, 'accepted', { decided: true });
      const data: OfferAcceptedV1 = { ...this.ref(offer), at: new Date().toISOString() };
      await this.outbox.enqueue(m, { type: OFFER_ACCEPTED_V1, subject: offer.referral_id, data });
      return updated;
    });
  }

  async decline(user: AuthClaims, id: string, body: DeclineOfferDto): Promise<OfferView> {
    return this.decide(user, id, 'pending', async (m, offer) => {
      await this.owedAfterAutoOffer(m, offer);
      await releaseReservation(m, offer.service_id);
      const updated = await this.setStatus(m, offer.id, 'declined', {
        decided: true,
        declineReason: body.reason,
      });
      const data: OfferDeclinedV1 = { ...this.ref(offer), reason: body.reason, at: new Date().toISOString() };
      await this.outbox.enqueue(m, { type: OFFER_DECLINED_V1, subject: offer.referral_id, data });
      return updated;
    });
  }

  async complete(user: AuthClaims, id: string, body: CompleteOfferDto): Promise<OfferView> {
    return this.decide(user, id, 'accepted', async (m, offer) => {
      await releaseActive(m, offer.service_id);
      const updated = await this.setStatus(m, offer.id, body.outcome, { closed: true });
      const data: OfferCompletedV1 = {
        ...this.ref(offer),
        outcome: body.outcome,
        at: new Date().toISOString(),
      };
      await this.outbox.enqueue(m, { type: OFFER_COMPLETED_V1, subject: offer.referral_id, data });
      return updated;
    });
  }

  async list(user: AuthClaims, query: ListOffersQuery): Promise<OfferPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const where: string[] = [];
    const params: unknown[] = [];
    if (user.role === 'vcso_coordinator') {
      params.push(user.org);
      where.push(`organisation_id = $${params.length}`);
    } else if (user.role !== 'admin') {
      params.push(user.pcn);
      where.push(`pcn_code = $${params.length}`);
    }
    if (query.status) {
      params.push(query.status);
      where.push(`status = $${params.length}`);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.ds.query(`SELECT count(*)::int AS total FROM offers ${clause}`, params);
    const rows: OfferRow[] = await this.ds.query(
      `SELECT * FROM offers ${clause} ORDER BY created_at DESC, id LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    return { items: rows.map(toOfferView), page, pageSize, total };
  }

  /**
   * Cancels a referral's open offers and frees their places (consent withdrawn, referral closed);
   * answers the services that got a place back.
   */
  async cancelOpenOffers(m: EntityManager, referralId: string, reason: OfferCancelReason): Promise<string[]> {
    const open: OfferRow[] = await m.query(
      `SELECT * FROM offers WHERE referral_id = $1 AND status IN ('pending', 'accepted') ORDER BY created_at FOR UPDATE`,
      [referralId],
    );
    for (const offer of open) {
      if (offer.status === 'pending') await releaseReservation(m, offer.service_id);
      else await releaseActive(m, offer.service_id);
      await m.query(
        `UPDATE offers SET status = 'cancelled', cancel_reason = $2, closed_at = now() WHERE id = $1`,
        [offer.id, reason],
      );
      const data: OfferCancelledV1 = { ...this.ref(offer), reason, at: new Date().toISOString() };
      await this.outbox.enqueue(m, { type: OFFER_CANCELLED_V1, subject: offer.referral_id, data });
    }
    return open.map((o) => o.service_id);
  }

  /**
   * Expires an offer if it is still pending and its time is up; a job that runs early (a clock
   * skew, a re-armed job) or late (after an acceptance) changes nothing.
   */
  async expireOne(offerId: string, now = new Date()): Promise<boolean> {
    const expired = await this.ds.transaction(async (m) => {
      await this.lockReferralOf(m, offerId);
      const [offer]: OfferRow[] = await m.query(
        `SELECT * FROM offers WHERE id = $1 AND status = 'pending' AND expires_at <= $2 FOR UPDATE`,
        [offerId, now],
      );
      if (!offer) return false;
      await this.owedAfterAutoOffer(m, offer);
      await releaseReservation(m, offer.service_id);
      await m.query(`UPDATE offers SET status = 'expired', closed_at = now() WHERE id = $1`, [offer.id]);
      const data: OfferExpiredV1 = { ...this.ref(offer), at: now.toISOString() };
      await this.outbox.enqueue(m, { type: OFFER_EXPIRED_V1, subject: offer.referral_id, data });
      return offer;
    });
    if (!expired) return false;
    await this.placeFreed({
      referralId: expired.referral_id,
      serviceId: expired.service_id,
      auto: expired.auto,
    });
    return true;
  }

  private async decide(
    user: AuthClaims,
    id: string,
    from: OfferStatus,
    change: (m: EntityManager, offer: OfferRow) => Promise<OfferView>,
  ): Promise<OfferView> {
    const view = await transactionWithRetry(this.ds, async (m) => {
      await this.lockReferralOf(m, id);
      const [offer]: OfferRow[] = await m.query(`SELECT * FROM offers WHERE id = $1 FOR UPDATE`, [id]);
      // Coordinators only ever see their own organisation's offers: anything else is a 404.
      assertInScope(offer && canSeeOrg(user, offer.organisation_id), 'offer');
      if (offer.status !== from) throw new ConflictException(`the offer is ${offer.status}, not ${from}`);
      return change(m, offer);
    });
    // Acceptance keeps the place; every other decision gives one back.
    if (view.status !== 'accepted') {
      await this.placeFreed({ referralId: view.referralId, serviceId: view.serviceId, auto: view.auto });
    }
    return view;
  }

  /**
   * An automatic offer that lapses or is declined leaves matching owing the referral the next
   * candidate: recorded in the same transaction, so a crash before the move only delays it (the
   * sweep finds it). A link worker's offer goes back to the link worker.
   */
  private async owedAfterAutoOffer(m: EntityManager, offer: OfferRow): Promise<void> {
    if (!offer.auto) return;
    await m.query(
      `UPDATE referral_projection SET auto_pending = true WHERE referral_id = $1 AND NOT closed`,
      [offer.referral_id],
    );
  }

  /**
   * Decisions on an offer take the referral's row first, as making and cancelling do, so that a
   * decline racing a withdrawal queues instead of deadlocking.
   */
  private async lockReferralOf(m: EntityManager, offerId: string): Promise<void> {
    await m.query(
      `SELECT 1 FROM referral_projection WHERE referral_id = (SELECT referral_id FROM offers WHERE id = $1) FOR UPDATE`,
      [offerId],
    );
  }

  private async placeFreed(freed: FreedPlace): Promise<void> {
    for (const listener of this.placeFreedListeners) {
      // The sweep catches up with whatever a failed listener left undone.
      await listener(freed).catch(() => undefined);
    }
  }

  private async setStatus(
    m: EntityManager,
    id: string,
    status: OfferStatus,
    opts: { decided?: boolean; closed?: boolean; declineReason?: string },
  ): Promise<OfferView> {
    const [row] = await queryRows<OfferRow>(
      m,
      `UPDATE offers SET status = $2,
              decided_at = CASE WHEN $3 THEN now() ELSE decided_at END,
              closed_at = CASE WHEN $4 OR $2 IN ('declined', 'completed', 'did-not-attend') THEN now() ELSE closed_at END,
              decline_reason = COALESCE($5, decline_reason)
        WHERE id = $1 RETURNING *`,
      [id, status, opts.decided ?? false, opts.closed ?? false, opts.declineReason ?? null],
    );
    return toOfferView(row);
  }

  private ref(o: OfferRow) {
    return {
      offerId: o.id,
      referralId: o.referral_id,
      serviceId: o.service_id,
      organisationId: o.organisation_id,
      pcnCode: o.pcn_code,
    };
  }

  /** The referral's projection trails its events by a hop: wait briefly for one just assessed. */
  private async untilKnown(referralId: string, timeoutMs = 3000): Promise<void> {
    // Woken as soon as this process's consumer commits an event about the referral.
    await commitSignals.until(
      referralId,
      async () => {
        const rows: unknown[] = await this.ds.query(
          `SELECT 1 FROM referral_projection WHERE referral_id = $1 AND consent <> 'none' AND assessed_at IS NOT NULL`,
          [referralId],
        );
        return rows.length ? true : null;
      },
      timeoutMs,
    );
  }
}
