/**
 * A village for phone-API tests: a real cloud (Aedes rig), a paired edge with
 * the real UserStore, Governance services, EventStore and SyncClient, and a
 * small HTTP client for the phone API.
 */
import type { Test } from 'tap';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../edge/src/db/database.ts';
import { UserStore, type Role } from '../../../edge/src/auth/users.ts';
import type { Governance } from '../../../edge/src/governance/governance.ts';
import { testGovernance } from '@cunbox/test-support/governance';
import { HoldStore } from '../../../edge/src/storage/holds.ts';
import { EventStore } from '../../../edge/src/events/event-store.ts';
import { CameraAccess } from '../../../edge/src/playback/access.ts';
import { SyncClient } from '../../../edge/src/sync/client.ts';
import { systemClock } from '../../../edge/src/clock.ts';
import { silentLogger } from '../../../edge/src/log.ts';
import { OPERATOR_TOKEN, type BrokerRig } from '@cunbox/test-support/brokers';
import { FieldCipher, loadOrCreateKey } from '@cunbox/shared';
import { startEdgeSync } from '@cunbox/test-support/edge-sync';
import { assertDocumented } from '@cunbox/test-support/cloud-openapi';

export interface Reply {
  status: number;
  json: any;
  /** The raw body, to check that no secret is in it. */
  text: string;
  headers: Headers;
}

export async function http(rig: BrokerRig, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const base = `http://127.0.0.1:${rig.cloud.httpPort}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  await assertDocumented(base, method, path, res.status, res.headers.get('content-type'), text);
  return { status: res.status, text, json: text ? JSON.parse(text) : null, headers: res.headers };
}

export interface PairedVillage {
  villageId: number;
  edgeId: string;
  mqttUrl: string;
  username: string;
  password: string;
}

export async function pairVillage(rig: BrokerRig, name: string): Promise<PairedVillage> {
  const v = await http(rig, 'POST', '/api/villages', { token: OPERATOR_TOKEN, body: { name } });
  const code = await http(rig, 'POST', `/api/villages/${v.json.id}/pair-codes`, { token: OPERATOR_TOKEN });
  const paired = await http(rig, 'POST', '/api/pair', { body: { code: code.json.code } });
  if (paired.status !== 200) throw new Error(`pairing failed: ${paired.text}`);
  await rig.addUser(paired.json.username, paired.json.password);
  return paired.json as PairedVillage;
}

export interface VillageEdge {
  db: Db;
  users: UserStore;
  gov: Governance;
  events: EventStore;
  cameras: CameraAccess;
  sync: SyncClient;
}

/** `accounts` are created before sync starts, so the first snapshot already has them. */
export async function startVillageEdge(t: Test, dir: string, p: PairedVillage, name: string, accounts: Array<{ username: string; role: Role }>): Promise<VillageEdge> {
  const db = openDatabase(join(dir, `${name}.db`));
  const users = new UserStore({ db, clock: systemClock });
  for (const a of accounts) await users.create({ ...a, password: passwordOf(a.username) });
  // Encrypted at rest as the Edge root does it: the key beside the database (the converge checker reads it there).
  const cipher = new FieldCipher(loadOrCreateKey(join(dir, 'keys', 'data.key')));
  const gov = testGovernance({ db, clock: systemClock, log: silentLogger(), dataDir: join(dir, name), users, holds: new HoldStore({ db, clock: systemClock }), cipher });
  const sync = startEdgeSync(t, db, gov.store, { edgeId: p.edgeId, mqttUrl: p.mqttUrl, username: p.username, password: p.password });
  return { db, users, gov, events: new EventStore({ db, clock: systemClock }), cameras: new CameraAccess(db), sync };
}

/** Each test account's password. */
/** Meets the password policy: three kinds of character, not containing the name. */
export const passwordOf = (username: string): string => `Phone-Pass-${[...username].map((c) => c.codePointAt(0)!.toString(36)).join('')}`;
