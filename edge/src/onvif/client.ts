/**
 * The few ONVIF calls provisioning needs, through the `onvif` package's Cam:
 * device information, media profiles, stream URIs and the camera's clock.
 *
 * Every reply is untrusted: the library hands back whatever the XML parsed
 * into, so each value is checked before use, every call settles exactly once
 * (the library can call back twice when its own callback throws), and each
 * has a deadline. Failures become CameraProblemErrors that say what to fix.
 */
import type { Agent } from 'node:http';
import onvif from 'onvif';
import type { CamProfile } from 'onvif';
import { problem, reasonOf, type CameraProblemError } from '../probe/problem.ts';
import { shortAddress, type OnvifTarget } from './address.ts';

const { Cam } = onvif;
export type CamInstance = InstanceType<typeof Cam>;

export interface OnvifCredentials {
  username: string | null;
  password: string | null;
}

interface OnvifProfile {
  token: string;
  name: string | null;
  /** As the camera names it: H264, H265, JPEG, MPEG4, … (upper case). */
  encoding: string | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  bitrateKbps: number | null;
  /** Key-frame interval in frames, when the camera says. */
  govLength: number | null;
}

export interface OnvifDeviceInfo {
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serialNumber: string | null;
  hardwareId: string | null;
}

interface OnvifStream {
  profile: OnvifProfile;
  /** rtsp:// URL as the camera reports it, credentials removed. */
  uri: string;
}

export interface OnvifCamera {
  target: OnvifTarget;
  device: OnvifDeviceInfo;
  hostname: string | null;
  profiles: OnvifProfile[];
  main: OnvifStream;
  sub: OnvifStream | null;
  /** Camera clock minus ours, in ms (±1 s: cameras report whole seconds); null when it would not say. */
  clockOffsetMs: number | null;
}

export interface OnvifOptions {
  /** Per request. */
  timeoutMs?: number;
  now?: () => number;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** Reads everything `cameras add --onvif` needs; throws CameraProblemError. */
export async function readOnvifCamera(target: OnvifTarget, creds: OnvifCredentials, opts: OnvifOptions = {}): Promise<OnvifCamera> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = opts.now ?? Date.now;
  const cam = newCam(target, creds, timeoutMs);
  let mediaWarning: string | undefined;
  cam.on('warning', (w: unknown) => void (mediaWarning ??= reasonOf(w)));

  // connect(): GetSystemDateAndTime, GetServices/GetCapabilities, GetProfiles, GetVideoSources.
  await call<unknown>(cam, target, timeoutMs * 4, (cb) => cam.connect(cb));
  const clockOffsetMs = await readClockOffset(cam, target, timeoutMs, now);
  const { data: infoData, xml: infoXml } = await call<Record<string, unknown>>(cam, target, timeoutMs, (cb) => cam.getDeviceInformation(cb));
  const device = deviceInfo(infoXml, infoData);
  const hostname = await call<{ name?: unknown }>(cam, target, timeoutMs, (cb) => cam.getHostname(cb)).then(
    ({ data }) => text(data?.name),
    () => null, // optional: only a default name comes from it
  );

  const profiles = (cam.profiles ?? []).map(toProfile).filter((p): p is OnvifProfile => p !== null);
  if (profiles.length === 0 && mediaWarning) throw classify(new Error(mediaWarning), target);
  const { main, sub } = pickProfiles(profiles, target);
  const mainUri = await streamUri(cam, main, target, timeoutMs);
  const subUri = sub ? await streamUri(cam, sub, target, timeoutMs) : null;
  return {
    target,
    device,
    hostname,
    profiles,
    main: { profile: main, uri: mainUri },
    sub: sub && subUri ? { profile: sub, uri: subUri } : null,
    clockOffsetMs,
  };
}

/**
 * Only the clock: GetSystemDateAndTime needs no login (ONVIF's PRE_AUTH class),
 * so `cameras test` and `doctor` can check it without the camera's password.
 */
export async function readCameraClock(target: OnvifTarget, opts: OnvifOptions = {}): Promise<number | null> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return readClockOffset(newCam(target, { username: null, password: null }, timeoutMs), target, timeoutMs, opts.now ?? Date.now);
}

/**
 * GetDeviceInformation for discovery: with credentials when given, else
 * anonymously (some cameras allow it). Returns null instead of throwing when
 * the camera wants a login, so a table of 64 cameras still prints.
 */
export async function readDeviceInfo(target: OnvifTarget, creds: OnvifCredentials, opts: OnvifOptions = {}): Promise<{ device: OnvifDeviceInfo | null; problem: CameraProblemError | null }> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cam = newCam(target, creds, timeoutMs);
  try {
    // Sets the library's idea of the camera clock, which the login digest is stamped with.
    await call<Date>(cam, target, timeoutMs, (cb) => cam.getSystemDateAndTime(cb)).catch(() => undefined);
    const { data, xml } = await call<Record<string, unknown>>(cam, target, timeoutMs, (cb) => cam.getDeviceInformation(cb));
    return { device: deviceInfo(xml, data), problem: null };
  } catch (err) {
    return { device: null, problem: err as CameraProblemError };
  }
}

