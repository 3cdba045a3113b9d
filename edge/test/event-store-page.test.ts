import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { EventStore, parseEventCursor } from '../src/events/event-store.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from './helpers/tmp.ts';

t.test('events page newest first by a cursor, stable while new ones arrive; filters by camera, type and zone', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  t.teardown(() => db.close());
  const { clock } = fakeClock(1_000_000);
  const events = new EventStore({ db, clock });
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(events.record(1, 'motion', { zone: i % 2 ? 'door' : null, endMs: 1000 * i + 500 }, 1000 * i));
  ids.push(events.record(2, 'camera.offline', {}, 2000)); // same time as a motion event: the id breaks the tie
  ids.push(events.record(null, 'storage.low', {}, 3500));
  const all = { fromMs: 0, toMs: 10_000, limit: 3 };
  const p1 = events.page(all);
  t.same(p1.events.map((e) => e.id), [ids[4], ids[6], ids[3]]);
  t.ok(p1.next);
  // A new event between pages does not shift the next page.
  events.record(1, 'motion', { zone: 'door' }, 9000);
  const p2 = events.page({ ...all, before: parseEventCursor(p1.next!)! });
  t.same(p2.events.map((e) => e.id), [ids[5], ids[2], ids[1]]);
  const p3 = events.page({ ...all, before: parseEventCursor(p2.next!)! });
  t.same(p3.events.map((e) => e.id), [ids[0]]);
  t.equal(p3.next, null, 'the last page says so');
  t.same(events.page({ ...all, limit: 10, zones: ['door'] }).events.map((e) => e.detail['zone']), ['door', 'door', 'door']);
  t.same(events.page({ ...all, limit: 10, cameraIds: [2] }).events.map((e) => e.type), ['camera.offline']);
  t.same(events.page({ ...all, limit: 10, cameraIds: [] }).events, [], 'no cameras allowed: nothing');
  t.same(events.page({ ...all, limit: 10, types: ['storage.low'] }).events.map((e) => e.cameraId), [null]);
  t.same(events.page({ fromMs: 1000, toMs: 2000, limit: 10 }).events.map((e) => e.atMs), [1000], 'from inclusive, to exclusive');
  t.equal(parseEventCursor('12.x'), undefined);
  t.same(events.get(ids[0]!)?.detail, { zone: null, endMs: 500 });
});
