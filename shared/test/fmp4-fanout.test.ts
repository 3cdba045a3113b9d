// The live fan-out rule both the edge's live view and the cloud's live relay
// use: every viewer gets the init segment first, then fragments from the
// first key frame after it joined, however the stream is cut into chunks.
import t from 'tap';
import { Fmp4FanOut, isKeyframeFragment, videoCodecOf } from '../src/media/fmp4.ts';

const box = (type: string, ...body: Buffer[]) => {
  const payload = Buffer.concat(body);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, payload]);
};
const u32 = (...n: number[]) => Buffer.concat(n.map((v) => Buffer.from([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255])));
/** A fragment whose trun carries first-sample flags: sync (a key frame) or not. */
const fragment = (seq: number, key: boolean) =>
  Buffer.concat([box('moof', box('mfhd', u32(0, seq)), box('traf', box('tfhd', u32(0, 1)), box('trun', u32(0x000004, 1, key ? 0 : 0x10000)))), box('mdat', Buffer.from([seq]))]);
const init = Buffer.concat([box('ftyp', Buffer.from('isom')), box('moov', box('avc1', Buffer.alloc(4)))]);

t.test('a viewer joining late gets the init segment, then fragments from the next key frame', async (t) => {
  const got = new Map<string, Buffer[]>();
  const fan = new Fmp4FanOut<string>((v, chunk) => got.get(v)!.push(chunk));
  const join = (v: string) => (got.set(v, []), fan.add(v));
  join('early');
  const parts = [init, fragment(1, true), fragment(2, false), fragment(3, false), fragment(4, true), fragment(5, false)];
  const stream = Buffer.concat(parts);
  // The late viewer joins in the middle of fragment 2 (a non-key frame).
  const joinAt = init.length + parts[1]!.length + 10;
  // Cut into odd pieces of 7 bytes, as a socket delivers it.
  for (let off = 0; off < stream.length; off += 7) {
    if (off <= joinAt && joinAt < off + 7) join('late');
    fan.push(stream.subarray(off, off + 7));
  }
  const seqs = (v: string) => got.get(v)!.slice(1).map((f) => f.readUInt32BE(20));
  t.ok(got.get('early')![0]!.equals(init), 'the first viewer: the init segment first');
  t.same(seqs('early'), [1, 2, 3, 4, 5], 'then every fragment');
  t.ok(got.get('late')![0]!.equals(init), 'the late viewer: the init segment at once');
  t.same(seqs('late'), [4, 5], 'then from the next key frame');
  t.ok(fan.remove('late'));
  t.notOk(fan.remove('late'), 'gone once');
  t.equal(fan.size, 1);
  t.ok(isKeyframeFragment(fragment(9, true)));
  t.notOk(isKeyframeFragment(fragment(9, false)));
  t.notOk(isKeyframeFragment(init), 'an init segment is no fragment');
  t.equal(videoCodecOf(init), 'h264');
  t.equal(videoCodecOf(Buffer.concat([box('ftyp'), box('moov', box('hvc1'))])), 'h265');
});
