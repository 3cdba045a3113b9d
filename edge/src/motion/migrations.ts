import type { Migration } from '@cunbox/shared';

/**
 * Motion detection per camera: its knobs, and its zones and masks (polygons
 * in normalised 0..1 coordinates, JSON [[x, y], …]). Cameras from the config
 * file get theirs rewritten from it at every start; CLI cameras keep what the
 * CLI or the API set. Rows of a removed camera go with it.
 */
export const motionMigrations: readonly Migration[] = [
  {
    name: 'motion/001-settings-zones',
    sql: `
      CREATE TABLE motion_settings (
        camera_id        INTEGER PRIMARY KEY,
        enabled          INTEGER NOT NULL DEFAULT 1,
        sensitivity      INTEGER NOT NULL DEFAULT 50 CHECK (sensitivity BETWEEN 1 AND 100),
        min_area_percent REAL NOT NULL DEFAULT 0.2 CHECK (min_area_percent > 0 AND min_area_percent <= 50)
      );
      CREATE TABLE motion_zones (
        camera_id INTEGER NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('zone', 'mask')),
        name      TEXT NOT NULL,
        points    TEXT NOT NULL,
        PRIMARY KEY (camera_id, kind, name)
      );
      CREATE TRIGGER motion_camera_removed AFTER DELETE ON cameras BEGIN
        DELETE FROM motion_settings WHERE camera_id = OLD.id;
        DELETE FROM motion_zones WHERE camera_id = OLD.id;
      END;
    `,
  },
];
