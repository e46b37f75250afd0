import servicesFile from '../../../infra/services.json';

export interface ServiceDescriptor {
  name: string;
  port: number;
  database: string | null;
  owns: string[];
}

export const SERVICES: ServiceDescriptor[] = servicesFile.services;

export function serviceDescriptor(name: string): ServiceDescriptor {
  const found = SERVICES.find((s) => s.name === name);
  if (!found)
    throw new Error(
      `unknown service "${name}" (infra/services.json lists ${SERVICES.map((s) => s.name).join(', ')})`,
    );
  return found;
}

/**
 * A service's HTTP port: `<SERVICE>_PORT`, else its default from infra/services.json shifted by
 * `SP_PORT_OFFSET` (so a second copy of the platform, e.g. the start-up test, can run beside the first).
 */
export function servicePort(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const own = env[`${name.toUpperCase().replace(/-/g, '_')}_PORT`];
  if (own) return Number(own);
  return serviceDescriptor(name).port + Number(env.SP_PORT_OFFSET ?? 0);
}

export function redisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}
