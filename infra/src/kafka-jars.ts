import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runCommand, tail } from './support/exec';
import { withFileLock } from './support/file-lock';
import { CACHE_DIR, INFRA_DIR, displayPath } from './support/paths';

/** The Maven project that names the broker's jars. */
export const KAFKA_POM = path.join(INFRA_DIR, 'kafka', 'pom.xml');
/** Where the broker's jars are fetched to: git-ignored `.cache/kafka/libs`, or SP_KAFKA_LIBS_DIR. */
export const KAFKA_LIBS_DIR = process.env.SP_KAFKA_LIBS_DIR
  ? path.resolve(process.env.SP_KAFKA_LIBS_DIR)
  : path.join(CACHE_DIR, 'kafka', 'libs');

/** Reads `<kafka.version>` from the pom, so that bumping the version there triggers a new fetch. */
export function kafkaVersionFromPom(pomXml: string): string {
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pomXml);
  if (!m) throw new Error('infra/kafka/pom.xml has no <kafka.version> property');
  return m[1];
}

/** The jars without which `kafka.Kafka` cannot start, for a given version. */
export function requiredJars(version: string): RegExp[] {
  const v = version.replace(/\./g, '\\.');
  return [
    new RegExp(`^kafka_2\\.1[23]-${v}\\.jar$`),
    new RegExp(`^kafka-clients-${v}\\.jar$`),
    /^slf4j-reload4j-.*\.jar$/,
  ];
}

export async function kafkaVersion(): Promise<string> {
  return kafkaVersionFromPom(await fs.readFile(KAFKA_POM, 'utf8'));
}

export async function jarsPresent(dir: string, version: string): Promise<boolean> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return false;
  }
  return requiredJars(version).every((re) => names.some((n) => re.test(n)));
}

let inFlight: Promise<void> | undefined;

/**
 * Makes sure the broker's jars are in `.cache/kafka/libs`, fetching them with Maven when missing.
 * Concurrent callers share one fetch: in-process through a promise, across processes through a lock;
 * the jars land in a temporary directory renamed into place, so nobody ever sees half a download.
 */
export function ensureKafkaJars(log: (line: string) => void = () => undefined): Promise<void> {
  inFlight ??= doEnsure(log).finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}

async function doEnsure(log: (line: string) => void): Promise<void> {
  const version = await kafkaVersion();
  if (await jarsPresent(KAFKA_LIBS_DIR, version)) return;
  await withFileLock(`${KAFKA_LIBS_DIR}.lock`, async () => {
    if (await jarsPresent(KAFKA_LIBS_DIR, version)) return;
    log(`fetching Apache Kafka ${version} jars with Maven into ${displayPath(KAFKA_LIBS_DIR)} ...`);
    const started = Date.now();
    const tmp = `${KAFKA_LIBS_DIR}.tmp-${process.pid}`;
    await fs.rm(tmp, { recursive: true, force: true });
    let result;
    try {
      result = await runCommand(
        'mvn',
        ['-B', '-q', '-f', KAFKA_POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`],
        { timeoutMs: 10 * 60_000 },
      );
    } catch (err) {
      throw new Error(
        `Cannot run Maven (mvn) to fetch the Kafka jars: ${(err as Error).message}. Install Maven and a JDK 17, or run a Docker engine.`,
      );
    }
    if (result.code !== 0 || !(await jarsPresent(tmp, version))) {
      await fs.rm(tmp, { recursive: true, force: true });
      const out = tail(`${result.stdout}\n${result.stderr}`.trim(), 25);
      throw new Error(
        `Maven could not fetch the Kafka ${version} jars (exit ${result.code}); is Maven Central reachable?\n${out}`,
      );
    }
    const old = `${KAFKA_LIBS_DIR}.old-${process.pid}`;
    await fs.rm(old, { recursive: true, force: true });
    await fs.rename(KAFKA_LIBS_DIR, old).catch(() => undefined);
    await fs.rename(tmp, KAFKA_LIBS_DIR);
    await fs.rm(old, { recursive: true, force: true });
    log(`fetched Kafka ${version} jars in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });
}
