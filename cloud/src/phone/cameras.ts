/**
 * A camera's picture, or a clip of its recordings, for a phone, relayed from
 * the village's edge (relay.ts;
 * docs/design/relay.md). The cloud checks the caller's camera scope (the
 * restriction synced from the edge, by the shared rule) before it asks the
 * edge, and the edge checks it again against its own accounts. Every request
 * is audited, whatever its outcome; the row reaches the edge's audit log too.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { cameraScope, CunboxError, MAX_RELAY_CLIP_MS } from '@cunbox/shared';
import type { FastifyReply } from 'fastify';
import type { PhoneRouter } from './router.ts';
import type { Call, PhoneContext, Village } from './context.ts';
import type { CloudRelay } from '../relay.ts';
import type { CloudLiveRelay } from '../relay-live.ts';
import { videoCodecOf } from '@cunbox/shared/fmp4';

const JPEG_REPLY = { description: 'The picture; x-snapshot-time says when the edge took it', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } };
const MP4_REPLY = { description: 'The clip as recorded (no transcoding: an H.265 camera gives H.265); gaps in the recording are closed up', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } };
const LIVE_REPLY = {
  description: "Fragmented MP4 (the camera's sub stream, as the camera encodes it: no transcoding) until the phone leaves or the stream ends: the init segment, then fragments from a key frame. x-video-codec says h264 or h265 (most phones' MSE cannot play h265: show snapshots then)",
  content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } },
};
const EPOCH_MS = { type: 'integer', minimum: 0, maximum: 8_640_000_000_000_000 };

/** The camera scope of the caller (the restriction synced from the edge, by the shared rule): outside it, 403 and an audit row. */
async function requireCamera(ctx: PhoneContext, call: Pick<Call, 'user' | 'ip'>, village: Village, action: string, cameraId: number, detail: Record<string, unknown> = {}): Promise<void> {
  const scope = cameraScope(call.user.role, call.user.cameras);
  if (scope !== undefined && !scope.has(cameraId)) {
    await village.audit(call, action, `camera:${cameraId}`, { ...detail, outcome: 'forbidden' });
    // The same answer whether or not the camera exists: no hint about cameras one may not see.
    throw ctx.fail('FORBIDDEN', `you may not see camera ${cameraId}`);
  }
}

/** The path of every camera route. */
const CAMERA_PARAMS = { cameraId: { type: 'integer', minimum: 1 } };

/**
 * What every camera route does around its own request to the edge: the
 * caller's camera scope first, then `ask`, and one audit row whatever comes of
 * it (the error's code, or 'served' with what `served` says of the answer).
 * `detail` goes in every row.
 */
async function relayed<T>(
  ctx: PhoneContext,
  call: Call<unknown, unknown, { cameraId: number }>,
  village: Village,
  action: string,
  detail: Record<string, unknown>,
  ask: () => Promise<T>,
  served: (answer: T) => Record<string, unknown> = () => ({}),
): Promise<T> {
  const { cameraId } = call.params;
  const target = `camera:${cameraId}`;
  await requireCamera(ctx, call, village, action, cameraId, detail);
  let answer: T;
  try {
    answer = await ask();
  } catch (err) {
    await village.audit(call, action, target, { ...detail, outcome: err instanceof CunboxError ? err.code : 'INTERNAL' });
    throw err;
  }
  await village.audit(call, action, target, { ...detail, outcome: 'served', ...served(answer) });
  return answer;
}

