import { parseDuration, parseRate, parseTrafficArgs, TrafficUsageError } from './traffic-options';

describe('simulate traffic options', () => {
  const defaults = { url: 'http://localhost:3000' };

  it('reads a bare rate as per minute and n/s as per second', () => {
    expect(parseRate('30')).toBeCloseTo(0.5);
    expect(parseRate('30/min')).toBeCloseTo(0.5);
    expect(parseRate('2/s')).toBe(2);
    expect(parseRate('0.5/sec')).toBe(0.5);
    for (const bad of ['0', '-1', 'fast', '2/h', '']) expect(() => parseRate(bad)).toThrow(TrafficUsageError);
  });

  it('reads durations in seconds, minutes and hours', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(() => parseDuration('soon')).toThrow(TrafficUsageError);
  });

  it('takes every option and keeps the defaults otherwise', () => {
    const o = parseTrafficArgs(
      [
        '--url',
        'http://h:3600',
        '--rate',
        '3/s',
        '--count',
        '30',
        '--duration',
        '2m',
        '--seed',
        '7',
        '--pace',
        '0',
        '--pcn',
        'u60101,U60102',
      ],
      defaults,
    );
    expect(o).toMatchObject({
      url: 'http://h:3600',
      ratePerSec: 3,
      count: 30,
      durationMs: 120_000,
      seed: 7,
      pace: 0,
      pcns: ['U60101', 'U60102'],
    });
    expect(
      parseTrafficArgs(['--capacity-every', '0', '--drain', '2m', '--report', 'r.json'], defaults),
    ).toMatchObject({ capacityEveryMs: 0, drainMs: 120_000, reportFile: 'r.json' });
    expect(parseTrafficArgs(['--capacity-every', '30s'], defaults).capacityEveryMs).toBe(30_000);
    const d = parseTrafficArgs([], defaults);
    expect(d).toMatchObject({ url: defaults.url, pace: 1, capacityEveryMs: 15_000 });
    expect(d.ratePerSec).toBeCloseTo(20 / 60);
    expect(d.count).toBeUndefined();
  });

  it('refuses what it does not understand, naming the option', () => {
    expect(() => parseTrafficArgs(['--count', '0'], defaults)).toThrow(/--count/);
    expect(() => parseTrafficArgs(['--count'], defaults)).toThrow(/--count needs a value/);
    expect(() => parseTrafficArgs(['--pcn', 'P88001'], defaults)).toThrow(/--pcn/);
    expect(() => parseTrafficArgs(['--url', 'localhost:3000'], defaults)).toThrow(/--url/);
    expect(() => parseTrafficArgs(['--speed', '2'], defaults)).toThrow(/unknown option --speed/);
  });
});
