import type { Migration } from '@cunbox/shared';

/**
 * Checkpoint cameras (路口卡口): the cameras whose activity is counted per hour.
 * A row per checkpoint camera; config-file cameras get theirs from the file at
 * every start. The index makes "motion episodes of these cameras in this
 * range" a range scan per camera and type, however many other events there are.
 */
export const checkpointMigrations: readonly Migration[] = [
  {
    name: 'checkpoints/001-cameras-activity-index',
    sql: `
      CREATE TABLE checkpoint_cameras (camera_id INTEGER PRIMARY KEY);
      CREATE TRIGGER checkpoint_camera_removed AFTER DELETE ON cameras BEGIN
        DELETE FROM checkpoint_cameras WHERE camera_id = OLD.id;
      END;
      CREATE INDEX events_by_camera_type_time ON events (camera_id, type, at_ms);
    `,
  },
];
