import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Where a full postcode or a postcode district is (its centroid), from `npm run import -- postcodes`. */
@Entity({ name: 'postcode_geography' })
export class PostcodeGeography {
  /** Canonical form: 'SW1A 1AA' for a postcode, 'SW1A' for a district. */
  @PrimaryColumn({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  kind: 'postcode' | 'district';

  @Column({ type: 'double precision' })
  lat: number;

  @Column({ type: 'double precision' })
  lon: number;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
