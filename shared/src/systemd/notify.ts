import { createRequire } from 'node:module';

/** What the notifier needs of a clock: interval timers (injected, so tests run under fake time). */
interface IntervalClock {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** What it needs of a logger (pino's shape). */
export interface WarnLogger {
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** One datagram to systemd's notify socket. */
export interface NotifyTransport {
  send(message: string): void;
  close(): void;
}

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  close(): void;
}

/**
 * The socket systemd names in NOTIFY_SOCKET, or null outside a `Type=notify`
 * unit. Node has no unix datagram sockets; the native `unix-dgram` package
 * (the one zigbee2mqtt uses, an optional dependency) sends them from this
 * process, so systemd attributes every message to the main PID. Spawning
 * `systemd-notify` instead would send from a child that may have exited before
 * systemd reads it, and the message is then dropped as not from the unit.
 */
export function openNotifySocket(env: NodeJS.ProcessEnv, log: WarnLogger): NotifyTransport | null {
  const target = env.NOTIFY_SOCKET;
  if (!target) return null;
  let dgram: { createSocket(type: 'unix_dgram'): UnixDgramSocket };
  try {
    dgram = createRequire(import.meta.url)('unix-dgram') as typeof dgram;
  } catch {
    log.warn('NOTIFY_SOCKET is set but the unix-dgram package is missing: systemd gets no READY or watchdog pings (npm ci builds it)');
    return null;
  }
  // An abstract socket ('@name') is addressed with a leading NUL byte.
  const path = target.startsWith('@') ? `\0${target.slice(1)}` : target;
  const socket = dgram.createSocket('unix_dgram');
  socket.on('error', (err) => log.warn({ err }, 'systemd notify socket error'));
  return {
    send: (message) => {
      const buf = Buffer.from(message);
      socket.send(buf, 0, buf.length, path);
    },
    close: () => socket.close(),
  };
}

export interface SystemdNotifierDeps {
  transport: NotifyTransport | null;
  clock: IntervalClock;
  log: WarnLogger;
  env: NodeJS.ProcessEnv;
  pid: number;
  /**
   * Whether the process still does its job: asked before every watchdog ping.
   * A blocked event loop sends no ping at all (the timer cannot fire); this
   * catches a loop that runs while the recorder supervisor or the database hangs.
   */
  healthy: () => boolean;
}

/**
 * sd_notify for `Type=notify` units: READY=1 once start-up is done, STATUS=
 * lines, WATCHDOG=1 every WATCHDOG_USEC/2 while healthy, STOPPING=1 on the way
 * out. Without NOTIFY_SOCKET every call is a no-op.
 */
export class SystemdNotifier {
  readonly #deps: SystemdNotifierDeps;
  #timer: unknown;
  #lastStatus = '';

  constructor(deps: SystemdNotifierDeps) {
    this.#deps = deps;
  }

  /** Half the watchdog timeout, as sd_watchdog_enabled() advises; null when this process is not watched. */
  get watchdogIntervalMs(): number | null {
    const { env, pid } = this.#deps;
    const usec = Number(env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return null;
    if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return null;
    return Math.max(1, Math.floor(usec / 2000));
  }

  start(): void {
    const every = this.watchdogIntervalMs;
    if (!this.#deps.transport || every === null) return;
    this.#timer = this.#deps.clock.setInterval(() => this.#ping(), every);
  }

  ready(status?: string): void {
    this.#send(status ? `READY=1\nSTATUS=${oneLine(status)}` : 'READY=1');
    if (status) this.#lastStatus = status;
  }

  /** Sent only when it changed: a STATUS line per tick would wake systemd for nothing. */
  status(text: string): void {
    if (text === this.#lastStatus) return;
    this.#lastStatus = text;
    this.#send(`STATUS=${oneLine(text)}`);
  }

  stopping(): void {
    this.#send('STOPPING=1');
  }

  stop(): void {
    if (this.#timer !== undefined) this.#deps.clock.clearInterval(this.#timer);
    this.#timer = undefined;
    this.#deps.transport?.close();
  }

  #ping(): void {
    let ok = false;
    try {
      ok = this.#deps.healthy();
    } catch (err) {
      this.#deps.log.error({ err }, 'health check failed: no watchdog ping');
    }
    if (ok) this.#send('WATCHDOG=1');
    else this.#deps.log.warn('unhealthy: watchdog ping withheld, systemd restarts the edge if this lasts');
  }

  #send(message: string): void {
    try {
      this.#deps.transport?.send(message);
    } catch (err) {
      this.#deps.log.warn({ err }, 'systemd notify failed');
    }
  }
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
