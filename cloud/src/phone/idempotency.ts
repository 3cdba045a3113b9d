/**
 * Repeated requests from a phone: the offline queue sends a report again when
 * it did not see the answer (the link dropped after the cloud committed). The
 * phone names each request with an `Idempotency-Key`; the first answer is kept
 * per village, user and key, and a repeat gets that answer again instead of a
 * second ticket. Kept for `REPLY_KEEP_MS`: longer than a phone's queue holds a
 * report in practice (a week without signal), pruned as new keys come.
 */
/** 30 days. */
export const REPLY_KEEP_MS = 30 * 24 * 3600_000;

/** The header, for the route's schema (checked there, documented in the OpenAPI): a UUID or any client key of letters, digits and - _ . : (8–80). */
export const IDEMPOTENCY_HEADERS = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', pattern: '^[A-Za-z0-9_.:-]{8,80}$', description: 'The same key again answers the first reply again (kept 30 days)' } },
};

export interface StoredReply {
  /** `POST /tickets`: a key sent again to another route is a client bug, not a repeat. */
  route: string;
  status: number;
  /** The reply as JSON. */
  body: string;
}

/** Where first answers are kept (the cloud's database, accounts.ts). */
export interface ReplyLog {
  get(villageId: number, username: string, key: string, since: number): StoredReply | undefined;
  /** Keeps the answer and drops those older than `prune`. */
  put(villageId: number, username: string, key: string, reply: StoredReply, at: number, prune: number): void;
}
