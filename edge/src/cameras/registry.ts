import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import { CunboxError } from '../errors.ts';
import type { CameraProbe } from '../probe/types.ts';

/** What any API or listing may show of a camera: never the password. */
interface Camera {
  id: number;
  name: string;
  zone: string | null;
  mainUrl: string;
  subUrl: string | null;
  username: string | null;
  hasPassword: boolean;
  enabled: boolean;
  retentionDays: number | null;
  source: 'cli' | 'config';
  createdAt: number;
  updatedAt: number;
}

/** A camera with what provisioning learnt about it; what listings and exports show. */
export interface CameraDetails extends Camera {
  /** ONVIF device service URL (no credentials), when the camera was provisioned over ONVIF. */
  onvifUrl: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serialNumber: string | null;
  /** ONVIF media profile tokens the main and sub URLs came from. */
  mainProfile: string | null;
  subProfile: string | null;
  /** The last stream probe (add, import, test) and when it ran. */
  probe: CameraProbe | null;
  probedAt: number | null;
}

/** What ONVIF told about a camera; stored with it, shown by list/export/discover. */
export interface CameraDevice {
  onvifUrl: string | null;
  manufacturer?: string | null;
  model?: string | null;
  firmware?: string | null;
  serialNumber?: string | null;
  mainProfile?: string | null;
  subProfile?: string | null;
}

/** Only the recorder and the prober see this shape. */
export interface CameraWithSecrets extends Camera {
  password: string | null;
}

export interface CameraInput {
  name: string;
  mainUrl: string;
  subUrl?: string | null;
  username?: string | null;
  password?: string | null;
  zone?: string | null;
  enabled?: boolean;
  retentionDays?: number | null;
  /** undefined: unchanged on update; null: forget what ONVIF told. */
  device?: CameraDevice | null;
}

interface CameraRow {
  id: number;
  name: string;
  zone: string | null;
  main_url: string;
  sub_url: string | null;
  username: string | null;
  password: string | null;
  enabled: number;
  retention_days: number | null;
  source: 'cli' | 'config';
  created_at: number;
  updated_at: number;
  onvif_url: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  serial_number: string | null;
  main_profile: string | null;
  sub_profile: string | null;
  probe: string | null;
  probed_at: number | null;
}

const STREAM_SCHEMES = new Set(['rtsp:', 'rtsps:']);

/**
 * Checks a stream URL and splits credentials out of it: the stored URL never
 * holds them, so a listing, a log line or an export cannot leak them by accident.
 */
export function parseStreamUrl(raw: string, field: string): { url: string; username: string | null; password: string | null } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CunboxError('INVALID_INPUT', `${field}: not a URL (expected rtsp://host[:port]/path)`);
  }
  if (!STREAM_SCHEMES.has(u.protocol)) {
    throw new CunboxError('INVALID_INPUT', `${field}: scheme ${u.protocol} is not supported (expected rtsp:// or rtsps://)`);
  }
  if (!u.hostname) throw new CunboxError('INVALID_INPUT', `${field}: the URL has no host`);
  const username = u.username ? decodeURIComponent(u.username) : null;
  const password = u.password ? decodeURIComponent(u.password) : null;
  u.username = '';
  u.password = '';
  return { url: u.toString(), username, password };
}

/** The URL handed to ffmpeg: credentials percent-encoded into the userinfo. */
export function authenticatedUrl(url: string, username: string | null, password: string | null): string {
  if (!username) return url;
  const u = new URL(url);
  u.username = encodeURIComponent(username);
  if (password) u.password = encodeURIComponent(password);
  return u.toString();
}

function toCamera(row: CameraRow): CameraDetails {
  return {
    id: row.id,
    name: row.name,
    zone: row.zone,
    mainUrl: row.main_url,
    subUrl: row.sub_url,
    username: row.username,
    hasPassword: row.password !== null && row.password !== '',
    enabled: row.enabled === 1,
    retentionDays: row.retention_days,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    onvifUrl: row.onvif_url,
    manufacturer: row.manufacturer,
    model: row.model,
    firmware: row.firmware,
    serialNumber: row.serial_number,
    mainProfile: row.main_profile,
    subProfile: row.sub_profile,
    probe: parseProbe(row.probe),
    probedAt: row.probed_at,
  };
}

