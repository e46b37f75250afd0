import {
  CAPACITY_CHANGE_REASONS,
  CAPACITY_STATUSES,
  type CapacityChangeReason,
  type CapacityStatus,
} from '../../codes';
import { Code, Count, Id, Optional, Timestamp } from '../../field-validators';

export const CAPACITY_UPDATED_V1 = 'capacity.updated.v1' as const;

/** A service's limits, load or status changed; carries the whole current picture, not a delta. */
export class CapacityUpdatedV1 {
  @Id('The VCSO service.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @Count('Most people the service takes at once (active plus reserved).')
  maxActive: number;

  @Count('Most offers the service receives in a week.')
  weeklyIntake: number;

  @Count('People currently attending.')
  active: number;

  @Count('Places held by pending offers.')
  reserved: number;

  @Count('Offers made to the service this week.')
  offersThisWeek: number;

  @Code(CAPACITY_STATUSES, 'Capacity status after the change.')
  status: CapacityStatus;

  @Optional()
  @Code(CAPACITY_CHANGE_REASONS, 'Why it changed, as a code (the free-text reason stays in the service).')
  reason?: CapacityChangeReason;

  @Optional()
  @Timestamp('When a paused service reopens by itself.')
  pausedUntil?: string;

  @Timestamp('When the change happened.')
  changedAt: string;
}
