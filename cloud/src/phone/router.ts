/**
 * How phone route modules add their routes (the only way, so none can skip the
 * access check), and the caller's bearer token. api.ts implements the router.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteAccess } from '@cunbox/shared';
import type { Call, Village } from './context.ts';

interface PhoneRoute<B, Q, P> {
  method: 'GET' | 'POST';
  /** Below PHONE_PREFIX, e.g. '/tickets/:id'. */
  url: string;
  /** A permission of the shared table, or 'authenticated' (any signed-in user of the village). */
  access: Exclude<RouteAccess, 'public'>;
  body?: object;
  query?: object;
  /** Path parameters besides villageId. */
  params?: Record<string, object>;
  status?: number;
  /** One file as multipart/form-data field "file", at most this many bytes; the handler gets `{data}` as its body. */
  upload?: { maxBytes: number };
  /** Takes an Idempotency-Key: a repeat of the same key by the same user gets the first answer again (idempotency.ts). */
  idempotent?: boolean;
  /** For the OpenAPI document: what it does, and what it answers (at `status`, default 200). */
  summary: string;
  reply: object;
  handler: (call: Call<B, Q, P>, village: Village, reply: FastifyReply) => unknown;
}

interface PublicRoute<B> {
  url: string;
  body: object;
  summary: string;
  reply: object;
  handler: (call: { villageId: number; body: B; ip: string }, reply: FastifyReply) => Promise<unknown>;
}

/** How route modules add routes: the only way, so none can skip the access check. */
export interface PhoneRouter {
  route<B = unknown, Q = unknown, P = Record<string, string>>(r: PhoneRoute<B, Q, P>): void;
  publicPost<B>(r: PublicRoute<B>): void;
}

export const bearer = (req: FastifyRequest): string => {
  const h = req.headers.authorization ?? '';
  return h.startsWith('Bearer ') ? h.slice(7).trim() : '';
};
