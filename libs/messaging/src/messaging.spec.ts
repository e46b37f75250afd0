import { laneOf, OUTBOX_LANES, OutboxWriter, InvalidEventError } from './outbox-writer';
import { backoffMs, isTransientError, PermanentError, withTimeout } from './transient-error';
import { deadLetterMessage } from './dead-letter';
import type { EntityManager } from 'typeorm';

describe('laneOf', () => {
  it('is stable for a key and spreads keys over every lane', () => {
    expect(laneOf('referral-1')).toBe(laneOf('referral-1'));
    const lanes = new Set(Array.from({ length: 2000 }, (_, i) => laneOf(`key-${i}`)));
    expect(lanes.size).toBe(OUTBOX_LANES);
    for (const lane of lanes) expect(lane).toBeGreaterThanOrEqual(0);
  });
});

describe('isTransientError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }],
    [{ code: '57P01', message: 'terminating connection due to administrator command' }],
    [{ code: '08006' }],
    [{ code: '40001' }],
    [new Error('Connection terminated unexpectedly')],
    [{ message: 'query failed', driverError: { code: 'ECONNRESET' } }],
    [{ retriable: true, message: 'kafka leader not available' }],
    [{ code: '0A000', message: 'cached plan must not change result type' }],
  ])('treats %o as transient', (err) => expect(isTransientError(err)).toBe(true));

  it.each([
    [new Error('cannot read properties of undefined')],
    [{ code: '23505', message: 'duplicate key' }],
    [new PermanentError('referral unknown')],
    [null],
    ['a string'],
  ])('treats %o as permanent', (err) => expect(isTransientError(err)).toBe(false));
});

describe('backoffMs', () => {
  it('grows and stays under its cap', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const ms = backoffMs(attempt, 100, 5000);
      expect(ms).toBeGreaterThanOrEqual(Math.min(5000, 100 * 2 ** attempt) / 2);
      expect(ms).toBeLessThanOrEqual(5000);
    }
  });
});

describe('withTimeout', () => {
  it('answers with the work when it finishes in time, and leaves no timer behind', async () => {
    jest.useFakeTimers();
    try {
      await expect(withTimeout(Promise.resolve(7), 1000, 'late')).resolves.toBe(7);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('fails with its message when the work takes longer', async () => {
    await expect(withTimeout(new Promise(() => undefined), 20, 'redis did not answer')).rejects.toThrow(
      'redis did not answer',
    );
  });

  it('passes on a failure of the work itself', async () => {
    await expect(withTimeout(Promise.reject(new Error('refused')), 1000, 'late')).rejects.toThrow('refused');
  });
});

describe('deadLetterMessage', () => {
  it('keeps the original message and says where it came from and why', () => {
    const dl = deadLetterMessage(
      { key: Buffer.from('k'), value: Buffer.from('{}'), headers: { ce_id: Buffer.from('1') } } as never,
      {
        consumer: 'matching',
        topic: 'sp.referral.events.v1',
        partition: 2,
        offset: '41',
        reason: 'x'.repeat(5000),
      },
    );
    expect(dl.topic).toBe('sp.referral.events.v1.dlq');
    expect(dl.message.value?.toString()).toBe('{}');
    expect(dl.message.headers).toMatchObject({
      ce_id: Buffer.from('1'),
      dlq_consumer: 'matching',
      dlq_source_topic: 'sp.referral.events.v1',
      dlq_source_partition: '2',
      dlq_source_offset: '41',
    });
    expect(String(dl.message.headers!.dlq_reason)).toHaveLength(1000);
  });
});

describe('OutboxWriter', () => {
  const inTx = { queryRunner: { isTransactionActive: true }, query: jest.fn() } as unknown as EntityManager;

  it('refuses an event whose payload breaks its contract, naming the problem', async () => {
    const writer = new OutboxWriter('test');
    await expect(
      writer.enqueue(inTx, { type: 'consent.granted.v1', subject: 'x', data: { referralId: 'not-a-uuid' } }),
    ).rejects.toThrow(InvalidEventError);
  });

  it('refuses to write outside a transaction', async () => {
    const writer = new OutboxWriter('test');
    const noTx = { queryRunner: undefined } as unknown as EntityManager;
    await expect(
      writer.enqueue(noTx, { type: 'consent.granted.v1', subject: 'x', data: {} }),
    ).rejects.toThrow(/inside a transaction/);
  });
});
