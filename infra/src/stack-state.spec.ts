import { formatStatusTable, loadServices, parseServices } from './stack-state';
import { localBrokerTarget } from './stack';
import { pgAdminUrl, quoteIdent, withDatabase } from './postgres';

describe('formatStatusTable', () => {
  it('aligns the columns under their headers', () => {
    const out = formatStatusTable([
      { component: 'kafka', where: 'localhost:9092', running: true, startedBy: 'stack script' },
      { component: 'postgres', where: '127.0.0.1:5432', running: false, startedBy: '-' },
    ]);
    const lines = out.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^component\s+where\s+running\s+started by$/);
    const col = lines[0].indexOf('running');
    expect(lines[1].slice(col, col + 3)).toBe('yes');
    expect(lines[2].slice(col, col + 2)).toBe('no');
    expect(lines[1].endsWith('stack script')).toBe(true);
  });
});

describe('services.json', () => {
  it('names a database for every service but the gateway', () => {
    const services = loadServices();
    expect(services.find((s) => s.name === 'gateway')?.database).toBeNull();
    expect(services.filter((s) => s.database).map((s) => s.database)).toContain('sp_referral_intake');
  });
  it('rejects entries without a name or port', () => {
    expect(() => parseServices({ services: [{ name: 'x' }] })).toThrow('needs a name and a port');
  });
});

describe('localBrokerTarget', () => {
  it('allows one local address only', () => {
    expect(localBrokerTarget(['localhost:9092'])).toEqual({ host: 'localhost', port: 9092 });
    expect(localBrokerTarget(['127.0.0.1:29092'])).toEqual({ host: '127.0.0.1', port: 29092 });
    expect(localBrokerTarget(['kafka:9092'])).toBeUndefined();
    expect(localBrokerTarget(['localhost:9092', 'localhost:9094'])).toBeUndefined();
  });
});

describe('postgres URLs', () => {
  it('derives the admin URL from DATABASE_URL, PG_ADMIN_URL winning', () => {
    expect(pgAdminUrl({})).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(pgAdminUrl({ DATABASE_URL: 'postgres://u:p@db:6543/sp_consent' })).toBe(
      'postgres://u:p@db:6543/postgres',
    );
    expect(pgAdminUrl({ DATABASE_URL: 'postgres://x@db/y', PG_ADMIN_URL: 'postgres://a@b/c' })).toBe(
      'postgres://a@b/c',
    );
  });
  it('swaps the database and keeps the rest', () => {
    expect(withDatabase('postgres://u@h:1/postgres?sslmode=disable', 'sp_matching')).toBe(
      'postgres://u@h:1/sp_matching?sslmode=disable',
    );
  });
  it('quotes identifiers', () => {
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });
});
