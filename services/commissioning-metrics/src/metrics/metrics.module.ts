import { Module } from '@nestjs/common';
import { FiguresController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { OutcomeMetricsController } from './outcome-metrics.controller';
import { OutcomeMetricsService } from './outcome-metrics.service';

/** The figures routes. */
@Module({
  controllers: [FiguresController, OutcomeMetricsController],
  providers: [MetricsService, OutcomeMetricsService],
})
export class MetricsModule {}
