/**
 * Typed handle on the camera simulator (camsim.py): spawns it, waits for its
 * ready line, and wraps the fault-injection API. Used by tests, the demo and
 * benchmarks; see README.md for the wire contract.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CAMSIM_SCRIPT = fileURLToPath(new URL('./camsim.py', import.meta.url));
/** The Debian interpreter: it has the GStreamer bindings, a pyenv one usually does not. */
export const DEFAULT_PYTHON = process.env['CAMSIM_PYTHON'] ?? '/usr/bin/python3';

export type StreamName = 'main' | 'sub';
export type Fault = 'stall' | 'drop' | 'refuse_auth' | 'offline' | 'garbage_soap' | 'clock_offset' | 'drop_subscription';
/** What `control.event` raises: ONVIF motion (VideoSource/MotionAlarm, CellMotionDetector) or tamper (GlobalSceneChange, ImageTooBlurry) topics. */
export type EventKind = 'motion' | 'cell_motion' | 'tamper' | 'blurry';

/** One camera in the ready line, exactly as camsim.py prints it. */
export interface ReadyCamera {
  index: number;
  name: string;
  user: string;
  password: string;
  rtsp_port: number;
  onvif_port: number;
  main: string;
  sub: string;
  onvif: string;
  uuid: string;
  clip: string;
  /** The clip's length: the streams loop with this period. */
  loop_ms: number;
  /** The streams have B-frames (decode order differs from display order). */
  bframes: boolean;
  /** It offers the ONVIF Events service (PullPoint). */
  events: boolean;
  /** Its event times read 0000-00-00T00:00:00Z. */
  zero_time: boolean;
}

/** The single JSON line camsim.py prints on stdout once every server listens. */
export interface ReadyLine {
  ready: true;
  pid: number;
  control: string;
  discovery: boolean;
  cameras: ReadyCamera[];
}

/** GET /cameras, as camsim.py sends it. */
interface WireCameraState {
  index: number;
  name: string;
  online: boolean;
  faults: Fault[];
  clock_offset_s: number;
  rtsp_clients: number;
  rtsp_connections: number;
  streams: Record<StreamName, { active: boolean; frames_out: number; bytes_out: number; loop_ms: number; loop_epoch_ms: number | null }>;
  events: { subscriptions: number; subscriptions_created: number; renewals: number } | null;
}

export interface StreamState {
  /** A media pipeline exists (someone described or plays this stream). */
  active: boolean;
  /** Frames and bytes handed to the RTP payloader, outside stalls; counted once per stream, not per client. */
  framesOut: number;
  bytesOut: number;
  /** The clip's length; the stream repeats it with this period. */
  loopMs: number;
  /**
   * Wall time (epoch ms) the running pipeline sent the clip's first frame, null
   * while none runs. Clip time at wall time w is (w − loopEpochMs) mod loopMs.
   * A pipeline built again (after every client left) starts a new epoch; main
   * and sub have their own.
   */
  loopEpochMs: number | null;
}

export interface CameraState {
  index: number;
  name: string;
  online: boolean;
  faults: Fault[];
  clockOffsetS: number;
  rtspClients: number;
  /** RTSP connections since camsim started, all streams: a client that reconnects counts again. */
  rtspConnections: number;
  streams: Record<StreamName, StreamState>;
  /** Live PullPoint subscriptions, how many were ever created and renewed; null without an Events service. */
  events: { subscriptions: number; subscriptionsCreated: number; renewals: number } | null;
}

export interface SimCamera {
  index: number;
  name: string;
  user: string;
  password: string;
  host: string;
  rtspPort: number;
  onvifPort: number;
  /** URLs without credentials. */
  urls: { main: string; sub: string; onvif: string };
  /** WS-Discovery endpoint reference, `urn:uuid:…`. */
  uuid: string;
  /** The clip the camera plays, as given in `clips`. */
  clip: string;
  /** The clip's length: the streams loop with this period. */
  loopMs: number;
  /** The streams have B-frames. */
  bFrames: boolean;
  /** It offers the ONVIF Events service. */
  events: boolean;
  /** rtsp://user:pass@host:port/stream, with this camera's credentials unless others are given. */
  authUrl(stream: StreamName, creds?: { user: string; password: string }): string;
}

