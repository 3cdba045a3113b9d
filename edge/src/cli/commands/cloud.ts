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

/** `cunbox cloud status` and `cunbox cloud pair` (issue #5). */
export function registerCloud(program: Command, ctx: CliContext): void {
  const cloud = program.command('cloud').description(ctx.t('sync with the cloud'));

  cloud
    .command('status')
    .description(ctx.t('what the cloud has confirmed, what is waiting, dead letters'))
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const db = openDatabase(new Layout(config.dataDir).database);
      try {
        const { node_id: node } = db.prepare('SELECT node_id FROM gov_node WHERE singleton = 1').get() as { node_id: string };
        const status = { configured: Boolean(config.cloud), url: config.cloud ? redactUrls(config.cloud.url) : null, edgeId: config.cloud?.edgeId ?? null, node, ...readSyncStatus(db, node) };
        if (o.json) return void ctx.out(JSON.stringify(status, null, 2));
        ctx.out(`cloud: ${status.configured ? `${status.url} (edge ${status.edgeId})` : 'not configured'}`);
        ctx.out(`ops: ${status.opsAcked} confirmed by the cloud, ${status.opsPending} waiting`);
        ctx.out(`events: confirmed up to #${status.eventsAcked}, ${status.eventsPending} waiting`);
        ctx.out(`from the cloud: ${status.appliedSeq} ops applied; dead letters: ${status.deadLetters}`);
        ctx.out(`last hello: ${status.lastHelloAt === null ? '-' : new Date(status.lastHelloAt).toISOString()}`);
      } finally {
        db.close();
      }
    });

  cloud
    .command('pair')
    .description(ctx.t('pair this edge with a village in the cloud, using a one-time code'))
    .requiredOption('--url <url>', 'the cloud, e.g. https://cloud.example.org')
    .requiredOption('--code <code>', 'one-time pairing code from the cloud operator')
    .option('--out <file>', 'where to write the credentials (default: <data_dir>/cloud-credentials.json)')
    .action(async (o: { url: string; code: string; out?: string }, cmd: Command) => {
      const config = resolveConfig(ctx.store(cmd), ctx.io.env);
      const res = await fetch(new URL('/api/pair', o.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: o.code }) }).catch((err: Error) => {
        throw new CunboxError('UNAVAILABLE', `cannot reach ${redactUrls(o.url)}: ${err.message}`);
      });
      if (res.status === 403) throw new CunboxError('FORBIDDEN', 'pairing code unknown, expired or already used');
      if (!res.ok) throw new CunboxError('UNAVAILABLE', `pairing failed: HTTP ${res.status}`);
      const body = (await res.json()) as { edgeId: string; mqttUrl: string; username: string; password: string; villageId: number };
      mkdirSync(config.dataDir, { recursive: true });
      const file = o.out ?? join(config.dataDir, 'cloud-credentials.json');
      writeCredentials(file, { edgeId: body.edgeId, mqttUrl: body.mqttUrl, username: body.username, password: body.password });
      ctx.out(`paired with village ${body.villageId} as edge ${body.edgeId}; credentials in ${file}`);
      ctx.out('add to the config file and restart:');
      ctx.out(`cloud:\n  url: ${redactUrls(o.url)}\n  edge_id: ${body.edgeId}\n  credentials_file: ${file}`);
    });
}
