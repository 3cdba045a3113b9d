import type { Db } from '../db/database.ts';
import { CunboxError } from '../errors.ts';
import { polygonProblem } from './geometry.ts';

export type AreaKind = 'zone' | 'mask';

export interface MotionArea {
  kind: AreaKind;
  name: string;
  points: Array<[number, number]>;
}

/** One camera's motion settings: what the CLI, the API and the config file edit. */
export interface CameraMotionSettings {
  cameraId: number;
  enabled: boolean;
  /** 1..100; 50 is the default threshold. */
  sensitivity: number;
  /** Smallest moving blob that counts, in percent of the picture. */
  minAreaPercent: number;
  zones: MotionArea[];
  masks: MotionArea[];
}

const DEFAULT_SENSITIVITY = 50;
const DEFAULT_MIN_AREA_PERCENT = 0.2;
const MAX_AREAS = 16;
const NAME = /^[\p{L}\p{N}_ .-]{1,32}$/u;

/** Checks one area; the message names the field. */
function checkArea(a: { name: string; points: unknown }): void {
  if (!NAME.test(a.name) || a.name.trim() !== a.name) throw new CunboxError('INVALID_INPUT', 'name: 1–32 letters, digits, space, _ . - (no leading or trailing space)');
  const problem = polygonProblem(a.points);
  if (problem) throw new CunboxError('INVALID_INPUT', `points: ${problem}`);
}

function checkKnobs(sensitivity: number, minAreaPercent: number): void {
  if (!Number.isInteger(sensitivity) || sensitivity < 1 || sensitivity > 100) throw new CunboxError('INVALID_INPUT', 'sensitivity: an integer from 1 to 100');
  if (!(minAreaPercent > 0 && minAreaPercent <= 50)) throw new CunboxError('INVALID_INPUT', 'min area: a percentage above 0 and at most 50');
}

/**
 * Motion settings, zones and masks per camera (tables motion_settings and
 * motion_zones). A camera without a settings row has motion on with the defaults.
 */
export class MotionSettingsStore {
  readonly #db: Db;

  constructor(deps: { db: Db }) {
    this.#db = deps.db;
  }

  get(cameraId: number): CameraMotionSettings {
    const row = this.#db
      .prepare('SELECT enabled = 1 AS enabled, sensitivity, min_area_percent AS minAreaPercent FROM motion_settings WHERE camera_id = ?')
      .get(cameraId) as { enabled: number; sensitivity: number; minAreaPercent: number } | undefined;
    const areas = (this.#db.prepare('SELECT kind, name, points FROM motion_zones WHERE camera_id = ? ORDER BY kind, name').all(cameraId) as Array<{ kind: AreaKind; name: string; points: string }>).map(
      (r): MotionArea => ({ kind: r.kind, name: r.name, points: JSON.parse(r.points) as Array<[number, number]> }),
    );
    return {
      cameraId,
      enabled: row ? row.enabled === 1 : true,
      sensitivity: row?.sensitivity ?? DEFAULT_SENSITIVITY,
      minAreaPercent: row?.minAreaPercent ?? DEFAULT_MIN_AREA_PERCENT,
      zones: areas.filter((a) => a.kind === 'zone'),
      masks: areas.filter((a) => a.kind === 'mask'),
    };
  }

  setKnobs(cameraId: number, patch: { enabled?: boolean; sensitivity?: number; minAreaPercent?: number }): CameraMotionSettings {
    const cur = this.get(cameraId);
    const next = { enabled: patch.enabled ?? cur.enabled, sensitivity: patch.sensitivity ?? cur.sensitivity, minAreaPercent: patch.minAreaPercent ?? cur.minAreaPercent };
    checkKnobs(next.sensitivity, next.minAreaPercent);
    this.#db
      .prepare(
        `INSERT INTO motion_settings (camera_id, enabled, sensitivity, min_area_percent) VALUES (?, ?, ?, ?)
         ON CONFLICT (camera_id) DO UPDATE SET enabled = excluded.enabled, sensitivity = excluded.sensitivity, min_area_percent = excluded.min_area_percent`,
      )
      .run(cameraId, next.enabled ? 1 : 0, next.sensitivity, next.minAreaPercent);
    return this.get(cameraId);
  }

  /** Adds a zone or mask; a name already used by that camera for that kind is a conflict. */
  addArea(cameraId: number, area: MotionArea): CameraMotionSettings {
    checkArea(area);
    const count = (this.#db.prepare('SELECT count(*) AS n FROM motion_zones WHERE camera_id = ? AND kind = ?').get(cameraId, area.kind) as { n: number }).n;
    if (count >= MAX_AREAS) throw new CunboxError('INVALID_INPUT', `a camera has at most ${MAX_AREAS} ${area.kind}s`);
    const info = this.#db.prepare('INSERT OR IGNORE INTO motion_zones (camera_id, kind, name, points) VALUES (?, ?, ?, ?)').run(cameraId, area.kind, area.name, JSON.stringify(area.points));
    if (info.changes === 0) throw new CunboxError('CONFLICT', `this camera already has a ${area.kind} named "${area.name}"`);
    return this.get(cameraId);
  }

  removeArea(cameraId: number, kind: AreaKind, name: string): CameraMotionSettings {
    const info = this.#db.prepare('DELETE FROM motion_zones WHERE camera_id = ? AND kind = ? AND name = ?').run(cameraId, kind, name);
    if (info.changes === 0) throw new CunboxError('NOT_FOUND', `this camera has no ${kind} named "${name}"`);
    return this.get(cameraId);
  }

  /** Replaces everything (a config-file camera at start-up): the file is the truth for it. */
  replace(s: Omit<CameraMotionSettings, 'cameraId'>, cameraId: number): void {
    checkKnobs(s.sensitivity, s.minAreaPercent);
    for (const a of [...s.zones, ...s.masks]) checkArea(a);
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM motion_zones WHERE camera_id = ?').run(cameraId);
      this.setKnobs(cameraId, s);
      const insert = this.#db.prepare('INSERT INTO motion_zones (camera_id, kind, name, points) VALUES (?, ?, ?, ?)');
      for (const a of [...s.zones, ...s.masks]) insert.run(cameraId, a.kind, a.name, JSON.stringify(a.points));
    })();
  }
}
