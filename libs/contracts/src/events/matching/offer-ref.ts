import { Id, PcnCode } from '../../field-validators';

/** What every offer event names: the offer, its referral, the service and organisation, and the PCN. */
export abstract class OfferRef {
  @Id('The offer.')
  offerId: string;

  @Id('The referral the offer is for.')
  referralId: string;

  @Id('The VCSO service offered.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @PcnCode()
  pcnCode: string;
}
