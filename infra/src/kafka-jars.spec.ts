import { readFileSync } from 'node:fs';
import { KAFKA_POM, kafkaVersionFromPom, requiredJars } from './kafka-jars';
import { newClusterId } from './kafka-broker';

describe('kafkaVersionFromPom', () => {
  it('reads the version of the checked-in pom', () => {
    expect(kafkaVersionFromPom(readFileSync(KAFKA_POM, 'utf8'))).toBe('3.9.1');
  });
  it('fails clearly without the property', () => {
    expect(() => kafkaVersionFromPom('<project/>')).toThrow('kafka.version');
  });
});

describe('requiredJars', () => {
  const match = (names: string[]) => requiredJars('3.9.1').every((re) => names.some((n) => re.test(n)));
  it('accepts a complete download', () => {
    expect(match(['kafka_2.13-3.9.1.jar', 'kafka-clients-3.9.1.jar', 'slf4j-reload4j-1.7.36.jar'])).toBe(
      true,
    );
  });
  it('notices another version or a missing logging binding', () => {
    expect(match(['kafka_2.13-3.8.0.jar', 'kafka-clients-3.8.0.jar', 'slf4j-reload4j-1.7.36.jar'])).toBe(
      false,
    );
    expect(match(['kafka_2.13-3.9.1.jar', 'kafka-clients-3.9.1.jar'])).toBe(false);
  });
});

describe('newClusterId', () => {
  it('is 16 bytes in URL-safe base64 and never starts with a dash', () => {
    for (let i = 0; i < 200; i++) {
      const id = newClusterId();
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });
});
