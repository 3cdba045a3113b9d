// mqtt.shared_group: several cloud workers behind one external broker (docs/design/cloud-workers.md).
// The subscriptions it gives are what Mosquitto splits between the workers; scripts/fleet/fleet.test.ts
// runs two workers with it against a real Mosquitto.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLOUD_SUBSCRIPTIONS, UPLINK_CHANNELS, cloudSubscriptions } from '@cunbox/shared';
import { parseCloudConfig } from '../src/config.ts';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('shared_group in the config file', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'token'), 'x'.repeat(32));
  writeFileSync(join(dir, 'svc'), 'service-password');
  const file = join(dir, 'c.yaml');
  const external = (extra: string) => `data_dir: d\noperator_token_file: token\nmqtt:\n  url: mqtt://127.0.0.1:1883\n  username: cunbox-cloud\n  password_file: svc\n${extra}`;
  t.match(parseCloudConfig(external(''), file).mqtt, { mode: 'external', sharedGroup: null }, 'none by default: one worker');
  t.match(parseCloudConfig(external('  shared_group: cunbox\n'), file).mqtt, { mode: 'external', sharedGroup: 'cunbox' });
  t.throws(() => parseCloudConfig(external('  shared_group: a/b\n'), file), /shared_group/, 'a group is one topic level');
  t.throws(() => parseCloudConfig('data_dir: d\noperator_token_file: token\nmqtt:\n  shared_group: cunbox\n', file), /shared_group needs an external broker/, 'the embedded broker has one process to serve');
});

t.test('the subscriptions of a shared group', async (t) => {
  t.same(cloudSubscriptions(null), CLOUD_SUBSCRIPTIONS, 'no group: as before');
  const subs = cloudSubscriptions('g');
  for (const c of UPLINK_CHANNELS.filter((c) => c !== 'up/relay')) t.ok(subs.includes(`$share/g/cunbox/+/+/${c}`), `${c} is split between the workers`);
  t.ok(subs.includes('cunbox/+/+/presence'), 'presence reaches every worker (retained: a restarted worker learns who is online)');
  t.ok(subs.includes('cunbox/+/+/up/relay'), 'relay answers reach every worker (only the one that asked waits)');
  t.notOk(subs.some((s) => s.startsWith('$share/') && (s.endsWith('/presence') || s.endsWith('/up/relay'))), 'neither of those is shared');
});
