import type { DataSource } from 'typeorm';
import { isRetryableTransactionError, transactionWithRetry } from './retry-transaction';

const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });

function fakeDataSource(failures: unknown[]): { ds: DataSource; calls: () => number } {
  let calls = 0;
  const ds = {
    transaction: async (work: (m: unknown) => Promise<unknown>) => {
      calls++;
      const failure = failures.shift();
      if (failure) throw failure;
      return work({});
    },
  } as unknown as DataSource;
  return { ds, calls: () => calls };
}

describe('transactionWithRetry', () => {
  it('tries again after a deadlock or a serialisation failure, and returns the answer', async () => {
    const { ds, calls } = fakeDataSource([deadlock, { driverError: { code: '40001' } }]);
    await expect(transactionWithRetry(ds, async () => 'placed')).resolves.toBe('placed');
    expect(calls()).toBe(3);
  });

  it('gives up after the last attempt with the database error', async () => {
    const { ds, calls } = fakeDataSource([deadlock, deadlock, deadlock]);
    await expect(transactionWithRetry(ds, async () => 'placed', 3)).rejects.toBe(deadlock);
    expect(calls()).toBe(3);
  });

  it('does not retry other errors', async () => {
    const boom = new Error('no place left');
    const { ds, calls } = fakeDataSource([boom]);
    await expect(transactionWithRetry(ds, async () => 'placed')).rejects.toBe(boom);
    expect(calls()).toBe(1);
    expect(isRetryableTransactionError({ code: '23505' })).toBe(false);
    // The same SQLSTATE for another unsupported feature is not a stale prepared plan.
    expect(
      isRetryableTransactionError({ code: '0A000', message: 'FOR UPDATE is not allowed with GROUP BY' }),
    ).toBe(false);
  });

  it('tries again when a migration changed the columns under a prepared statement', async () => {
    const stale = { driverError: { code: '0A000', message: 'cached plan must not change result type' } };
    const { ds, calls } = fakeDataSource([stale]);
    await expect(transactionWithRetry(ds, async () => 'placed')).resolves.toBe('placed');
    expect(calls()).toBe(2);
  });
});
