import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { waitUntil } from './wait';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses `host:port` (IPv6 as `[::1]:9092`); the port falls back to `defaultPort` when absent. */
export function parseHostPort(value: string, defaultPort: number): HostPort {
  const v = value.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  const idx = v.lastIndexOf(':');
  if (idx > 0 && v.indexOf(':') === idx) {
    const port = Number(v.slice(idx + 1));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`Bad port in "${value}"`);
    return { host: v.slice(0, idx), port };
  }
  if (!v) throw new Error('Empty host');
  return { host: v, port: defaultPort };
}

/** Splits a KAFKA_BROKERS-style list: comma-separated host:port entries. */
export function parseBrokerList(value: string): string[] {
  return value
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

/** True for names that mean "this machine", where the stack may start a server itself. */
export function isLocalHost(host: string): boolean {
  return ['localhost', '127.0.0.1', '::1', '0.0.0.0', '::'].includes(host.toLowerCase());
}

/** True when something accepts TCP connections at host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPortClosed(host: string, port: number, timeoutMs: number): Promise<void> {
  await waitUntil(async () => !(await isPortOpen(host, port)), {
    timeoutMs,
    intervalMs: 100,
    what: `port ${host}:${port} to close`,
  });
}

/** A TCP port that was free a moment ago (the OS picks it), for disposable servers in tests. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * The kernel's range for the local ports of outgoing connections (Linux:
 * /proc/sys/net/ipv4/ip_local_port_range; 32768–60999 where that cannot be read).
 */
export function ephemeralPortRange(
  read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'),
): { low: number; high: number } {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low > 0 && high >= low) return { low, high };
  } catch {
    // not Linux, or no /proc: the Linux default below
  }
  return { low: 32768, high: 60999 };
}

/**
 * Refuses a fixed port that an outgoing connection may already hold as its local port: a server
 * started later on it fails with "Address already in use" now and then, at random (the chaos run's
 * own Postgres on 55498 did, once). Fixed ports for tests belong below the ephemeral range.
 */
export function assertFixedPort(port: number, what: string, range = ephemeralPortRange()): void {
  if (port >= range.low && port <= range.high)
    throw new Error(
      `${what} port ${port} lies in the kernel's ephemeral range ${range.low}–${range.high}, where an outgoing ` +
        `connection may hold it; pick a fixed port below ${range.low}`,
    );
}
