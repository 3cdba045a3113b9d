/**
 * The box's disk dies: a backup taken while the edge records the simulator and
 * commits governance ops, the data directory wiped, the backup restored, the
 * edge started again against the same real cloud (embedded broker). Ops made
 * after the backup come back from the cloud; both sides then hold every op
 * exactly once, and what the restored edge makes next has fresh numbers.
 */
import t from 'tap';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCamsim, type Camsim } from '../../scripts/camsim/camsim.ts';
import { Edge } from '../src/edge.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import type { OpStore } from '../src/governance/store.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { cli } from '@cunbox/test-support/edge-cli';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { waitFor } from '@cunbox/test-support/wait';
import { assertConverged } from '@cunbox/test-support/converge';

let sim: Camsim;
t.before(async () => {
  sim = await startCamsim({ cameras: 1 });
});
t.teardown(() => sim?.stop());

let n = 0;
const draft = (what: string) => ({
  entityKind: 'ticket',
  entityId: `01JG${String(++n).padStart(22, '0')}`,
  type: 'ticket.created',
  payload: { category: 'road', categoryName: 'road', slaMinutes: 60, description: what, place: '东口', lat: null, lng: null, photos: [], anonymous: false, reporter: 'phone' },
});

for (const catchUp of ['by the restore', 'by the edge on its first connect (restore --no-cloud)'] as const) {
  t.test(`backup while recording, disk wiped, restore, ops made after the backup fetched ${catchUp}: the edge and the cloud converge with every op once`, async (t) => {
    const byRestore = catchUp === 'by the restore';
    const dir = tmpDir(t, 'cunbox-restore-sync-');
    const { cloud, url: cloudUrl, villageWithCode } = await startTestCloud(t, dir);
    const { villageId, code } = await villageWithCode('东村');
    const edgeDir = join(dir, 'edge');
    const configFile = join(dir, 'etc', 'config.yaml');
    t.equal((await cli(['--data-dir', edgeDir, 'cloud', 'pair', '--url', cloudUrl, '--code', code])).code, 0, 'paired');
    const credFile = join(edgeDir, 'cloud-credentials.json');
    const cred = JSON.parse(readFileSync(credFile, 'utf8')) as { edgeId: string };
    const cam = sim.cameras[0]!;
    mkdirSync(join(dir, 'etc'));
    writeFileSync(
      configFile,
      [
        `data_dir: ${edgeDir}`,
        'log_level: warn',
        'recording:',
        '  segment_seconds: 2',
        'retention:',
        '  min_free_bytes: 0',
        '  min_free_percent: 0',
        'http:',
        '  host: 127.0.0.1',
        '  port: 0',
        'cloud:',
        `  url: ${cloudUrl}`,
        `  edge_id: ${JSON.stringify(cred.edgeId)}`,
        `  credentials_file: ${credFile}`,
        '',
      ].join('\n'),
    );
    // A camera and an account kept only in the database: the restore must bring them back.
    const added = await cli(['--config', configFile, 'cameras', 'add', '--rtsp', cam.urls.main, '--user', cam.user, '--password', cam.password, '--name', '东口', '--no-probe']);
    t.equal(added.code, 0, added.err);
    t.equal((await cli(['--config', configFile, 'users', 'add', '--username', 'zhang', '--role', 'cadre', '--password', 'a-long-password-1'])).code, 0);

    const start = async () => {
      const edge = new Edge({ config: loadConfigFile(configFile), log: silentLogger() });
      await edge.start();
      return edge;
    };
    let edge = await start();
    let edgeUp = true;
    t.teardown(async () => void (edgeUp && (await edge.stop())));
    const store = (): OpStore => edge.governance!.store;
    const edgeNode = store().node;
    await waitFor('recording: a segment indexed', () => (edge.db.prepare('SELECT count(*) AS n FROM segments').get() as { n: number }).n >= 1, 60_000);
    await waitFor('sync connected', () => edge.sync?.connected === true, 20_000);

    // Before the backup: ops of both sides, synced.
    store().commit('admin', [draft('edge 1'), draft('edge 2'), draft('edge 3')]);
    cloud.store.commit(villageId, 'phone', [draft('cloud 1'), draft('cloud 2')]);
    cloud.sync.notify();
    await waitFor('before-backup ops synced', () => cloud.store.marks(cred.edgeId).opsCommitted === 3 && edge.sync!.status().appliedSeq === 2);

    // The backup, by the CLI (another process's view of the database), while the edge records and commits.
    let committing = true;
    const busy = (async () => {
      while (committing) {
        store().commit('admin', [draft('during the backup')]);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const taken = await cli(['--config', configFile, 'backup', '--to', join(dir, 'usb'), '--json']);
    committing = false;
    await busy;
    t.equal(taken.code, 0, taken.err);
    const backupDir = (JSON.parse(taken.out) as { dir: string }).dir;
    const copy = new Database(join(backupDir, 'cunbox.db'), { readonly: true });
    const backupSeq = (copy.prepare('SELECT max(seq) AS s FROM gov_ops WHERE origin = ?').get(edgeNode) as { s: number }).s;
    copy.close();
    t.ok(backupSeq >= 3, `the backup holds the edge's ops up to seq ${backupSeq}`);

    // After the backup: more ops on both sides, all acked, then the disk dies.
    store().commit('admin', [draft('edge after backup 1'), draft('edge after backup 2')]);
    cloud.store.commit(villageId, 'phone', [draft('cloud after backup')]);
    cloud.sync.notify();
    edge.parts.events.record(null, 'after_backup', {});
    edge.parts.events.record(null, 'after_backup', {});
    const lastEvent = edge.parts.events.record(null, 'after_backup', {});
    const lastSeq = store().lastLocalSeq();
    t.ok(lastSeq > backupSeq + 1, `ops ${backupSeq + 1}..${lastSeq} exist only after the backup`);
    await waitFor('everything synced before the disk dies', () => cloud.store.marks(cred.edgeId).opsCommitted === lastSeq && edge.sync!.status().appliedSeq === 3 && edge.sync!.status().opsPending === 0 && cloud.store.marks(cred.edgeId).eventsCommitted === lastEvent);
    const eventsInCloud = cloud.store.marks(cred.edgeId).eventsCommitted;
    await edge.stop();
    edgeUp = false;
    rmSync(edgeDir, { recursive: true, force: true });
    rmSync(configFile);

    // Restore onto the empty disk, and start.
    const restored = await cli(['--config', configFile, 'restore', backupDir, '--json', ...(byRestore ? [] : ['--no-cloud'])]);
    t.equal(restored.code, 0, restored.err);
    const restoredDb = new Database(join(edgeDir, 'cunbox.db'), { readonly: true });
    const nextSeq = (restoredDb.prepare('SELECT next_seq AS s FROM gov_node').get() as { s: number }).s;
    restoredDb.close();
    if (byRestore) {
      t.same(JSON.parse(restored.out).cloud, { reached: true, recovered: lastSeq - backupSeq }, 'the restore itself fetched the ops made after the backup, before the edge starts');
      t.equal(nextSeq, lastSeq + 1, 'the next op is numbered after them');
    } else {
      t.equal(JSON.parse(restored.out).cloud, null, 'no cloud contact with --no-cloud');
      t.equal(nextSeq, backupSeq + 1, 'the database is as the backup had it');
    }
    t.ok(existsSync(join(edgeDir, 'keys', 'data.key')) && existsSync(credFile), 'keys and credentials are back');
    edge = await start();
    edgeUp = true;
    t.equal(edge.parts.registry.getByName('东口')?.mainUrl, cam.urls.main, 'the camera is back');
    t.ok(edge.db.prepare("SELECT 1 FROM users WHERE username = 'zhang'").get(), 'the account is back');
    t.equal(store().node, edgeNode, 'the same op-log node');
    await waitFor("the edge's own ops made after the backup come back from the cloud", () => store().lastLocalSeq() === lastSeq, 20_000);
    await waitFor('the cloud ops made after the backup arrive', () => edge.sync!.status().appliedSeq === 3, 20_000);
    await waitFor('recording again', () => edge.cameraStatus()[0]?.state === 'recording', 30_000);

    // What the restored edge makes now: fresh seqs, and an event the cloud gets.
    const fresh = store().commit('admin', [draft('after restore 1'), draft('after restore 2')]);
    t.same(fresh.map((o) => o.seq), [lastSeq + 1, lastSeq + 2], 'no seq the cloud already has is used again');
    const eventId = edge.parts.events.record(null, 'restore_test', {});
    t.ok(eventId > eventsInCloud, `a new event is numbered after the ${eventsInCloud} the cloud holds`);
    await waitFor('the new ops in the cloud', () => cloud.store.marks(cred.edgeId).opsCommitted === lastSeq + 2, 20_000);
    await waitFor('the new event in the cloud', () => cloud.store.events(villageId, { type: 'restore_test', limit: 10 }).length === 1, 20_000);
    await edge.stop();
    edgeUp = false;
    const report = await assertConverged(t, join(edgeDir, 'cunbox.db'), join(dir, 'cloud', 'cloud.db'), villageId);
    t.equal(report.perOrigin[edgeNode], lastSeq + 2, "every edge op once, 1..n, at the edge");
    t.same(cloud.store.deadLetters(), [], 'nothing dead-lettered in the cloud');
  });
}
