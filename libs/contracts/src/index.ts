export * from './topic-registry';
export * from './cloud-event';
export * from './codes';
export * from './events';
export * from './event-catalogue';
export * from './event-examples';
export * from './asyncapi';
export { isRfc3339DateTime } from './rfc3339';
