import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CunboxError } from '../../errors.ts';
import { authenticatedUrl } from '../../cameras/registry.ts';
import type { SegmentRow } from '../../storage/segment-index.ts';
import { buildPlaylist } from '../../playback/hls.ts';
import { frameAt } from '../../playback/clip.ts';
import { parseRange, parseTime } from '../../playback/range.ts';
import { timeline } from '../../playback/timeline.ts';
import type { Api, RouteContext } from '../route-context.ts';
import { Binary, Closed, Many, Ms, One, Open } from '../replies.ts';
import { Obj, Text } from '../schemas.ts';

const CameraParams = Obj({ cameraId: Type.Integer({ minimum: 1 }) });
const NumId = Obj({ id: Type.Integer({ minimum: 1 }) });
const Time = Type.String({ maxLength: 40, description: 'epoch ms or ISO 8601 with a zone' });
const RangeQuery = Obj({ from: Time, to: Time });
const Interval = Type.Array(Ms, { minItems: 2, maxItems: 2, description: '[startMs, endMs]' });
const Cameras = Closed({ cameras: Type.Array(Closed({ id: Type.Integer(), name: Type.String(), zone: Type.Union([Type.String(), Type.Null()]), enabled: Type.Boolean() })) });
const Timeline = Closed({
  from: Ms,
  to: Ms,
  cameras: Type.Array(Closed({ cameraId: Type.Integer(), recorded: Type.Array(Interval), gaps: Type.Array(Interval), events: Type.Array(Closed({ id: Type.Integer(), type: Type.String(), atMs: Ms })) })),
});
const ExportReply = One('export', 'ExportJob');
const HoldReply = One('hold', 'Hold');

/**
 * Playback, evidence export, snapshots and live view. Resources are addressed
 * by ids (camera, segment, export), never by paths; every route checks the
 * role (access rule) and then the user's camera permission.
 */
