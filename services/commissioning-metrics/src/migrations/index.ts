import { MetricsTables1732500000000 } from './1732500000000-metrics-tables';

/** This service's own migrations, oldest first (the outbox and inbox tables come from @sp/persistence). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [MetricsTables1732500000000];
