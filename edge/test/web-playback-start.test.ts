import t from 'tap';
import { playbackStart } from '../../web/src/playback-start.ts';

// A day with two recorded stretches: 10:00–10:30 and 11:00–11:10 (ms on an arbitrary base).
const M = 60_000;
const day: Array<[number, number]> = [[600 * M, 630 * M], [660 * M, 670 * M]];

t.test('a pick on the day timeline plays what was recorded nearest to it', async (t) => {
  t.equal(playbackStart(610 * M, day), 610 * M, 'inside a recording: from there');
  t.equal(playbackStart(590 * M, day), 600 * M, 'before the first recording: from its start');
  t.equal(playbackStart(645 * M, day), 660 * M, 'in a gap: from the next recording');
  t.equal(playbackStart(700 * M, day), 669 * M, 'past the last recording (a click a pixel beyond now): its last minute');
  t.equal(playbackStart(700 * M, [[665 * M, 665 * M + 20_000]]), 665 * M, 'a recording shorter than that minute: from its start');
  t.equal(playbackStart(700 * M, []), 700 * M, 'nothing recorded: as picked (the box says so)');
});
