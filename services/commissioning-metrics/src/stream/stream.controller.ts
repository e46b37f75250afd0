import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import {
  ANALYTICS_OUTCOME_RECORDED_V1,
  ANALYTICS_STATUS_CHANGED_V1,
  type AnalyticsLoadChangedV1,
  type AnalyticsOutcomeRecordedV1,
  type AnalyticsStatusChangedV1,
  type CloudEvent,
} from '@sp/contracts';
import type { Response } from 'express';
import { IcsDirectory } from '../common/metrics-config';
import { AnalyticsStream } from './analytics-stream';

/** How often a comment line keeps idle connections (and the proxies between) open. */
export const HEARTBEAT_MS = Number(process.env.STREAM_HEARTBEAT_MS ?? 15000);

/**
 * Whether `user` may see `ev`: an analyst their ICS, PCN operations their PCN (and the services of
 * `pcnIcs`, their PCN's ICS, resolved once when the stream opens).
 */
export function inStreamScope(user: AuthClaims, ev: CloudEvent, pcnIcs?: string): boolean {
  if (user.role === 'admin') return true;
  // Status changes and outcomes are about people: an analyst's ICS, or the PCN's own.
  if (ev.type === ANALYTICS_STATUS_CHANGED_V1 || ev.type === ANALYTICS_OUTCOME_RECORDED_V1) {
    const d = ev.data as AnalyticsStatusChangedV1 | AnalyticsOutcomeRecordedV1;
    if (user.role === 'ics_analyst') return d.icsCode === user.ics?.toUpperCase();
    return user.role === 'pcn_ops' && d.pcnCode === user.pcn;
  }
  const d = ev.data as AnalyticsLoadChangedV1;
  if (!d.icsCode) return false;
  if (user.role === 'ics_analyst') return d.icsCode === user.ics?.toUpperCase();
  return user.role === 'pcn_ops' && !!pcnIcs && d.icsCode === pcnIcs;
}

/**
 * `GET /api/v1/stream`: Server-Sent Events of the de-identified analytics stream in the caller's scope.
 * Each event is `id` (the CloudEvent id), `event` (its type) and `data` (its JSON payload).
 */
@ApiTags('stream')
@ApiBearerAuth()
@Roles('ics_analyst', 'pcn_ops', 'admin')
@Controller('stream')
export class StreamController {
  constructor(
    private readonly stream: AnalyticsStream,
    @Inject(IcsDirectory) private readonly ics: IcsDirectory,
  ) {}

  @Get()
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description:
      'analytics.status-changed.v1, analytics.load-changed.v1 and analytics.outcome-recorded.v1, live.',
  })
  async open(@CurrentUser() user: AuthClaims, @Res() res: Response): Promise<void> {
    // A PCN registered (or moved) after this point shows up in streams opened after it.
    const pcnIcs = user.role === 'pcn_ops' && user.pcn ? await this.ics.icsOf(user.pcn) : undefined;
    res.status(200);
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('connection', 'keep-alive');
    // nginx and friends buffer responses unless told not to.
    res.setHeader('x-accel-buffering', 'no');
    res.flushHeaders();
    res.write('retry: 5000\n: connected\n\n');
    const subscription = this.stream.events.subscribe({
      next: (ev) => {
        if (!inStreamScope(user, ev, pcnIcs)) return;
        res.write(`id: ${ev.id}\nevent: ${ev.type}\ndata: ${JSON.stringify(ev.data)}\n\n`);
      },
      complete: () => res.end(),
    });
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
    res.on('close', () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
    });
  }
}
