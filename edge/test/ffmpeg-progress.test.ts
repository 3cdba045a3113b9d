// `-progress pipe:1` read for out_time_us alone, whatever the chunking.
import t from 'tap';
import { FfmpegProcess } from '../src/ffmpeg/process.ts';
import { fakeClock } from './helpers/fake-time.ts';
import { fakeSpawner } from './helpers/fake-ffmpeg.ts';

function rig() {
  const { spawner, spawned } = fakeSpawner();
  const values: number[] = [];
  const proc = FfmpegProcess.spawn({ spawner, clock: fakeClock().clock, args: [], onProgress: (v) => values.push(v) });
  return { child: spawned[0]!, values, proc };
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('the last out_time_us of each chunk, lines split across chunks joined', async (t) => {
  const { child, values, proc } = rig();
  child.stdout.write('frame=25\nout_time_us=1000000\nprogress=continue\nframe=50\nout_time_us=2000000\nprogress=continue\n');
  await tick();
  t.same(values, [2000000], 'one value per chunk: the newest');
  child.stdout.write('frame=75\nout_time_us=30');
  await tick();
  t.same(values, [2000000], 'a partial line waits');
  child.stdout.write('00000\nspeed=1x\n');
  await tick();
  t.same(values, [2000000, 3000000], 'and is read once complete');
  child.stdout.write('dup_out_time_us=9\nprogress=continue\n');
  await tick();
  t.same(values, [2000000, 3000000], 'only the key at the start of a line counts');
  child.exit(0);
  t.same((await proc.exited).code, 0);
});
