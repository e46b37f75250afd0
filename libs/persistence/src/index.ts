export * from './database-url';
export * from './data-source';
export * from './ensure-database';
export * from './entities/outbox-message.entity';
export * from './entities/inbox-message.entity';
export * from './migrations/1732000000000-messaging-tables';
export * from './retry-transaction';
export * from './statement-counter';
