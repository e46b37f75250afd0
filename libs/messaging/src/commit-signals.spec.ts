import type { CloudEvent } from '@sp/contracts';
import { CommitSignals } from './commit-signals';

const event = (subject: string): CloudEvent => ({
  id: `e-${subject}`,
  type: 'referral.status-changed.v1',
  source: 'test',
  specversion: '1.0',
  time: new Date().toISOString(),
  subject,
  datacontenttype: 'application/json',
  data: {},
});

describe('CommitSignals', () => {
  it('wakes a waiter when an event about its subject commits, and not for another subject', async () => {
    const signals = new CommitSignals();
    const t0 = Date.now();
    const woken = signals.wait('r-1', 5000);
    signals.committed([event('r-2')]);
    setTimeout(() => signals.committed([event('r-1')]), 20);
    expect(await woken).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('times out with false when nothing comes', async () => {
    const signals = new CommitSignals();
    expect(await signals.wait('r-1', 30)).toBe(false);
    // nothing left behind to leak
    expect((signals as unknown as { waiting: Map<string, unknown> }).waiting.size).toBe(0);
  });

  it('until() re-checks at once on a signal and returns the first value', async () => {
    const signals = new CommitSignals();
    let ready = false;
    let checks = 0;
    const t0 = Date.now();
    const result = signals.until(
      'r-9',
      async () => {
        checks++;
        return ready ? 'done' : null;
      },
      5000,
    );
    setTimeout(() => {
      ready = true;
      signals.committed([event('r-9')]);
    }, 120);
    expect(await result).toBe('done');
    expect(Date.now() - t0).toBeLessThan(400);
    expect(checks).toBeLessThan(6);
  });

  it('until() without a signal re-checks after 250, 500 and then every 1000 ms', async () => {
    const signals = new CommitSignals();
    const at: number[] = [];
    const t0 = Date.now();
    const result = await signals.until(
      'r-5',
      async () => {
        at.push(Date.now() - t0);
        return null;
      },
      2000,
    );
    expect(result).toBeNull();
    // checks at about 0, 250, 750, 1750 and the deadline (2000; a timer may fire a millisecond early)
    expect(at.length).toBeGreaterThanOrEqual(5);
    expect(at.length).toBeLessThanOrEqual(6);
    expect(at[1]).toBeGreaterThanOrEqual(240);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(490);
    expect(at[3] - at[2]).toBeGreaterThanOrEqual(990);
  });

  it('until() with justChecked waits before its first read', async () => {
    const signals = new CommitSignals();
    let checks = 0;
    const result = signals.until(
      'r-7',
      async () => {
        checks++;
        return 'there';
      },
      5000,
      { justChecked: true },
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(checks).toBe(0);
    signals.committed([event('r-7')]);
    expect(await result).toBe('there');
    expect(checks).toBe(1);
  });

  it('until() gives null after the timeout', async () => {
    const signals = new CommitSignals();
    expect(await signals.until('r-0', async () => null, 100)).toBeNull();
  });
});
