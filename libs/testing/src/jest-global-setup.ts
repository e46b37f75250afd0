// Jest applies moduleNameMapper to test files but not to globalSetup, which is required with plain Node
// resolution, so `@sp/infra` cannot be resolved here: import the same module by its path instead.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { stackUp } from '../../../infra/src';

/** Integration tests run against the real local stack: bring it up (a quick check when it already is). */
export default async function (): Promise<void> {
  await stackUp({ quiet: true });
}
