import type { LatLon } from '../geography/distance';
import { deriveStatus, utilisation } from '../capacity/capacity-rules';
import { londonIsoWeek } from '../common/london-time';
import type { LoadView, ServiceView } from './directory.dto';
import type { VcsoService } from './vcso-service.entity';

/** Offers made this London week: the stored count belongs to another week once the week turns over. */
export function offersThisWeek(svc: Pick<VcsoService, 'offersWeek' | 'offersThisWeek'>, now: Date): number {
  return svc.offersWeek === londonIsoWeek(now) ? svc.offersThisWeek : 0;
}

/** The load as of `now`, its status derived afresh (so a read never shows last week's `full`). */
export function loadOf(svc: VcsoService, now: Date, threshold?: number): LoadView {
  const facts = {
    paused: svc.paused,
    active: svc.active,
    reserved: svc.reserved,
    maxActive: svc.maxActive,
    offersThisWeek: offersThisWeek(svc, now),
    weeklyIntake: svc.weeklyIntake,
  };
  return {
    active: facts.active,
    reserved: facts.reserved,
    maxActive: facts.maxActive,
    utilisation: utilisation(facts),
    offersThisWeek: facts.offersThisWeek,
    weeklyIntake: facts.weeklyIntake,
    status: deriveStatus(facts, threshold),
  };
}

export function toServiceView(svc: VcsoService, location: LatLon | null, now: Date): ServiceView {
  return {
    id: svc.id,
    organisationId: svc.organisationId,
    name: svc.name,
    needs: svc.needs,
    postcode: svc.postcode,
    district: svc.district,
    radiusKm: svc.radiusKm,
    minAge: svc.minAge,
    maxAge: svc.maxAge,
    languages: svc.languages,
    accessibility: svc.accessibility,
    mode: svc.mode,
    maxActive: svc.maxActive,
    weeklyIntake: svc.weeklyIntake,
    locationKnown: location !== null,
    pauseReason: svc.pauseReason,
    pausedUntil: svc.pausedUntil ? svc.pausedUntil.toISOString() : null,
    load: loadOf(svc, now),
    createdAt: svc.createdAt.toISOString(),
  };
}
