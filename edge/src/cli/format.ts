import Table from 'cli-table3';
import cliProgress from 'cli-progress';

/** A plain table for terminals; cli-table3 measures CJK characters as double width. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const t = new Table({ head, style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } });
  for (const r of rows) t.push(r.map((c) => String(c)));
  return t.toString();
}

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

export function formatTime(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

export function formatBitrate(bps: number | null): string {
  return bps === null ? '-' : `${(bps / 1e6).toFixed(2)} Mbit/s`;
}

/** Terminal columns of a string: CJK and full-width characters take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u.test(ch) ? 2 : 1;
  return w;
}

export function padDisplay(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - displayWidth(s)));
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

/**
 * Wraps text to a display width for a table cell: between words for Latin
 * text, between any two characters for Chinese (which has no spaces).
 */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((para) => {
      const tokens = para.match(/[\p{Script=Han}\u3000-\u303f\uff00-\uffef]|\s+|[^\s\p{Script=Han}\u3000-\u303f\uff00-\uffef]+/gu) ?? [];
      const lines: string[] = [];
      let line = '';
      for (const tok of tokens) {
        if (displayWidth(line) + displayWidth(tok) <= width || line === '') line += /^\s+$/.test(tok) && line === '' ? '' : tok;
        else {
          lines.push(line.trimEnd());
          line = /^\s+$/.test(tok) ? '' : tok;
        }
      }
      lines.push(line.trimEnd());
      return lines.join('\n');
    })
    .join('\n');
}