/** `agent`: sockets a caller wants to be able to close (a long poll on stop). */
export function newCam(target: OnvifTarget, creds: OnvifCredentials, timeoutMs: number, agent?: Agent): CamInstance {
  const cam = new Cam({
    ...(agent ? { agent } : {}),
    hostname: target.host,
    port: target.port,
    path: target.path,
    username: creds.username ?? undefined,
    password: creds.password ?? undefined,
    timeout: timeoutMs,
    autoconnect: false,
    // Use the address the technician gave for every service, not the XAddrs the
    // camera reports: behind NAT or port forwarding those point elsewhere.
    preserveAddress: true,
  });
  replies.set(cam, 0);
  cam.on('rawResponse', () => replies.set(cam, (replies.get(cam) ?? 0) + 1));
  return cam;
}

async function readClockOffset(cam: CamInstance, target: OnvifTarget, timeoutMs: number, now: () => number): Promise<number | null> {
  let sent = now();
  const { data } = await call<Date>(cam, target, timeoutMs, (cb) => cam.getSystemDateAndTime(cb), () => (sent = now()));
  const received = now();
  if (!(data instanceof Date) || Number.isNaN(data.getTime())) return null;
  // The camera read its clock somewhere between sending and receiving; it reports whole seconds.
  return data.getTime() + 500 - (sent + received) / 2;
}

async function streamUri(cam: CamInstance, profile: OnvifProfile, target: OnvifTarget, timeoutMs: number): Promise<string> {
  const { data } = await call<{ uri?: unknown } | string>(cam, target, timeoutMs, (cb) =>
    cam.getStreamUri({ protocol: 'RTSP', stream: 'RTP-Unicast', profileToken: profile.token }, cb),
  );
  const raw = typeof data === 'string' ? data : text((data as { uri?: unknown } | undefined)?.uri);
  let u: URL;
  try {
    u = new URL(raw ?? '');
  } catch {
    throw problem('ONVIF_BAD_REPLY', 'the camera at {address} sent no usable stream URI for profile {profile}', 'update the camera firmware, or add the camera by its RTSP URL with --rtsp', { address: shortAddress(target), profile: profile.token });
  }
  if (u.protocol !== 'rtsp:' && u.protocol !== 'rtsps:') {
    throw problem('ONVIF_BAD_REPLY', 'the camera at {address} sent a {scheme} stream URI for profile {profile}, not rtsp://', 'update the camera firmware, or add the camera by its RTSP URL with --rtsp', { address: shortAddress(target), profile: profile.token, scheme: u.protocol });
  }
  // Some cameras report 0.0.0.0 or no host when they do not know their own address.
  if (!u.hostname || u.hostname === '0.0.0.0') u.hostname = target.host;
  u.username = '';
  u.password = '';
  return u.toString();
}

/** Main: the largest H.264/H.265 profile; sub: the smallest other one. */
function pickProfiles(profiles: readonly OnvifProfile[], target: OnvifTarget): { main: OnvifProfile; sub: OnvifProfile | null } {
  const usable = profiles.filter((p) => p.encoding !== null && /^(H264|H265|HEVC)$/.test(p.encoding));
  if (usable.length === 0) {
    const offered = [...new Set(profiles.map((p) => p.encoding ?? '?'))].join(', ') || '-';
    throw problem('NO_H264_STREAM', 'the camera at {address} has no H.264 or H.265 media profile (it offers: {offered})', "set the video encoding to H.264 (or H.265) in the camera's web page", { address: shortAddress(target), offered });
  }
  const area = (p: OnvifProfile) => (p.width ?? 0) * (p.height ?? 0);
  const sorted = [...usable].sort((a, b) => area(b) - area(a));
  const main = sorted[0]!;
  const sub = sorted.length > 1 ? sorted.at(-1)! : null;
  return { main, sub };
}

function toProfile(p: CamProfile): OnvifProfile | null {
  const token = text((p as { $?: { token?: unknown } }).$?.token);
  if (!token) return null;
  const enc = obj(p.videoEncoderConfiguration);
  const resolution = obj(enc?.resolution);
  const rate = obj(enc?.rateControl);
  const h26x = obj(enc?.H264) ?? obj(enc?.H265);
  return {
    token,
    name: text(p.name),
    encoding: text(enc?.encoding)?.toUpperCase().replace(/[^A-Z0-9]/g, '') ?? null,
    width: num(resolution?.width),
    height: num(resolution?.height),
    fps: num(rate?.frameRateLimit),
    bitrateKbps: num(rate?.bitrateLimit),
    govLength: num(h26x?.govLength) ?? num(enc?.govLength),
  };
}

const DEVICE_FIELDS = { manufacturer: 'Manufacturer', model: 'Model', firmware: 'FirmwareVersion', serialNumber: 'SerialNumber', hardwareId: 'HardwareId' } as const;

/**
 * From the raw XML when there is one: the library turns "0123" or "5.10" into
 * numbers, which loses digits of serial numbers and firmware versions.
 */
