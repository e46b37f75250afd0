import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Postcode } from '@sp/domain';
import type { DataSource } from 'typeorm';
import type { LatLon } from './distance';

/** A postcode as the geography table keys it: the full code when there is one, and its district. */
export interface PlaceCodes {
  full: string | null;
  district: string;
}

/** Splits a full postcode or a bare district into table keys; null when it is neither. */
export function placeCodes(input: string): PlaceCodes | null {
  if (Postcode.isValid(input)) {
    const p = Postcode.parse(input);
    return { full: p.value, district: p.district };
  }
  if (Postcode.isValidDistrict(input)) return { full: null, district: Postcode.parseDistrict(input) };
  return null;
}

/** Looks places up in `postcode_geography`: a full postcode first, else its district. */
@Injectable()
export class GeographyService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async locate(place: PlaceCodes): Promise<LatLon | null> {
    return (await this.locateMany([place]))[0];
  }

  /** One query for many places; each answer is the full postcode's point, else the district's, else null. */
  async locateMany(places: PlaceCodes[]): Promise<(LatLon | null)[]> {
    const codes = [...new Set(places.flatMap((p) => (p.full ? [p.full, p.district] : [p.district])))];
    if (codes.length === 0) return [];
    const rows: { code: string; lat: number; lon: number }[] = await this.dataSource.query(
      `SELECT code, lat, lon FROM postcode_geography WHERE code = ANY($1)`,
      [codes],
    );
    const byCode = new Map(rows.map((r) => [r.code, { lat: Number(r.lat), lon: Number(r.lon) }]));
    return places.map((p) => (p.full ? byCode.get(p.full) : undefined) ?? byCode.get(p.district) ?? null);
  }
}
