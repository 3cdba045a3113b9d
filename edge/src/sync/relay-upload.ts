/**
 * Sends one relayed picture to the cloud's media store, at once and outside
 * the media queue: a phone is waiting, so it must not wait behind a backlog
 * of ticket photos, and nothing is kept to resume later (a late answer is
 * worth nothing). Same protocol and checks as every media upload: a claim
 * first (bytes the village's store already holds do not travel again), then
 * one tus upload the cloud accepts only if its SHA-256 matches.
 */
import { createReadStream } from 'node:fs';
import { Upload } from 'tus-js-client';
import { redactUrls } from '@cunbox/shared';
import { claimAtCloud, edgeBasicAuth } from './media-uploader.ts';

export interface RelayUploadDeps {
  cloudUrl: string;
  credentials: { edgeId: string; password: string };
  /** The whole upload (claim included) gives up after this. */
  timeoutMs?: number;
}

/** A picture in memory, or a clip by its path. */
export type RelayUpload = (data: Buffer | { path: string; size: number }, meta: { sha256: string; kind: string; ref: string; mime: string }) => Promise<void>;

export function relayUploader(deps: RelayUploadDeps): RelayUpload {
  const auth = edgeBasicAuth(deps.credentials);
  const timeoutMs = deps.timeoutMs ?? 50_000;
  return async (data, meta) => {
    const size = Buffer.isBuffer(data) ? data.length : data.size;
    if (await claimAtCloud(deps.cloudUrl, auth, { ...meta, size })) return;
    await new Promise<void>((done, fail) => {
      const upload = new Upload(Buffer.isBuffer(data) ? data : createReadStream(data.path), {
        endpoint: new URL('/api/media/uploads', deps.cloudUrl).href,
        uploadSize: size,
        // A relayed file is bounded (a picture, a clip of at most a minute): one request, and one quick retry of a dropped link.
        chunkSize: Math.max(1, size),
        retryDelays: [0, 500],
        metadata: meta,
        headers: { authorization: auth },
        storeFingerprintForResuming: false,
        onSuccess: () => {
          clearTimeout(timer);
          done();
        },
        onError: (err) => {
          clearTimeout(timer);
          fail(new Error(`relay upload: ${redactUrls(err.message.split('\n')[0] ?? 'failed')}`));
        },
      });
      const timer = setTimeout(() => {
        void upload.abort(true);
        fail(new Error(`relay upload: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      upload.start();
    });
  };
}
