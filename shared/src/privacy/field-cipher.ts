import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EntityBase, Op } from '../oplog/types.ts';
import { mapPayloadFields, SENSITIVE_FIELDS } from './sensitive.ts';

const PREFIX = 'enc1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts the sensitive fields of governance states and op payloads before they
 * are written, and decrypts them when read (AES-256-GCM, a fresh IV per value,
 * the value's JSON inside). Other fields stay plain so SQL can still filter on
 * them (status, username, …). A value without the `enc1:` prefix is read as it
 * is: rows written before encryption was on stay readable until re-sealed.
 */
export class FieldCipher {
  readonly #key: Buffer;
  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('FieldCipher needs a 256-bit key');
    this.#key = key;
  }

  sealState<S extends EntityBase>(state: S): S {
    return this.#mapState(state, (v) => this.seal(v));
  }

  openState<S extends EntityBase>(state: S): S {
    return this.#mapState(state, (v) => this.open(v));
  }

  sealPayload(kind: string, payload: Record<string, unknown>): Record<string, unknown> {
    const names = SENSITIVE_FIELDS[kind];
    return names ? mapPayloadFields(payload, names, (v) => this.seal(v)) : payload;
  }

  openPayload(kind: string, payload: Record<string, unknown>): Record<string, unknown> {
    const names = SENSITIVE_FIELDS[kind];
    return names ? mapPayloadFields(payload, names, (v) => this.open(v)) : payload;
  }

  /** null stays null (nothing to hide); anything else becomes an `enc1:` string. */
  seal(value: unknown): unknown {
    if (value === null || value === undefined || isSealed(value)) return value;
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([c.update(JSON.stringify(value), 'utf8'), c.final()]);
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString('base64');
  }

  open(value: unknown): unknown {
    if (!isSealed(value)) return value;
    const raw = Buffer.from(value.slice(PREFIX.length), 'base64');
    const d = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    d.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return JSON.parse(Buffer.concat([d.update(raw.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8'));
    } catch {
      throw new Error('an encrypted field cannot be read with this key (was the data key replaced?)');
    }
  }

  #mapState<S extends EntityBase>(state: S, fn: (v: unknown) => unknown): S {
    const names = SENSITIVE_FIELDS[state.kind];
    if (!names) return state;
    const out = { ...state } as Record<string, unknown>;
    for (const n of names) if (n in out) out[n] = fn(out[n]);
    return out as S;
  }
}

function isSealed(v: unknown): v is string {
  return typeof v === 'string' && v.startsWith(PREFIX);
}

/** An op as read from storage, its sensitive payload fields decrypted (a store without a cipher keeps them as stored). */
export function openOp(cipher: FieldCipher | undefined, op: Op): Op {
  return cipher ? { ...op, payload: cipher.openPayload(op.entityKind, op.payload) } : op;
}

/** A state as stored (JSON text), its sensitive fields decrypted. */
export function parseStoredState<S extends EntityBase>(cipher: FieldCipher | undefined, text: string): S {
  const s = JSON.parse(text) as S;
  return cipher ? cipher.openState(s) : s;
}
