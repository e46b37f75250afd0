import { CAPACITY_STATUSES, type CapacityStatus } from '../../codes';
import { Code, Id, Timestamp } from '../../field-validators';

export const SERVICE_THROTTLED_V1 = 'service.throttled.v1' as const;

/** A service stopped taking new offers as freely: it became limited, full or paused. */
export class ServiceThrottledV1 {
  @Id('The VCSO service.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @Code(CAPACITY_STATUSES, 'The status it moved to (limited, full or paused).')
  status: CapacityStatus;

  @Timestamp('When it was throttled.')
  at: string;
}
