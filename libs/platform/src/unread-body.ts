import type { IncomingMessage } from 'node:http';

/** How long the rest of an upload is read and thrown away after the answer went out. */
export const DISCARD_UNREAD_BODY_MS = 15_000;

/**
 * The answer to a request has gone out before its body was read to the end (a 413 decided from
 * Content-Length, an import stopped at its size limit, a service that answered early through the
 * gateway). Closing the connection now would reset it while the client is still sending, and most
 * clients then lose the answer they were sent ("ECONNRESET" instead of the 413). So the rest of the
 * body is read and discarded, the way Node does for a body nobody touched, for at most `graceMs`;
 * a client still sending after that is cut off.
 */
export function discardUnreadBody(req: IncomingMessage, graceMs = DISCARD_UNREAD_BODY_MS): void {
  if (req.complete || req.destroyed) return;
  req.unpipe();
  req.removeAllListeners('data');
  const cutOff = setTimeout(() => req.destroy(), graceMs);
  cutOff.unref();
  const done = () => clearTimeout(cutOff);
  req.once('end', done);
  req.once('close', done);
  req.resume();
}
