import { eventTopic, validateEventData } from '@sp/contracts';

/**
 * What the messaging layer needs to know about event types: which topic each goes to and whether a
 * payload is valid. Services use the contracts' catalogue; tests may bring their own types.
 */
export interface EventRegistry {
  topicFor(type: string): string;
  /** Problems with `data` for `type`, empty when valid. */
  validate(type: string, data: unknown): string[];
}

export const contractsRegistry: EventRegistry = {
  topicFor: (type) => eventTopic(type),
  validate: (type, data) => validateEventData(type, data),
};
