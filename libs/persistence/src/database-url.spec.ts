import { adminUrlFor, databaseNameOf, serviceDatabaseUrl } from './database-url';

describe('serviceDatabaseUrl', () => {
  it('prefers <SERVICE>_DATABASE_URL, then DATABASE_URL with the service database, then the local default', () => {
    expect(
      serviceDatabaseUrl('vcso-capacity', 'sp_vcso_capacity', {
        VCSO_CAPACITY_DATABASE_URL: 'postgres://a/b',
      }),
    ).toBe('postgres://a/b');
    expect(
      serviceDatabaseUrl('consent', 'sp_consent', {
        DATABASE_URL: 'postgres://u:p@db:6543/whatever?sslmode=require',
      }),
    ).toBe('postgres://u:p@db:6543/sp_consent?sslmode=require');
    expect(serviceDatabaseUrl('consent', 'sp_consent', {})).toBe(
      'postgres://postgres@127.0.0.1:5432/sp_consent',
    );
  });

  it('derives the maintenance database and the database name', () => {
    expect(adminUrlFor('postgres://u@h:1/sp_consent')).toBe('postgres://u@h:1/postgres');
    expect(databaseNameOf('postgres://u@h:1/sp_consent')).toBe('sp_consent');
  });
});
