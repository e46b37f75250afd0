import { CAPACITY_STATUSES, type CapacityStatus } from '../../codes';
import { Code, Count, IcsCode, Id, Optional, Ratio, Timestamp } from '../../field-validators';

export const ANALYTICS_LOAD_CHANGED_V1 = 'analytics.load-changed.v1' as const;

/** A VCSO service's load, for ICS load monitoring. About services only: nothing about people. */
export class AnalyticsLoadChangedV1 {
  @Id('The VCSO service.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @Optional()
  @IcsCode()
  icsCode?: string;

  @Count('People currently attending.')
  active: number;

  @Count('Places held by pending offers.')
  reserved: number;

  @Count('Most people the service takes at once.')
  maxActive: number;

  @Ratio('(active + reserved) / maxActive; above 1 when limits were lowered under the current load.')
  utilisation: number;

  @Code(CAPACITY_STATUSES, 'Capacity status.')
  status: CapacityStatus;

  @Timestamp('When the load changed.')
  at: string;
}
