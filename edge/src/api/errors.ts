import type { FastifyError } from 'fastify';
import { CunboxError, errorTable, type ErrorCode } from '../errors.ts';

export interface ApiError {
  status: number;
  code: ErrorCode;
  message: string;
  details?: string[];
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'MALFORMED_REQUEST',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'INVALID_INPUT',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

const BY_STATUS: Record<number, ErrorCode> = { 400: 'MALFORMED_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 429: 'RATE_LIMITED' };

/**
 * Every error the API returns goes through here, so each response carries a
 * code from the one error table (`edge/src/errors.ts`). Unknown errors become
 * INTERNAL without their message (it might hold a path or a value).
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof CunboxError) return { status: errorTable[err.code].status, code: err.code, message: err.message, details: err.details.length ? [...err.details] : undefined };
  const e = err as FastifyError & { validation?: Array<{ instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }>; validationContext?: string };
  if (e.validation) {
    const where = e.validationContext ?? 'request';
    const details = e.validation.map((v) => {
      const path = `${where}${v.instancePath.replace(/\//g, '.')}`;
      if (v.keyword === 'additionalProperties') return `${path}: unknown field "${String(v.params.additionalProperty)}"`;
      if (v.keyword === 'required') return `${path}: missing field "${String(v.params.missingProperty)}"`;
      return `${path}: ${v.message ?? 'is invalid'}`;
    });
    return { status: 400, code: 'INVALID_INPUT', message: `invalid ${where}: ${details[0] ?? ''}`, details };
  }
  const mapped = (e.code && FASTIFY_CODES[e.code]) || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? BY_STATUS[e.statusCode] ?? 'MALFORMED_REQUEST' : undefined);
  if (mapped) {
    const message = mapped === 'MALFORMED_REQUEST' && /JSON/i.test(e.message) ? 'malformed JSON body' : e.message;
    return { status: errorTable[mapped].status, code: mapped, message };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}
