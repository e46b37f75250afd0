// The event publisher and collector moved to @sp/messaging so that every service's specs share them.
export { collectEvents, createEventPublisher, type EventCollector, type EventPublisher } from '@sp/messaging';
