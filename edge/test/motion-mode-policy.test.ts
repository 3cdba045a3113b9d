import t from 'tap';
import { ModePolicy, defaultModePolicySettings } from '../src/motion/mode-policy.ts';
import type { Verdict } from '../src/motion/detector.ts';

const frame = (atMs: number, moving: boolean, confirmed: boolean): Verdict => ({ atMs, changed: 0, recalibrated: false, zones: moving ? [{ zone: null, area: 0.01, continued: confirmed }] : [], confirmed });
const settings = { holdMs: 10_000, probeMs: 1_000, pauseMs: 2_000, maxPauseMs: 8_000 };

t.test('key-frame motion wakes the feed; it sleeps again holdMs after the last confirmed motion', async (t) => {
  const p = new ModePolicy(settings);
  t.equal(p.next('still', frame(0, false, false)), 'still');
  t.equal(p.next('still', frame(2000, true, false)), 'active', 'motion in a key frame: look closer');
  t.equal(p.next('active', frame(4000, true, false)), 'active', 'the first frame after the restart is unconfirmed');
  t.equal(p.next('active', frame(4200, true, true)), 'active');
  t.equal(p.next('active', frame(10_000, false, true)), 'active');
  t.equal(p.next('active', frame(14_000, false, true)), 'active');
  t.equal(p.next('active', frame(14_200, false, true)), 'still', 'holdMs after the last confirmed motion');
});

t.test('a look that confirms nothing ends after probeMs, and the next one waits longer each time', async (t) => {
  const p = new ModePolicy(settings);
  let at = 0;
  const pauses: number[] = [];
  for (let round = 0; round < 5; round++) {
    t.equal(p.next('still', frame(at, true, false)), 'active');
    // The restarted feed's first frame comes with the next key frame.
    at += 2000;
    const looked = at;
    let mode = 'active';
    for (; mode === 'active'; at += 200) mode = p.next('active', frame(at, false, true));
    t.ok(at - looked <= settings.probeMs + 400, 'back to key frames probeMs after the look began');
    // Key frames every 2 s with a chance cluster in each: how long until the next look?
    const from = at;
    while (p.next('still', frame(at, true, false)) === 'still') at += 2000;
    pauses.push(at - from);
  }
  t.ok(pauses[1]! > pauses[0]! && pauses[2]! > pauses[1]!, `pauses grow: ${pauses.join(', ')}`);
  t.ok(pauses.every((x) => x <= settings.maxPauseMs + 2000), 'up to maxPauseMs');
  // Confirmed motion clears the pause: the next key-frame motion is looked at at once.
  t.equal(p.next('active', frame(at + 2000, true, true)), 'active');
  at += 20_000;
  t.equal(p.next('active', frame(at, false, true)), 'still');
  t.equal(p.next('still', frame(at + 2000, true, false)), 'active');
});

t.test('defaults: the hold is at least the tracker merge gap, so one movement is one active stint', async (t) => {
  t.ok(defaultModePolicySettings.holdMs >= 10_000);
});
