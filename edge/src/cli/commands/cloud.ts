import type { Command } from 'commander';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { redactUrls } from '@cunbox/shared';
import type { CliContext } from '../command-context.ts';
import { resolveConfig } from '../context.ts';
import { openDatabase } from '../../db/database.ts';
import { Layout } from '../../storage/layout.ts';
import { CunboxError } from '../../errors.ts';
import { readSyncStatus } from '../../sync/client.ts';
import { writeCredentials } from '../../sync/credentials.ts';
import { readMediaStatus } from '../../sync/media-queue.ts';
import { tf } from '../i18n.ts';
import { formatTime } from '../format.ts';
import { boxTimeZone } from '../../local-time.ts';
import { act, localizedHelp } from './camera-support.ts';

/** `cunbox cloud status` and `cunbox cloud pair`. */
export function registerCloud(program: Command, ctx: CliContext): void {
  const t = ctx.t;
  const cloud = localizedHelp(ctx, program.command('cloud').description(t('sync with the cloud')), ['cunbox cloud pair --url https://cloud.example.org --code K7Q2M9XH4P', 'cunbox cloud status']);

  localizedHelp(ctx, cloud.command('status'), ['cunbox cloud status', 'cunbox cloud status --json'])
    .description(t('what the cloud has confirmed, what is waiting, dead letters'))
    .option('--json', t('machine-readable output'))
    .action(act(ctx, async (o: { json?: boolean }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const db = openDatabase(new Layout(config.dataDir).database);
      try {
        const { node_id: node } = db.prepare('SELECT node_id FROM gov_node WHERE singleton = 1').get() as { node_id: string };
        const status = { configured: Boolean(config.cloud), url: config.cloud ? redactUrls(config.cloud.url) : null, edgeId: config.cloud?.edgeId ?? null, node, ...readSyncStatus(db, node), ...readMediaStatus(db) };
        if (o.json) return void ctx.out(JSON.stringify(status, null, 2));
        ctx.out(status.configured ? tf(t, 'cloud: {url} (edge {edge})', { url: status.url ?? '-', edge: status.edgeId ?? '-' }) : t('cloud: not configured'));
        ctx.out(tf(t, 'ops: {acked} confirmed by the cloud, {pending} waiting', { acked: status.opsAcked, pending: status.opsPending }));
        ctx.out(tf(t, 'events: confirmed up to #{acked}, {pending} waiting', { acked: status.eventsAcked, pending: status.eventsPending }));
        ctx.out(tf(t, 'from the cloud: {applied} ops applied; dead letters: {dead}', { applied: status.appliedSeq, dead: status.deadLetters }));
        ctx.out(
          tf(t, 'media: {pending} waiting ({bytes}), {done} uploaded, {failed} given up', {
            pending: status.mediaPending,
            bytes: formatBytes(status.mediaPendingBytes),
            done: status.mediaDone,
            failed: status.mediaFailed,
          }),
        );
        ctx.out(tf(t, 'last hello: {at}', { at: formatTime(status.lastHelloAt, boxTimeZone(config.timezone, ctx.io.env)) }));
      } finally {
        db.close();
      }
    }));

  localizedHelp(ctx, cloud.command('pair'), ['cunbox cloud pair --url https://cloud.example.org --code K7Q2M9XH4P'])
    .description(t('pair this edge with a village in the cloud, using a one-time code'))
    .requiredOption('--url <url>', t('the cloud, e.g. https://cloud.example.org'))
    .requiredOption('--code <code>', t('one-time pairing code from the cloud operator'))
    .option('--out <file>', t('where to write the credentials (default: <data_dir>/cloud-credentials.json)'))
    .action(act(ctx, async (o: { url: string; code: string; out?: string }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const res = await fetch(new URL('/api/pair', o.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: o.code }) }).catch((err: Error) => {
        throw new CunboxError('UNAVAILABLE', tf(t, 'cannot reach {url}: {reason}', { url: redactUrls(o.url), reason: err.message }));
      });
      if (res.status === 403) throw new CunboxError('FORBIDDEN', t('pairing code unknown, expired or already used'));
      if (!res.ok) throw new CunboxError('UNAVAILABLE', tf(t, 'pairing failed: HTTP {status}', { status: res.status }));
      const body = (await res.json()) as { edgeId: string; mqttUrl: string; username: string; password: string; villageId: number };
      mkdirSync(config.dataDir, { recursive: true });
      const file = o.out ?? join(config.dataDir, 'cloud-credentials.json');
      writeCredentials(file, { edgeId: body.edgeId, mqttUrl: body.mqttUrl, username: body.username, password: body.password });
      ctx.out(tf(t, 'paired with village {village} as edge {edge}; credentials in {file}', { village: body.villageId, edge: body.edgeId, file }));
      ctx.out(t('add to the config file and restart:'));
      ctx.out(`cloud:\n  url: ${redactUrls(o.url)}\n  edge_id: ${JSON.stringify(body.edgeId)}\n  credentials_file: ${file}`);
    }));
}

const formatBytes = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);
