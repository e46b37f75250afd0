import { SERVICES, servicePort } from '@sp/platform';

export interface Route {
  prefix: string;
  service: string;
  target: string;
}

/** `/api/v1/<resource>` prefixes and the service that owns each, from infra/services.json. */
export function routeTable(env: NodeJS.ProcessEnv = process.env): Route[] {
  return SERVICES.filter((s) => s.name !== 'gateway').flatMap((s) =>
    s.owns.map((prefix) => ({
      prefix,
      service: s.name,
      target:
        env[`${s.name.toUpperCase().replace(/-/g, '_')}_URL`] ??
        `http://127.0.0.1:${servicePort(s.name, env)}`,
    })),
  );
}
