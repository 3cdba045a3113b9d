import { ReplyChecker, type OpenApiDoc } from './reply-check.ts';

const byServer = new Map<string, Promise<ReplyChecker>>();

/**
 * Throws when a reply of the cloud at `base` breaks the OpenAPI document that
 * cloud serves (status not listed, body not matching): the phone and operator
 * tests thereby hold the document to what the routes send.
 */
export async function assertDocumented(base: string, method: string, path: string, status: number, contentType: string | null, body: string): Promise<void> {
  let checker = byServer.get(base);
  if (!checker) {
    checker = fetch(`${base}/docs/json`).then(async (r) => new ReplyChecker((await r.json()) as OpenApiDoc));
    byServer.set(base, checker);
  }
  const wrong = (await checker).check(method, path, status, contentType ?? undefined, body);
  if (wrong) throw new Error(`the reply breaks the cloud's OpenAPI document: ${wrong}`);
}
