/**
 * Runs one governance script twice and compares what each run committed: once
 * through a village edge's HTTP API, once through the cloud's phone API (for a
 * second village with the same accounts). Both villages are real: a real cloud
 * on a real broker, two paired edges with their own SQLite files, syncing.
 *
 * A step the phone API does not offer (`edgeOnly`) runs through the edge API in
 * both villages, so the two villages go through the same states; in the phone
 * village the harness waits for sync to carry every op both ways before each
 * step, so a phone step sees what an edge step made and the reverse.
 *
 * Per step it compares the answer's status (and error code) and the ops the
 * step committed (actor, entity, type, payload); at the end, every entity of
 * the compared kinds. Ids, times and random codes differ by nature between two
 * runs: they are replaced by placeholders numbered in the order they first
 * appear, so the same id in two places still has to be the same id.
 */
import type { Test } from 'tap';
import sharp from 'sharp';
import { maskIdNumber, type EntityBase, type Op, type ResidentState } from '@cunbox/shared';
import { aedesRig, type BrokerRig } from '@cunbox/test-support/brokers';
import { waitFor } from '@cunbox/test-support/wait';
import { http, pairVillage, passwordOf, startVillageEdge, type PairedVillage, type VillageEdge } from './phone.ts';
import { tmpDir } from '@cunbox/test-support/tmp';
import { multipart } from '@cunbox/test-support/multipart';
import { accessParts } from '@cunbox/test-support/edge-access';
import { buildApp } from '../../../edge/src/api/app.ts';
import type { Api } from '../../../edge/src/api/route-context.ts';
import { auditLogBeside } from '../../../edge/src/api/audit-beside.ts';
import { systemClock } from '../../../edge/src/clock.ts';
import { silentLogger } from '../../../edge/src/log.ts';
import type { Role } from '../../../edge/src/auth/users.ts';

/** One account per role that takes part, as in the phone-API tests. */
export const PARITY_ACCOUNTS: ReadonlyArray<{ username: string; role: Role }> = [
  { username: 'admin', role: 'admin' },
  { username: 'wangfang', role: 'cadre' },
  { username: 'liwei', role: 'grid_worker' },
  { username: 'zhaoqiang', role: 'grid_worker' },
  { username: 'zhangsan', role: 'villager' },
  { username: 'lisi', role: 'villager' },
  { username: 'secretary', role: 'party_secretary' },
  { username: 'member1', role: 'party_member' },
  { username: 'screen', role: 'viewer' },
];

export interface ParityCommand {
  /** Who acts: a user name of PARITY_ACCOUNTS. */
  as: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Below `/api` on the edge and below the village's prefix on the phone API; `{name}` is an id saved by an earlier step. */
  path: string;
  /** Strings `{name}` (whole, or inside arrays) are replaced by saved ids too. */
  body?: Record<string, unknown>;
  /** The status both APIs must answer. */
  status: number;
  /** Saves the id of the entity in the answer (the first property of the reply that has an `id`). */
  save?: string;
  /** The phone API does not offer this command: it runs through the edge's API in both villages. */
  edgeOnly?: boolean;
  /** Where the phone API names the same command otherwise (below the village's prefix). */
  phonePath?: string;
}

/** Uploads a small JPEG through the API of the step and saves its media id. */
export interface ParityUpload {
  as: string;
  upload: string;
}

export type ParityStep = ParityCommand | ParityUpload;

/** What one step did, with ids, times and codes replaced by placeholders. */
export interface StepOutcome {
  step: string;
  status: number;
  code: string | null;
  ops: unknown[];
}

export interface ParityRun {
  steps: StepOutcome[];
  /** kind → the normalised entities, sorted by their placeholder id. */
  states: Record<string, unknown[]>;
}

export interface ParityResult {
  edge: ParityRun;
  phone: ParityRun;
}

/** Keys whose values are times (ms or HLC strings): the same fact at another moment. */
const TIME_KEY = /^(at|hlc|lastHlc|deadline)$|At$/;
/** Random by design (a certificate's verification code). */
const RANDOM_KEY = /^(verificationCode)$/;
const ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
/**
 * What the cloud keeps of an entity by design rather than by any command: a
 * resident's ID number reaches it masked (sync masks it on the way up). Both
 * runs' states are compared through this.
 */
const AS_THE_CLOUD_KEEPS: Record<string, (s: EntityBase) => EntityBase> = {
  resident: (s) => ({ ...s, idNumber: maskIdNumber((s as ResidentState).idNumber) }) as EntityBase,
};

