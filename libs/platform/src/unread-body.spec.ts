import { createServer, request, Agent, type IncomingMessage, type Server } from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { discardUnreadBody } from './unread-body';

/** A server that reads a little of each upload into a pipe, answers 413, then calls `after`. */
function earlyAnswerServer(after: (req: IncomingMessage) => void): Promise<Server> {
  const server = createServer((req, res) => {
    const sink = new PassThrough();
    req.pipe(sink);
    sink.once('data', () => {
      req.unpipe(sink);
      res.statusCode = 413;
      res.end('too large');
      after(req);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function upload(port: number, agent: Agent, bytes: number, slowly = false): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, agent, method: 'POST', headers: { 'content-length': bytes } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    if (!slowly) return void req.end(Buffer.alloc(bytes, 'a'));
    // 1 KB every 20 ms: far longer than the grace given below.
    let sent = 0;
    const timer = setInterval(() => {
      if (req.destroyed || sent >= bytes) return clearInterval(timer);
      req.write(Buffer.alloc(1024, 'a'));
      sent += 1024;
    }, 20);
  });
}

describe('discardUnreadBody', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('lets a client that is still uploading read an early answer, on a connection that stays usable', async () => {
    server = await earlyAnswerServer((req) => discardUnreadBody(req));
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const answers: (number | string)[] = [];
    for (let i = 0; i < 20; i++) answers.push(await upload(port, agent, 2 * 1024 * 1024));
    expect(answers).toEqual(Array(20).fill(413));
    agent.destroy();
  });

  it('cuts off a client still sending after the grace period', async () => {
    let cutOff: Promise<boolean> | undefined;
    server = await earlyAnswerServer((req) => {
      cutOff = new Promise((resolve) => req.once('close', () => resolve(!req.complete)));
      discardUnreadBody(req, 200);
    });
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: false });
    const started = Date.now();
    const answer = await upload(port, agent, 10 * 1024 * 1024, true);
    expect(answer).toBe(413);
    await expect(cutOff).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
