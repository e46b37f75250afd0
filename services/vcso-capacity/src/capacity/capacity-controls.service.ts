import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { assertInScope, canSeeOrg, type AuthClaims } from '@sp/auth';
import type { CapacityChangeReason } from '@sp/contracts';
import { ValidationProblem } from '@sp/platform';
import type { DataSource } from 'typeorm';
import { londonIsoWeek, londonMidnight, londonMonth } from '../common/london-time';
import type { ServiceView } from '../directory/directory.dto';
import { toServiceView } from '../directory/service-view';
import type { VcsoService } from '../directory/vcso-service.entity';
import { placeCodes, GeographyService } from '../geography/geography.service';
import type { ActivityCounts, ActivityView, UpdateCapacityDto } from './capacity.dto';
import { CapacityService } from './capacity.service';
import type { ActivityKind } from './offer-activity.entity';

/** Coordinators manage their own organisation's services; the PCN (and admin) any service. */
export function canManage(user: AuthClaims, svc: Pick<VcsoService, 'organisationId'>): boolean {
  return user.role === 'pcn_ops' || canSeeOrg(user, svc.organisationId);
}

function reopenInstant(value: string): Date {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? londonMidnight(value) : new Date(value);
}

/** Capacity controls (`PUT /services/:id/capacity`) and the coordinator's activity view. */
@Injectable()
export class CapacityControlsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly capacity: CapacityService,
    private readonly geography: GeographyService,
  ) {}

  async update(user: AuthClaims, serviceId: string, dto: UpdateCapacityDto): Promise<ServiceView> {
    const now = this.capacity.clock.now();
    const reopenAt = dto.reopenOn !== undefined ? reopenInstant(dto.reopenOn) : undefined;
    const problems = [];
    if (reopenAt && (Number.isNaN(reopenAt.getTime()) || reopenAt.getTime() <= now.getTime())) {
      problems.push({ field: 'reopenOn', message: 'reopenOn must be in the future' });
    }
    if (dto.status === 'open' && (dto.reopenOn !== undefined || dto.reason !== undefined)) {
      problems.push({
        field: dto.reopenOn !== undefined ? 'reopenOn' : 'reason',
        message: 'only a pause takes a reason or reopenOn',
      });
    }
    if (problems.length > 0) throw new ValidationProblem(problems);

    const svc = await this.capacity.inLockedTransaction((manager) =>
      this.capacity.changeLocked(manager, serviceId, (s) => {
        // Out of scope reads as absent, checked under the lock on the row actually changed.
        assertInScope(canManage(user, s), 'service');
        const byPcn = user.role !== 'vcso_coordinator';
        let reason: CapacityChangeReason = 'limits-changed';
        if (dto.maxActive !== undefined) s.maxActive = dto.maxActive;
        if (dto.weeklyIntake !== undefined) s.weeklyIntake = dto.weeklyIntake;
        if (dto.status === 'paused') {
          s.paused = true;
          s.pauseReason = dto.reason ?? s.pauseReason ?? 'other';
          s.pausedUntil = reopenAt ?? null;
          reason = byPcn ? 'pcn-paused' : 'coordinator-paused';
        } else if (dto.status === 'open') {
          s.paused = false;
          reason = byPcn ? 'pcn-resumed' : 'coordinator-resumed';
        } else if (dto.reason !== undefined || reopenAt) {
          if (!s.paused) {
            throw new ValidationProblem([
              {
                field: reopenAt ? 'reopenOn' : 'reason',
                message: 'the service is not paused; send status: paused',
              },
            ]);
          }
          if (dto.reason !== undefined) s.pauseReason = dto.reason;
          if (reopenAt) s.pausedUntil = reopenAt;
          reason = byPcn ? 'pcn-paused' : 'coordinator-paused';
        }
        return reason;
      }),
    );
    assertInScope(svc, 'service');
    const place = placeCodes(svc.postcode);
    const location = place ? await this.geography.locate(place) : null;
    return toServiceView(svc, location, this.capacity.clock.now());
  }

  async activity(user: AuthClaims, serviceId: string): Promise<ActivityView> {
    const rows: { organisation_id: string }[] = await this.dataSource.query(
      `SELECT organisation_id FROM vcso_services WHERE id = $1`,
      [serviceId],
    );
    assertInScope(rows[0] && canManage(user, { organisationId: rows[0].organisation_id }), 'service');
    const now = this.capacity.clock.now();
    const week = londonIsoWeek(now);
    const month = londonMonth(now);
    const counts: { period: 'week' | 'month'; kind: ActivityKind; n: number }[] = await this.dataSource.query(
      `SELECT 'week' AS period, kind, count(*)::int AS n FROM offer_activity
        WHERE service_id = $1 AND week = $2 GROUP BY kind
       UNION ALL
       SELECT 'month' AS period, kind, count(*)::int AS n FROM offer_activity
        WHERE service_id = $1 AND month = $3 GROUP BY kind`,
      [serviceId, week, month],
    );
    const tally = (period: 'week' | 'month'): ActivityCounts => {
      const of = (kind: ActivityKind) => counts.find((c) => c.period === period && c.kind === kind)?.n ?? 0;
      return {
        offered: of('offered'),
        accepted: of('accepted'),
        declined: of('declined'),
        completed: of('completed'),
        didNotAttend: of('did-not-attend'),
        expired: of('expired'),
        cancelled: of('cancelled'),
      };
    };
    return { serviceId, week, month, thisWeek: tally('week'), thisMonth: tally('month') };
  }
}
