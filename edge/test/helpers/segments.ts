import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Layout } from '../../src/storage/layout.ts';
import type { SegmentIndex } from '../../src/storage/segment-index.ts';

/** Writes a dummy segment file of `bytes` and indexes it; for retention tests, where content does not matter. */
export function fakeSegment(layout: Layout, index: SegmentIndex, cameraId: number, startMs: number, durationMs: number, bytes: number): string {
  const rel = layout.segmentPath(cameraId, startMs);
  const abs = layout.absolute(rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, Buffer.alloc(bytes, 0x47));
  index.insert({ cameraId, startMs, endMs: startMs + durationMs, bytes, path: rel, runId: null, seq: null, recovered: false });
  return rel;
}

/**
 * Like fakeSegment, but the file is sparse: it has `bytes` of length and takes
 * no space. For footage at bitrates no test disk could hold.
 */
export function sparseSegment(layout: Layout, index: SegmentIndex, cameraId: number, startMs: number, durationMs: number, bytes: number): string {
  const rel = layout.segmentPath(cameraId, startMs);
  const abs = layout.absolute(rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, '');
  truncateSync(abs, bytes);
  index.insert({ cameraId, startMs, endMs: startMs + durationMs, bytes, path: rel, runId: null, seq: null, recovered: false });
  return rel;
}
