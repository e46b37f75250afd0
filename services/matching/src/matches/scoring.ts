/**
 * The matching policy as a pure function: which services suit a person, which of those have a place,
 * and how the ones with a place rank. The service (GET /matches, automatic offers, the waitlist) and
 * the simulation (`npm run simulate -- matching`) both call this, so what the simulation measures is
 * what the service does.
 */

/** A point in decimal degrees (WGS84). */
export interface LatLon {
  lat: number;
  lon: number;
}

/** What matching knows about the person: codes and a district centroid only, never the record. */
export interface PersonProfile {
  needs: readonly string[];
  ageBand: string | null;
  preferredLanguage: string | null;
  accessibilityNeeds: readonly string[];
  /** The centroid of the person's postcode district; null when the geography table does not know it. */
  location: LatLon | null;
}

/** One service as matching sees it: its settings, where it is, its load and its recent share. */
export interface ServiceProfile {
  serviceId: string;
  organisationId: string;
  needs: readonly string[];
  location: LatLon | null;
  radiusKm: number;
  minAge: number | null;
  maxAge: number | null;
  languages: readonly string[];
  accessibility: readonly string[];
  mode: 'in-person' | 'online' | 'phone';
  paused: boolean;
  maxActive: number;
  weeklyIntake: number;
  active: number;
  reserved: number;
  /** Offers this ISO week (0 when the load row's week is an older one). */
  offersThisWeek: number;
  /** Offers made to this service over the fairness window. */
  recentOffers: number;
  /** Whether this referral was already offered this service (never twice). */
  alreadyOffered: boolean;
}

/** Why a service is left out; the first five are about suitability, the last three about room. */
export const EXCLUSION_REASONS = [
  'needs',
  'already-offered',
  'age',
  'language',
  'accessibility',
  'too-far',
  'paused',
  'full',
  'weekly-intake-used',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** Reasons that mean "suitable, but no room now": such a service keeps a referral on the waitlist. */
export const ROOM_REASONS: readonly ExclusionReason[] = ['paused', 'full', 'weekly-intake-used'];

/** Weights of the score's parts; they add up to 1 so a score stays between 0 and 1. */
export const WEIGHTS = { needs: 0.4, distance: 0.25, load: 0.2, fairness: 0.15 } as const;

/** Days over which a service's share of recent offers is counted. */
export const FAIRNESS_WINDOW_DAYS = 28;

export type DistanceNote =
  'measured' | 'remote-service' | 'person-location-unknown' | 'service-location-unknown';

export interface ScoreParts {
  needs: { score: number; weight: number; covered: string[]; of: number };
  /**
   * Distance from the person's district centroid. `km` is null when it could not be measured (an
   * unknown postcode, or a service that meets people online or by phone): the note says which, the
   * service was not filtered by distance, and the part scores a neutral 0.5.
   */
  distance: { score: number; weight: number; km: number | null; radiusKm: number; note: DistanceNote };
  load: {
    score: number;
    weight: number;
    active: number;
    reserved: number;
    maxActive: number;
    utilisation: number;
  };
  /**
   * Recent share of offers against the service's share of capacity among the services that suit this
   * person: 1 when it had none, 0.5 at its fair share, 0 at twice its fair share or more.
   */
  fairness: {
    score: number;
    weight: number;
    recentOffers: number;
    recentShare: number;
    fairShare: number;
    days: number;
  };
}

export interface Candidate {
  serviceId: string;
  organisationId: string;
  score: number;
  parts: ScoreParts;
}

export interface Exclusion {
  serviceId: string;
  organisationId: string;
  /** The first reason, in the order of EXCLUSION_REASONS. */
  reason: ExclusionReason;
  reasons: ExclusionReason[];
}

export interface Ranking {
  /** Services that suit the person and have a place, best first. */
  candidates: Candidate[];
  excluded: Exclusion[];
  /** How many services suit the person (with or without room): 0 means no suitable service at all. */
  suitable: number;
}

const EARTH_RADIUS_KM = 6371.0088;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in km (haversine), to 0.1 km: district centroids are no finer. */
export function distanceKm(a: LatLon, b: LatLon): number {
  const h =
    Math.sin(rad(b.lat - a.lat) / 2) ** 2 +
    Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(rad(b.lon - a.lon) / 2) ** 2;
  return Math.round(2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h))) * 10) / 10;
}

/** An age band ('25-34', '85+') as inclusive years. */
export function ageRange(band: string): { min: number; max: number } | null {
  const m = /^(\d+)(?:-(\d+)|\+)$/.exec(band);
  if (!m) return null;
  return { min: Number(m[1]), max: m[2] === undefined ? 130 : Number(m[2]) };
}

// A person's access need is met by the same code or one that serves it (intake and the directory use
// slightly different words for the same thing). Physical-access needs do not apply to remote services.
const ACCESS_EQUIVALENTS: Record<string, readonly string[]> = {
  wheelchair: ['wheelchair', 'step-free', 'wheelchair-accessible'],
  'step-free': ['step-free', 'wheelchair', 'wheelchair-accessible'],
  deaf: ['deaf', 'bsl', 'hearing-loop'],
  'hard-of-hearing': ['hard-of-hearing', 'hearing-loop'],
};
const PHYSICAL_ACCESS = new Set(['wheelchair', 'step-free', 'wheelchair-accessible', 'mobility']);