export async function videoRoutes(app: Api, { deps }: RouteContext): Promise<void> {
  const video = deps.video;
  if (!video) return;
  const access = deps.cameraAccess;
  const tags = ['video'];
  const now = () => deps.clock.now();
  const oldest = () => (deps.db.prepare('SELECT MIN(start_ms) AS m FROM segments').get() as { m: number | null }).m;

  const camera = (req: FastifyRequest, cameraId: number) => {
    const cam = video.registry.get(cameraId);
    const p = req.principal!;
    // The same answer for "no such camera" and "not yours": ids are not probed.
    if (!cam || !access.may(p.userId, p.role, cameraId)) throw new CunboxError('NOT_FOUND', `no camera ${cameraId}`);
    return cam;
  };
  const visibleIds = (req: FastifyRequest) => {
    const p = req.principal!;
    const allowed = access.allowed(p.userId, p.role);
    return video.registry.list().map((c) => c.id).filter((id) => allowed === undefined || allowed.has(id));
  };
  const secretUrl = (cameraId: number, stream: 'main' | 'sub') => {
    const cam = video.registry.listWithSecrets().find((c) => c.id === cameraId)!;
    return authenticatedUrl(stream === 'sub' && cam.subUrl ? cam.subUrl : cam.mainUrl, cam.username, cam.password);
  };

  app.get('/api/cameras', { config: { access: 'video.view' }, schema: { tags, summary: 'Cameras this user may watch (no credentials)', response: { 200: Cameras } } }, async (req) => {
    const ids = new Set(visibleIds(req));
    return { cameras: video.registry.list().filter((c) => ids.has(c.id)).map(({ id, name, zone, enabled }) => ({ id, name, zone, enabled })) };
  });

  app.get(
    '/api/timeline',
    { config: { access: 'video.view' }, schema: { tags, summary: 'Recorded intervals, gaps and event markers per camera', querystring: Obj({ from: Time, to: Time, cameras: Type.Optional(Type.String({ pattern: '^\\d+(,\\d+){0,255}$' })) }), response: { 200: Timeline } } },
    async (req) => {
      const range = parseRange(req.query.from, req.query.to, now());
      let ids = visibleIds(req);
      if (req.query.cameras) {
        const wanted = req.query.cameras.split(',').map(Number);
        for (const id of wanted) camera(req, id);
        ids = wanted;
      }
      return { from: range.fromMs, to: range.toMs, cameras: timeline(deps.db, range, ids, now()) };
    },
  );

  app.get('/api/cameras/:cameraId/playback.m3u8', { config: { access: 'video.view' }, schema: { tags, summary: 'HLS playlist from `from` to `to`', params: CameraParams, querystring: RangeQuery, response: { 200: Binary('The playlist', 'application/vnd.apple.mpegurl') } } }, async (req, reply) => {
    camera(req, req.params.cameraId);
    const range = parseRange(req.query.from, req.query.to, now(), { oldestMs: oldest() });
    const rows = video.index.forCamera(req.params.cameraId, range.fromMs, range.toMs);
    if (rows.length === 0) throw new CunboxError('NO_FOOTAGE', 'no footage recorded in that range');
    void reply.header('content-type', 'application/vnd.apple.mpegurl').header('cache-control', 'no-store');
    return buildPlaylist(rows, { ...range, segmentUrl: (r) => `/api/segments/${r.id}.ts` });
  });

  app.get('/api/segments/:id.ts', { config: { access: 'video.view' }, schema: { tags, summary: 'One recorded MPEG-TS segment', params: NumId, response: { 200: Binary('The segment', 'video/mp2t') } } }, async (req, reply) => {
    const row = deps.db.prepare('SELECT * FROM segments WHERE id = ?').get(req.params.id) as SegmentRow | undefined;
    if (!row) throw new CunboxError('NOT_FOUND', `no segment ${req.params.id}`);
    camera(req, row.camera_id);
    const file = video.layout.absolute(row.path);
    const size = await stat(file).then((s) => s.size, () => -1);
    if (size < 0) throw new CunboxError('NOT_FOUND', `segment ${req.params.id} was deleted`);
    void reply.header('content-type', 'video/mp2t').header('content-length', size).header('cache-control', 'private, max-age=604800, immutable');
    return reply.send(createReadStream(file));
  });

  app.get('/api/cameras/:cameraId/frame.jpg', { config: { access: 'video.view' }, schema: { tags, summary: 'A JPEG of a recorded moment', params: CameraParams, querystring: Obj({ at: Time, width: Type.Optional(Type.Integer({ minimum: 16, maximum: 3840 })) }), response: { 200: Binary('The frame', 'image/jpeg') } } }, async (req, reply) => {
    camera(req, req.params.cameraId);
    const at = parseTime(req.query.at, 'at');
    if (at > now()) throw new CunboxError('INVALID_RANGE', 'at: that moment is in the future');
    const row = video.index.forCamera(req.params.cameraId, at, at + 1)[0];
    if (!row) throw new CunboxError('NO_FOOTAGE', 'nothing was recorded at that moment');
    const jpeg = await frameAt({ layout: video.layout, spawner: video.spawner, clock: deps.clock }, row, at, { width: req.query.width });
    void reply.header('content-type', 'image/jpeg').header('cache-control', 'private, max-age=604800');
    return reply.send(jpeg);
  });

  app.get('/api/cameras/:cameraId/snapshot.jpg', { config: { access: 'video.wall' }, schema: { tags, operationId: 'getCameraSnapshot', summary: 'The latest picture (key frames of the sub stream, while someone asks); ETag / If-None-Match answers 304 while it is unchanged; x-snapshot-time and x-snapshot-age-ms say when it was taken (an offline camera keeps its last picture)', params: CameraParams, response: { 200: Binary('The picture; x-snapshot-time says when it was taken', 'image/jpeg'), 304: { description: 'Unchanged since the ETag sent: no body' } } } }, async (req, reply) => {
    camera(req, req.params.cameraId);
    const snap = await video.snapshots.latest(req.params.cameraId, () => secretUrl(req.params.cameraId, 'sub'));
    // A wall refreshing 64 tiles every 2 s mostly asks for a picture it has (one key frame per GOP):
    // the ETag names the picture, so those answers are an empty 304.
    const etag = `"${req.params.cameraId}-${snap.atMs}"`;
    void reply
      .header('cache-control', 'private, no-cache')
      .header('etag', etag)
      .header('x-snapshot-time', new Date(snap.atMs).toISOString())
      // By the box's clock: a screen whose own clock is off still shows the right age (an offline camera's last picture).
      .header('x-snapshot-age-ms', String(Math.max(0, now() - snap.atMs)));
    // The reply's type follows the response schema (binary, described for OpenAPI): send as untyped.
    const raw = reply as unknown as FastifyReply;
    if (ifNoneMatch(req.headers['if-none-match'], etag)) return raw.status(304).send();
    return raw.header('content-type', 'image/jpeg').send(snap.jpeg);
  });

  app.get('/api/cameras/:cameraId/live.mp4', { config: { access: 'video.wall' }, schema: { tags, summary: 'Live view: fragmented MP4 for MSE, no transcoding', params: CameraParams, querystring: Obj({ stream: Type.Optional(Type.Union([Type.Literal('main'), Type.Literal('sub')])) }), response: { 200: Binary('Fragmented MP4 until the client leaves', 'video/mp4') } } }, async (req, reply) => {
    camera(req, req.params.cameraId);
    const out = new PassThrough();
    const stream = req.query.stream ?? 'main';
    const leave = video.live.watch({ cameraId: req.params.cameraId, stream, url: secretUrl(req.params.cameraId, stream) }, { write: (c) => void out.write(c), close: () => out.end() });
    req.raw.once('close', () => {
      leave();
      out.end();
    });
    void reply.header('content-type', 'video/mp4').header('cache-control', 'no-store');
    return reply.send(out);
  });

  // Evidence export.
  app.post(
    '/api/exports',
    {
      config: { access: 'video.export', rateLimit: { max: 10, timeWindow: 60_000 } },
      schema: { tags, summary: 'Queue an evidence export (holds the range at once)', body: Obj({ cameraIds: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 16, uniqueItems: true }), from: Time, to: Time, reason: Text(500, 1) }), response: { 202: ExportReply } },
    },
    async (req, reply) => {
      for (const id of req.body.cameraIds) camera(req, id);
      const range = parseRange(req.body.from, req.body.to, now(), { maxMs: 24 * 3_600_000, oldestMs: oldest() });
      const job = video.exports.enqueue({ cameraIds: req.body.cameraIds, range, reason: req.body.reason, createdBy: req.principal!.username });
      void reply.status(202);
      return { export: job };
    },
  );
  const myExport = (req: FastifyRequest, id: number) => {
    const job = video.exports.get(id);
    if (!job) throw new CunboxError('NOT_FOUND', `no export ${id}`);
    for (const c of job.cameraIds) camera(req, c);
    return job;
  };
  app.get('/api/exports', { config: { access: 'video.export' }, schema: { tags, summary: 'Recent exports', response: { 200: Many('exports', 'ExportJob') } } }, async (req) => ({
    exports: video.exports.list().filter((j) => j.cameraIds.every((c) => { try { camera(req, c); return true; } catch { return false; } })),
  }));
  app.get('/api/exports/:id', { config: { access: 'video.export' }, schema: { tags, summary: 'Status and progress', params: NumId, response: { 200: ExportReply } } }, async (req) => ({ export: myExport(req, req.params.id) }));
  app.post('/api/exports/:id/cancel', { config: { access: 'video.export' }, schema: { tags, summary: 'Cancel a queued or running export', params: NumId, response: { 200: ExportReply } } }, async (req) => {
    myExport(req, req.params.id);
    return { export: video.exports.cancel(req.params.id) };
  });
  app.post('/api/exports/:id/retry', { config: { access: 'video.export' }, schema: { tags, summary: 'Queue a failed or cancelled export again', params: NumId, response: { 200: ExportReply } } }, async (req) => {
    myExport(req, req.params.id);
    return { export: video.exports.retry(req.params.id) };
  });
  app.get('/api/exports/:id/manifest.json', { config: { access: 'video.export' }, schema: { tags, summary: 'The manifest (SHA-256 of the files and their sources)', params: NumId, response: { 200: Open({}, { description: 'manifest.json as written beside the files' }) } } }, async (req, reply) => {
    const job = myExport(req, req.params.id);
    if (job.status !== 'done') throw new CunboxError('CONFLICT', `export ${job.id} is ${job.status}`);
    void reply.header('content-type', 'application/json');
    return reply.send(createReadStream(join(video.exports.directory(job.id), 'manifest.json')));
  });
  app.get('/api/exports/:id/cameras/:cameraId.mp4', { config: { access: 'video.export' }, schema: { tags, summary: 'One camera\'s exported MP4', params: Obj({ id: Type.Integer({ minimum: 1 }), cameraId: Type.Integer({ minimum: 1 }) }), response: { 200: Binary('The MP4', 'video/mp4') } } }, async (req, reply) => {
    const job = myExport(req, req.params.id);
    if (job.status !== 'done') throw new CunboxError('CONFLICT', `export ${job.id} is ${job.status}`);
    if (!job.cameraIds.includes(req.params.cameraId)) throw new CunboxError('NOT_FOUND', `export ${job.id} has no camera ${req.params.cameraId}`);
    const file = join(video.exports.directory(job.id), `camera-${req.params.cameraId}.mp4`);
    void reply.header('content-type', 'video/mp4').header('content-length', (await stat(file)).size).header('content-disposition', `attachment; filename="export-${job.id}-camera-${req.params.cameraId}.mp4"`);
    return reply.send(createReadStream(file));
  });

  // Evidence holds.
  app.get('/api/holds', { config: { access: 'holds.manage' }, schema: { tags, summary: 'Active evidence holds', response: { 200: Many('holds', 'Hold') } } }, async (req) => ({ holds: video.holds.list().filter((h) => visibleIds(req).includes(h.cameraId)) }));
  app.post('/api/holds', { config: { access: 'holds.manage' }, schema: { tags, summary: 'Keep a camera\'s footage for a range', body: Obj({ cameraId: Type.Integer({ minimum: 1 }), from: Time, to: Time, reason: Text(500, 1) }), response: { 201: HoldReply } } }, async (req, reply) => {
    camera(req, req.body.cameraId);
    const range = parseRange(req.body.from, req.body.to, now());
    void reply.status(201);
    return { hold: video.holds.add({ cameraId: req.body.cameraId, startMs: range.fromMs, endMs: range.toMs, reason: req.body.reason, createdBy: req.principal!.username }) };
  });
  app.post('/api/holds/:id/release', { config: { access: 'holds.manage' }, schema: { tags, summary: 'Release a hold (kept for the audit trail)', params: NumId, response: { 200: HoldReply } } }, async (req) => {
    const h = video.holds.get(req.params.id);
    if (!h || h.releasedAt !== null) throw new CunboxError('NOT_FOUND', `no active hold ${req.params.id}`);
    camera(req, h.cameraId);
    return { hold: video.holds.release(req.params.id) };
  });
}

/** RFC 9110 If-None-Match: `*` or a list of entity tags (weak ones compare by their opaque part). */
function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