function parseProbe(json: string | null): CameraProbe | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as CameraProbe;
  } catch {
    return null;
  }
}

const DEVICE_TEXT_MAX = 256;

/** Device strings come from the camera: bounded, trimmed, empty → null. */
function deviceText(v: string | null | undefined): string | null {
  const t = v?.trim();
  return t ? t.slice(0, DEVICE_TEXT_MAX) : null;
}

function deviceColumns(d: CameraDevice | null) {
  return {
    onvif_url: deviceText(d?.onvifUrl),
    manufacturer: deviceText(d?.manufacturer),
    model: deviceText(d?.model),
    firmware: deviceText(d?.firmware),
    serial_number: deviceText(d?.serialNumber),
    main_profile: deviceText(d?.mainProfile),
    sub_profile: deviceText(d?.subProfile),
  };
}

function rowDevice(r: CameraRow): CameraDevice | null {
  if (r.onvif_url === null && r.manufacturer === null && r.model === null) return null;
  return {
    onvifUrl: r.onvif_url,
    manufacturer: r.manufacturer,
    model: r.model,
    firmware: r.firmware,
    serialNumber: r.serial_number,
    mainProfile: r.main_profile,
    subProfile: r.sub_profile,
  };
}

function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new CunboxError('INVALID_INPUT', 'name: must not be empty');
  if (trimmed.length > 64) throw new CunboxError('INVALID_INPUT', 'name: at most 64 characters');
  return trimmed;
}

function validateRetention(days: number | null | undefined): number | null {
  if (days === null || days === undefined) return null;
  if (!Number.isFinite(days) || days <= 0 || days > 3650) {
    throw new CunboxError('INVALID_INPUT', 'retention days: must be a number of days between 0 and 3650');
  }
  return days;
}

export class CameraRegistry {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  list(): CameraDetails[] {
    return this.#rows().map(toCamera);
  }

  /** For the recorder, probes and `export --with-secrets` only: includes passwords. */
  listWithSecrets(): Array<CameraDetails & CameraWithSecrets> {
    return this.#rows().map((r) => ({ ...toCamera(r), password: r.password }));
  }

  get(id: number): CameraDetails | undefined {
    const row = this.#db.prepare('SELECT * FROM cameras WHERE id = ?').get(id) as CameraRow | undefined;
    return row && toCamera(row);
  }

  getByName(name: string): CameraDetails | undefined {
    const row = this.#db.prepare('SELECT * FROM cameras WHERE name = ?').get(name) as CameraRow | undefined;
    return row && toCamera(row);
  }

  /** Resolves a technician's reference: a numeric id or a name. */
  resolve(ref: string): CameraDetails {
    const cam = /^\d+$/.test(ref) ? this.get(Number(ref)) : this.getByName(ref);
    if (!cam) throw new CunboxError('NOT_FOUND', `no camera with id or name "${ref}"`);
    return cam;
  }

  add(input: CameraInput, source: 'cli' | 'config' = 'cli'): CameraDetails {
    const row = this.#normalise(input);
    if (this.getByName(row.name)) throw new CunboxError('CONFLICT', `a camera named "${row.name}" already exists`);
    const now = this.#clock.now();
    const info = this.#db
      .prepare(
        `INSERT INTO cameras (name, zone, main_url, sub_url, username, password, enabled, retention_days, source, created_at, updated_at,
           onvif_url, manufacturer, model, firmware, serial_number, main_profile, sub_profile)
         VALUES (@name, @zone, @main_url, @sub_url, @username, @password, @enabled, @retention_days, @source, @now, @now,
           @onvif_url, @manufacturer, @model, @firmware, @serial_number, @main_profile, @sub_profile)`,
      )
      .run({ ...row, ...deviceColumns(input.device ?? null), source, now });
    return this.get(Number(info.lastInsertRowid))!;
  }

