import t from 'tap';
import { GopBuffer } from '../src/motion/gop-buffer.ts';

const unit = (n: number, key = false) => ({ data: Buffer.from([n]), key });
const limits = { maxMs: 4000, maxBytes: 1 << 20 };

t.test('a decoder starts at a key frame; the newest picture and one an interval older are analysed', async (t) => {
  const g = new GopBuffer(limits);
  g.push(unit(0), 0);
  t.notOk(g.ready, 'nothing before the first key frame');
  // GOP 1: key at 0 ms, then a picture every 100 ms.
  for (let i = 1; i <= 10; i++) g.push(unit(i, i === 1), i * 100);
  let s = g.start(200);
  t.same([...s.units].map((b) => b[0]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'from the key frame on');
  t.same(s.analyse, [7, 9], 'the newest, and the one 200 ms before it');
  // GOP 2 has just begun: one picture. The previous GOP is given too, for the older picture.
  g.push(unit(11, true), 1100);
  s = g.start(200);
  t.same([...s.units].map((b) => b[0]), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'from the previous key frame on');
  t.same(s.analyse, [8, 10]);
  g.push(unit(12), 1200);
  g.push(unit(13), 1300);
  s = g.start(200);
  t.same([...s.units].map((b) => b[0]), [11, 12, 13], 'the current GOP alone once it spans the interval');
  t.same(s.analyse, [0, 2]);
});

t.test('a GOP over its limits is dropped with the one before it, until the next key frame', async (t) => {
  const g = new GopBuffer({ maxMs: 1000, maxBytes: 1 << 20 });
  g.push(unit(1, true), 0);
  g.push(unit(2, true), 500);
  g.push(unit(3), 1600);
  t.notOk(g.ready);
  t.same(g.start(200), { units: [], analyse: [] });
  g.push(unit(4), 1700);
  t.notOk(g.ready, 'not before a key frame');
  g.push(unit(5, true), 1800);
  t.same(g.start(200), { units: [Buffer.from([5])], analyse: [0] }, 'a lone key frame: only it');
});
