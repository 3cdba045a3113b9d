import { isIP } from 'node:net';
import { redactUrls } from '@cunbox/shared';
import { TemplatedError } from '../probe/problem.ts';

export const DEFAULT_DEVICE_PATH = '/onvif/device_service';

/** Where a camera's ONVIF device service is. */
export interface OnvifTarget {
  host: string;
  port: number;
  path: string;
  /** http://host:port/path: what is stored and matched, never with credentials. */
  url: string;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Accepts what a technician types or pastes: `192.0.2.10`, `192.0.2.10:8000`,
 * `[fe80::1]:80`, `cam-east.local`, or the XAddr `cameras discover` prints
 * (`http://192.0.2.10:8000/onvif/device_service`).
 */
export function parseOnvifAddress(input: string): OnvifTarget {
  const raw = input.trim();
  const bad = (template: string, vars: Record<string, string> = {}) =>
    new TemplatedError('INVALID_INPUT', template, { input: redactUrls(input), ...vars }, { hint: 'write HOST[:PORT], e.g. 192.0.2.10 or 192.0.2.10:8000, or the http://…/onvif/device_service address cameras discover prints' });
  if (!raw) throw bad('the ONVIF address is empty');
  let host: string;
  let port = 80;
  let path = DEFAULT_DEVICE_PATH;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw bad('ONVIF address "{input}" is not a URL');
    }
    if (u.protocol !== 'http:') throw bad('ONVIF address "{input}": only http:// is supported, not {scheme}', { scheme: u.protocol });
    if (u.username || u.password) throw bad('ONVIF address "{input}": put the user name and password in --user and --password (or the CSV columns), not in the address');
    host = u.hostname.replace(/^\[|\]$/g, '');
    if (u.port) port = Number(u.port);
    if (u.pathname && u.pathname !== '/') path = u.pathname;
  } else {
    const m = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(raw) ?? /^([^:\s]+)(?::(\d+))?$/.exec(raw);
    if (!m) throw bad('ONVIF address "{input}" is not a host name or IP address');
    host = m[1]!;
    if (m[2] !== undefined) port = Number(m[2]);
  }
  if (!isIP(host) && !HOSTNAME.test(host)) throw bad('ONVIF address "{input}" is not a host name or IP address');
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('ONVIF address "{input}": the port must be 1–65535');
  return { host, port, path, url: onvifUrl(host, port, path) };
}

export function onvifUrl(host: string, port: number, path = DEFAULT_DEVICE_PATH): string {
  const h = isIP(host) === 6 ? `[${host}]` : host;
  return `http://${h}:${port}${path}`;
}

/** host:port for tables. */
export function shortAddress(t: Pick<OnvifTarget, 'host' | 'port'>): string {
  return isIP(t.host) === 6 ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}
