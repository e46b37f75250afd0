import { Module } from '@nestjs/common';
import { GeographyService } from './geography.service';

/** Postcode geography: where postcodes and districts are, for distances. */
@Module({ providers: [GeographyService], exports: [GeographyService] })
export class GeographyModule {}
