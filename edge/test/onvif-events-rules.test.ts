// The pure rules under the ONVIF events source: reading a notification as the
// `onvif` package parses it, and pairing on/off into merged episodes.
import t from 'tap';
import fc from 'fast-check';
import { kindOf, readNotifications, topicPath } from '../src/onvif/events/notification.ts';
import { Episodes, type EpisodeAction } from '../src/onvif/events/episodes.ts';

/** One NotificationMessage the way the package hands it over (linerased xml2js). */
function note(topic: string, name: string, value: unknown, extra: Record<string, unknown> = {}) {
  return {
    topic: { _: topic, $: { Dialect: 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet' } },
    message: { message: { $: { PropertyOperation: 'Changed', ...extra }, source: { simpleItem: { $: { Name: 'Source', Value: 'vs0' } } }, data: { simpleItem: { $: { Name: name, Value: value } } } } },
  };
}

t.test('topics: motion and tamper families, whatever the prefixes', async (t) => {
  t.equal(topicPath('tns1:VideoSource/MotionAlarm'), 'VideoSource/MotionAlarm');
  t.equal(topicPath('tns1:RuleEngine/tnsaxis:CellMotionDetector/Motion'), 'RuleEngine/CellMotionDetector/Motion');
  t.equal(kindOf('VideoSource/MotionAlarm'), 'motion');
  t.equal(kindOf('RuleEngine/CellMotionDetector/Motion'), 'motion');
  t.equal(kindOf('RuleEngine/MotionRegionDetector/Motion'), 'motion');
  t.equal(kindOf('VideoSource/GlobalSceneChange/ImagingService'), 'tamper');
  t.equal(kindOf('VideoSource/ImageTooBlurry/AnalyticsService'), 'tamper');
  t.equal(kindOf('RuleEngine/TamperDetector/Tamper'), 'tamper');
  t.equal(kindOf('Device/Trigger/DigitalInput'), null, 'other topics are not alarms');
  t.equal(kindOf('VideoSource/MotionAlarmX'), null);
});

t.test('reads state, initial flag and camera time; zero times are null', async (t) => {
  const at = new Date('2026-11-30T12:00:00Z');
  const reply = {
    notificationMessage: [
      note('tns1:VideoSource/MotionAlarm', 'State', true, { UtcTime: at }),
      note('tns1:RuleEngine/CellMotionDetector/Motion', 'IsMotion', 'false', { UtcTime: new Date('0000-00-00T00:00:00Z'), PropertyOperation: 'Initialized' }),
      note('tns1:VideoSource/GlobalSceneChange/ImagingService', 'State', 1, { UtcTime: '1970-01-01T00:00:00Z' }),
      note('tns1:Device/Trigger/DigitalInput', 'LogicalState', true),
      note('tns1:VideoSource/MotionAlarm', 'Other', true),
    ],
  };
  t.same(readNotifications(reply), [
    { kind: 'motion', topic: 'VideoSource/MotionAlarm', active: true, initial: false, cameraAtMs: at.getTime() },
    { kind: 'motion', topic: 'RuleEngine/CellMotionDetector/Motion', active: false, initial: true, cameraAtMs: null },
    { kind: 'tamper', topic: 'VideoSource/GlobalSceneChange/ImagingService', active: true, initial: false, cameraAtMs: null },
  ]);
  t.same(readNotifications({ notificationMessage: note('tns1:VideoSource/MotionAlarm', 'State', false) }).map((n) => n.active), [false], 'a single message is not an array');
  t.same(readNotifications({}), []);
});

t.test('never throws on anything a camera could make the parser produce', async (t) => {
  fc.assert(
    fc.property(fc.anything({ withDate: true, withNullPrototype: true, withMap: true }), (v) => {
      readNotifications(v);
      readNotifications({ notificationMessage: v });
      readNotifications({ notificationMessage: [v, { topic: v, message: { message: v } }] });
    }),
    { numRuns: 500 },
  );
});

const GAP = 10_000;

t.test('an alarm on and off is one episode, ended when it went off once the gap has passed', async (t) => {
  const e = new Episodes(GAP);
  t.same(e.observe({ kind: 'motion', topic: 'A', active: false }, 0), [], 'off without on: nothing');
  t.same(e.observe({ kind: 'motion', topic: 'A', active: true }, 1000), [{ type: 'start', kind: 'motion', topic: 'A', atMs: 1000 }]);
  t.same(e.observe({ kind: 'motion', topic: 'A', active: true }, 1500), [], 'repeated on: nothing');
  t.same(e.observe({ kind: 'motion', topic: 'A', active: false }, 4000), []);
  t.equal(e.nextDueAt(), 4000 + GAP);
  t.same(e.due(4000 + GAP - 1), []);
  t.same(e.due(4000 + GAP), [{ type: 'end', kind: 'motion', topic: 'A', startedAtMs: 1000, atMs: 4000, reason: 'off' }]);
  t.equal(e.nextDueAt(), null);
});

t.test('on again within the gap continues the episode; two topics of one kind overlap; kinds are separate', async (t) => {
  const e = new Episodes(GAP);
  e.observe({ kind: 'motion', topic: 'A', active: true }, 0);
  e.observe({ kind: 'motion', topic: 'A', active: false }, 1000);
  t.same(e.observe({ kind: 'motion', topic: 'B', active: true }, 5000), [], 'merged');
  t.same(e.observe({ kind: 'tamper', topic: 'T', active: true }, 5000), [{ type: 'start', kind: 'tamper', topic: 'T', atMs: 5000 }]);
  e.observe({ kind: 'motion', topic: 'A', active: true }, 6000);
  e.observe({ kind: 'motion', topic: 'B', active: false }, 7000);
  t.same(e.due(7000 + 2 * GAP), [], 'A is still on');
  e.observe({ kind: 'motion', topic: 'A', active: false }, 30_000);
  t.same(e.closeAll(31_000), [
    { type: 'end', kind: 'motion', topic: 'A', startedAtMs: 0, atMs: 30_000, reason: 'off' },
    { type: 'end', kind: 'tamper', topic: 'T', startedAtMs: 5000, atMs: 31_000, reason: 'stopped' },
  ]);
});

t.test('any sequence: starts and ends alternate per kind, ends never precede their start, nothing stays open after closeAll', async (t) => {
  const step = fc.record({ kind: fc.constantFrom('motion' as const, 'tamper' as const), topic: fc.constantFrom('A', 'B'), active: fc.boolean(), dt: fc.integer({ min: 0, max: 3 * GAP }) });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const e = new Episodes(GAP);
      const out: EpisodeAction[] = [];
      let now = 0;
      for (const s of steps) {
        now += s.dt;
        out.push(...e.observe(s, now));
      }
      out.push(...e.closeAll(now + 1));
      for (const kind of ['motion', 'tamper'] as const) {
        const mine = out.filter((a) => a.kind === kind);
        mine.forEach((a, i) => {
          if (a.type !== (i % 2 === 0 ? 'start' : 'end')) throw new Error(`not alternating: ${JSON.stringify(mine)}`);
          if (a.type === 'end' && (a.startedAtMs !== mine[i - 1]!.atMs || a.atMs < a.startedAtMs)) throw new Error(`bad end ${JSON.stringify(a)}`);
          // Two episodes of a kind are always more than the gap apart.
          if (a.type === 'start' && i > 0 && a.atMs - mine[i - 1]!.atMs < GAP) throw new Error(`gap not merged: ${JSON.stringify(mine)}`);
        });
        if (mine.length % 2 !== 0) throw new Error('left open');
      }
      if (e.open.length !== 0) throw new Error('open after closeAll');
    }),
    { numRuns: 500 },
  );
});
