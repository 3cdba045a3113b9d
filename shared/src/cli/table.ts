/**
 * Tables for 80-column terminals, measured in display columns (a Chinese
 * character takes two): used by the edge's `cunbox` and the cloud's
 * `cunbox-cloud` alike.
 */
import Table from 'cli-table3';

/** A table column: its heading and how it may give way when the table is too wide. */
export interface Column {
  head: string;
  /** May be left out to fit; the highest number goes first. */
  drop?: number;
  /** May be cut with … (or wrapped, with `wrap`) down to this many terminal columns. */
  min?: number;
  /** Width it is cut to before anything is dropped (long URLs, reasons). */
  max?: number;
  /** Wrap between words instead of cutting: for sentences. */
  wrap?: boolean;
}

/** Terminal columns a table fits in unless --wide asks for all of it. */
export const TABLE_WIDTH = 80;

/**
 * A plain table for terminals. With `wide` every column at full width;
 * otherwise it fits `width` terminal columns (Chinese characters count two):
 * long cells are cut to their column's `max`, then columns are dropped in
 * their `drop` order, then cut or wrapped toward their `min`.
 */
export function table(columns: Array<string | Column>, rows: Array<Array<string | number>>, opts: { wide?: boolean; width?: number } = {}): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { head: c } : c));
  const cells = rows.map((r) => r.map((c) => String(c)));
  const natural = cols.map((c, i) => Math.max(displayWidth(c.head), ...cells.map((r) => Math.max(0, ...r[i]!.split('\n').map(displayWidth)))));
  let keep = cols.map((_, i) => i);
  const widths = [...natural];
  if (!opts.wide) {
    const limit = opts.width ?? TABLE_WIDTH;
    // Borders: one bar per column plus one, and a space either side of each cell.
    const total = () => keep.reduce((sum, i) => sum + widths[i]! + 3, 1);
    cols.forEach((c, i) => c.max !== undefined && (widths[i] = Math.min(widths[i]!, Math.max(c.max, displayWidth(c.head)))));
    const droppable = keep.filter((i) => cols[i]!.drop !== undefined).sort((a, b) => cols[b]!.drop! - cols[a]!.drop!);
    for (const i of droppable) if (total() > limit) keep = keep.filter((k) => k !== i);
    while (total() > limit) {
      const give = keep.filter((i) => cols[i]!.min !== undefined && widths[i]! > cols[i]!.min!).sort((a, b) => widths[b]! - widths[a]!)[0];
      if (give === undefined) break;
      widths[give]!--;
    }
  }
  const fitted = (text: string, i: number) => {
    if (widths[i]! >= natural[i]!) return text;
    // A word longer than the column (a URL) is cut after wrapping.
    return (cols[i]!.wrap ? wrapText(text, widths[i]!) : text).split('\n').map((l) => truncateDisplay(l, widths[i]!)).join('\n');
  };
  const t = new Table({
    head: keep.map((i) => fitted(cols[i]!.head, i)),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of cells) t.push(keep.map((i) => fitted(r[i]!, i)));
  return t.toString();
}

/** Cuts text to a display width, ending in … when anything was cut. */
export function truncateDisplay(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  for (const ch of s) {
    if (displayWidth(out + ch) + 1 > width) break;
    out += ch;
  }
  return `${out}…`;
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
