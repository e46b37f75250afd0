import { PageQuery } from '@sp/platform';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { assertInScope } from '@sp/auth';
import { SERVICE_REGISTERED_V1, type NeedCode, type ServiceRegisteredV1 } from '@sp/contracts';
import { OutboxWriter } from '@sp/messaging';
import { ValidationProblem } from '@sp/platform';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { CapacityService } from '../capacity/capacity.service';
import { haversineKm, type LatLon } from '../geography/distance';
import { GeographyService, placeCodes } from '../geography/geography.service';
import type {
  CreateOrganisationDto,
  CreateServiceDto,
  ListServicesQuery,
  OrganisationPage,
  OrganisationView,
  ServicePage,
  ServiceView,
} from './directory.dto';
import { Organisation } from './organisation.entity';
import { toServiceView } from './service-view';
import { VcsoService } from './vcso-service.entity';

function toOrganisationView(o: Organisation): OrganisationView {
  return {
    id: o.id,
    name: o.name,
    icsCode: o.icsCode,
    charityNumber: o.charityNumber,
    contactEmail: o.contactEmail,
    createdAt: o.createdAt.toISOString(),
  };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** What matching is told about a new service: settings and coarse place, no contact details or prose. */
export function registeredEvent(
  svc: VcsoService,
  icsCode: string,
  location: LatLon | null,
  now: Date,
): ServiceRegisteredV1 {
  const data: ServiceRegisteredV1 = {
    serviceId: svc.id,
    organisationId: svc.organisationId,
    icsCode,
    needs: svc.needs as NeedCode[],
    postcodeDistrict: svc.district,
    locationKnown: location !== null,
    radiusKm: svc.radiusKm,
    languages: svc.languages,
    accessibility: svc.accessibility,
    mode: svc.mode,
    maxActive: svc.maxActive,
    weeklyIntake: svc.weeklyIntake,
    registeredAt: now.toISOString(),
  };
  if (location) {
    data.lat = round3(location.lat);
    data.lon = round3(location.lon);
  }
  if (svc.minAge !== null) data.minAge = svc.minAge;
  if (svc.maxAge !== null) data.maxAge = svc.maxAge;
  return data;
}

/** The VCSO directory: organisations and the services they run, with distance from a postcode. */
@Injectable()
export class DirectoryService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly geography: GeographyService,
    private readonly capacity: CapacityService,
    private readonly outbox: OutboxWriter,
  ) {}

  async createOrganisation(dto: CreateOrganisationDto): Promise<OrganisationView> {
    const org = this.dataSource.getRepository(Organisation).create({
      id: randomUUID(),
      name: dto.name.trim(),
      icsCode: dto.icsCode,
      charityNumber: dto.charityNumber ?? null,
      contactEmail: dto.contactEmail.trim(),
      createdAt: new Date(),
    });
    await this.dataSource.getRepository(Organisation).insert(org);
    return toOrganisationView(org);
  }

  async listOrganisations(query: PageQuery): Promise<OrganisationPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const [rows, total] = await this.dataSource.getRepository(Organisation).findAndCount({
      order: { name: 'ASC', id: 'ASC' },
      skip: (page - 1) * pageSize,
      take: pageSize,
    });
    return { items: rows.map(toOrganisationView), page, pageSize, total };
  }

  async createService(dto: CreateServiceDto): Promise<ServiceView> {
    const place = placeCodes(dto.postcode);
    const problems = [];
    if (!place) problems.push({ field: 'postcode', message: 'must be a UK postcode or postcode district' });
    if (dto.minAge !== undefined && dto.maxAge !== undefined && dto.minAge > dto.maxAge) {
      problems.push({ field: 'maxAge', message: 'maxAge must not be below minAge' });
    }
    if (problems.length > 0 || !place) throw new ValidationProblem(problems);

    const svc = await this.dataSource.transaction(async (manager) => {
      const org = await manager.findOneBy(Organisation, { id: dto.organisationId });
      if (!org) {
        throw new ValidationProblem([{ field: 'organisationId', message: 'no such organisation' }]);
      }
      const now = this.capacity.clock.now();
      const created = manager.create(VcsoService, {
        id: randomUUID(),
        organisationId: org.id,
        name: dto.name.trim(),
        needs: dto.needs,
        postcode: place.full ?? place.district,
        district: place.district,
        radiusKm: dto.radiusKm,
        minAge: dto.minAge ?? null,
        maxAge: dto.maxAge ?? null,
        languages: dto.languages ?? [],
        accessibility: dto.accessibility ?? [],
        mode: dto.mode,
        maxActive: dto.maxActive,
        weeklyIntake: dto.weeklyIntake,
        active: 0,
        reserved: 0,
        offersWeek: null,
        offersThisWeek: 0,
        paused: false,
        pauseReason: null,
        pausedUntil: null,
        status: 'open',
        statusChangedAt: now,
        strainedSince: null,
        alertedAt: null,
        createdAt: now,
        updatedAt: now,
      });
      const location = await this.geography.locate(place);
      // A new service's limits are a settings change like any other: matching hears of them at once,
      // after the settings it matches on.
      await this.outbox.enqueue<ServiceRegisteredV1>(manager, {
        type: SERVICE_REGISTERED_V1,
        subject: created.id,
        data: registeredEvent(created, org.icsCode, location, now),
        time: now,
      });
      await this.capacity.settle(manager, created, 'limits-changed', now, 'insert');
      return { created, location };
    });
    return toServiceView(svc.created, svc.location, this.capacity.clock.now());
  }

  async getService(id: string): Promise<ServiceView> {
    const svc = await this.dataSource.getRepository(VcsoService).findOneBy({ id });
    assertInScope(svc, 'service');
    const place = placeCodes(svc.postcode);
    return toServiceView(svc, place ? await this.geography.locate(place) : null, this.capacity.clock.now());
  }

  /**
   * Services by need and organisation, nearest first when `near` is given. Within reach means within
   * `radiusKm` of `near` if asked, else within the service's own radius; online and phone services
   * reach everywhere. A service (or a `near`) the geography table does not know cannot be measured:
   * it is listed last with `distanceKm: null, distanceUnknown: true` rather than silently dropped.
   */
  async listServices(query: ListServicesQuery): Promise<ServicePage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const qb = this.dataSource.getRepository(VcsoService).createQueryBuilder('s');
    if (query.need) qb.andWhere(':need = ANY(s.needs)', { need: query.need });
    if (query.organisationId) qb.andWhere('s.organisation_id = :org', { org: query.organisationId });
    qb.orderBy('s.name', 'ASC').addOrderBy('s.id', 'ASC');
    const now = this.capacity.clock.now();

    if (!query.near) {
      if (query.radiusKm !== undefined) {
        throw new ValidationProblem([
          { field: 'radiusKm', message: 'radiusKm needs near (a postcode to measure from)' },
        ]);
      }
      const [rows, total] = await qb
        .skip((page - 1) * pageSize)
        .take(pageSize)
        .getManyAndCount();
      const places = rows.map((r) => placeCodes(r.postcode) ?? { full: null, district: r.district });
      const locations = await this.geography.locateMany(places);
      return { items: rows.map((r, i) => toServiceView(r, locations[i], now)), page, pageSize, total };
    }

    const nearPlace = placeCodes(query.near);
    if (!nearPlace)
      throw new ValidationProblem([{ field: 'near', message: 'must be a UK postcode or district' }]);
    const rows = await qb.getMany();
    const places = rows.map((r) => placeCodes(r.postcode) ?? { full: null, district: r.district });
    const [origin, ...locations] = await this.geography.locateMany([nearPlace, ...places]);
    const candidates: ServiceView[] = [];
    rows.forEach((r, i) => {
      const view = toServiceView(r, locations[i], now);
      const at = locations[i];
      if (!origin || !at) {
        candidates.push({ ...view, distanceKm: null, distanceUnknown: true });
        return;
      }
      const km = haversineKm(origin, at);
      const reach = query.radiusKm ?? r.radiusKm;
      if (km <= reach || (r.mode !== 'in-person' && query.radiusKm === undefined)) {
        candidates.push({ ...view, distanceKm: km, distanceUnknown: false });
      }
    });
    candidates.sort((a, b) => (a.distanceKm ?? Infinity) - (b.distanceKm ?? Infinity));
    return {
      items: candidates.slice((page - 1) * pageSize, page * pageSize),
      page,
      pageSize,
      total: candidates.length,
      nearKnown: origin !== null,
    };
  }
}
