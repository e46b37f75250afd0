import { CAPACITY_STATUSES, type CapacityStatus } from '../../codes';
import { Code, Id, Timestamp } from '../../field-validators';

export const CAPACITY_ALERT_RAISED_V1 = 'capacity.alert-raised.v1' as const;

/** A service has stayed throttled long enough that the PCN should look at it. */
export class CapacityAlertRaisedV1 {
  @Id('The VCSO service.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @Code(CAPACITY_STATUSES, 'The status the service is stuck in.')
  status: CapacityStatus;

  @Timestamp('Since when the service has been in that status.')
  sinceAt: string;

  @Timestamp('When the alert was raised.')
  at: string;
}