const round = (x: number, places = 4) => Math.round(x * 10 ** places) / 10 ** places;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function suitability(
  person: PersonProfile,
  s: ServiceProfile,
): { reasons: ExclusionReason[]; km: number | null; note: DistanceNote } {
  const reasons: ExclusionReason[] = [];
  if (!person.needs.some((n) => s.needs.includes(n))) reasons.push('needs');
  if (s.alreadyOffered) reasons.push('already-offered');
  const band = person.ageBand ? ageRange(person.ageBand) : null;
  // The band only has to overlap the service's ages: the link worker knows the exact age.
  if (band && ((s.minAge !== null && band.max < s.minAge) || (s.maxAge !== null && band.min > s.maxAge))) {
    reasons.push('age');
  }
  if (person.preferredLanguage) {
    const languages = s.languages.length ? s.languages : ['en'];
    if (!languages.includes(person.preferredLanguage)) reasons.push('language');
  }
  const access = person.accessibilityNeeds.filter((a) => !(s.mode !== 'in-person' && PHYSICAL_ACCESS.has(a)));
  if (access.some((a) => !(ACCESS_EQUIVALENTS[a] ?? [a]).some((e) => s.accessibility.includes(e)))) {
    reasons.push('accessibility');
  }
  let km: number | null = null;
  let note: DistanceNote = 'measured';
  if (s.mode !== 'in-person') note = 'remote-service';
  else if (!person.location) note = 'person-location-unknown';
  else if (!s.location) note = 'service-location-unknown';
  else {
    km = distanceKm(person.location, s.location);
    if (km > s.radiusKm) reasons.push('too-far');
  }
  return { reasons, km, note };
}

function room(s: ServiceProfile): ExclusionReason[] {
  if (s.paused) return ['paused'];
  const reasons: ExclusionReason[] = [];
  if (s.active + s.reserved >= s.maxActive) reasons.push('full');
  if (s.offersThisWeek >= s.weeklyIntake) reasons.push('weekly-intake-used');
  return reasons;
}

/**
 * Ranks services for one person. Suitable services with a place are candidates, scored by need
 * coverage, distance, current load and fairness (recent share of offers against share of capacity);
 * every other service is excluded with its reasons.
 */
export function rankServices(person: PersonProfile, services: readonly ServiceProfile[]): Ranking {
  const excluded: Exclusion[] = [];
  const open: { s: ServiceProfile; km: number | null; note: DistanceNote }[] = [];
  let suitable = 0;
  for (const s of services) {
    const fit = suitability(person, s);
    const reasons = [...fit.reasons, ...room(s)];
    if (fit.reasons.length === 0) suitable++;
    if (reasons.length) {
      reasons.sort((a, b) => EXCLUSION_REASONS.indexOf(a) - EXCLUSION_REASONS.indexOf(b));
      excluded.push({
        serviceId: s.serviceId,
        organisationId: s.organisationId,
        reason: reasons[0],
        reasons,
      });
    } else {
      open.push({ s, km: fit.km, note: fit.note });
    }
  }
  // Fairness compares each open service with the others this person could go to.
  const totalRecent = open.reduce((sum, o) => sum + o.s.recentOffers, 0);
  const totalCapacity = open.reduce((sum, o) => sum + o.s.maxActive, 0);
  const candidates = open.map(({ s, km, note }): Candidate => {
    const covered = person.needs.filter((n) => s.needs.includes(n));
    const needs = covered.length / Math.max(1, person.needs.length);
    const distance = km === null ? 0.5 : clamp01(1 - km / Math.max(0.1, s.radiusKm));
    const utilisation = s.maxActive > 0 ? (s.active + s.reserved) / s.maxActive : 1;
    const recentShare = totalRecent > 0 ? s.recentOffers / totalRecent : 0;
    const fairShare = totalCapacity > 0 ? s.maxActive / totalCapacity : 0;
    const fairness = totalRecent === 0 || fairShare === 0 ? 1 : clamp01(1 - recentShare / fairShare / 2);
    const parts: ScoreParts = {
      needs: { score: round(needs), weight: WEIGHTS.needs, covered, of: person.needs.length },
      distance: { score: round(distance), weight: WEIGHTS.distance, km, radiusKm: s.radiusKm, note },
      load: {
        score: round(clamp01(1 - utilisation)),
        weight: WEIGHTS.load,
        active: s.active,
        reserved: s.reserved,
        maxActive: s.maxActive,
        utilisation: round(utilisation),
      },
      fairness: {
        score: round(fairness),
        weight: WEIGHTS.fairness,
        recentOffers: s.recentOffers,
        recentShare: round(recentShare),
        fairShare: round(fairShare),
        days: FAIRNESS_WINDOW_DAYS,
      },
    };
    const score =
      WEIGHTS.needs * parts.needs.score +
      WEIGHTS.distance * parts.distance.score +
      WEIGHTS.load * parts.load.score +
      WEIGHTS.fairness * parts.fairness.score;
    return { serviceId: s.serviceId, organisationId: s.organisationId, score: round(score), parts };
  });
  candidates.sort((a, b) => b.score - a.score || (a.serviceId < b.serviceId ? -1 : 1));
  return { candidates, excluded, suitable };
}
