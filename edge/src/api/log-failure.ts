import type { FastifyRequest } from 'fastify';

/**
 * How an answered error is logged. A 503 says the box is not ready for this request
 * (a camera without a picture yet, a config section missing): the wall asks for 64
 * pictures every few seconds, so it is a warning with the reason, not an error with a
 * stack per request. Other 5xx are faults of the server; 4xx are the caller's.
 */
export function logFailure(req: FastifyRequest, err: unknown, status: number): void {
  const path = req.url.split('?')[0];
  if (status === 503) {
    const { code, message } = err as { code?: string; message?: string };
    req.log.warn({ code, reason: message, path }, 'request answered: unavailable');
  } else if (status >= 500) {
    req.log.error({ err, path }, 'request failed');
  }
}