export interface CamsimControl {
  fault(index: number, fault: Fault, extra?: { seconds?: number }): Promise<CameraState>;
  /** Clear one fault, or all of them. */
  clear(index: number, fault?: Fault): Promise<CameraState>;
  state(): Promise<CameraState[]>;
  /** Sets an event topic's state on the camera; every live subscription gets a notification. Returns how many. */
  event(index: number, kind: EventKind, state: boolean): Promise<number>;
}

export interface Camsim {
  cameras: SimCamera[];
  control: CamsimControl;
  controlUrl: string;
  pid: number;
  /** SIGTERM, then SIGKILL if it does not exit in time. Safe to call twice. */
  stop(): Promise<void>;
}

export interface CamsimOptions {
  cameras: number;
  discovery?: boolean;
  /** Interface address to join the WS-Discovery group on (default: bind address). */
  discoveryIface?: string;
  cacheDir?: string;
  bind?: string;
  rtspBasePort?: number;
  onvifBasePort?: number;
  controlPort?: number;
  /**
   * Clip names assigned round-robin to cameras (default: testsrc): a built-in
   * name, `file:PATH` (re-encoded to the standard 1280x720 and 640x360, 25 fps,
   * 20 s) or `asis:PATH` (an H.264 file served unchanged on main and sub, at its
   * own size, frame rate and length; it must start with a key frame).
   */
  clips?: string[];
  /** Indexes of cameras whose streams have B-frames, as many real cameras' are. */
  bFrameCameras?: number[];
  /** Indexes of cameras without an ONVIF Events service. */
  noEventsCameras?: number[];
  /** Indexes of cameras whose event times read 0000-00-00T00:00:00Z. */
  zeroTimeCameras?: number[];
  /** Includes a first-run clip encode, which takes a few seconds. */
  readyTimeoutMs?: number;
  python?: string;
  /** Each stderr line of the simulator, e.g. to forward it to a test log. */
  onLog?: (line: string) => void;
}

export function camsimArgs(opts: CamsimOptions): string[] {
  const args = [CAMSIM_SCRIPT, '--cameras', String(opts.cameras), '--exit-with-stdin'];
  if (opts.discovery) args.push('--discovery');
  if (opts.discoveryIface !== undefined) args.push('--discovery-iface', opts.discoveryIface);
  if (opts.cacheDir !== undefined) args.push('--cache-dir', opts.cacheDir);
  if (opts.bind !== undefined) args.push('--bind', opts.bind);
  if (opts.rtspBasePort !== undefined) args.push('--rtsp-base-port', String(opts.rtspBasePort));
  if (opts.onvifBasePort !== undefined) args.push('--onvif-base-port', String(opts.onvifBasePort));
  if (opts.controlPort !== undefined) args.push('--control-port', String(opts.controlPort));
  if (opts.clips !== undefined) args.push('--clip', opts.clips.join(','));
  if (opts.bFrameCameras?.length) args.push('--bframes', opts.bFrameCameras.join(','));
  if (opts.noEventsCameras?.length) args.push('--no-events', opts.noEventsCameras.join(','));
  if (opts.zeroTimeCameras?.length) args.push('--zero-time', opts.zeroTimeCameras.join(','));
  return args;
}

/** camsim.py's exit status when a port it needs is taken (its stderr names the port). */
export const EXIT_PORT_CONFLICT = 2;

/** camsim.py did not get ready; `exitCode` is its exit status when it exited. */
export class CamsimStartError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'CamsimStartError';
  }
}

/**
 * Starts the simulator. With ports left to it, camsim.py moves to other free
 * ports by itself when one is taken between its check and its bind; should
 * parallel runs keep taking them, it is started again (three times in all).
 * Ports given explicitly are never replaced: a taken one is a loud error.
 */
export async function startCamsim(opts: CamsimOptions): Promise<Camsim> {
  const portsGiven = opts.rtspBasePort !== undefined || opts.onvifBasePort !== undefined || opts.controlPort !== undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(opts);
    } catch (err) {
      if (portsGiven || attempt >= 3 || !(err instanceof CamsimStartError) || err.exitCode !== EXIT_PORT_CONFLICT) throw err;
      opts.onLog?.('camsim: a port it needed was taken; starting again on other ports');
    }
  }
}

