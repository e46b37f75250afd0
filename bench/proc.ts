/** What /proc says of processes: the benchmark's CPU and memory readings, and the round-trip baseline's. */
import { readdirSync, readFileSync } from 'node:fs';

const PAGE_BYTES = 4096;

/**
 * Command name, CPU seconds (user + system, its own and its reaped children's) and resident memory of
 * the given processes (default: all), from /proc/<pid>/stat.
 */
export function processStats(
  pids: (number | string)[] = readdirSync('/proc').filter((d) => /^\d+$/.test(d)),
): Map<number, { comm: string; cpuSeconds: number; rssBytes: number }> {
  const out = new Map<number, { comm: string; cpuSeconds: number; rssBytes: number }>();
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(pid), {
      comm,
      // utime + stime + cutime + cstime, in USER_HZ: the children's part is what its exited children
      // used, once reaped. A Postgres backend that closes within a phase (a pool's idle connection)
      // takes its CPU with it, and the postmaster that reaps it is where that CPU is found.
      cpuSeconds: (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100,
      rssBytes: Number(fields[21]) * PAGE_BYTES,
    });
  }
  return out;
}
