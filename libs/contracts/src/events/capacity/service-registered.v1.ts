import { NEED_CODES, SERVICE_MODES, type NeedCode, type ServiceMode } from '../../codes';
import {
  Code,
  Codes,
  Count,
  Degrees,
  Flag,
  IcsCode,
  Id,
  LanguageCodes,
  Optional,
  PostcodeDistrict,
  Ratio,
  ShortCodes,
  Timestamp,
} from '../../field-validators';

export const SERVICE_REGISTERED_V1 = 'service.registered.v1' as const;

/**
 * A VCSO service joined the directory: what matching needs to judge whether it suits a referral. Its
 * location travels as the district and, when the geography table knows it, a centroid; the venue's
 * full postcode, the organisation's contact details and any prose stay in the capacity service.
 */
export class ServiceRegisteredV1 {
  @Id('The VCSO service.')
  serviceId: string;

  @Id('The VCSO organisation running the service.')
  organisationId: string;

  @IcsCode()
  icsCode: string;

  @Codes(NEED_CODES, 'Needs the service helps with.', 1)
  needs: NeedCode[];

  @PostcodeDistrict()
  postcodeDistrict: string;

  @Flag('Whether the geography table knew where the service is when it registered.')
  locationKnown: boolean;

  @Optional()
  @Degrees('latitude', 'Latitude of the service (its postcode, else district, centroid), 3 places.')
  lat?: number;

  @Optional()
  @Degrees('longitude', 'Longitude of the service (its postcode, else district, centroid), 3 places.')
  lon?: number;

  @Ratio('How far (km) people may travel to it.')
  radiusKm: number;

  @Optional()
  @Count('Youngest age served, in years.')
  minAge?: number;

  @Optional()
  @Count('Oldest age served, in years.')
  maxAge?: number;

  @LanguageCodes('Languages the service works in (ISO 639-1).')
  languages: string[];

  @ShortCodes('Accessibility the service offers, as short codes (e.g. step-free).')
  accessibility: string[];

  @Code(SERVICE_MODES, 'How the service meets people.')
  mode: ServiceMode;

  @Count('Most people the service takes at once (active plus reserved).')
  maxActive: number;

  @Count('Most offers the service receives in a week.')
  weeklyIntake: number;

  @Timestamp('When the service was registered.')
  registeredAt: string;
}
