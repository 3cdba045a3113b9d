/**
 * Where the HTTP API listens. The office PC and the phones of the village
 * reach the box over the LAN, so the address `cunbox init` offers is all
 * interfaces; loopback is for a box whose API sits behind a local proxy.
 */
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { TemplatedError } from '../probe/problem.ts';

export interface Listen {
  host: string;
  port: number;
}

export const DEFAULT_LISTEN: Listen = { host: '0.0.0.0', port: 8080 };

/** "0.0.0.0:8080", "[::]:8080", "192.0.2.2:8080", "8080" (all interfaces). */
export function parseListen(text: string): Listen {
  const s = text.trim();
  const bad = () => new TemplatedError('INVALID_INPUT', 'listen address "{input}": write HOST:PORT, e.g. 0.0.0.0:8080 (all interfaces) or 192.0.2.2:8080', { input: text });
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):)?(\d{1,5})$/.exec(s);
  if (!m) throw bad();
  const host = m[1] ?? m[2] ?? DEFAULT_LISTEN.host;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw bad();
  if (m[1] !== undefined && isIP(host) !== 6) throw bad();
  if (m[2] !== undefined && isIP(host) === 0 && !/^[a-zA-Z0-9.-]{1,253}$/.test(host)) throw bad();
  return { host, port };
}

export function formatListen(l: Listen): string {
  return isIP(l.host) === 6 ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function isAnyAddress(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** This box's addresses other than loopback: what a LAN client can reach. */
export function lanAddresses(interfaces = networkInterfaces()): string[] {
  return Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => !i.internal && !(i.family === 'IPv6' && i.address.startsWith('fe80:')))
    .map((i) => i.address);
}
