import type { EntityBase, Op } from '../oplog/types.ts';
import { maskIdNumber } from '../governance/mask.ts';

/**
 * Sensitive personal information (PIPL art. 28: 特定身份, 医疗健康) per entity
 * kind: the state fields, and the same names in the payloads of that kind's ops
 * (at the top level or under `fields`). Both sides encrypt these at rest.
 */
export const SENSITIVE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  resident: ['idNumber', 'phone', 'dibao', 'disabled', 'elderly', 'notes'],
  certificate: ['idNumber'],
  // What a 低保 or 残障 household asks for says as much about them as the flags do.
  help_request: ['description'],
};

/**
 * What the cloud never needs in full (minimum necessary): no phone screen shows
 * a full ID number, so the edge sends ID numbers masked (110101********1234).
 */
const MASKED_FOR_CLOUD: Readonly<Record<string, readonly string[]>> = {
  resident: ['idNumber'],
  certificate: ['idNumber'],
};

/** A masked ID number, as `maskIdNumber` writes it: never put into a certificate. */
export function isMaskedId(id: string | null | undefined): boolean {
  return typeof id === 'string' && id.includes('*');
}

/** The op as the cloud receives it: fields it must not hold are masked. Pure; the op itself is not changed. */
export function minimiseOpForCloud(op: Op): Op {
  const names = MASKED_FOR_CLOUD[op.entityKind];
  if (!names) return op;
  return { ...op, payload: mapPayloadFields(op.payload, names, (v) => (typeof v === 'string' ? maskIdNumber(v) : v)) };
}

/** The state the cloud folds from minimised ops (masking an assigned field commutes with the fold). */
export function minimiseStateForCloud<S extends EntityBase>(state: S): S {
  const names = MASKED_FOR_CLOUD[state.kind];
  if (!names) return state;
  const out = { ...state } as Record<string, unknown>;
  for (const n of names) if (typeof out[n] === 'string') out[n] = maskIdNumber(out[n] as string);
  return out as S;
}

/** Applies `fn` to the named fields of a payload, at its top level and under `fields`; returns a copy when anything changed. */
export function mapPayloadFields(payload: Record<string, unknown>, names: readonly string[], fn: (v: unknown) => unknown): Record<string, unknown> {
  let out = payload;
  for (const n of names) {
    if (n in payload) {
      if (out === payload) out = { ...payload };
      out[n] = fn(payload[n]);
    }
  }
  const fields = payload.fields;
  if (fields !== null && typeof fields === 'object' && !Array.isArray(fields)) {
    const f = fields as Record<string, unknown>;
    let fo = f;
    for (const n of names) {
      if (n in f) {
        if (fo === f) fo = { ...f };
        fo[n] = fn(f[n]);
      }
    }
    if (fo !== f) out = { ...out, fields: fo };
  }
  return out;
}
