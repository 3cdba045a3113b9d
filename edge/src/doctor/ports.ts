import { createServer } from 'node:net';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import type { EdgeConfig } from '../config/load.ts';

export interface PortUse {
  port: number;
  /** What the edge needs it for. */
  use: string;
  /** The address the edge listens on; all addresses when absent. */
  host?: string;
}

export interface PortState extends PortUse {
  state: 'free' | 'ours' | 'busy' | 'denied';
  /** "nginx (pid 812)", when /proc tells. */
  owner: string | null;
}

/** Ports the edge serves on: the HTTP API when the config has an `http:` section (port 0: any free one). */
export function edgePorts(config: EdgeConfig): PortUse[] {
  return config.http && config.http.port > 0 ? [{ port: config.http.port, use: 'HTTP API', host: config.http.host }] : [];
}

/** Free if we can listen on it; busy ports are attributed through /proc where possible. */
export async function checkPort(p: PortUse, edgePid: number | undefined): Promise<PortState> {
  const err = await tryListen(p.port, p.host ?? '0.0.0.0');
  if (err === null) return { ...p, state: 'free', owner: null };
  if (err === 'EACCES') return { ...p, state: 'denied', owner: null };
  const owner = listenerOf(p.port);
  if (owner && edgePid !== undefined && owner.pid === edgePid) return { ...p, state: 'ours', owner: `cunbox (pid ${owner.pid})` };
  return { ...p, state: 'busy', owner: owner ? `${owner.program} (pid ${owner.pid})` : null };
}

function tryListen(port: number, host: string): Promise<string | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(null)));
  });
}

/** The process listening on a TCP port, from /proc/net/tcp{,6} and /proc/<pid>/fd. Best effort. */
export function listenerOf(port: number): { pid: number; program: string } | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN.
      if (f.length > 9 && f[3] === '0A' && parseInt(f[1]!.split(':').at(-1)!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (inodes.size === 0) return null;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        return { pid: Number(pid), program: programOf(pid) };
      }
    }
  }
  return null;
}

/**
 * The program a process runs: its executable's name. Not /proc/<pid>/comm alone: that is the
 * main thread's name, which a program may set (Node 24 names its main thread "MainThread").
 * comm only where the executable cannot be read (another user's process, when not root).
 */
function programOf(pid: string): string {
  try {
    return basename(readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  } catch {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '?'; // gone meanwhile
    }
  }
}
