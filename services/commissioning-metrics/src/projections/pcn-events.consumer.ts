import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { PCN_REGISTERED_V1, type PcnRegisteredV1 } from '@sp/contracts';
import { EventContext } from '@sp/messaging';
import { IcsDirectory } from '../common/metrics-config';

/**
 * Intake's PCN registrations: which ICS each PCN sits in, in the inbox transaction. The rows already
 * projected for the PCN (its referrals may have arrived first) move to that ICS in the same
 * transaction, so ICS-scoped figures and the analytics twins not yet published follow it.
 */
@Controller()
export class PcnEventsConsumer {
  private readonly log = new Logger('pcn-events');

  constructor(private readonly ics: IcsDirectory) {}

  @EventPattern(PCN_REGISTERED_V1)
  async onRegistered(@Ctx() ctx: EventContext): Promise<void> {
    // Payloads were validated against the contract by the consumer before the handler runs.
    const d = ctx.getEvent().data as PcnRegisteredV1;
    const moved = await this.ics.register(ctx.getManager(), d.pcnCode, d.icsCode, d.registeredAt);
    if (moved) this.log.log(`PCN ${d.pcnCode} is in ICS ${d.icsCode}: ${moved} projected rows moved to it`);
  }
}
