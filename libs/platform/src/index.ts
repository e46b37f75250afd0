export * from './service-config';
export * from './problem-details.filter';
export * from './validation';
export * from './redis.provider';
export * from './health.controller';
export * from './metrics.controller';
export * from './platform.module';
export * from './bootstrap';
