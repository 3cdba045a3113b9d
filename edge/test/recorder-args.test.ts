import t from 'tap';
import { recordCommand, staggerOffsetSeconds } from '../src/recorder/args.ts';
import { classifyStderrLine } from '../src/ffmpeg/stderr.ts';

t.test('segment cuts of 64 cameras are spread over the segment length', async (t) => {
  const offsets = Array.from({ length: 64 }, (_, i) => staggerOffsetSeconds(i + 1, 60)).sort((a, b) => a - b);
  t.ok(offsets.every((o) => o >= 0 && o < 60));
  const gaps = offsets.slice(1).map((o, i) => o - offsets[i]!);
  t.ok(Math.min(...gaps) > 0.3, `no two cameras cut within ${Math.min(...gaps).toFixed(2)} s of each other`);
  t.ok(Math.max(...gaps) < 2, 'and no large hole either');
});

t.test('the command line: copy, no audio, camera timestamps, segment list on fd 3, progress on fd 1, URL on fd 4', async (t) => {
  const { args, inputScript } = recordCommand({ inputUrl: 'rtsp://admin:pa%40ss@192.0.2.1:554/main', outputPattern: '/d/recordings/3/incoming/9_%06d.ts', segmentSeconds: 60, clocktimeOffsetSeconds: 12.5, socketTimeoutSeconds: 20, transport: 'udp' });
  const line = args.join(' ');
  for (const part of ['-c copy', '-map 0:v:0', '-segment_list pipe:3', '-progress pipe:1', '-segment_format mpegts', '-individual_header_trailer 0', '-segment_clocktime_offset 12.500', '-muxdelay 0', '-f concat -safe 0 -i async:pipe:4']) t.match(line, part);
  t.notMatch(line, /use_wallclock_as_timestamps/, 'timestamps are the camera\'s, not arrival times');
  t.notMatch(line, /-nostdin/, 'stdin stays open for q');
  t.notMatch(line, /-i pipe:/, 'no input named pipe:…, which makes ffmpeg ignore q on stdin');
  t.notMatch(line, /pa%40ss|admin|192\.0\.2\.1/, 'the camera URL is not on the command line');
  t.equal(inputScript, "ffconcat version 1.0\nfile 'rtsp://admin:pa%40ss@192.0.2.1:554/main'\noption rtsp_transport udp\noption timeout 20000000\noption analyzeduration 1000000\noption probesize 1000000\n");
});

t.test('stderr classification', async (t) => {
  const cases: Array<[string, string]> = [
    ['[rtsp @ 0x1] method DESCRIBE failed: 401 Unauthorized', 'auth'],
    ['[rtsp @ 0x1] method DESCRIBE failed: 404 Not Found', 'not-found'],
    ['[tcp @ 0x1] Connection to tcp://192.0.2.1:554?timeout=0 failed: Connection refused', 'refused'],
    ['[tcp @ 0x1] Connection to tcp://192.0.2.1:554?timeout=0 failed: No route to host', 'unreachable'],
    ['[tcp @ 0x1] Connection to tcp://192.0.2.1:554 failed: Connection timed out', 'timeout'],
    ['rtsp://x: Invalid data found when processing input', 'bad-stream'],
  ];
  for (const [line, kind] of cases) t.equal(classifyStderrLine(line)?.kind, kind, line);
  t.equal(classifyStderrLine('frame=  25 fps=0.0 q=-1.0 size=N/A'), undefined);
});
