import { Module } from '@nestjs/common';
import { PlatformModule } from '@sp/platform';
import { MeController } from './me.controller';

@Module({
  imports: [PlatformModule.forService({ service: 'gateway' })],
  controllers: [MeController],
})
export class AppModule {}
