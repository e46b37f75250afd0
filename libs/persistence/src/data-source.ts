import { DataSource, DataSourceOptions, EntityManager, MixedList, EntitySchema } from 'typeorm';
import { SnakeNamingStrategy } from 'typeorm-naming-strategies';
import { InboxMessage } from './entities/inbox-message.entity';
import { OutboxMessage } from './entities/outbox-message.entity';
import { MessagingTables1732000000000 } from './migrations/1732000000000-messaging-tables';
import { PreparingClient, preparedStatementsEnabled } from './prepared-statements';
import { StatementCounter } from './statement-counter';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type EntityList = MixedList<Function | string | EntitySchema>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type MigrationList = Function[];

export const MESSAGING_ENTITIES = [OutboxMessage, InboxMessage];
export const MESSAGING_MIGRATIONS = [MessagingTables1732000000000];

export interface ServiceDataSourceOptions {
  url: string;
  entities?: EntityList;
  /** The service's own migrations; the messaging tables' migration is always included first. */
  migrations?: MigrationList;
  poolSize?: number;
  applicationName?: string;
}

/**
 * The one way a service describes its database to TypeORM: snake_case names, the outbox and inbox
 * entities, migrations run explicitly (never `synchronize`), and a bounded pool.
 */
export function serviceDataSourceOptions(opts: ServiceDataSourceOptions): DataSourceOptions {
  const entities = [...MESSAGING_ENTITIES, ...((opts.entities as unknown[]) ?? [])] as EntityList;
  return {
    type: 'postgres',
    url: opts.url,
    entities,
    migrations: [...MESSAGING_MIGRATIONS, ...(opts.migrations ?? [])],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    // TypeORM's error logging prints failing queries with their parameters: personal data. Errors are
    // reported by the callers instead, by name and message. The logger only counts statements.
    logging: false,
    logger: new StatementCounter(),
    poolSize: opts.poolSize ?? Number(process.env.DB_POOL_SIZE ?? 10),
    applicationName: opts.applicationName,
    extra: {
      // A dead database must fail a query quickly (health goes unready) rather than hang the caller.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      // Each parameterised statement is prepared once per connection (see PreparingClient).
      ...(preparedStatementsEnabled() ? { Client: PreparingClient } : {}),
    },
  };
}

export function createServiceDataSource(opts: ServiceDataSourceOptions): DataSource {
  return new DataSource(serviceDataSourceOptions(opts));
}

/** Runs `work` in one transaction: everything it writes, outbox rows included, commits or rolls back together. */
export function inTransaction<T>(ds: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(work);
}
