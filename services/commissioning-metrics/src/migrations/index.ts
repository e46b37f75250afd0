import { MetricsTables1732500000000 } from './1732500000000-metrics-tables';
import { OutcomeRecords1733000000000 } from './1733000000000-outcome-records';
import { PcnIcs1733300000000 } from './1733300000000-pcn-ics';

/** This service's own migrations, oldest first (the outbox and inbox tables come from @sp/persistence). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [
  MetricsTables1732500000000,
  OutcomeRecords1733000000000,
  PcnIcs1733300000000,
];
