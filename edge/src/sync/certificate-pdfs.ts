/**
 * Approved certificates go up as PDFs, so the requester can download theirs
 * on the phone. The gap is the outbox: an approved certificate with no queue
 * row of kind certificate-pdf is rendered, written under
 * <data_dir>/governance/certificates/ and queued; the uploader sends it. So an
 * approval made here, one that arrived from a phone through the cloud, and one
 * approved before an edge restart or before this existed are all covered the
 * same way. The copy is rendered with the ID number masked (the cloud never
 * holds a full one, docs/design/privacy.md).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { backoffDelay, CERTIFICATE_PDF_KIND, certificatePdfRef } from '@cunbox/shared';
import type { Db } from '../db/database.ts';
import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { CertificateService } from '../governance/certificates.ts';
import type { VillageIdentity } from '../governance/village.ts';
import { durableMove } from '../storage/durable.ts';
import type { MediaQueue } from './media-queue.ts';

/** At most this many rendered per pass: a backlog (the first start with many approved) does not hold up the uploads for long. */
const PER_PASS = 5;
/** A certificate that failed to render (no font, no village section) is tried again after this, growing. */
const RETRY = { baseMs: 60_000, maxMs: 3600_000 };

export interface CertificatePdfsDeps {
  db: Db;
  queue: MediaQueue;
  certificates: CertificateService;
  /** The config's village section; null: nothing can be printed, so nothing is rendered. */
  village: VillageIdentity | null;
  dataDir: string;
  clock: Clock;
  log: Logger;
  random?: () => number;
}

export class CertificatePdfs {
  readonly #d: CertificatePdfsDeps;
  /** Failed renders: when to try again, and how often it failed. In memory: a restart tries at once, which is what one wants after fixing the config. */
  readonly #waiting = new Map<string, { at: number; failures: number }>();

  constructor(deps: CertificatePdfsDeps) {
    this.#d = deps;
  }

  /** Renders and queues the approved certificates whose PDF is not queued yet; returns how many were queued. Never throws. */
  async collect(): Promise<number> {
    const { db, village, clock, log } = this.#d;
    if (!village) return 0;
    const now = clock.now();
    const ids = (
      db
        .prepare(
          `SELECT id FROM gov_entities e WHERE kind = 'certificate' AND present = 1 AND json_extract(state, '$.status') = 'approved'
           AND NOT EXISTS (SELECT 1 FROM sync_media m WHERE m.kind = ? AND m.ref = ? || e.id) ORDER BY created_at, id`,
        )
        // The ref is certificatePdfRef(id), spelled as SQL.
        .all(CERTIFICATE_PDF_KIND, certificatePdfRef('')) as Array<{ id: string }>
    )
      .map((r) => r.id)
      .filter((id) => (this.#waiting.get(id)?.at ?? 0) <= now)
      .slice(0, PER_PASS);
    let queued = 0;
    for (const id of ids) {
      try {
        if (await this.#renderAndQueue(id, village)) queued++;
        this.#waiting.delete(id);
      } catch (err) {
        const failures = (this.#waiting.get(id)?.failures ?? 0) + 1;
        const delay = backoffDelay(failures - 1, RETRY, this.#d.random ?? Math.random);
        this.#waiting.set(id, { at: now + delay, failures });
        // The message is the renderer's (font, config, state); it never carries the certificate's fields.
        log.warn({ certificate: id, err: (err as Error).message, retryInMs: delay }, 'certificate PDF for the cloud not made; will retry');
      }
    }
    return queued;
  }

  async #renderAndQueue(id: string, village: VillageIdentity): Promise<boolean> {
    const { certificates, dataDir, queue, log } = this.#d;
    const pdf = await certificates.cloudPdf(id, village);
    const rel = join('governance', 'certificates', `${id}.pdf`);
    const tmpDir = join(dataDir, 'governance', 'certificates', 'incoming');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, `${id}.pdf`);
    await writeFile(tmp, pdf);
    await durableMove(tmp, join(dataDir, rel));
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    const added = queue.enqueue({ path: rel, sha256, size: pdf.length, kind: CERTIFICATE_PDF_KIND, ref: certificatePdfRef(id), mime: 'application/pdf' });
    if (added) log.info({ certificate: id, bytes: pdf.length, sha256 }, 'certificate PDF queued for the cloud');
    return added;
  }
}
