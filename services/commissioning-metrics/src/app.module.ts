import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { MIGRATIONS } from './migrations';

@Module({
  imports: [
    PlatformModule.forService({ service: 'commissioning-metrics', entities: [], migrations: MIGRATIONS }),
  ],
})
export class AppModule {}
