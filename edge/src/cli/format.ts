import cliProgress from 'cli-progress';
// The table helpers and local time are shared with the cloud's CLI.
export { formatTime, TABLE_WIDTH, displayWidth, padDisplay, table, truncateDisplay, wrapText } from '@cunbox/shared/cli';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatBitrate(bps: number | null): string {
  return bps === null ? '-' : `${(bps / 1e6).toFixed(2)} Mbit/s`;
}

export interface Progress {
  /** One item finished; `label` names it (a camera), `ok` says how it went. */
  done(label: string, ok: boolean): void;
  stop(): void;
}

/**
 * Progress of a batch on stderr, so stdout stays clean for --json and tables:
 * a bar on a terminal, one line per item otherwise (logs, ssh without a tty).
 */
export function progress(stream: NodeJS.WritableStream & { isTTY?: boolean }, total: number, title: string): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: stream as NodeJS.WritableStream, format: `${title} [{bar}] {value}/{total} {last}`, hideCursor: true, clearOnComplete: false, barsize: 30 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { last: '' });
    return { done: (label, ok) => bar.increment(1, { last: `${ok ? '✓' : '✗'} ${label}` }), stop: () => bar.stop() };
  }
  let n = 0;
  const width = String(total).length;
  return {
    done: (label, ok) => void stream.write(`[${String(++n).padStart(width)}/${total}] ${ok ? '✓' : '✗'} ${label}\n`),
    stop: () => {},
  };
}

/** A clock offset: "+0.3 s", "-12.0 s". */
export function formatOffset(ms: number): string {
  const s = ms / 1000;
  return `${s >= 0 ? '+' : ''}${s.toFixed(1)} s`;
}
