import { readFileSync } from 'node:fs';
import path from 'node:path';
import { heapCap } from './supervisor';

describe('heapCap: each service gets the heap it has in production', () => {
  it('defaults to the cap in the Kubernetes manifests', () => {
    const manifest = readFileSync(path.join(__dirname, '../deploy/kubernetes/app/deployment.yaml'), 'utf8');
    const deployed = /--max-old-space-size=(\d+)/.exec(manifest)?.[1];
    expect(heapCap({}, {})).toEqual([`--max-old-space-size=${deployed}`]);
  });

  it('takes SERVICE_HEAP_MB, and 0 for no cap', () => {
    expect(heapCap({}, { SERVICE_HEAP_MB: '256' })).toEqual(['--max-old-space-size=256']);
    expect(heapCap({}, { SERVICE_HEAP_MB: '0' })).toEqual([]);
  });

  it('leaves a cap given in the node options or NODE_OPTIONS alone', () => {
    expect(heapCap({ nodeArgs: ['--max-old-space-size=512'] }, {})).toEqual([]);
    expect(heapCap({}, { NODE_OPTIONS: '--max-old-space-size=64' })).toEqual([]);
  });

  it('refuses a value that is not a whole number of megabytes, naming the setting', () => {
    expect(() => heapCap({}, { SERVICE_HEAP_MB: '1.5g' })).toThrow(/SERVICE_HEAP_MB .* got '1.5g'/);
  });
});
