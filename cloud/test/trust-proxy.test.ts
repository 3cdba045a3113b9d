// Behind the TLS proxy every phone arrives from the proxy's address: the
// per-address login limit must count the phone's address (X-Forwarded-For from
// the trusted proxy), or one village's typos would lock out the whole county.
import t from 'tap';
import { parseCloudConfig } from '../src/config.ts';
import { startTestCloud } from '@cunbox/test-support/test-cloud';
import { tmpDir } from '@cunbox/test-support/tmp';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

async function failLogins(url: string, villageId: number, from: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    // A new name each time: only the address limit can trip.
    const r = await fetch(`${url}/api/v1/villages/${villageId}/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: JSON.stringify({ username: `nobody${i}`, password: 'Not-the-password-1' }) });
    statuses.push(r.status);
  }
  return statuses;
}

t.test('http.trust_proxy: the address limit counts each phone behind the proxy, not the proxy', async (t) => {
  const trusted = await startTestCloud(t, tmpDir(t), { trustProxy: '127.0.0.1' });
  const { villageId } = await trusted.villageWithCode('东村');
  const a = await failLogins(trusted.url, villageId, '198.51.100.7', 31);
  t.equal(a.at(-1), 429, 'one phone that keeps guessing is stopped');
  t.same((await failLogins(trusted.url, villageId, '198.51.100.8', 1)), [401], 'another phone behind the same proxy is not');

  // Without it, the header is not believed: a client cannot pick its own address.
  const plain = await startTestCloud(t, tmpDir(t));
  const v2 = await plain.villageWithCode('西村');
  const b = await failLogins(plain.url, v2.villageId, '198.51.100.7', 31);
  t.equal(b.at(-1), 429);
  t.same((await failLogins(plain.url, v2.villageId, '198.51.100.9', 1)), [429], 'a forged X-Forwarded-For changes nothing');
});

t.test('trust_proxy in the config file', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'token'), 'x'.repeat(32));
  t.equal(parseCloudConfig('data_dir: d\noperator_token_file: token\n', join(dir, 'c.yaml')).http.trustProxy, false, 'off by default');
  t.equal(parseCloudConfig('data_dir: d\noperator_token_file: token\nhttp:\n  trust_proxy: 10.0.0.1,10.0.0.2\n', join(dir, 'c.yaml')).http.trustProxy, '10.0.0.1,10.0.0.2');
  t.throws(() => parseCloudConfig('data_dir: d\noperator_token_file: token\nhttp:\n  trust_proxy: 3\n', join(dir, 'c.yaml')), /trust_proxy/);
});