export function cameraRoutes(router: PhoneRouter, ctx: PhoneContext, relay: CloudRelay | undefined, live: CloudLiveRelay | undefined): void {
  if (live) liveRoute(router, ctx, live);
  if (!relay) return;
  router.route<unknown, unknown, { cameraId: number }>({
    method: 'GET',
    url: '/cameras/:cameraId/snapshot',
    access: 'video.wall',
    params: CAMERA_PARAMS,
    summary: "A camera's latest picture, fetched from the village's edge (a few seconds old at most); 504 when the edge does not answer in time",
    reply: JPEG_REPLY,
    handler: async (call, village, reply) => {
      const picture = await relayed(ctx, call, village, 'relay.snapshot', {}, () => relay.snapshot(call.villageId, call.user.username, call.params.cameraId), (p) => ({ cached: p.cached, sha256: p.sha256 }));
      const data = await readFile(picture.path);
      // The route's reply is binary (described for OpenAPI by its content type): send it untyped.
      const raw = reply as unknown as FastifyReply;
      return raw
        .header('content-type', 'image/jpeg')
        .header('cache-control', 'private, no-store')
        .header('x-snapshot-time', new Date(picture.capturedAt).toISOString())
        .header('x-relay-cached', picture.cached ? '1' : '0')
        .send(data);
    },
  });

  router.route<unknown, { from: number; to: number }, { cameraId: number }>({
    method: 'GET',
    url: '/cameras/:cameraId/clip',
    access: 'video.view',
    params: CAMERA_PARAMS,
    query: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: EPOCH_MS, to: EPOCH_MS } },
    summary: `A clip of a camera's recordings, from and to in epoch ms (at most ${MAX_RELAY_CLIP_MS / 1000} s), cut by the village's edge as MP4; 504 when the edge does not answer in time`,
    reply: MP4_REPLY,
    handler: async (call, village, reply) => {
      const range = { fromMs: call.query.from, toMs: call.query.to };
      if (!(range.toMs > range.fromMs)) throw ctx.fail('INVALID_RANGE', 'to must be after from');
      if (range.toMs - range.fromMs > MAX_RELAY_CLIP_MS) throw ctx.fail('INVALID_RANGE', `at most ${MAX_RELAY_CLIP_MS / 1000} s per clip`);
      if (range.fromMs > ctx.now()) throw ctx.fail('INVALID_RANGE', 'that range is in the future');
      const clip = await relayed(ctx, call, village, 'relay.clip', range, () => relay.clip(call.villageId, call.user.username, call.params.cameraId, range), (c) => ({ cached: c.cached, sha256: c.sha256 }));
      const raw = reply as unknown as FastifyReply;
      return raw.header('content-type', 'video/mp4').header('content-length', clip.bytes).header('cache-control', 'private, no-store').header('x-relay-cached', clip.cached ? '1' : '0').send(createReadStream(clip.path));
    },
  });
}

/**
 * Live view: the phone's GET stays open while it watches. Answered (200 and
 * the init segment) only once the edge's stream has started, so every error
 * before that is the table's JSON; after it, the stream just ends.
 */
function liveRoute(router: PhoneRouter, ctx: PhoneContext, live: CloudLiveRelay): void {
  router.route<unknown, unknown, { cameraId: number }>({
    method: 'GET',
    url: '/cameras/:cameraId/live',
    access: 'video.wall',
    params: CAMERA_PARAMS,
    summary: "A camera's live view, relayed from the village's edge (one upload from the edge however many phones watch); 504 when the edge sends nothing in time, 429 past the village's relay budget",
    reply: LIVE_REPLY,
    handler: async (call, village, reply) => {
      const { cameraId } = call.params;
      const raw = reply as unknown as FastifyReply;
      const out = new PassThrough({ highWaterMark: 256 * 1024 });
      let leave: () => void = () => undefined;
      const phone = {
        user: call.user.username,
        write: (chunk: Buffer) => (out.write(chunk), out.writableLength),
        end: () => void out.end(),
      };
      // The phone hanging up (before or after the stream started) leaves the channel.
      let gone = false;
      raw.raw.once('close', () => {
        gone = true;
        leave();
      });
      leave = await relayed(ctx, call, village, 'relay.live', {}, async () => {
        const left = await live.watch(call.villageId, cameraId, phone);
        if (gone) left();
        return left;
      });
      return raw
        .header('content-type', 'video/mp4')
        .header('cache-control', 'private, no-store')
        .header('x-video-codec', videoCodecOf(live.init(call.villageId, cameraId) ?? Buffer.alloc(0)))
        .send(out);
    },
  });
}
