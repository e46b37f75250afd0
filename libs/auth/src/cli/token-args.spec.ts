import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { findRepoRoot } from '../repo-root';
import { JwtVerifier } from '../jwt-verifier';
import { parseTokenArgs, UsageError } from './token-args';

describe('parseTokenArgs', () => {
  it('builds claims for each role', () => {
    expect(parseTokenArgs(['--role', 'referrer', '--practice', 'p00001', '--pcn', 'U00001'])).toEqual({
      claims: { sub: 'dev-referrer', role: 'referrer', practice: 'P00001', pcn: 'U00001' },
      expiresIn: '12h',
    });
    expect(
      parseTokenArgs(['--role', 'vcso_coordinator', '--org', 'org-1', '--sub', 'me', '--expires', '30m']),
    ).toEqual({
      claims: { sub: 'me', role: 'vcso_coordinator', org: 'org-1' },
      expiresIn: '30m',
    });
    expect(parseTokenArgs(['--role=admin'])).toEqual({
      claims: { sub: 'dev-admin', role: 'admin' },
      expiresIn: '12h',
    });
    expect(parseTokenArgs(['--help'])).toBe('help');
  });

  it.each([
    [[], '--role', /is required/],
    [['--role', 'boss'], '--role', /unknown role 'boss'/],
    [['--role', 'referrer', '--pcn', 'U00001'], '--practice', /is required for role referrer/],
    [['--role', 'link_worker'], '--pcn', /is required for role link_worker/],
    [['--role', 'link_worker', '--pcn', 'P00001'], '--pcn', /PCN ODS code/],
    [['--role', 'ics_analyst'], '--ics', /is required/],
    [['--role', 'admin', '--expires', 'tomorrow'], '--expires', /not a time span/],
    [['--role', 'admin', '--colour', 'red'], '--colour', /Unknown option/],
    [['--role', 'admin', 'extra'], 'arguments', /positional/],
  ])('rejects %j naming %s', (argv, flag, reason) => {
    expect(() => parseTokenArgs(argv)).toThrow(UsageError);
    expect(() => parseTokenArgs(argv)).toThrow(
      expect.objectContaining({ flag, message: expect.stringMatching(reason) }),
    );
  });
});

describe('token CLI', () => {
  const run = promisify(execFile);
  const root = findRepoRoot();
  let keyDir: string;

  beforeAll(async () => {
    keyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'sp-token-cli-'));
  });

  afterAll(async () => {
    await fs.rm(keyDir, { recursive: true, force: true });
  });

  const cli = (args: string[]) =>
    run(process.execPath, ['-r', '@swc-node/register', 'libs/auth/src/cli/token.ts', ...args], {
      cwd: root,
      env: { ...process.env, AUTH_MODE: 'dev', AUTH_DEV_KEY_DIR: keyDir },
    });

  it('prints only a token the verifier accepts, and exits 2 naming a bad flag', async () => {
    const { stdout, stderr } = await cli(['--role', 'link_worker', '--pcn', 'U00001', '--sub', 'lw-9']);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const verifier = new JwtVerifier({
      mode: 'dev',
      keyDir,
      issuer: 'sp-dev',
      audience: 'sp-platform',
      clockToleranceSeconds: 5,
    });
    expect(await verifier.verify(stdout.trim())).toEqual({ sub: 'lw-9', role: 'link_worker', pcn: 'U00001' });

    await expect(cli(['--role', 'referrer', '--pcn', 'U00001'])).rejects.toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^token: --practice: is required for role referrer/),
    });
  }, 30_000);
});
