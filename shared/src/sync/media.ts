/**
 * The media channel's contract both sides check (docs/design/media-sync.md):
 * what a kind, a ref and a hash look like, and how a file is hashed. The edge
 * hashes before it queues and uploads; the cloud hashes what arrived and
 * accepts it only on a match, so the two must hash the same way.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** What the file is for: `ticket-photo`, `event-snapshot`, … */
export const MEDIA_KIND_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** The edge's id of the thing the file belongs to (its media id). */
export const MEDIA_REF_PATTERN = /^[A-Za-z0-9._:-]{1,80}$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** `POST /api/media/claims`: "does the cloud already hold these bytes for my village?" (JSON Schema, draft-07). */
export const mediaClaimSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sha256', 'size', 'kind', 'ref'],
  properties: {
    sha256: { type: 'string', pattern: SHA256_PATTERN.source },
    size: { type: 'integer', minimum: 1 },
    kind: { type: 'string', pattern: MEDIA_KIND_PATTERN.source },
    ref: { type: 'string', pattern: MEDIA_REF_PATTERN.source },
    mime: { type: 'string', maxLength: 100 },
  },
} as const;

/** SHA-256 (hex) and size of a file, streamed: photos and snapshots are never read whole into memory. */
export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    h.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), size };
}
