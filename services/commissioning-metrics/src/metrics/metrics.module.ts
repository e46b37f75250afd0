import { Module } from '@nestjs/common';
import { FiguresController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/** The figures routes. */
@Module({ controllers: [FiguresController], providers: [MetricsService] })
export class MetricsModule {}
