import { format } from 'node:util';

/**
 * Integration and chaos specs print figures as they go (seed, timings, counts). Jest would buffer
 * them and print them, each with a stack line, between a failed file's FAIL line and the reason it
 * failed, so that a CI log cut to a window around FAIL shows the figures and not the failure. Written
 * straight through, they appear as they happen and the failure reason follows FAIL directly.
 */
const direct =
  (stream: NodeJS.WriteStream) =>
  (...args: unknown[]): void => {
    stream.write(`${format(...args)}\n`);
  };
console.log = direct(process.stdout);
console.info = direct(process.stdout);
console.warn = direct(process.stderr);
console.error = direct(process.stderr);
