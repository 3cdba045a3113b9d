import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Linux /proc readings for benchmarks: CPU ticks, RSS and bytes written per process. */
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcSample {
  cpuSeconds: number;
  writeBytes: number;
}

export function sample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime, stime, cutime, cstime
    // are fields 14–17 (cutime/cstime: children already reaped, e.g. a restarted ffmpeg).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICK;
    // write_bytes also includes reaped children's, as the kernel folds them in on wait().
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const writeBytes = Number(/^write_bytes: (\d+)/m.exec(io)?.[1] ?? 0);
    return { cpuSeconds, writeBytes };
  } catch {
    return undefined;
  }
}

/** The process's own CPU seconds (user + system), without reaped children; undefined once it is gone. */
export function ownCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return undefined;
  }
}

/** The process's command line, arguments joined by spaces ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

export function rssMb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) kids.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return kids;
}

/** Sums CPU seconds and bytes written of a set of processes. */
export function total(pids: readonly number[]): ProcSample {
  let cpuSeconds = 0;
  let writeBytes = 0;
  for (const pid of pids) {
    const s = sample(pid);
    if (s) {
      cpuSeconds += s.cpuSeconds;
      writeBytes += s.writeBytes;
    }
  }
  return { cpuSeconds, writeBytes };
}

/**
 * TCP payload bytes sent so far on established sockets whose local port is in
 * [lo, hi] (the simulator's RTSP ports), from the kernel's per-socket counters.
 */
export function tcpBytesSent(lo: number, hi: number): number {
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( sport >= :${lo} and sport <= :${hi} )`], { encoding: 'utf8' });
  let sum = 0;
  for (const m of out.matchAll(/bytes_sent:(\d+)/g)) sum += Number(m[1]);
  return sum;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
