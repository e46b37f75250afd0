import { Id, Timestamp } from '../../field-validators';

export const SERVICE_REOPENED_V1 = 'service.reopened.v1' as const;

/** A throttled service is open again: waitlisted referrals may now be matched to it. */
export class ServiceReopenedV1 {
  @Id('The VCSO service.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @Timestamp('When it reopened.')
  at: string;
}