/** Replaces ids (by order of first appearance), times and random codes by placeholders. */
export class Normaliser {
  readonly #ids = new Map<string, string>();
  id(raw: string): string {
    let n = this.#ids.get(raw);
    if (!n) this.#ids.set(raw, (n = `#${this.#ids.size + 1}`));
    return n;
  }
  value(v: unknown, key = ''): unknown {
    if (v === null || v === undefined) return v;
    if (TIME_KEY.test(key)) return '<time>';
    if (RANDOM_KEY.test(key)) return '<random>';
    if (typeof v === 'string') return ID.test(v) ? this.id(v) : v;
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, this.value(x, k)]));
    return v;
  }
  op(op: Op): unknown {
    return { actor: op.actor, entityKind: op.entityKind, entityId: this.value(op.entityId), type: op.type, payload: this.value(op.payload) };
  }
}

interface Village {
  paired: PairedVillage;
  edge: VillageEdge;
  app: Api;
  cookies: Record<string, string>;
  tokens: Record<string, string>;
}

async function smallJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 40, g: 160, b: 90 } } }).jpeg().toBuffer();
}

const fill = (s: string, saved: Map<string, string>): string => s.replace(/\{(\w+)\}/g, (_m, k: string) => {
  const v = saved.get(k);
  if (v === undefined) throw new Error(`no saved id ${k}`);
  return v;
});
const fillBody = (v: unknown, saved: Map<string, string>): unknown => {
  if (typeof v === 'string') return fill(v, saved);
  if (Array.isArray(v)) return v.map((x) => fillBody(x, saved));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillBody(x, saved)]));
  return v;
};
const label = (s: ParityStep): string => ('upload' in s ? `${s.as} uploads ${s.upload}` : `${s.as} ${s.method} ${s.path}${s.edgeOnly ? ' (edge only)' : ''}`);

interface Answer {
  status: number;
  json: any;
}

