import { CapacityTables1732400000000 } from './1732400000000-capacity-tables';

/** This service's own migrations, oldest first (the outbox and inbox tables come from @sp/persistence). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [CapacityTables1732400000000];
