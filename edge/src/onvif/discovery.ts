/**
 * WS-Discovery of ONVIF cameras: a Probe for NetworkVideoTransmitters, sent
 * (twice, as SOAP-over-UDP asks, with the same MessageID) from a socket bound to
 * the address of a chosen interface, so the kernel sends the multicast out of
 * that interface: an edge box usually has a camera network and an uplink, and
 * the default route is the uplink.
 *
 * Replies are untrusted datagrams from anyone on the segment. A reply counts
 * only when it answers our probe (RelatesTo is our MessageID: another client
 * on the segment may be probing too), and each of its ProbeMatches only when it
 * declares the ONVIF NetworkVideoTransmitter type, whatever prefix the reply
 * binds that namespace to (printers and PCs answer probes too). One reply may
 * carry several ProbeMatches (an NVR, an encoder with several channels): each
 * is a device. Malformed replies are dropped and counted.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { isIP } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { TemplatedError } from '../probe/problem.ts';
import { onvifUrl, shortAddress } from './address.ts';
import { NS, readProbeReply, type RawProbeMatch } from './probe-reply.ts';

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
  /** Devices that answered but are not cameras (printers, PCs), each once: not listed. */
  notCameras: number;
  /** Replies to someone else's probe (RelatesTo not ours): not listed. */
  unrelated: number;
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
/** The largest UDP payload; a reply is one datagram. */
const MAX_DATAGRAM = 65_535;

function probeMessage(messageId: string): Buffer {
  return Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?>' +
      `<s:Envelope xmlns:s="${NS.soap12}" xmlns:a="${NS.wsa}" xmlns:d="${NS.wsd}" xmlns:dn="${NS.onvifNetwork}">` +
      `<s:Header><a:MessageID>${messageId}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
      `<a:Action>${NS.wsd}/Probe</a:Action></s:Header>` +
      '<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>',
  );
}

/** Probes (twice) and collects valid ProbeMatches until the timeout. */
export async function discover(opts: DiscoverOptions): Promise<DiscoveryResult> {
  const iface = opts.iface !== undefined ? resolveInterface(opts.iface, opts.interfaces) : null;
  const sendError = (code: string) =>
    new TemplatedError('IO_ERROR', 'cannot send the ONVIF discovery probe on {iface}: {code}', { iface: iface?.name ?? 'default route', code }, { hint: 'pass --interface with the interface of the camera network (ip -br addr lists them)' });
  const messageId = `urn:uuid:${randomUUID()}`;
  const probe = probeMessage(messageId);
  const result: DiscoveryResult = { cameras: [], ignored: 0, notCameras: 0, unrelated: 0, iface };
  const byUrn = new Map<string, DiscoveredCamera>();
  const others = new Set<string>();
  const sock = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  try {
    await bind(sock, iface?.address ?? null);
    sock.on('message', (msg) => {
      const verdict = judgeReply(msg.toString('utf8'), messageId);
      if (verdict.kind === 'malformed') result.ignored++;
      else if (verdict.kind === 'unrelated') result.unrelated++;
      else {
        for (const c of verdict.cameras) if (!byUrn.has(c.urn)) byUrn.set(c.urn, c);
        for (const urn of verdict.otherDevices) others.add(urn);
      }
    });
    const first = await send(sock, probe);
    if (first) throw sendError(first);
    await sleep(Math.min(REPEAT_AFTER_MS, opts.timeoutMs));
    await send(sock, probe); // the first went out; a failed repeat loses nothing worth failing for
    await sleep(Math.max(opts.timeoutMs - REPEAT_AFTER_MS, 0));
  } finally {
    sock.close();
  }
  result.cameras = [...byUrn.values()].sort(compareAddress);
  result.notCameras = others.size;
  return result;
}

function bind(sock: Socket, address: string | null): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind({ port: 0, ...(address ? { address } : {}) }, () => {
      sock.off('error', reject);
      // Later socket errors (ICMP from a sender) must not throw: the send callbacks report what matters.
      sock.on('error', () => undefined);
      if (address) sock.setMulticastInterface(address);
      sock.setMulticastTTL(1);
      resolve();
    });
  });
}

/** The send's error code, or null once it went out. */
function send(sock: Socket, message: Buffer): Promise<string | null> {
  return new Promise((resolve) => sock.send(message, WSD_PORT, WSD_GROUP, (err) => resolve(err ? ((err as NodeJS.ErrnoException).code ?? err.message) : null)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export type ReplyVerdict =
  /** otherDevices: endpoint addresses of the matches that are not cameras. */
  | { kind: 'devices'; cameras: DiscoveredCamera[]; otherDevices: string[] }
  | { kind: 'malformed' }
  | { kind: 'unrelated' };

/** One reply datagram, judged against the MessageID of our probe. */
export function judgeReply(xml: string, messageId: string): ReplyVerdict {
  if (xml.length > MAX_DATAGRAM) return { kind: 'malformed' };
  const reply = readProbeReply(xml);
  if (!reply) return { kind: 'malformed' };
  if (reply.relatesTo !== messageId) return { kind: 'unrelated' };
  const isCamera = (m: RawProbeMatch) => m.types.some((q) => q.ns === NS.onvifNetwork && q.local === 'NetworkVideoTransmitter');
  const cameras = reply.matches.filter(isCamera).map(toCamera).filter((c): c is DiscoveredCamera => c !== null);
  const otherDevices = reply.matches.filter((m) => !isCamera(m) && m.address).map((m) => m.address!.slice(0, 256));
  return cameras.length + otherDevices.length > 0 ? { kind: 'devices', cameras, otherDevices } : { kind: 'malformed' };
}

/** One ProbeMatch → the camera it describes, when its address and an XAddr are usable. */
function toCamera(m: RawProbeMatch): DiscoveredCamera | null {
  const urn = m.address;
  if (!urn || urn.length > 256) return null;
  const xaddr = words(m.xaddrs).map(parseXAddr).find((x) => x !== null);
  if (!xaddr) return null;
  const scopes = words(m.scopes).slice(0, 64);
  return {
    urn,
    ...xaddr,
    address: shortAddress(xaddr),
    name: scope(scopes, 'name')?.replace(/_/g, ' ') ?? null,
    hardware: scope(scopes, 'hardware'),
    location: scope(scopes, 'location'),
    scopes,
  };
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

function words(s: string): string[] {
  return s.split(/\s+/).filter(Boolean);
}

function compareAddress(a: DiscoveredCamera, b: DiscoveredCamera): number {
  const ka = a.host.split('.').map((p) => p.padStart(3, '0')).join('.');
  const kb = b.host.split('.').map((p) => p.padStart(3, '0')).join('.');
  return ka < kb ? -1 : ka > kb ? 1 : a.port - b.port;
}
