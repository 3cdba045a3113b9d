import type { Migration } from '@cunbox/shared';

/**
 * What the technician CLI learns about a camera when it is provisioned:
 * where its ONVIF service is, what it is, which media profiles feed the main and
 * sub streams, and what the last stream probe measured.
 */
export const cameraMigrations: readonly Migration[] = [
  {
    name: 'cameras/001-onvif-info',
    sql: `
      ALTER TABLE cameras ADD COLUMN onvif_url TEXT;      -- device service URL, never with credentials
      ALTER TABLE cameras ADD COLUMN manufacturer TEXT;
      ALTER TABLE cameras ADD COLUMN model TEXT;
      ALTER TABLE cameras ADD COLUMN firmware TEXT;
      ALTER TABLE cameras ADD COLUMN serial_number TEXT;
      ALTER TABLE cameras ADD COLUMN main_profile TEXT;   -- ONVIF media profile token of the main stream
      ALTER TABLE cameras ADD COLUMN sub_profile TEXT;
      ALTER TABLE cameras ADD COLUMN probe TEXT;          -- JSON: the last ffprobe of both streams
      ALTER TABLE cameras ADD COLUMN probed_at INTEGER;
    `,
  },
];
