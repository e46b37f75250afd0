import { Module } from '@nestjs/common';
import { AnalyticsStream } from './analytics-stream';
import { StreamController } from './stream.controller';

/** The live, scoped Server-Sent Events view of sp.analytics.events.v1. */
@Module({ controllers: [StreamController], providers: [AnalyticsStream], exports: [AnalyticsStream] })
export class StreamModule {}
