import type { SegmentRow } from '../storage/segment-index.ts';
import { SPAN_TOLERANCE_MS } from '../storage/spans.ts';

export interface PlaylistOptions {
  fromMs: number;
  toMs: number;
  segmentUrl: (row: SegmentRow) => string;
}

/**
 * An HLS VOD playlist over our MPEG-TS segments as they are on disk (no remux,
 * no transcoding). Each segment carries EXT-X-PROGRAM-DATE-TIME, so the player
 * shows wall-clock time; a gap or a new recorder run (timestamps restart) is an
 * EXT-X-DISCONTINUITY; EXT-X-START puts the player at the requested moment
 * (it starts from the key frame before it). Playback ends with the segment
 * that contains `toMs`.
 */
export function buildPlaylist(rows: readonly SegmentRow[], opts: PlaylistOptions): string {
  const segs = rows.filter((r) => r.end_ms > opts.fromMs && r.start_ms < opts.toMs).sort((a, b) => a.start_ms - b.start_ms);
  const target = Math.max(1, ...segs.map((r) => Math.ceil((r.end_ms - r.start_ms) / 1000)));
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-MEDIA-SEQUENCE:0'];
  const first = segs[0];
  if (first && opts.fromMs > first.start_ms) lines.push(`#EXT-X-START:TIME-OFFSET=${((opts.fromMs - first.start_ms) / 1000).toFixed(3)},PRECISE=YES`);
  let prev: SegmentRow | undefined;
  for (const r of segs) {
    if (prev && (r.start_ms - prev.end_ms > SPAN_TOLERANCE_MS || r.run_id === null || r.run_id !== prev.run_id)) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(r.start_ms).toISOString()}`);
    lines.push(`#EXTINF:${((r.end_ms - r.start_ms) / 1000).toFixed(3)},`);
    lines.push(opts.segmentUrl(r));
    prev = r;
  }
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}
