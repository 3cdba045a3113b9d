import type { Op } from './types.ts';

/** An op as both the edge and the cloud store it in SQLite (one column per field, payload as JSON). */
export interface OpRow {
  id: string;
  origin: string;
  seq: number;
  hlc: string;
  actor: string;
  entity_kind: string;
  entity_id: string;
  type: string;
  payload: string;
}

export const opFromRow = (r: OpRow): Op => ({
  id: r.id,
  origin: r.origin,
  seq: r.seq,
  hlc: r.hlc,
  actor: r.actor,
  entityKind: r.entity_kind,
  entityId: r.entity_id,
  type: r.type,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
});
