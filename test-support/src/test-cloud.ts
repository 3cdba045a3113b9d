/**
 * A real cloud for tests outside the sync suite (the edge's own tests): embedded
 * Aedes and SQLite under `dir`, ports chosen by the OS, stopped with the test;
 * an operator client, and a village with a fresh pairing code.
 */
import type { Test } from 'tap';
import { testCloudStore } from './cloud-store.ts';
import { join } from 'node:path';
import { pino } from 'pino';
import { Cloud } from '../../cloud/src/index.ts';
import { OPERATOR_TOKEN } from './brokers.ts';
import { assertDocumented } from './cloud-openapi.ts';

export interface TestCloud {
  cloud: Cloud;
  url: string;
  token: string;
  /** An operator request; the JSON answer with its status. */
  operator(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** A new village and a one-time pairing code for it. */
  villageWithCode(name: string): Promise<{ villageId: number; code: string }>;
}

/** `phoneApp`: a built phone app to serve at /m/ (scripts/build-web.ts cachedWebBuild('phone')). */
export async function startTestCloud(t: Test, dir: string, http: { trustProxy?: boolean | string } = {}, opts: { phoneApp?: string } = {}): Promise<TestCloud> {
  const cloud = new Cloud({
    config: { dataDir: join(dir, 'cloud'), store: testCloudStore(join(dir, 'cloud')), http: { host: '127.0.0.1', port: 0, ...http }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, publicUrl: null } },
    log: pino({ level: 'silent' }),
    ...(opts.phoneApp ? { phoneApp: opts.phoneApp } : {}),
  });
  await cloud.start();
  t.teardown(() => cloud.stop());
  const url = `http://127.0.0.1:${cloud.httpPort}`;
  const operator: TestCloud['operator'] = async (method, path, body) => {
    const headers: Record<string, string> = { authorization: `Bearer ${OPERATOR_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const r = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    await assertDocumented(url, method, path, r.status, r.headers.get('content-type'), text);
    return { status: r.status, json: JSON.parse(text) };
  };
  return {
    cloud,
    url,
    token: OPERATOR_TOKEN,
    operator,
    async villageWithCode(name) {
      const village = await operator('POST', '/api/villages', { name });
      const { json } = await operator('POST', `/api/villages/${village.json.id}/pair-codes`);
      return { villageId: village.json.id as number, code: json.code as string };
    },
  };
}
