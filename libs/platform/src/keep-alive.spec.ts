import { Agent, createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyKeepAlive, keepAliveMs } from './keep-alive';

function serve(delayMs = 0): Promise<{ server: Server; port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((_req, res) => setTimeout(() => res.end('ok'), delayMs).unref());
  server.on('connection', () => connections++);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as AddressInfo).port, connections: () => connections }),
    ),
  );
}

function ask(port: number, agent: Agent): Promise<{ status?: number; keepAlive?: string }> {
  return new Promise((resolve, reject) =>
    get({ host: '127.0.0.1', port, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, keepAlive: String(res.headers['keep-alive']) }));
    }).on('error', reject),
  );
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('keepAliveMs', () => {
  it('is 65 s unless HTTP_KEEP_ALIVE_MS says otherwise', () => {
    expect(keepAliveMs({})).toBe(65_000);
    expect(keepAliveMs({ HTTP_KEEP_ALIVE_MS: '120000' })).toBe(120_000);
  });

  it('refuses a value that is not a whole number of milliseconds of at least 1 s', () => {
    for (const bad of ['soon', '999', '-5', '1.5e3x', '6500.5']) {
      expect(() => keepAliveMs({ HTTP_KEEP_ALIVE_MS: bad })).toThrow(/HTTP_KEEP_ALIVE_MS .* "/);
    }
  });
});

describe('applyKeepAlive', () => {
  const agents: Agent[] = [];
  const servers: Server[] = [];
  afterEach(() => {
    for (const a of agents.splice(0)) a.destroy();
    for (const s of servers.splice(0)) {
      s.close();
      s.closeAllConnections();
    }
  });
  const agent = () => {
    const a = new Agent({ keepAlive: true });
    agents.push(a);
    return a;
  };

  it('serves a second request on a connection left idle past Node’s own limit (5 s, closed at 6 s), on the same connection', async () => {
    const { server, port, connections } = await serve();
    servers.push(server);
    applyKeepAlive(server, 65_000);
    const a = agent();
    expect(await ask(port, a)).toEqual({ status: 200, keepAlive: 'timeout=65' });
    await pause(6_500);
    expect(await ask(port, a)).toEqual({ status: 200, keepAlive: 'timeout=65' });
    expect(connections()).toBe(1);
    expect(server.headersTimeout).toBeGreaterThan(65_000);
  }, 15_000);

  it('closes promptly: a connection busy when close() is called is closed once its answer is out', async () => {
    const { server, port } = await serve(300);
    servers.push(server);
    applyKeepAlive(server, 65_000);
    const a = agent();
    await ask(port, a);
    const busy = ask(port, a);
    await pause(50);
    const t0 = Date.now();
    const closed = new Promise<number>((resolve) => server.close(() => resolve(Date.now() - t0)));
    expect((await busy).status).toBe(200);
    expect(await closed).toBeLessThan(1_000);
  });

  it('cuts a connection still busy after the grace period', async () => {
    const { server, port } = await serve(60_000);
    servers.push(server);
    applyKeepAlive(server, 65_000, 200);
    const answer = ask(port, agent()).catch((err: Error) => err.message);
    await pause(50);
    const t0 = Date.now();
    const closed = new Promise<number>((resolve) => server.close(() => resolve(Date.now() - t0)));
    expect(await closed).toBeLessThan(1_000);
    expect(await answer).toMatch(/socket hang up|ECONNRESET/);
  });
});