function deviceInfo(xml: string | undefined, data: Record<string, unknown> | undefined): OnvifDeviceInfo {
  const out = {} as Record<keyof typeof DEVICE_FIELDS, string | null>;
  for (const [key, tag] of Object.entries(DEVICE_FIELDS) as Array<[keyof typeof DEVICE_FIELDS, string]>) {
    const lower = tag.charAt(0).toLowerCase() + tag.slice(1);
    out[key] = (xml ? xmlText(xml, tag) : null) ?? text(data?.[lower]);
  }
  return out;
}

function xmlText(xml: string, tag: string): string | null {
  const m = new RegExp(`<(?:[\\w.-]+:)?${tag}(?:\\s[^>]*)?>([^<]*)</(?:[\\w.-]+:)?${tag}>`).exec(xml);
  if (!m) return null;
  const v = m[1]!
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => safeChar(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => safeChar(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
  return v || null;
}

function safeChar(code: number): string {
  return code >= 0x20 && code <= 0x10ffff ? String.fromCodePoint(code) : '?';
}

function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v && typeof v === 'object' && typeof (v as { _?: unknown })._ === 'string') return ((v as { _: string })._).trim() || null;
  return null;
}

function num(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export type Callback<T> = (err: Error | null, data?: T, xml?: string) => void;

/** Replies each Cam received: tells a silent camera from a reply the library choked on. */
const replies = new WeakMap<CamInstance, number>();

/**
 * One library call: settles once, within a deadline, with a classified failure.
 * A call that got no answer at all is asked once more with twice the time: a
 * camera busy streaming to several clients (or an edge busy probing 32 cameras
 * at once) answers late rather than never, and every call here only reads, so
 * asking again changes nothing on the camera. A refused connection or any
 * answer, even a wrong one, is final. `beforeAttempt` runs as each attempt
 * starts (the clock reading needs the send time of the attempt that answered).
 */
async function call<T>(cam: CamInstance, target: OnvifTarget, deadlineMs: number, fn: (cb: Callback<T>) => void, beforeAttempt?: () => void): Promise<{ data: T | undefined; xml: string | undefined }> {
  beforeAttempt?.();
  const first = await attempt(cam, deadlineMs, fn);
  if (!('err' in first)) return first;
  if (!first.silent) throw classify(first.err, target, first.xml);
  const perRequest = cam.timeout;
  cam.timeout = perRequest * 2;
  try {
    beforeAttempt?.();
    const second = await attempt(cam, deadlineMs * 2, fn);
    if ('err' in second) throw classify(second.err, target, second.xml);
    return second;
  } finally {
    cam.timeout = perRequest;
  }
}

export type Attempt<T> = { data: T | undefined; xml: string | undefined } | { err: unknown; xml: string | undefined; silent: boolean };

export function attempt<T>(cam: CamInstance, deadlineMs: number, fn: (cb: Callback<T>) => void): Promise<Attempt<T>> {
  return new Promise((resolve) => {
    let settled = false;
    const before = replies.get(cam) ?? 0;
    const answered = () => (replies.get(cam) ?? 0) > before;
    // Some malformed replies leave the library waiting forever instead of calling back.
    const timer = setTimeout(
      () => settle(answered() ? new Error('the camera answered, but not in a form ONVIF clients understand') : new Error('Network timeout')),
      deadlineMs + 1000,
    );
    function settle(err: unknown, data?: T, xml?: string) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) resolve({ err, xml, silent: !answered() && isTimeout(err) });
      else resolve({ data, xml });
    }
    try {
      fn((err, data, xml) => settle(err, data, xml));
    } catch (err) {
      settle(err);
    }
  });
}

function isTimeout(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ETIMEDOUT' || /Network timeout/i.test(err instanceof Error ? err.message : String(err));
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EPIPE', 'EADDRNOTAVAIL']);

export function classify(err: unknown, target: OnvifTarget, xml?: string): CameraProblemError {
  const address = shortAddress(target);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if ((code && NETWORK_CODES.has(code)) || /Network timeout|socket hang up/i.test(message)) {
    return problem('CAMERA_UNREACHABLE', 'no answer from the ONVIF service at {address} ({reason})', 'check the address and the ONVIF port (often 80, 8000 or 8080), the cable and that the camera is powered', { address, reason: code ?? reasonOf(message) });
  }
  if (/not ?authori[sz]ed|unauthori[sz]ed|authentication failed|\b401\b/i.test(message) || (xml !== undefined && /NotAuthorized|not authori[sz]ed/i.test(xml))) {
    return problem('ONVIF_AUTH_FAILED', 'the camera at {address} refused the ONVIF user name or password', 'check --user and --password (some cameras need an ONVIF user created in their web page); many lock the account for minutes after about 5 bad logins', { address });
  }
  return problem('ONVIF_BAD_REPLY', 'the camera at {address} sent a malformed ONVIF reply ({reason})', 'update the camera firmware, or add the camera by its RTSP URL with --rtsp', { address, reason: reasonOf(message) });
}
