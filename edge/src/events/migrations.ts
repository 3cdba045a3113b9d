import type { Migration } from '@cunbox/shared';

export const eventMigrations: readonly Migration[] = [
  {
    name: 'events/001-by-type-time',
    sql: `
      -- The big screen counts events of some types over the last day (motion
      -- per zone and per hour) and shows the newest: without this index each
      -- count would scan every event kept.
      CREATE INDEX events_by_type_time ON events (type, at_ms);
    `,
  },
];
