import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and captures its output; never throws for a non-zero exit. */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            stderr += `\n(killed after ${opts.timeoutMs} ms)`;
          }, opts.timeoutMs);
    child.once('error', (err) => {
      if (timer) clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Like runCommand, but a non-zero exit becomes an error that quotes the command's own output. */
export async function runChecked(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = await runCommand(cmd, args, opts);
  if (result.code !== 0) {
    const output = tail(`${result.stdout}\n${result.stderr}`.trim(), 30);
    throw new Error(
      `\`${[cmd, ...args].join(' ')}\` exited with ${result.code}${output ? `:\n${output}` : ''}`,
    );
  }
  return result;
}

/** True when `cmd` can be executed (found on PATH or an existing path). */
export async function commandExists(cmd: string): Promise<boolean> {
  try {
    const r = await runCommand('sh', ['-c', `command -v "$0" >/dev/null 2>&1`, cmd], { timeoutMs: 5000 });
    return r.code === 0;
  } catch {
    return false;
  }
}

export function tail(text: string, lines: number): string {
  const all = text.split('\n');
  return all.slice(Math.max(0, all.length - lines)).join('\n');
}
