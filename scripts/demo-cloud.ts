// The cloud half of `npm start`: a Cloud in this process (embedded Aedes, its
// SQLite under var/demo/cloud), a village, and the edge paired to it exactly as
// a technician would (`cunbox cloud pair`: one-time code → POST /api/pair →
// credentials file). A second run reuses the village and the pairing.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Cloud } from '../cloud/src/index.ts';
import { readCredentials, writeCredentials } from '../edge/src/sync/credentials.ts';

export interface DemoCloud {
  cloud: Cloud;
  url: string;
  tokenFile: string;
  villageId: number;
  edgeId: string;
  credentialsFile: string;
}

const VILLAGE = '匡村';

export async function startDemoCloud(demoDir: string, httpPort: number, mqttPort: number): Promise<DemoCloud> {
  const dir = join(demoDir, 'cloud');
  mkdirSync(dir, { recursive: true });
  const tokenFile = join(dir, 'operator-token');
  if (!existsSync(tokenFile)) writeFileSync(tokenFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  const operatorToken = readFileSync(tokenFile, 'utf8').trim();
  const cloud = new Cloud({
    config: { dataDir: dir, http: { host: '127.0.0.1', port: httpPort }, operatorToken, mqtt: { mode: 'embedded', host: '127.0.0.1', port: mqttPort, publicUrl: null } },
    log: pino({ level: 'info' }, createWriteStream(join(demoDir, 'cloud.log'), { flags: 'a' })),
  });
  await cloud.start();
  const url = `http://127.0.0.1:${cloud.httpPort}`;
  const credentialsFile = join(demoDir, 'cloud-credentials.json');

  let paired = existsSync(credentialsFile) ? readCredentials(credentialsFile) : null;
  if (paired && !cloud.store.edge(paired.edgeId)) paired = null; // the cloud's data was deleted: pair afresh
  if (!paired) {
    const operator = { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' };
    const village = await post<{ id: number }>(`${url}/api/villages`, operator, { name: VILLAGE });
    const { code } = await post<{ code: string }>(`${url}/api/villages/${village.id}/pair-codes`, { authorization: operator.authorization });
    // What `cunbox cloud pair --url … --code …` sends: the code is the only credential.
    const r = await post<{ edgeId: string; mqttUrl: string; username: string; password: string }>(`${url}/api/pair`, { 'content-type': 'application/json' }, { code });
    paired = { edgeId: r.edgeId, mqttUrl: r.mqttUrl, username: r.username, password: r.password };
  }
  // The broker's port may differ from the last run's.
  writeCredentials(credentialsFile, { ...paired, mqttUrl: cloud.mqttUrl });
  const edge = cloud.store.edge(paired.edgeId)!;
  return { cloud, url, tokenFile, villageId: edge.villageId, edgeId: paired.edgeId, credentialsFile };
}

async function post<T>(url: string, headers: Record<string, string>, body?: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`demo: ${new URL(url).pathname} answered HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
