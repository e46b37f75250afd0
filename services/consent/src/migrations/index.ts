import { ConsentTables1732200000000 } from './1732200000000-consent-tables';

/** This service's own migrations, oldest first (the outbox and inbox tables come from @sp/persistence). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [ConsentTables1732200000000];
