/**
 * A real edge and a real cloud on loopback, for the OpenAPI tests: their
 * documents are what they serve at /docs/json, and their routes answer the
 * generated clients. The edge has one camera nobody listens for (its video
 * routes exist; footage does not matter here) and an admin account.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../edge/src/config/load.ts';
import { Edge } from '../../edge/src/edge.ts';
import { UserStore } from '../../edge/src/auth/users.ts';
import { silentLogger } from '../../edge/src/log.ts';
import { systemClock } from '../../edge/src/clock.ts';
import { Cloud } from '../../cloud/src/index.ts';

export interface Running {
  url: string;
  doc: Record<string, any>;
  stop(): Promise<void>;
}

export const ADMIN = { username: 'admin1', password: 'Openapi-Admin-42' };
export const OPERATOR_TOKEN = 'openapi-test-operator-token-0123456789';

const scratch = (name: string) => mkdtempSync(join(tmpdir(), `cunbox-openapi-${name}-`));

export async function startEdge(): Promise<Running & { edge: Edge }> {
  const dir = scratch('edge');
  const config = parseConfig([`data_dir: ${dir}`, 'log_level: warn', 'http:', '  host: 127.0.0.1', '  port: 0', 'cameras:', '  - name: 东口', '    main: rtsp://127.0.0.1:9/cam', ''].join('\n'));
  const edge = new Edge({ config, log: silentLogger() });
  await edge.start();
  await new UserStore({ db: edge.db, clock: systemClock }).create({ username: ADMIN.username, password: ADMIN.password, role: 'admin' });
  const url = `http://127.0.0.1:${edge.http!.address.port}`;
  const doc = (await (await fetch(`${url}/docs/json`)).json()) as Record<string, any>;
  return {
    edge,
    url,
    doc,
    async stop() {
      await edge.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startCloud(): Promise<Running & { cloud: Cloud }> {
  const dir = scratch('cloud');
  const cloud = new Cloud({
    config: { dataDir: join(dir, 'cloud'), http: { host: '127.0.0.1', port: 0 }, operatorToken: OPERATOR_TOKEN, mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0, publicUrl: null } },
    log: pino({ level: 'silent' }),
  });
  await cloud.start();
  const url = `http://127.0.0.1:${cloud.httpPort}`;
  const doc = (await (await fetch(`${url}/docs/json`)).json()) as Record<string, any>;
  return {
    cloud,
    url,
    doc,
    async stop() {
      await cloud.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
