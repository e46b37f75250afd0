import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { MetricsSettingsModule } from './common/metrics-settings.module';
import { MetricsModule } from './metrics/metrics.module';
import { MIGRATIONS } from './migrations';
import { ProjectionsModule } from './projections/projections.module';
import { StreamModule } from './stream/stream.module';

@Module({
  imports: [
    PlatformModule.forService({ service: 'commissioning-metrics', entities: [], migrations: MIGRATIONS }),
    MetricsSettingsModule,
    ProjectionsModule,
    MetricsModule,
    StreamModule,
  ],
})
export class AppModule {}