  update(id: number, patch: Partial<CameraInput>): CameraDetails {
    const current = this.#db.prepare('SELECT * FROM cameras WHERE id = ?').get(id) as CameraRow | undefined;
    if (!current) throw new CunboxError('NOT_FOUND', `no camera with id ${id}`);
    const merged = this.#normalise({
      name: patch.name ?? current.name,
      mainUrl: patch.mainUrl ?? current.main_url,
      subUrl: patch.subUrl !== undefined ? patch.subUrl : current.sub_url,
      username: patch.username !== undefined ? patch.username : current.username,
      password: patch.password !== undefined ? patch.password : current.password,
      zone: patch.zone !== undefined ? patch.zone : current.zone,
      enabled: patch.enabled ?? current.enabled === 1,
      retentionDays: patch.retentionDays !== undefined ? patch.retentionDays : current.retention_days,
    });
    const device = deviceColumns(patch.device !== undefined ? patch.device : rowDevice(current));
    const clash = this.getByName(merged.name);
    if (clash && clash.id !== id) throw new CunboxError('CONFLICT', `a camera named "${merged.name}" already exists`);
    this.#db
      .prepare(
        `UPDATE cameras SET name=@name, zone=@zone, main_url=@main_url, sub_url=@sub_url, username=@username,
           password=@password, enabled=@enabled, retention_days=@retention_days, updated_at=@now,
           onvif_url=@onvif_url, manufacturer=@manufacturer, model=@model, firmware=@firmware,
           serial_number=@serial_number, main_profile=@main_profile, sub_profile=@sub_profile WHERE id=@id`,
      )
      .run({ ...merged, ...device, id, now: this.#clock.now() });
    return this.get(id)!;
  }

  /** Stores the last stream probe. Does not touch updated_at: nothing a recorder uses changed. */
  setProbe(id: number, probe: CameraProbe | null): void {
    const info = this.#db.prepare('UPDATE cameras SET probe = ?, probed_at = ? WHERE id = ?').run(probe ? JSON.stringify(probe) : null, probe ? this.#clock.now() : null, id);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `no camera with id ${id}`);
  }

  /** One camera with its password, for a probe or a picture relayed to a phone; never for listings. */
  withSecrets(id: number): (CameraDetails & CameraWithSecrets) | undefined {
    const row = this.#db.prepare('SELECT * FROM cameras WHERE id = ?').get(id) as CameraRow | undefined;
    return row && { ...toCamera(row), password: row.password };
  }

  remove(id: number): void {
    const info = this.#db.prepare('DELETE FROM cameras WHERE id = ?').run(id);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `no camera with id ${id}`);
  }

  /**
   * Cameras listed in the config file are upserted by name at start-up. The
   * file is the source of truth for them; cameras added by the CLI are untouched.
   */
  syncFromConfig(inputs: readonly CameraInput[]): void {
    this.#db.transaction(() => {
      for (const input of inputs) {
        const existing = this.getByName(input.name.trim());
        if (existing) this.update(existing.id, input);
        else this.add(input, 'config');
      }
    })();
  }

  #rows(): CameraRow[] {
    return this.#db.prepare('SELECT * FROM cameras ORDER BY id').all() as CameraRow[];
  }

  #normalise(input: CameraInput) {
    const main = parseStreamUrl(input.mainUrl, 'main URL');
    const sub = input.subUrl ? parseStreamUrl(input.subUrl, 'sub URL') : null;
    const username = input.username ?? main.username ?? sub?.username ?? null;
    const password = input.password ?? main.password ?? sub?.password ?? null;
    const zone = input.zone?.trim() || null;
    if (zone && zone.length > 64) throw new CunboxError('INVALID_INPUT', 'zone: at most 64 characters');
    return {
      name: validateName(input.name),
      zone,
      main_url: main.url,
      sub_url: sub?.url ?? null,
      username,
      password,
      enabled: input.enabled === false ? 0 : 1,
      retention_days: validateRetention(input.retentionDays),
    };
  }
}
