/**
 * Where a service's own database lives. Each service owns one database; `<SERVICE>_DATABASE_URL`
 * (e.g. `MATCHING_DATABASE_URL`) names it outright, otherwise `DATABASE_URL` names the server and the
 * service's database name replaces its path, otherwise the local default on 127.0.0.1:5432.
 */
export function serviceDatabaseUrl(
  service: string,
  database: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const own = env[`${service.toUpperCase().replace(/-/g, '_')}_DATABASE_URL`];
  if (own) return own;
  const shared = env.DATABASE_URL;
  if (shared) {
    const url = new URL(shared);
    url.pathname = `/${database}`;
    return url.toString();
  }
  return `postgres://postgres@127.0.0.1:5432/${database}`;
}

/** The URL of the server's maintenance database, for creating a service's database when it is missing. */
export function adminUrlFor(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  return url.toString();
}

export function databaseNameOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
}
