import { assertFixedPort, ephemeralPortRange, isLocalHost, parseBrokerList, parseHostPort } from './net';

describe('parseHostPort', () => {
  it('reads host and port', () => {
    expect(parseHostPort('localhost:9092', 1)).toEqual({ host: 'localhost', port: 9092 });
  });
  it('falls back to the default port', () => {
    expect(parseHostPort('kafka-0', 9092)).toEqual({ host: 'kafka-0', port: 9092 });
  });
  it('reads bracketed IPv6', () => {
    expect(parseHostPort('[::1]:19092', 1)).toEqual({ host: '::1', port: 19092 });
    expect(parseHostPort('[::1]', 9092)).toEqual({ host: '::1', port: 9092 });
  });
  it('rejects a bad port', () => {
    expect(() => parseHostPort('localhost:0', 1)).toThrow('Bad port');
    expect(() => parseHostPort('localhost:99999', 1)).toThrow('Bad port');
  });
});

describe('parseBrokerList', () => {
  it('splits, trims and drops empty entries', () => {
    expect(parseBrokerList(' a:1, b:2 ,,')).toEqual(['a:1', 'b:2']);
  });
});

describe('isLocalHost', () => {
  it('knows the loopback names and nothing else', () => {
    expect(['localhost', '127.0.0.1', '::1', 'LOCALHOST'].every(isLocalHost)).toBe(true);
    expect(['kafka', '10.0.0.5', 'example.org'].some(isLocalHost)).toBe(false);
  });
});

describe('fixed ports and the ephemeral range', () => {
  it('reads the kernel range, or falls back to the Linux default', () => {
    expect(ephemeralPortRange(() => '32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(ephemeralPortRange(() => '1024 65535')).toEqual({ low: 1024, high: 65535 });
    expect(ephemeralPortRange(() => 'nonsense')).toEqual({ low: 32768, high: 60999 });
    expect(
      ephemeralPortRange(() => {
        throw new Error('ENOENT');
      }),
    ).toEqual({ low: 32768, high: 60999 });
  });

  it('refuses a fixed port an outgoing connection may hold, naming it', () => {
    const range = { low: 32768, high: 60999 };
    expect(() => assertFixedPort(55498, 'Postgres', range)).toThrow(
      "Postgres port 55498 lies in the kernel's ephemeral range 32768–60999",
    );
    expect(() => assertFixedPort(32768, 'Redis', range)).toThrow('Redis port 32768');
    expect(() => assertFixedPort(25498, 'Postgres', range)).not.toThrow();
    expect(() => assertFixedPort(61000, 'Kafka', range)).not.toThrow();
  });
});
