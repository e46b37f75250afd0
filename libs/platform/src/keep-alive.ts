import { msFromEnv } from '@sp/messaging';
import type { Server } from 'node:http';

/** How long an idle client connection is kept open (HTTP_KEEP_ALIVE_MS, at least 1 s). */
export function keepAliveMs(env: NodeJS.ProcessEnv = process.env): number {
  return msFromEnv('HTTP_KEEP_ALIVE_MS', 65_000, env, 1000);
}

/**
 * Keeps idle client connections open for `ms` (65 s by default) instead of Node's 5 s, and still
 * shuts down promptly.
 *
 * A client that reuses a kept-alive connection at the moment the server closes it gets a reset
 * instead of an answer, and for a POST nobody retries (nodejs/undici#3141, nodejs/node#52649).
 * Node's own server closes an idle connection after 6 s and tells clients 5 s; Node's fetch lets one go
 * after 3 s, so a client whose event loop is held up for 3 s meets the server closing. Load balancers
 * hold idle upstream connections for 60 s. So the server keeps them longer than its clients do.
 *
 * A long keep-alive would otherwise hold up shutdown: `server.close()` closes the connections idle
 * at that moment, but one busy then stays open, idle, until its keep-alive ends. So, once closing,
 * connections are closed as soon as they fall idle, and any still open after `graceMs` are cut.
 */
export function applyKeepAlive(server: Server, ms = keepAliveMs(), graceMs = 10_000): void {
  server.keepAliveTimeout = ms;
  // Must be longer than the keep-alive, or Node ends a kept-alive connection early.
  server.headersTimeout = Math.max(server.headersTimeout, ms + 1000);
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    idle.unref();
    cut.unref();
    return close((err?: Error) => {
      clearInterval(idle);
      clearTimeout(cut);
      callback?.(err);
    });
  };
}
