import { pingRedis, TempRedis } from './redis';
import { freePort, isPortOpen } from './support/net';

describe('TempRedis', () => {
  let redis: TempRedis;

  beforeAll(async () => {
    redis = new TempRedis({ port: await freePort() });
  });

  afterAll(async () => {
    await redis?.destroy();
  });

  it('starts, answers PING, and is gone after stop until started again', async () => {
    await redis.start();
    expect(await pingRedis(redis.url())).toBeUndefined();

    await redis.stop();
    expect(await redis.isRunning()).toBe(false);
    expect(await isPortOpen('127.0.0.1', redis.port)).toBe(false);
    expect(await pingRedis(redis.url(), 500)).toEqual(expect.any(String));

    await redis.start();
    expect(await pingRedis(redis.url())).toBeUndefined();
  });

  it('survives a SIGKILL and restart', async () => {
    await redis.stop('SIGKILL');
    expect(await isPortOpen('127.0.0.1', redis.port)).toBe(false);
    await redis.start();
    expect(await pingRedis(redis.url())).toBeUndefined();
  });
});
