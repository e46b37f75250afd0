import { ageRange, distanceKm, rankServices, type PersonProfile, type ServiceProfile } from './scoring';

const LS6 = { lat: 53.82, lon: -1.579 };
const LS1 = { lat: 53.797, lon: -1.547 };

const person = (p: Partial<PersonProfile> = {}): PersonProfile => ({
  needs: ['loneliness'],
  ageBand: '65-74',
  preferredLanguage: null,
  accessibilityNeeds: [],
  location: LS6,
  ...p,
});

let n = 0;
const service = (s: Partial<ServiceProfile> = {}): ServiceProfile => ({
  serviceId: `s${++n}`,
  organisationId: 'o',
  needs: ['loneliness'],
  location: LS6,
  radiusKm: 10,
  minAge: null,
  maxAge: null,
  languages: [],
  accessibility: [],
  mode: 'in-person',
  paused: false,
  maxActive: 10,
  weeklyIntake: 10,
  active: 0,
  reserved: 0,
  offersThisWeek: 0,
  recentOffers: 0,
  alreadyOffered: false,
  ...s,
});

describe('rankServices', () => {
  it('prefers the nearer, emptier service and returns parts that add up to the score', () => {
    const near = service();
    const busyFar = service({ location: LS1, active: 8 });
    const { candidates } = rankServices(person(), [busyFar, near]);
    expect(candidates.map((c) => c.serviceId)).toEqual([near.serviceId, busyFar.serviceId]);
    const c = candidates[1];
    expect(c.parts.load.utilisation).toBe(0.8);
    expect(c.parts.distance.km).toBeGreaterThan(2);
    const p = c.parts;
    expect(c.score).toBeCloseTo(
      p.needs.weight * p.needs.score +
        p.distance.weight * p.distance.score +
        p.load.weight * p.load.score +
        p.fairness.weight * p.fairness.score,
      3,
    );
  });

  it('spreads work: a service that took more than its share of recent offers ranks below an equal one', () => {
    const favoured = service({ recentOffers: 30 });
    const quiet = service({ recentOffers: 2 });
    const { candidates } = rankServices(person(), [favoured, quiet]);
    expect(candidates[0].serviceId).toBe(quiet.serviceId);
    expect(candidates[1].parts.fairness.recentShare).toBeCloseTo(30 / 32, 3);
    // Twice its fair share would score 0; 1.875 times scores 0.0625.
    expect(candidates[1].parts.fairness.score).toBeCloseTo(0.0625, 4);
  });

  it('names every reason a service is left out, the first by precedence', () => {
    const ranking = rankServices(person({ preferredLanguage: 'pl', accessibilityNeeds: ['wheelchair'] }), [
      service({ needs: ['housing'], languages: ['en'] }),
      service({ maxAge: 30, accessibility: ['step-free'], languages: ['pl'] }),
      service({
        location: { lat: 53.959, lon: -1.081 },
        radiusKm: 5,
        accessibility: ['step-free'],
        languages: ['pl'],
      }),
      service({ paused: true, accessibility: ['step-free'], languages: ['pl'], active: 10 }),
      service({
        active: 6,
        reserved: 4,
        offersThisWeek: 10,
        accessibility: ['step-free'],
        languages: ['pl'],
      }),
      service({ alreadyOffered: true, accessibility: ['step-free'], languages: ['pl'] }),
    ]);
    expect(ranking.candidates).toEqual([]);
    expect(ranking.excluded.map((e) => e.reasons)).toEqual([
      ['needs', 'language', 'accessibility'],
      ['age'],
      ['too-far'],
      ['paused'],
      ['full', 'weekly-intake-used'],
      ['already-offered'],
    ]);
    // Paused and full services still suit the person: the referral would wait for them.
    expect(ranking.suitable).toBe(2);
  });

  it('does not filter by distance when a place is unknown, and says so', () => {
    const far = service({ location: { lat: 51.5, lon: -0.12 } });
    const unknownPerson = rankServices(person({ location: null }), [far]);
    expect(unknownPerson.candidates[0].parts.distance).toMatchObject({
      km: null,
      note: 'person-location-unknown',
      score: 0.5,
    });
    const unknownService = rankServices(person(), [service({ location: null })]);
    expect(unknownService.candidates[0].parts.distance.note).toBe('service-location-unknown');
    expect(rankServices(person(), [far]).excluded[0].reason).toBe('too-far');
  });

  it('lets remote services reach everyone, and does not ask them for step-free access', () => {
    const online = service({ mode: 'online', location: { lat: 51.5, lon: -0.12 }, radiusKm: 1 });
    const { candidates } = rankServices(person({ accessibilityNeeds: ['wheelchair'] }), [online]);
    expect(candidates[0].parts.distance.note).toBe('remote-service');
  });
});

describe('geometry and bands', () => {
  it('measures LS6 to LS1 as about 3 km', () => {
    expect(distanceKm(LS6, LS1)).toBeGreaterThan(2.5);
    expect(distanceKm(LS6, LS1)).toBeLessThan(3.5);
  });

  it('reads age bands as inclusive years', () => {
    expect(ageRange('25-34')).toEqual({ min: 25, max: 34 });
    expect(ageRange('85+')).toEqual({ min: 85, max: 130 });
    expect(ageRange('old')).toBeNull();
  });
});
