import { Controller } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import {
  CAPACITY_UPDATED_V1,
  SERVICE_REGISTERED_V1,
  type CapacityUpdatedV1,
  type ServiceRegisteredV1,
} from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import { AnalyticsPublisher, utilisationOf } from './analytics-publisher';

/**
 * Each service's current load and its history, from the capacity service's events. Every load change
 * is published as analytics.load-changed.v1 in the same transaction.
 */
@Controller()
export class CapacityEventsConsumer {
  constructor(private readonly analytics: AnalyticsPublisher) {}

  @EventPattern(SERVICE_REGISTERED_V1)
  async onRegistered(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as ServiceRegisteredV1;
    // The load columns are only a starting point until the first capacity.updated.v1, whenever it lands.
    await ctx.getManager().query(
      `INSERT INTO service_load AS s (service_id, organisation_id, ics_code, needs, postcode_district,
                                      max_active, weekly_intake, utilisation)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (service_id) DO UPDATE SET
         ics_code = EXCLUDED.ics_code,
         needs = EXCLUDED.needs,
         postcode_district = EXCLUDED.postcode_district,
         updated_at = now()`,
      [
        d.serviceId,
        d.organisationId,
        d.icsCode,
        d.needs,
        d.postcodeDistrict,
        d.maxActive,
        d.weeklyIntake,
        utilisationOf({ active: 0, reserved: 0, maxActive: d.maxActive }),
      ],
    );
  }

  @EventPattern(CAPACITY_UPDATED_V1)
  async onUpdated(@Ctx() ctx: EventContext): Promise<void> {
    const d = ctx.getEvent().data as CapacityUpdatedV1;
    const m = ctx.getManager();
    const utilisation = utilisationOf(d);
    await m.query(
      `INSERT INTO service_load_history (service_id, at, active, reserved, max_active, weekly_intake,
                                         offers_this_week, utilisation, status, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        d.serviceId,
        d.changedAt,
        d.active,
        d.reserved,
        d.maxActive,
        d.weeklyIntake,
        d.offersThisWeek,
        utilisation,
        d.status,
        d.reason ?? null,
      ],
    );
    // The newest picture wins; an older one arriving late only joins the history.
    const rows: { ics_code: string | null }[] = await m.query(
      `INSERT INTO service_load AS s (service_id, organisation_id, active, reserved, max_active, weekly_intake,
                                      offers_this_week, utilisation, status, changed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (service_id) DO UPDATE SET
         active = CASE WHEN s.changed_at IS NULL OR EXCLUDED.changed_at >= s.changed_at THEN EXCLUDED.active ELSE s.active END,
         reserved = CASE WHEN s.changed_at IS NULL OR EXCLUDED.changed_at >= s.changed_at THEN EXCLUDED.reserved ELSE s.reserved END,
         max_active = CASE WHEN s.changed_at IS NULL OR EXCLUDED.changed_at >= s.changed_at THEN EXCLUDED.max_active ELSE s.max_active END,
         weekly_intake = CASE WHEN s.changed_at IS NULL OR EXCLUDED.changed_at >= s.changed_at THEN EXCLUDED.weekly_intake ELSE s.weekly_intake END,
         offers_this_week = CASE WHEN s.changed_at IS NULL OR EXCLUDED.changed_at >= s.changed_at THEN EXCLUDED.offers_this_week ELSE s.offers_this_week END,
         utilisation = CASE WHEN s.changed_at IS NULL OR EXCLUDED.changed_at >= s.changed_at THEN EXCLUDED.utilisation ELSE s.utilisation END,
         status = CASE WHEN s.changed_at IS NULL OR EXCLUDED.changed_at >= s.changed_at THEN EXCLUDED.status ELSE s.status END,
         changed_at = GREATEST(s.changed_at, EXCLUDED.changed_at),
         updated_at = now()
       RETURNING ics_code`,
      [
        d.serviceId,
        d.organisationId,
        d.active,
        d.reserved,
        d.maxActive,
        d.weeklyIntake,
        d.offersThisWeek,
        utilisation,
        d.status,
        d.changedAt,
      ],
    );
    await this.analytics.loadChanged(m, d, rows[0]?.ics_code ?? null);
  }
}
