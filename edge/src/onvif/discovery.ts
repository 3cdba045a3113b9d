/**
 * WS-Discovery of ONVIF cameras through the `onvif` package's Discovery.
 *
 * Why that package and not node-onvif's startProbe(): an edge box usually has
 * two networks (cameras on one, the uplink on the other) and node-onvif always
 * probes through the default route, i.e. often the wrong one, and always waits
 * 3 s; `onvif` binds the probe socket to the address of a chosen interface
 * (so the kernel sends the multicast out of that interface) and takes a timeout.
 * Like SOAP-over-UDP asks, the probe goes out twice.
 *
 * Replies are untrusted datagrams from anyone on the segment. We take the raw
 * parse (resolve: false, so the library builds no Cam from a reply we have not
 * checked), validate every field ourselves, and count what we drop. The
 * library's singleton emits 'error' for every malformed reply; an EventEmitter
 * with no 'error' listener throws, so one is always attached while probing.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP } from 'node:net';
import { createSocket } from 'node:dgram';
import onvif from 'onvif';
import { TemplatedError } from '../probe/problem.ts';
import { onvifUrl, shortAddress } from './address.ts';

export interface DiscoveredCamera {
  /** WS-Addressing endpoint reference, stable per device (urn:uuid:…). */
  urn: string;
  host: string;
  port: number;
  /** host:port, for tables. */
  address: string;
  /** The device service URL (first valid XAddr). */
  deviceUrl: string;
  /** From the onvif://www.onvif.org/name/… scope (underscores as spaces). */
  name: string | null;
  /** From the …/hardware/… scope: usually the model. */
  hardware: string | null;
  location: string | null;
  scopes: string[];
}

export interface DiscoveryResult {
  cameras: DiscoveredCamera[];
  /** Replies that were not valid ProbeMatches (dropped, counted). */
  ignored: number;
  /** The interface the probe went out on, or null for the default route. */
  iface: { name: string; address: string } | null;
}

export interface DiscoverOptions {
  /** Interface name (eth1) or one of its IPv4 addresses; default route when absent. */
  iface?: string;
  timeoutMs: number;
  interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

/** An interface name or address → the interface and the IPv4 address to bind. */
export function resolveInterface(nameOrAddress: string, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): { name: string; address: string } {
  const want = nameOrAddress.trim();
  const known = Object.keys(interfaces);
  const byName = interfaces[want];
  if (byName) {
    const v4 = byName.find((a) => a.family === 'IPv4');
    if (!v4) throw new TemplatedError('INVALID_INPUT', 'interface {name} has no IPv4 address; ONVIF discovery needs one', { name: want });
    return { name: want, address: v4.address };
  }
  if (isIP(want)) {
    for (const [name, addrs] of Object.entries(interfaces)) {
      const hit = addrs?.find((a) => a.address === want);
      if (hit) {
        if (hit.family !== 'IPv4') throw new TemplatedError('INVALID_INPUT', "{address} is an IPv6 address; ONVIF discovery needs the interface's IPv4 address", { address: want });
        return { name, address: want };
      }
    }
    throw new TemplatedError('INVALID_INPUT', 'no interface has the address {address} (interfaces: {known})', { address: want, known: known.join(', ') || '-' });
  }
  throw new TemplatedError('INVALID_INPUT', 'no interface named {name} (interfaces: {known})', { name: want, known: known.join(', ') || '-' });
}

/** SOAP-over-UDP sends a multicast message twice: one lost probe must not lose a camera. */
const REPEAT_AFTER_MS = 250;
const WSD_GROUP = '239.255.255.250';
const WSD_PORT = 3702;

type OnvifDiscovery = (typeof onvif)['Discovery'];

/** Probes (twice) and collects valid ProbeMatches until the timeout. */
export async function discover(opts: DiscoverOptions): Promise<DiscoveryResult> {
  const iface = opts.iface !== undefined ? resolveInterface(opts.iface, opts.interfaces) : null;
  // The library sends without a callback, so Node drops a send error silently: ask the kernel first.
  const routeError = await multicastRouteError(iface?.address ?? null);
  if (routeError) {
    throw new TemplatedError('IO_ERROR', 'cannot send the ONVIF discovery probe on {iface}: {code}', { iface: iface?.name ?? 'default route', code: routeError }, { hint: 'pass --interface with the interface of the camera network (ip -br addr lists them)' });
  }
  const { Discovery } = onvif;
  let ignored = 0;
  // Strings are the library's "Wrong SOAP message from …"; Errors come from a socket.
  const onError = (err: unknown) => void (typeof err === 'string' && ignored++);
  Discovery.on('error', onError);
  try {
    const runs = await Promise.all([
      probeOnce(Discovery, iface, opts.timeoutMs),
      new Promise<void>((r) => setTimeout(r, REPEAT_AFTER_MS)).then(() => probeOnce(Discovery, iface, Math.max(opts.timeoutMs - REPEAT_AFTER_MS, 250))),
    ]);
    const failed = runs.find((r) => r.error)?.error;
    if (failed && runs.every((r) => r.found.length === 0)) {
      const code = (failed as NodeJS.ErrnoException).code ?? failed.message;
      throw new TemplatedError('IO_ERROR', 'cannot send the ONVIF discovery probe on {iface}: {code}', { iface: iface?.name ?? 'default route', code }, { hint: 'pass --interface with the interface of the camera network (ip -br addr lists them)' });
    }
    const byUrn = new Map<string, DiscoveredCamera>();
    for (const raw of runs.flatMap((r) => r.found)) {
      const cams = toCameras(raw);
      if (cams.length === 0) ignored++;
      for (const c of cams) if (!byUrn.has(c.urn)) byUrn.set(c.urn, c);
    }
    return { cameras: [...byUrn.values()].sort(compareAddress), ignored, iface };
  } finally {
    // After the sockets are closed: a reply parsed in this turn still finds a listener.
    setImmediate(() => Discovery.removeListener('error', onError));
  }
}

/**
 * Whether the kernel has a route for the probe, without sending anything:
 * connect() on a UDP socket only looks the route up.
 */
function multicastRouteError(bindAddress: string | null): Promise<string | null> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const done = (err: NodeJS.ErrnoException | null | undefined) => {
      try {
        sock.close();
      } catch {
        // already closed after an error
      }
      resolve(err ? (err.code ?? err.message) : null);
    };
    sock.once('error', done);
    sock.once('connect', () => done(null));
    sock.bind({ port: 0, ...(bindAddress ? { address: bindAddress } : {}) }, () => sock.connect(WSD_PORT, WSD_GROUP));
  });
}

