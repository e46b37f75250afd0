import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SERVICES } from '@sp/platform';
import { KAFKA_CLUSTER } from '../kafka/generate-topics';

// The manifests repeat facts of infra/services.json (names, ports) that kustomize cannot read from
// it; these checks keep the two from drifting. `kubectl kustomize deploy/kubernetes` checks the rest.
const dir = __dirname;
const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
const envVar = (service: string) => service.toUpperCase().replace(/-/g, '_');

describe('deploy/kubernetes', () => {
  const root = read('kustomization.yaml');
  const config = read('config.env');

  it.each(SERVICES.map((s) => [s.name, s.port] as const))('runs %s on port %d', (name, port) => {
    const file = `services/${name}/kustomization.yaml`;
    expect(existsSync(path.join(dir, file))).toBe(true);
    const overlay = read(file);
    expect(overlay).toContain(`app.kubernetes.io/name: ${name}\n`);
    expect(overlay).toMatch(new RegExp(`path: /metadata/name\\n\\s+value: ${name}\\n`));
    expect(overlay).toMatch(new RegExp(`containers/0/env/0/name\\n\\s+value: SERVICE\\n`));
    expect(overlay).toMatch(new RegExp(`containers/0/env/0/value\\n\\s+value: ${name}\\n`));
    expect(overlay).toMatch(new RegExp(`containerPort\\n\\s+value: ${port}\\n`));
    expect(overlay).toMatch(new RegExp(`/spec/ports/0/port\\n\\s+value: ${port}\\n`));
    expect(root).toContain(`  - services/${name}\n`);
  });

  it('lists no service that infra/services.json does not have', () => {
    const listed = [...root.matchAll(/^ {2}- services\/([\w-]+)$/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(SERVICES.map((s) => s.name).sort());
  });

  it('points the gateway at every other service by its Service name and port', () => {
    for (const s of SERVICES.filter((x) => x.name !== 'gateway')) {
      expect(config).toContain(`\n${envVar(s.name)}_URL=http://${s.name}:${s.port}\n`);
    }
  });

  it('points the services at the bootstrap Service of the Kafka cluster in deploy/kafka', () => {
    expect(config).toMatch(new RegExp(`^KAFKA_BROKERS=${KAFKA_CLUSTER}-kafka-bootstrap:9092$`, 'm'));
    expect(read('../kafka/kafka-cluster.yaml')).toMatch(
      new RegExp(`^kind: Kafka\\nmetadata:\\n  name: ${KAFKA_CLUSTER}$`, 'm'),
    );
  });

  it('never applies the secret template', () => {
    expect(root).not.toMatch(/^\s+- secret\.template\.yaml$/m);
    expect(read('secret.template.yaml')).not.toMatch(
      /^\s+(INTAKE_ENCRYPTION_KEY|PERSON_KEY_SECRET): (?!REPLACE_)/m,
    );
  });
});
