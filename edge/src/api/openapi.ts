import { COMPONENTS } from './replies.ts';
import type { Api } from './route-context.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A multipart upload: the form field that carries the file (documented as the request body). */
    upload?: { field: string; description: string };
  }
}

/** Named reply shapes (replies.ts) become #/components/schemas/<name>. */
export function addComponents(app: Api): void {
  for (const c of COMPONENTS) app.addSchema(c);
}

/**
 * For @fastify/swagger's transform: an upload's file field becomes a
 * multipart/form-data request body (in the document only: the handler reads
 * the file with req.file(), so fastify validates no body).
 */
export function withUploadBody(schema: Record<string, unknown>, config: unknown): Record<string, unknown> {
  const upload = (config as { upload?: { field: string; description: string } } | undefined)?.upload;
  if (!upload) return schema;
  return { ...schema, consumes: ['multipart/form-data'], body: { type: 'object', required: [upload.field], properties: { [upload.field]: { type: 'string', format: 'binary', description: upload.description } } } };
}
