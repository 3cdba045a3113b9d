import t from 'tap';
import { HlcClock, compareHlc, formatHlc, parseHlc, MAX_COUNTER } from '../src/oplog/hlc.ts';

const A = 'aaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbb';
const T0 = Date.UTC(2026, 10, 29, 3, 0, 0);

function wall(start = T0) {
  const w = { ms: start, now: () => w.ms };
  return w;
}

t.test('format and parse round-trip; string order is clock order', async (t) => {
  const h = { ms: T0, counter: 0x1f, node: A };
  const s = formatHlc(h);
  t.equal(s, '2026-11-29T03:00:00.000Z-001f-aaaaaaaaaaaaaaaa');
  t.same(parseHlc(s), h);
  const values = [
    { ms: T0, counter: 0, node: B },
    { ms: T0, counter: 1, node: A },
    { ms: T0 + 1, counter: 0, node: A },
    { ms: T0, counter: 0, node: A },
    { ms: 0, counter: MAX_COUNTER, node: B },
  ];
  const byTuple = [...values].sort((x, y) => x.ms - y.ms || x.counter - y.counter || (x.node < y.node ? -1 : 1)).map(formatHlc);
  const byString = values.map(formatHlc).sort(compareHlc);
  t.same(byString, byTuple);
  t.throws(() => parseHlc('2026-11-29T03:00:00.000Z-0000-XYZ'), /not a hybrid logical clock/);
  t.throws(() => parseHlc('2026-02-30T03:00:00.000Z-0000-aaaaaaaaaaaaaaaa'), /not a hybrid logical clock/);
  t.throws(() => formatHlc({ ms: T0, counter: MAX_COUNTER + 1, node: A }), /counter/);
  t.throws(() => new HlcClock({ node: 'not-hex', now: () => T0 }), /node id/);
});

t.test('local timestamps strictly increase, also within one millisecond and when the wall clock steps back', async (t) => {
  const w = wall();
  const c = new HlcClock({ node: A, now: w.now });
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) seen.push(c.now());
  t.same(seen.map((s) => parseHlc(s).counter), [0, 1, 2, 3, 4], 'same millisecond: the counter counts');
  w.ms -= 3600_000; // NTP pulls the clock back an hour
  for (let i = 0; i < 5; i++) seen.push(c.now());
  t.equal(parseHlc(seen.at(-1)!).ms, T0, 'logical time stays ahead of the wall clock');
  w.ms = T0 + 10;
  seen.push(c.now());
  t.same(parseHlc(seen.at(-1)!), { ms: T0 + 10, counter: 0, node: A }, 'wall clock catches up: counter resets');
  for (let i = 1; i < seen.length; i++) t.ok(compareHlc(seen[i - 1]!, seen[i]!) < 0, `${seen[i - 1]} < ${seen[i]}`);
});

t.test('counter overflow borrows the next millisecond instead of failing', async (t) => {
  const w = wall();
  const c = new HlcClock({ node: A, now: w.now, last: formatHlc({ ms: T0, counter: MAX_COUNTER - 1, node: A }) });
  t.same(parseHlc(c.now()), { ms: T0, counter: MAX_COUNTER, node: A });
  t.same(parseHlc(c.now()), { ms: T0 + 1, counter: 0, node: A });
  t.same(parseHlc(c.now()), { ms: T0 + 1, counter: 1, node: A });
});

t.test('observing a remote time orders later local events after it', async (t) => {
  const wa = wall();
  const wb = wall(T0 + 30_000); // B's clock runs 30 s fast
  const a = new HlcClock({ node: A, now: wa.now });
  const b = new HlcClock({ node: B, now: wb.now });
  const fromB = b.now();
  const r = a.observe(fromB);
  t.same(r, { adopted: true, aheadMs: 30_000 });
  const next = a.now();
  t.ok(compareHlc(fromB, next) < 0, 'A after observing B orders after B');
  t.equal(parseHlc(next).ms, T0 + 30_000, 'A keeps B\'s time until its wall clock catches up');
  t.equal(parseHlc(next).counter, 1);
  // Remote equal in ms, larger counter.
  const c = new HlcClock({ node: A, now: wa.now });
  c.observe(formatHlc({ ms: T0, counter: 7, node: B }));
  t.same(parseHlc(c.now()), { ms: T0, counter: 8, node: A });
  // An older remote time does not move the clock back.
  const d = new HlcClock({ node: A, now: wa.now });
  const before = d.now();
  d.observe(formatHlc({ ms: T0 - 5000, counter: 3, node: B }));
  t.ok(compareHlc(before, d.now()) < 0);
});

t.test('a remote clock far in the future is not adopted', async (t) => {
  const w = wall();
  const a = new HlcClock({ node: A, now: w.now, maxDriftMs: 60_000 });
  const future = formatHlc({ ms: T0 + 86_400_000, counter: 0, node: B });
  t.same(a.observe(future), { adopted: false, aheadMs: 86_400_000 });
  t.equal(parseHlc(a.now()).ms, T0, 'local clock was not dragged a day ahead');
  t.same(a.observe(formatHlc({ ms: T0 + 59_000, counter: 0, node: B })).adopted, true, 'within the limit: adopted');
  a.observe(formatHlc({ ms: T0 + 2, counter: 9, node: A }));
  t.same(parseHlc(a.now()), { ms: T0 + 59_000, counter: 1, node: A }, 'still ahead of everything adopted');
  const restored = new HlcClock({ node: A, now: w.now });
  restored.observe(formatHlc({ ms: T0 + 5, counter: 2, node: A }));
  t.same(parseHlc(restored.now()), { ms: T0 + 5, counter: 3, node: A }, 'our own ops restored from a peer move the clock too');
});

t.test('a restarted clock continues after its persisted value', async (t) => {
  const w = wall();
  const a = new HlcClock({ node: A, now: w.now });
  a.now();
  const persisted = a.now();
  w.ms -= 10_000; // the machine restarts with a clock 10 s behind
  const again = new HlcClock({ node: A, now: w.now, last: persisted });
  t.ok(compareHlc(persisted, again.now()) < 0);
});

t.test('by default a peer 10 minutes ahead is adopted (the skew sync tolerates), one a day ahead is not', async (t) => {
  const w = wall();
  const a = new HlcClock({ node: A, now: w.now });
  t.equal(a.observe(formatHlc({ ms: T0 + 10 * 60_000, counter: 0, node: B })).adopted, true);
  t.ok(compareHlc(a.now(), formatHlc({ ms: T0 + 10 * 60_000, counter: 0, node: B })) > 0, 'the next local op orders after it');
  t.equal(a.observe(formatHlc({ ms: T0 + 86_400_000, counter: 0, node: B })).adopted, false);
});
