import t from 'tap';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.ts';
import { EventStore, parseEventCursor } from '../src/events/event-store.ts';
import { timeline } from '../src/playback/timeline.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

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

t.test('an episode is one row in a page: its start while it goes on, its summary once it ended (starts on request)', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  t.teardown(() => db.close());
  const { clock } = fakeClock(1_000_000);
  const events = new EventStore({ db, clock });
  const videoStart = events.record(1, 'motion.start', { v: 1, source: 'video', zone: 'gate' }, 1000);
  const onvifStart = events.record(2, 'motion.start', { v: 1, source: 'onvif', zone: null }, 1500);
  const tamperStart = events.record(2, 'tamper.start', { v: 1, source: 'onvif', zone: null }, 1700);
  const all = { fromMs: 0, toMs: 10_000, limit: 10, hideEndedStarts: true };
  t.match(events.page(all).events, [
    { id: tamperStart, endedBy: null },
    { id: onvifStart, endedBy: null },
    { id: videoStart, endedBy: null },
  ], 'all going on: the starts');
  const videoEnd = events.record(1, 'motion', { v: 1, source: 'video', zone: 'gate', endMs: 4000, startEventId: videoStart }, 1000);
  const tamperEnd = events.record(2, 'tamper', { v: 1, source: 'onvif', zone: null, endMs: 2000, startEventId: tamperStart }, 1700);
  // A summary of another camera at the same time naming the id does not end it.
  events.record(3, 'motion', { v: 1, source: 'video', zone: null, endMs: 2000, startEventId: onvifStart }, 1500);
  const page = events.page(all).events;
  t.same(page.filter((e) => e.cameraId !== 3).map((e) => [e.id, e.type, e.endedBy]), [
    [tamperEnd, 'tamper', undefined],
    [onvifStart, 'motion.start', null],
    [videoEnd, 'motion', undefined],
  ], 'ended episodes show as their summary alone; the one going on as its start');
  t.same(events.page({ ...all, zones: ['gate'] }).events.map((e) => e.id), [videoEnd], 'the zone filter sees the summary');
  t.same(events.page({ ...all, hideEndedStarts: false, types: ['motion.start'] }).events.map((e) => [e.id, e.endedBy]), [[onvifStart, null], [videoStart, videoEnd]], 'starts asked for: each says which summary ended it');
  t.same(events.page({ ...all, cameraIds: [1], limit: 1 }).next, null, 'the hidden start does not make a page');
});

t.test('timeline markers: an episode going on is open, an ended one is its summary with its end', async (t) => {
  const db = openDatabase(join(tmpDir(t), 'cunbox.db'));
  t.teardown(() => db.close());
  const { clock } = fakeClock(1_000_000);
  const events = new EventStore({ db, clock });
  const ended = events.record(1, 'motion.start', { v: 1, source: 'video', zone: 'gate' }, 1000);
  const summary = events.record(1, 'motion', { v: 1, source: 'video', zone: 'gate', endMs: 4000, startEventId: ended }, 1000);
  const going = events.record(1, 'motion.start', { v: 1, source: 'onvif', zone: null }, 6000);
  const tamper = events.record(1, 'tamper.start', { v: 1, source: 'onvif', zone: null }, 7000);
  const offline = events.record(1, 'camera.offline', {}, 8000);
  const [cam] = timeline(db, { fromMs: 0, toMs: 10_000 }, [1], 10_000);
  t.same(cam!.events, [
    { id: summary, type: 'motion', atMs: 1000, endMs: 4000, zone: 'gate' },
    { id: going, type: 'motion.start', atMs: 6000, endMs: null, zone: null, open: true },
    { id: tamper, type: 'tamper.start', atMs: 7000, endMs: null, zone: null, open: true },
    { id: offline, type: 'camera.offline', atMs: 8000 },
  ]);
});