/**
 * One library probe. Resolves only when the library is done with its socket
 * (its timeout callback), even after a socket error, so no reply can arrive
 * once the 'error' listener is gone.
 */
function probeOnce(Discovery: OnvifDiscovery, iface: { name: string } | null, timeoutMs: number): Promise<{ found: unknown[]; error: Error | null }> {
  return new Promise((resolve) => {
    let error: Error | null = null;
    // Only for a library that never calls back.
    const guard = setTimeout(() => resolve({ found: [], error: error ?? new Error('ONVIF discovery did not finish') }), timeoutMs + 5000);
    try {
      Discovery.probe({ timeout: timeoutMs, resolve: false, ...(iface ? { device: iface.name } : {}) }, (err, found) => {
        // A socket error (bind, send) is reported at once; the library still calls back at its timeout.
        if (err && !Array.isArray(err)) return void (error ??= err);
        clearTimeout(guard);
        resolve({ found: found ?? [], error });
      });
    } catch (err) {
      clearTimeout(guard);
      resolve({ found: [], error: err as Error });
    }
  });
}

/** One reply, as the library parsed it, → the cameras it validly describes (usually one). */
export function toCameras(raw: unknown): DiscoveredCamera[] {
  const matches = field(field(raw, 'probeMatches'), 'probeMatch');
  const list = Array.isArray(matches) ? matches : matches === undefined ? [] : [matches];
  const out: DiscoveredCamera[] = [];
  for (const m of list) {
    const urn = str(field(field(m, 'endpointReference'), 'address'));
    if (!urn || urn.length > 256) continue;
    const xaddr = words(field(m, 'XAddrs') ?? field(m, 'xAddrs')).map(parseXAddr).find((x) => x !== null);
    if (!xaddr) continue;
    const scopes = words(field(m, 'scopes')).slice(0, 64);
    out.push({
      urn,
      ...xaddr,
      address: shortAddress(xaddr),
      name: scope(scopes, 'name')?.replace(/_/g, ' ') ?? null,
      hardware: scope(scopes, 'hardware'),
      location: scope(scopes, 'location'),
      scopes,
    });
  }
  return out;
}

function parseXAddr(s: string): { host: string; port: number; deviceUrl: string } | null {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' || !u.hostname) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port ? Number(u.port) : 80;
  return { host, port, deviceUrl: onvifUrl(host, port, u.pathname || '/onvif/device_service') };
}

function scope(scopes: string[], kind: string): string | null {
  const prefix = `onvif://www.onvif.org/${kind}/`;
  const s = scopes.find((x) => x.toLowerCase().startsWith(prefix));
  if (!s) return null;
  try {
    return decodeURIComponent(s.slice(prefix.length)).trim() || null;
  } catch {
    return s.slice(prefix.length).trim() || null;
  }
}

function field(v: unknown, key: string): unknown {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
}

/** The library turns "true" and numbers into booleans and numbers; text may also come as {_: text}. */
function str(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number') return String(v);
  const inner = field(v, '_');
  return typeof inner === 'string' ? inner.trim() || null : null;
}

function words(v: unknown): string[] {
  const s = str(v);
  return s ? s.split(/\s+/).filter(Boolean) : [];
}

function compareAddress(a: DiscoveredCamera, b: DiscoveredCamera): number {
  const ka = a.host.split('.').map((p) => p.padStart(3, '0')).join('.');
  const kb = b.host.split('.').map((p) => p.padStart(3, '0')).join('.');
  return ka < kb ? -1 : ka > kb ? 1 : a.port - b.port;
}
