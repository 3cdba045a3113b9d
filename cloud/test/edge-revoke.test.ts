import t from 'tap';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { loginWorks } from '@cunbox/test-support/brokers';
import { tmpDir } from '@cunbox/test-support/tmp';

t.test('a revoked edge is refused by the embedded broker and the media routes; its data stays', async (t) => {
  const tc = await startTestCloud(t, tmpDir(t, 'cunbox-edge-revoke-'));
  const { code } = await tc.villageWithCode('东村');
  const paired = (await (await fetch(`${tc.url}/api/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })).json()) as { edgeId: string; mqttUrl: string; password: string };
  const basic = `Basic ${Buffer.from(`${paired.edgeId}:${paired.password}`).toString('base64')}`;
  const claim = () => fetch(`${tc.url}/api/media/claims`, { method: 'POST', headers: { authorization: basic, 'content-type': 'application/json' }, body: JSON.stringify({ sha256: 'a'.repeat(64), size: 1, kind: 'ticket-photo', ref: 'p1' }) });
  t.ok(await loginWorks(paired.mqttUrl, paired.edgeId, paired.password), 'logs in before');
  t.equal((await claim()).status, 200, 'media before');
  t.ok(await tc.cloud.revokeEdge(paired.edgeId));
  t.notOk(await loginWorks(paired.mqttUrl, paired.edgeId, paired.password), 'refused after (a cached success does not outlive the revocation)');
  t.equal((await claim()).status, 401, 'media refused after');
  t.ok((await tc.cloud.data.edge(paired.edgeId)), 'the edge row stays');
  t.notOk(await tc.cloud.revokeEdge(paired.edgeId), 'once');
  t.notOk(await tc.cloud.revokeEdge('0123456789abcdef'), 'an unknown edge');
});
