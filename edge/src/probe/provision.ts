/**
 * Everything between "a technician names a camera" and "the registry can
 * store it": read ONVIF (device, profiles, stream URIs, clock), then ffprobe
 * both streams. Each step that fails throws a CameraProblemError; nothing here
 * writes to the database, so a failed camera is never half-added.
 */
import type { CameraDevice, CameraWithSecrets } from '../cameras/registry.ts';
import { parseStreamUrl } from '../cameras/registry.ts';
import { parseOnvifAddress, type OnvifTarget } from '../onvif/address.ts';
import { readCameraClock, readOnvifCamera, type OnvifCamera } from '../onvif/client.ts';
import { problem } from './problem.ts';
import { probeStream } from './stream.ts';
import type { CameraProbe } from './types.ts';

/** Evidence timestamps are ours, but the time burnt into the picture is the camera's. */
const MAX_CLOCK_OFFSET_MS = 10_000;

export interface ProbeSettings {
  /** Skip ffprobe (ONVIF is still read when the camera is given by its ONVIF address). */
  probe: boolean;
  probeSeconds: number;
  transport: 'tcp' | 'udp';
  /** Per ONVIF request. */
  onvifTimeoutMs: number;
  /** Accept a camera whose clock is more than MAX_CLOCK_OFFSET_MS off. */
  ignoreClock: boolean;
  ffprobePath?: string;
  /** Aborting kills the stream probes in progress (Ctrl-C during an import). */
  signal?: AbortSignal;
}

export type CameraSource =
  | { kind: 'onvif'; target: OnvifTarget }
  | { kind: 'rtsp'; main: string; sub: string | null };

export interface Provisioned {
  mainUrl: string;
  subUrl: string | null;
  username: string | null;
  password: string | null;
  device: CameraDevice | null;
  probe: CameraProbe | null;
  clockOffsetMs: number | null;
  /** A name when the technician gave none: the camera's host name, else model + serial. */
  suggestedName: string | null;
}

export async function provisionCamera(source: CameraSource, creds: { username: string | null; password: string | null }, s: ProbeSettings): Promise<Provisioned> {
  if (source.kind === 'rtsp') {
    const main = parseStreamUrl(source.main, 'main URL');
    const sub = source.sub ? parseStreamUrl(source.sub, 'sub URL') : null;
    const username = creds.username ?? main.username ?? sub?.username ?? null;
    const password = creds.password ?? main.password ?? sub?.password ?? null;
    const probe = s.probe ? await probeBoth(main.url, sub?.url ?? null, { username, password }, s) : null;
    return { mainUrl: main.url, subUrl: sub?.url ?? null, username, password, device: null, probe, clockOffsetMs: null, suggestedName: null };
  }
  const cam = await readOnvifCamera(source.target, creds, { timeoutMs: s.onvifTimeoutMs });
  checkClock(cam.clockOffsetMs, source.target, s.ignoreClock);
  const probe = s.probe ? await probeBoth(cam.main.uri, cam.sub?.uri ?? null, creds, s) : null;
  return {
    mainUrl: cam.main.uri,
    subUrl: cam.sub?.uri ?? null,
    username: creds.username,
    password: creds.password,
    device: deviceOf(cam),
    probe,
    clockOffsetMs: cam.clockOffsetMs,
    suggestedName: cam.hostname ?? ([cam.device.model, cam.device.serialNumber].filter(Boolean).join('-') || null),
  };
}

export interface TestResult {
  probe: CameraProbe;
  clockOffsetMs: number | null;
}

/** `cameras test`: both streams of a stored camera, and its clock when it has ONVIF. */
export async function testCamera(cam: CameraWithSecrets & { onvifUrl?: string | null }, s: ProbeSettings): Promise<TestResult> {
  const creds = { username: cam.username, password: cam.password };
  let clockOffsetMs: number | null = null;
  if (cam.onvifUrl) {
    const target = parseOnvifAddress(cam.onvifUrl);
    clockOffsetMs = await readCameraClock(target, { timeoutMs: s.onvifTimeoutMs });
    checkClock(clockOffsetMs, target, s.ignoreClock);
  }
  const probe = await probeBoth(cam.mainUrl, cam.subUrl, creds, s);
  return { probe, clockOffsetMs };
}

function checkClock(offsetMs: number | null, target: OnvifTarget, ignore: boolean): void {
  if (offsetMs === null || ignore || Math.abs(offsetMs) <= MAX_CLOCK_OFFSET_MS) return;
  const seconds = Math.round(Math.abs(offsetMs) / 1000);
  throw problem(
    'CAMERA_CLOCK_OFF',
    offsetMs > 0 ? 'the camera clock at {address} is {seconds} s ahead of this edge (more than 10 s)' : 'the camera clock at {address} is {seconds} s behind this edge (more than 10 s)',
    "set the camera's NTP server to this edge's address (or correct its time) so the time in its picture matches the evidence timestamps; --ignore-clock adds it anyway",
    { address: `${target.host}:${target.port}`, seconds },
  );
}

async function probeBoth(main: string, sub: string | null, creds: { username: string | null; password: string | null }, s: ProbeSettings): Promise<CameraProbe> {
  const common = { ...creds, seconds: s.probeSeconds, transport: s.transport, ...(s.ffprobePath ? { ffprobePath: s.ffprobePath } : {}), ...(s.signal ? { signal: s.signal } : {}) };
  // Both at once: a probe is mostly waiting for packets.
  const [m, sb] = await Promise.allSettled([
    probeStream(main, { ...common, stream: 'main' }),
    sub ? probeStream(sub, { ...common, stream: 'sub' }) : Promise.resolve(null),
  ]);
  if (m.status === 'rejected') throw m.reason;
  if (sb.status === 'rejected') throw sb.reason;
  return { main: m.value, sub: sb.value };
}

function deviceOf(cam: OnvifCamera): CameraDevice {
  return {
    onvifUrl: cam.target.url,
    manufacturer: cam.device.manufacturer,
    model: cam.device.model,
    firmware: cam.device.firmware,
    serialNumber: cam.device.serialNumber,
    mainProfile: cam.main.profile.token,
    subProfile: cam.sub?.profile.token ?? null,
  };
}
