export { disclosureRuleFromEnv } from './disclosure';

/** Injection token of the DisclosureRule in force. */
export const DISCLOSURE_RULE = Symbol('DISCLOSURE_RULE');