async function startOnce(opts: CamsimOptions): Promise<Camsim> {
  const child = spawn(opts.python ?? DEFAULT_PYTHON, camsimArgs(opts), { stdio: ['pipe', 'pipe', 'pipe'] });
  const stderr = new LineTail(40);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    for (const line of stderr.push(chunk)) opts.onLog?.(line);
  });
  let ready: ReadyLine;
  try {
    ready = await readyLine(child, opts.readyTimeoutMs ?? 120_000, stderr);
  } catch (err) {
    await terminate(child);
    throw err;
  }
  const controlUrl = ready.control;
  return {
    cameras: ready.cameras.map(toSimCamera),
    control: controlClient(controlUrl),
    controlUrl,
    pid: ready.pid,
    stop: () => terminate(child),
  };
}

function readyLine(child: ChildProcess, timeoutMs: number, stderr: LineTail): Promise<ReadyLine> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (why: string, exitCode: number | null = null) => {
      cleanup();
      reject(new CamsimStartError(`camsim ${why}\n--- camsim stderr (tail) ---\n${stderr.text()}`, exitCode));
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      cleanup();
      try {
        resolve(parseReadyLine(buffered.slice(0, nl)));
      } catch (err) {
        reject(new Error(`camsim printed an unexpected first line: ${(err as Error).message}\n${stderr.text()}`));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      // Let the last stderr chunk arrive before reporting it.
      setImmediate(() => fail(`exited before ready (code ${code}, signal ${signal})`, code));
    const onError = (err: Error) => fail(`could not start: ${err.message}`);
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

export function parseReadyLine(line: string): ReadyLine {
  const parsed: unknown = JSON.parse(line);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
  const r = parsed as Partial<ReadyLine>;
  if (r.ready !== true || typeof r.control !== 'string' || !Array.isArray(r.cameras)) {
    throw new Error(`not a ready line: ${line.slice(0, 200)}`);
  }
  return r as ReadyLine;
}

function toSimCamera(c: ReadyCamera): SimCamera {
  const host = new URL(c.main).hostname;
  return {
    index: c.index,
    name: c.name,
    user: c.user,
    password: c.password,
    host,
    rtspPort: c.rtsp_port,
    onvifPort: c.onvif_port,
    urls: { main: c.main, sub: c.sub, onvif: c.onvif },
    uuid: c.uuid,
    clip: c.clip,
    loopMs: c.loop_ms,
    bFrames: c.bframes,
    events: c.events,
    authUrl(stream, creds = { user: c.user, password: c.password }) {
      const u = new URL(stream === 'main' ? c.main : c.sub);
      u.username = encodeURIComponent(creds.user);
      u.password = encodeURIComponent(creds.password);
      return u.toString();
    },
  };
}

function toCameraState(s: WireCameraState): CameraState {
  const stream = (name: StreamName): StreamState => ({
    active: s.streams[name].active,
    framesOut: s.streams[name].frames_out,
    bytesOut: s.streams[name].bytes_out,
    loopMs: s.streams[name].loop_ms,
    loopEpochMs: s.streams[name].loop_epoch_ms,
  });
  return {
    index: s.index,
    name: s.name,
    online: s.online,
    faults: s.faults,
    clockOffsetS: s.clock_offset_s,
    rtspClients: s.rtsp_clients,
    rtspConnections: s.rtsp_connections,
    streams: { main: stream('main'), sub: stream('sub') },
    events: s.events ? { subscriptions: s.events.subscriptions, subscriptionsCreated: s.events.subscriptions_created, renewals: s.events.renewals } : null,
  };
}

function controlClient(base: string): CamsimControl {
  const call = async (method: 'GET' | 'POST', path: string, body?: object): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : null,
    });
    const payload: unknown = await res.json();
    if (!res.ok) {
      const why = (payload as { error?: string }).error ?? res.statusText;
      throw new Error(`camsim ${method} ${path}: ${res.status} ${why}`);
    }
    return payload;
  };
  return {
    async fault(index, fault, extra = {}) {
      return toCameraState((await call('POST', `/cameras/${index}/fault`, { ...extra, fault })) as WireCameraState);
    },
    async clear(index, fault) {
      return toCameraState((await call('POST', `/cameras/${index}/clear`, fault ? { fault } : {})) as WireCameraState);
    },
    async state() {
      const { cameras } = (await call('GET', '/cameras')) as { cameras: WireCameraState[] };
      return cameras.map(toCameraState);
    },
    async event(index, kind, state) {
      return ((await call('POST', `/cameras/${index}/event`, { kind, state })) as { subscriptions: number }).subscriptions;
    },
  };
}

async function terminate(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Keeps the last lines of a stream for error messages. */
class LineTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}

  /** Adds a chunk; returns the lines it completed. */
  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
    return parts;
  }

  text(): string {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }
}
