import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderTemplate } from './template';

describe('renderTemplate', () => {
  it('replaces every placeholder, including repeated ones', () => {
    expect(renderTemplate('a=${A}\nb=${B}:${A}', { A: 1, B: 'x' })).toBe('a=1\nb=x:1');
  });

  it('fails on a placeholder without a value', () => {
    expect(() => renderTemplate('a=${A} b=${B}', { A: 1 })).toThrow('without a value: B');
  });

  it('fails on a value that no placeholder uses', () => {
    expect(() => renderTemplate('a=${A}', { A: 1, TYPO: 2 })).toThrow('no placeholder uses: TYPO');
  });

  it('renders the broker template with the values KafkaBroker supplies', () => {
    const template = readFileSync(path.join(__dirname, '..', '..', 'kafka', 'server.properties'), 'utf8');
    const out = renderTemplate(template, {
      NODE_ID: 7,
      HOST: '127.0.0.1',
      PORT: 19192,
      CONTROLLER_PORT: 19193,
      QUORUM_VOTERS: '7@127.0.0.1:19193',
      REPLICATION_FACTOR: 1,
      MIN_INSYNC_REPLICAS: 1,
      LOG_DIRS: '/tmp/x/data',
    });
    expect(out).not.toContain('${');
    const props = new Map(
      out
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
    );
    expect(props.get('node.id')).toBe('7');
    expect(props.get('controller.quorum.voters')).toBe('7@127.0.0.1:19193');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19192,CONTROLLER://127.0.0.1:19193');
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19192');
    expect(props.get('log.dirs')).toBe('/tmp/x/data');
    expect(props.get('auto.create.topics.enable')).toBe('false');
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('min.insync.replicas')).toBe('1');
    expect(Number(props.get('broker.heartbeat.interval.ms'))).toBeLessThan(
      Number(props.get('broker.session.timeout.ms')),
    );
  });
});
