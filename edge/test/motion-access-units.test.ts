import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AccessUnitSplitter, type AccessUnit, type VideoCodec } from '../src/motion/access-units.ts';

/**
 * Real H.264 and H.265 from ffmpeg, as the still feed copies a camera's stream
 * (Annex B, parameter sets before each key frame). Whatever the chunks, the
 * splitter must return the same access units; and when each chunk is one unit
 * (how the still feed writes: one packet per write) it hands the units on
 * without copying them.
 */
const dir = mkdtempSync(join(tmpdir(), 'access-units-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function encode(codec: VideoCodec): Buffer {
  const file = join(dir, `clip.${codec}`);
  const encoder = codec === 'h264' ? ['-c:v', 'libx264', '-bf', '0'] : ['-c:v', 'libx265', '-x265-params', 'log-level=error:bframes=0'];
  // 2 s at 15 fps with a 1-s GOP: two key frames, one picture a packet.
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15', '-frames:v', '30', ...encoder, '-g', '15', '-bsf:v', 'dump_extra=freq=keyframe', '-f', codec, '-y', file]);
  return readFileSync(file);
}

function splitIn(codec: VideoCodec, chunks: Buffer[]): AccessUnit[] {
  const s = new AccessUnitSplitter(codec);
  return chunks.flatMap((c) => s.push(c));
}

function same(t: Test, got: AccessUnit[], want: AccessUnit[], what: string): void {
  t.equal(got.length, want.length, `${what}: as many units`);
  const differ = got.findIndex((u, i) => !want[i] || u.key !== want[i].key || !u.data.equals(want[i].data));
  t.equal(differ, -1, `${what}: the same units, bytes and key flags`);
}

/** A small deterministic generator (the test must fail the same way every time). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

for (const codec of ['h264', 'hevc'] as const) {
  t.test(`${codec}: the same units whatever the chunks`, async (t) => {
    const stream = encode(codec);
    const whole = splitIn(codec, [stream]);
    t.equal(whole.length, 29, 'every picture but the last (it ends when the next begins)');
    t.same(
      whole.flatMap((u, i) => (u.key ? [i] : [])),
      [0, 15],
      'the key pictures are the two GOPs’ first',
    );

    // One unit a chunk, as the still feed writes: the units come back as they were written.
    const perUnit = [...whole.map((u) => Buffer.from(u.data)), stream.subarray(whole.reduce((n, u) => n + u.data.length, 0))];
    const s = new AccessUnitSplitter(codec);
    const got: AccessUnit[] = [];
    let uncopied = 0;
    for (let i = 0; i < perUnit.length; i++) {
      for (const u of s.push(perUnit[i]!)) {
        got.push(u);
        // The unit returned with chunk i is chunk i − 1 itself, not a copy of it.
        if (u.data.buffer === perUnit[i - 1]!.buffer && u.data.byteOffset === perUnit[i - 1]!.byteOffset) uncopied++;
      }
    }
    same(t, got, whole, 'one unit a chunk');
    t.equal(uncopied, whole.length, 'every unit handed on without a copy');

    // Cut at random places, start codes and NAL headers cut in two included.
    const random = lcg(codec === 'h264' ? 7 : 11);
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + Math.floor(random() * (round % 2 === 0 ? 8 : 3000));
        chunks.push(stream.subarray(at, at + n));
        at += n;
      }
      same(t, splitIn(codec, chunks), whole, `random chunks, round ${round}`);
    }

    // Each unit cut just before, inside and just after the start code of the next.
    for (const shift of [-2, -1, 1, 2, 3, 5]) {
      const chunks: Buffer[] = [];
      let from = 0;
      let end = 0;
      for (const u of whole) {
        end += u.data.length;
        const cut = Math.max(from + 1, end + shift);
        chunks.push(stream.subarray(from, cut));
        from = cut;
      }
      chunks.push(stream.subarray(from));
      same(t, splitIn(codec, chunks), whole, `cut ${shift} bytes from each boundary`);
    }
  });
}
