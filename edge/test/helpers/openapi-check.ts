import type { FastifyInstance } from 'fastify';
import { ReplyChecker, type OpenApiDoc } from '@cunbox/test-support/reply-check';

const byDocument = new Map<string, ReplyChecker>();
const byApp = new WeakMap<object, ReplyChecker>();

/** The checker of an app's own OpenAPI document (shared by apps that publish the same one). */
export function checkerFor(app: FastifyInstance<any, any, any, any, any>): ReplyChecker {
  let checker = byApp.get(app);
  if (!checker) {
    const doc = app.swagger() as unknown as OpenApiDoc;
    const key = JSON.stringify(doc);
    checker = byDocument.get(key) ?? new ReplyChecker(doc);
    byDocument.set(key, checker);
    byApp.set(app, checker);
  }
  return checker;
}
