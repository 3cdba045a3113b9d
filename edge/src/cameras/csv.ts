/**
 * The camera list as a CSV file, for `cameras import` and `cameras export`:
 * one camera a row, found either by its ONVIF address or by its RTSP URLs.
 *
 *   name,zone,onvif,main,sub,user,password
 *   路口卡口-东口,东口,192.0.2.10:80,,,admin,secret
 *   村委会门口,村委会,,rtsp://192.0.2.11:554/Streaming/Channels/101,rtsp://192.0.2.11:554/Streaming/Channels/102,admin,secret
 *
 * Files come from spreadsheets: a UTF-8 BOM is accepted, and a file that is not
 * UTF-8 is read as GB18030 (what Excel on Chinese Windows saves). Line endings
 * may be mixed (a header typed on Linux above rows pasted from Windows): every
 * CR LF or lone CR is read as one line break, so no value keeps a stray CR. The
 * whole file is checked before anything is applied, and every problem is
 * reported with the line the row starts on, counted as an editor counts.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { TemplatedError, templateOf, type Template } from '../probe/problem.ts';
import { DEFAULT_DEVICE_PATH, parseOnvifAddress, shortAddress, type OnvifTarget } from '../onvif/address.ts';
import { parseStreamUrl, type CameraDetails } from './registry.ts';

export const CSV_COLUMNS = ['name', 'zone', 'onvif', 'main', 'sub', 'user', 'password'] as const;
type Column = (typeof CSV_COLUMNS)[number];

/** Header spellings technicians use, Chinese included. */
const ALIASES: Record<string, Column> = {
  name: 'name', 名称: 'name', 摄像头: 'name', 摄像头名称: 'name',
  zone: 'zone', 区域: 'zone', 位置: 'zone',
  onvif: 'onvif', 'onvif host': 'onvif', onvif_host: 'onvif', host: 'onvif', onvif地址: 'onvif',
  main: 'main', rtsp: 'main', 'main url': 'main', main_url: 'main', 主码流: 'main',
  sub: 'sub', 'sub url': 'sub', sub_url: 'sub', 子码流: 'sub',
  user: 'user', username: 'user', 用户: 'user', 用户名: 'user',
  password: 'password', 密码: 'password',
};

const MAX_CSV_BYTES = 1 << 20;
const MAX_CSV_ROWS = 1000;

export interface CsvCamera {
  /** Line in the file where the row starts (1-based), as an editor numbers it. */
  line: number;
  name: string;
  zone: string | null;
  /** When set, the camera is asked for its streams; main/sub are ignored. */
  onvif: OnvifTarget | null;
  main: string | null;
  sub: string | null;
  user: string | null;
  /** Empty in the file: keep the stored password on re-import. */
  password: string | null;
}

export interface ParsedCsv {
  rows: CsvCamera[];
  encoding: 'utf-8' | 'gb18030';
}

function decodeCsv(bytes: Buffer): { text: string; encoding: 'utf-8' | 'gb18030' } {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(body), encoding: 'gb18030' };
  }
}

/** Parses and checks a whole file; throws INVALID_INPUT listing every problem. */
export function parseCameraCsv(bytes: Buffer, file = 'CSV'): ParsedCsv {
  if (bytes.length > MAX_CSV_BYTES) throw new TemplatedError('INVALID_INPUT', '{file}: larger than {mib} MiB; split it', { file, mib: MAX_CSV_BYTES >> 20 });
  const decoded = decodeCsv(bytes);
  const encoding = decoded.encoding;
  // csv-parse takes the first line's ending for the whole file; a CR left on a
  // CR LF row would end up in its last value (the password) and count as a line.
  const text = decoded.text.replace(/\r\n?/g, '\n');
  let parsed: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    parsed = parse(text, { info: true, raw: true, relax_column_count: true, skip_empty_lines: true, delimiter: delimiterOf(text) }) as unknown as typeof parsed;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new TemplatedError('INVALID_INPUT', '{file}: not a readable CSV file', { file }, { details: [{ text: 'line {line}: {reason}', vars: { line: e.lines ?? '?', reason: e.message.replace(/ at line \d+.*$/, '') } }] });
  }
  const records = parsed.map(({ record, raw, info }) => ({ record, line: startLine(raw, info.lines) }));
  const problems: Template[] = [];
  const at = (line: number, text: string, vars: Template['vars'] = {}) => problems.push({ text, vars: { line, ...vars } });
  const [header, ...body] = records;
  if (!header) throw new TemplatedError('INVALID_INPUT', '{file}: empty; the first line must name the columns ({columns})', { file, columns: CSV_COLUMNS.join(',') });
  const h = header.line;
  const columns = header.record.map((name) => ALIASES[name.trim().toLowerCase()] ?? null);
  header.record.forEach((name, i) => {
    if (columns[i] === null) at(h, 'line {line}: unknown column "{column}" (known: {known})', { column: name.trim(), known: CSV_COLUMNS.join(', ') });
  });
  const seen = new Set<Column>();
  for (const c of columns) {
    if (c && seen.has(c)) at(h, 'line {line}: column "{column}" appears twice', { column: c });
    if (c) seen.add(c);
  }
  if (!seen.has('name')) at(h, 'line {line}: a "name" column is required');
  if (!seen.has('onvif') && !seen.has('main')) at(h, 'line {line}: an "onvif" or a "main" column is required');
  if (problems.length > 0) throw new TemplatedError('INVALID_INPUT', '{file}: the header is wrong; nothing was imported', { file }, { details: problems });
  if (body.length > MAX_CSV_ROWS) throw new TemplatedError('INVALID_INPUT', '{file}: more than {max} rows; split it', { file, max: MAX_CSV_ROWS });

  const rows: CsvCamera[] = [];
  const names = new Map<string, number>();
  const addresses = new Map<string, number>();
  for (const { record, line } of body) {
    if (record.every((v) => v.trim() === '')) continue;
    if (record.length > columns.length) {
      at(line, 'line {line}: {fields} fields, but the header names {columns} (a comma inside a value needs "quotes")', { fields: record.length, columns: columns.length });
      continue;
    }
    const get = (c: Column): string | null => {
      const i = columns.indexOf(c);
      const v = i < 0 ? undefined : record[i];
      // Passwords are taken as written: a space may be part of one.
      const value = c === 'password' ? v : v?.trim();
      return value ? value : null;
    };
    const row = checkRow(line, get, at);
    if (!row) continue;
    const prevName = names.get(row.name);
    if (prevName !== undefined) at(line, 'line {line}: name "{name}" is also on line {other}', { name: row.name, other: prevName });
    names.set(row.name, line);
    const key = row.onvif ? row.onvif.url : row.main!;
    const prevAddr = addresses.get(key);
    if (prevAddr !== undefined) {
      if (row.onvif) at(line, 'line {line}: ONVIF address {address} is also on line {other}', { address: shortAddress(row.onvif), other: prevAddr });
      else at(line, 'line {line}: the main URL is also on line {other}', { other: prevAddr });
    }
    addresses.set(key, line);
    rows.push(row);
  }
  if (problems.length > 0) throw new TemplatedError('INVALID_INPUT', '{file}: {n} problems; nothing was imported', { file, n: problems.length }, { details: problems });
  if (rows.length === 0) throw new TemplatedError('INVALID_INPUT', '{file}: no camera rows', { file });
  return { rows, encoding };
}