async function edgeCall(v: Village, username: string, method: string, url: string, body: unknown): Promise<Answer> {
  const res = await v.app.inject({ method: method as 'POST', url, headers: { cookie: v.cookies[username]!, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, payload: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, json: res.body ? res.json() : null };
}

/**
 * Starts the rig and both villages, runs `steps` through the edge API in one
 * and through the phone API in the other, and returns both runs normalised.
 * `kinds`: the entity kinds whose final states are compared.
 */
export async function runParity(t: Test, steps: readonly ParityStep[], kinds: readonly string[]): Promise<ParityResult> {
  const dir = tmpDir(t, 'cunbox-parity-');
  const rig: BrokerRig = await aedesRig(dir);
  t.teardown(() => rig.close());
  const open = async (name: string): Promise<Village> => {
    const paired = await pairVillage(rig, name);
    const edge = await startVillageEdge(t, dir, paired, name, [...PARITY_ACCOUNTS]);
    const app = await buildApp({ db: edge.db, clock: systemClock, log: silentLogger(), users: edge.users, governance: edge.gov, audit: auditLogBeside(edge.db), ...accessParts({ db: edge.db, clock: systemClock, users: edge.users }), cameraExists: () => false });
    t.teardown(() => app.close());
    return { paired, edge, app, cookies: {}, tokens: {} };
  };
  const viaEdge = await open('edge-village');
  const viaPhone = await open('phone-village');
  await waitFor('accounts at the cloud', async () => (await rig.cloud.data.accounts.usersVersion(viaPhone.paired.villageId))?.users === PARITY_ACCOUNTS.length);
  for (const v of [viaEdge, viaPhone]) {
    for (const { username } of PARITY_ACCOUNTS) {
      const login = await v.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password: passwordOf(username) } });
      if (login.statusCode !== 200) throw new Error(`edge login of ${username}: ${login.body}`);
      v.cookies[username] = String(login.headers['set-cookie']).split(';')[0]!;
    }
  }
  const phoneBase = `/api/v1/villages/${viaPhone.paired.villageId}`;
  for (const { username } of PARITY_ACCOUNTS) {
    const r = await http(rig, 'POST', `${phoneBase}/login`, { body: { username, password: passwordOf(username) } });
    if (r.status !== 200) throw new Error(`phone login of ${username}: ${r.text}`);
    viaPhone.tokens[username] = r.json.token;
  }
  const jpeg = await smallJpeg();
  const cloudNode = (await rig.cloud.data.village(viaPhone.paired.villageId))!.node;
  const store = rig.cloud.data;
  const villageId = viaPhone.paired.villageId;

  const run = async (v: Village, phone: boolean): Promise<ParityRun> => {
    const norm = new Normaliser();
    const saved = new Map<string, string>();
    const outcomes: StepOutcome[] = [];
    const edgeStore = v.edge.gov.store;
    // Ops committed in this village so far: both sides must hold them all before a step reads state.
    let committed = edgeStore.opCount();
    const settled = () => (phone ? waitFor('sync both ways', async () => (await store.opCount(villageId)) === committed && edgeStore.opCount() === committed) : Promise.resolve());
    for (const step of steps) {
      await settled();
      const onPhone = phone && !('edgeOnly' in step && step.edgeOnly);
      const seqBefore = onPhone ? await store.opCount(villageId, cloudNode) : edgeStore.lastLocalSeq();
      let answer: Answer;
      if ('upload' in step) {
        if (onPhone) {
          const form = new FormData();
          form.append('file', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg');
          const res = await fetch(`http://127.0.0.1:${rig.cloud.httpPort}${phoneBase}/media`, { method: 'POST', headers: { authorization: `Bearer ${v.tokens[step.as]}` }, body: form });
          answer = { status: res.status, json: await res.json() };
        } else {
          const form = multipart('file', 'photo.jpg', 'image/jpeg', jpeg);
          const res = await v.app.inject({ method: 'POST', url: '/api/media', headers: { ...form.headers, cookie: v.cookies[step.as]! }, payload: form.payload });
          answer = { status: res.statusCode, json: res.json() };
        }
        if (answer.status !== 201) throw new Error(`upload failed: ${JSON.stringify(answer.json)}`);
        saved.set(step.upload, answer.json.media.id);
        norm.id(answer.json.media.id);
        outcomes.push({ step: label(step), status: answer.status, code: null, ops: [] });
        continue;
      }
      const path = fill(onPhone && step.phonePath ? step.phonePath : step.path, saved);
      const body = step.body === undefined ? undefined : fillBody(step.body, saved);
      if (onPhone) {
        const r = await http(rig, step.method, `${phoneBase}${path}`, { token: v.tokens[step.as], body });
        answer = { status: r.status, json: r.json };
      } else {
        answer = await edgeCall(v, step.as, step.method, `/api${path}`, body);
      }
      const ops = onPhone ? await store.opsAfter(villageId, cloudNode, seqBefore, 1000) : edgeStore.localOpsAfter(seqBefore, 1000);
      committed += ops.length;
      if (step.save && answer.status < 300) {
        const entity = Object.values(answer.json as Record<string, unknown>).find((x): x is { id: string } => !!x && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string');
        if (!entity) throw new Error(`${label(step)}: nothing to save in ${JSON.stringify(answer.json)}`);
        saved.set(step.save, entity.id);
      }
      outcomes.push({ step: label(step), status: answer.status, code: answer.status >= 400 ? (answer.json?.error?.code ?? null) : null, ops: ops.map((op) => norm.op(op)) });
    }
    await settled();
    const states: Record<string, unknown[]> = {};
    for (const kind of kinds) {
      const list = phone ? await store.list<EntityBase>(villageId, kind) : edgeStore.list<EntityBase>(kind);
      states[kind] = list
        .filter((s) => s.exists)
        .map((s) => norm.value((AS_THE_CLOUD_KEEPS[kind] ?? ((x) => x))(s)) as { id: string })
        .sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
    }
    return { steps: outcomes, states };
  };

  const edge = await run(viaEdge, false);
  const phone = await run(viaPhone, true);
  return { edge, phone };
}

/** Asserts both runs answered, committed and ended alike, step by step (so a failure names the step). */
export function assertParity(t: Test, r: ParityResult, expected: readonly ParityStep[]): void {
  t.equal(r.phone.steps.length, r.edge.steps.length, 'both runs took every step');
  r.edge.steps.forEach((e, i) => {
    const p = r.phone.steps[i]!;
    const want = expected[i]!;
    if (!('upload' in want)) t.equal(e.status, want.status, `${e.step}: the edge answers ${want.status}`);
    t.same(p, e, `${e.step}: same answer and same ops on both`);
  });
  for (const kind of Object.keys(r.edge.states)) t.same(r.phone.states[kind], r.edge.states[kind], `${kind}: the same states`);
}