/**
 * csv-parse counts the line a record ends on; a quoted value may span lines, and
 * the raw text carries the skipped empty lines before the record and its own
 * line break after it.
 */
function startLine(raw: string, endLine: number): number {
  const own = raw.replace(/^\n+/, '').replace(/\n$/, '');
  return endLine - (own.match(/\n/g)?.length ?? 0);
}

/** Comma, unless the header line has none and uses semicolons or tabs (some spreadsheet locales). */
function delimiterOf(text: string): string {
  const first = text.slice(0, text.indexOf('\n') >>> 0);
  if (first.includes(',')) return ',';
  if (first.includes(';')) return ';';
  if (first.includes('\t')) return '\t';
  return ',';
}

type At = (line: number, text: string, vars?: Template['vars']) => void;

function checkRow(line: number, get: (c: Column) => string | null, at: At): CsvCamera | null {
  let bad = false;
  const fail: At = (...a) => {
    bad = true;
    at(...a);
  };
  const name = get('name');
  if (!name) fail(line, 'line {line}: name is empty');
  else if (name.length > 64) fail(line, 'line {line}: name is longer than 64 characters');
  const zone = get('zone');
  if (zone && zone.length > 64) fail(line, 'line {line}: zone is longer than 64 characters');
  let onvif: OnvifTarget | null = null;
  const onvifText = get('onvif');
  if (onvifText) {
    try {
      onvif = parseOnvifAddress(onvifText);
    } catch (err) {
      fail(line, 'line {line}: {problem}', { problem: templateOf(err) });
    }
  }
  let main: string | null = null;
  let sub: string | null = null;
  let user = get('user');
  let password = get('password');
  const url = (c: 'main' | 'sub') => {
    const v = get(c);
    if (!v) return null;
    try {
      const p = parseStreamUrl(v, `${c} URL`);
      user ??= p.username;
      password ??= p.password;
      return p.url;
    } catch (err) {
      // A URL ONVIF will replace anyway is not worth failing the file for.
      if (!onvifText) fail(line, 'line {line}: {problem}', { problem: templateOf(err) });
      return null;
    }
  };
  main = url('main');
  sub = url('sub');
  if (!onvifText && !get('main')) fail(line, "line {line}: give the camera's ONVIF address (onvif) or its RTSP URL (main)");
  if (bad || !name) return null;
  return { line, name, zone, onvif, main: onvif ? null : main, sub: onvif ? null : sub, user, password };
}

/** The same format back; passwords only with `withSecrets`. */
export function camerasToCsv(cameras: ReadonlyArray<CameraDetails & { password?: string | null }>, withSecrets: boolean): string {
  const rows = cameras.map((c) => [
    c.name,
    c.zone ?? '',
    c.onvifUrl ? exportOnvif(c.onvifUrl) : '',
    c.mainUrl,
    c.subUrl ?? '',
    c.username ?? '',
    withSecrets ? (c.password ?? '') : '',
  ]);
  return stringify([[...CSV_COLUMNS], ...rows]);
}

function exportOnvif(url: string): string {
  try {
    const t = parseOnvifAddress(url);
    return t.path === DEFAULT_DEVICE_PATH ? shortAddress(t) : t.url;
  } catch {
    return url;
  }
}
