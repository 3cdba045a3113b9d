import {
  certificateRequestDraft,
  certificateIdNumber,
  type CertificateRequest,
  CERTIFICATE_TRANSITIONS,
  DEFAULT_CERTIFICATE_TYPES,
  maskName,
  newCode,
  type CertificateState,
  type CertificateType,
  type Op,
  type ResidentState,
} from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { defined, forbid, newEntityId, requireEntity, reviewDraft, statusDraft, type Actor, type GovContext } from './common.ts';
import { DEFAULT_CJK_FONT, renderCertificatePdf } from './pdf.ts';
import type { VillageIdentity } from './village.ts';

const REVIEWERS = new Set(['admin', 'cadre']);
/** 12 Crockford base32 characters: 60 bits, not guessable. */
export const VERIFICATION_CODE_LENGTH = 12;

export type { CertificateRequest };

/** What the public verification page shows: enough to match the paper, nothing more. */
export interface Verification {
  valid: boolean;
  status: 'approved' | 'revoked';
  type: string | null;
  holder: string;
  issuedAt: number | null;
  revokedAt: number | null;
}

/** 证明开具: request → review → approve (with a verification code) / reject; printable PDF. */
export class CertificateService {
  readonly #ctx: GovContext;
  readonly #fontPath: string;
  constructor(ctx: GovContext, opts: { fontPath?: string } = {}) {
    this.#ctx = ctx;
    this.#fontPath = opts.fontPath ?? DEFAULT_CJK_FONT;
  }

  types(): CertificateType[] {
    const stored = this.#ctx.store.list<CertificateType>('certificate_type');
    const codes = new Set([...Object.keys(DEFAULT_CERTIFICATE_TYPES), ...stored.map((c) => c.id)]);
    return [...codes].sort().map((code) => this.#ctx.store.getOrInit<CertificateType>('certificate_type', code));
  }

  setType(actor: Actor, code: string, fields: { name?: string; template?: string; active?: boolean }): CertificateType {
    const existing = this.#ctx.store.getOrInit<CertificateType>('certificate_type', code);
    if (!existing.exists && (fields.name === undefined || fields.template === undefined)) throw new CunboxError('INVALID_INPUT', 'a new certificate type needs a name and a template');
    this.#ctx.store.commit(actor.username, [{ entityKind: 'certificate_type', entityId: code, type: 'certificate_type.set', payload: { fields: defined(fields) } }]);
    return this.#ctx.store.getOrInit<CertificateType>('certificate_type', code);
  }

  /**
   * A resident asks for themselves (their linked profile fills name, ID number
   * and address); reviewers may ask on someone's behalf.
   */
  request(actor: Actor, input: CertificateRequest): CertificateState {
    const type = this.#ctx.store.getOrInit<CertificateType>('certificate_type', input.type);
    if (!type.exists || !type.active) throw new CunboxError('INVALID_INPUT', `type: no active certificate type ${input.type}`);
    let profile: ResidentState | undefined;
    if (input.residentId !== undefined) {
      profile = requireEntity<ResidentState>(this.#ctx, 'resident', input.residentId, 'resident');
      if (profile.username !== actor.username && !REVIEWERS.has(actor.role)) forbid('you can ask for certificates only for yourself');
    } else {
      profile = this.#ctx.store.list<ResidentState>('resident', { filter: "json_extract(state, '$.username') = ?", params: [actor.username], limit: 1 })[0];
    }
    const applicantName = input.applicantName ?? profile?.name;
    if (!applicantName) throw new CunboxError('INVALID_INPUT', 'applicantName: required when the account is not linked to a resident profile');
    const id = newEntityId(this.#ctx);
    this.#ctx.store.commit(actor.username, [certificateRequestDraft(id, type, profile, input, applicantName)]);
    return this.#require(id);
  }

  list(viewer: Actor, filter: { status?: string } = {}): CertificateState[] {
    const all = this.#ctx.store.list<CertificateState>('certificate', filter.status ? { filter: "json_extract(state, '$.status') = ?", params: [filter.status] } : {});
    return REVIEWERS.has(viewer.role) ? all : all.filter((c) => c.createdBy === viewer.username);
  }

  get(viewer: Actor, id: string): CertificateState {
    const c = this.#require(id);
    if (!REVIEWERS.has(viewer.role) && c.createdBy !== viewer.username) throw new CunboxError('NOT_FOUND', `no certificate ${id}`);
    return c;
  }

  history(viewer: Actor, id: string): Op[] {
    this.get(viewer, id);
    return this.#ctx.store.history('certificate', id);
  }

  startReview(actor: Actor, id: string): CertificateState {
    return this.#move(actor, id, 'under_review', {});
  }

  approve(actor: Actor, id: string, note?: string): CertificateState {
    // The code is made here, once, and travels in the op: every node shows the same code.
    return this.#move(actor, id, 'approved', { note: note ?? null, verificationCode: newCode(VERIFICATION_CODE_LENGTH) });
  }

  reject(actor: Actor, id: string, reason: string): CertificateState {
    return this.#move(actor, id, 'rejected', { note: reason });
  }

  revoke(actor: Actor, id: string, reason: string): CertificateState {
    return this.#move(actor, id, 'revoked', { note: reason });
  }

  /** The applicant corrects a rejected request and asks again. */
  resubmit(actor: Actor, id: string, fields: { purpose?: string; details?: string; address?: string }): CertificateState {
    const c = this.get(actor, id);
    if (c.createdBy !== actor.username) forbid('only the applicant can resubmit');
    const draft = statusDraft(c, CERTIFICATE_TRANSITIONS, 'requested', { note: null });
    this.#ctx.store.commit(actor.username, [{ entityKind: 'certificate', entityId: id, type: 'certificate.updated', payload: { fields: defined(fields) } }, draft]);
    return this.#require(id);
  }

  review(actor: Actor, id: string): CertificateState {
    this.#ctx.store.commit(actor.username, [reviewDraft(this.#require(id))]);
    return this.#require(id);
  }

  /** `village` null (no village in the config): UNAVAILABLE, after the certificate's own checks. */
  async pdf(viewer: Actor, id: string, village: VillageIdentity | null): Promise<Buffer> {
    const c = this.get(viewer, id);
    const profile = c.residentId ? this.#ctx.store.get<ResidentState>('resident', c.residentId) : undefined;
    return renderCertificatePdf({ ...c, idNumber: certificateIdNumber(c, profile) }, { fontPath: this.#fontPath, village });
  }

  /** Public check of a code printed on a certificate (as printed, with dashes, any case); undefined: no such certificate. */
  lookup(code: string): Verification | undefined {
    const normalised = code.toUpperCase().replace(/-/g, '');
    const c = this.#ctx.store.list<CertificateState>('certificate', { filter: "json_extract(state, '$.verificationCode') = ?", params: [normalised], limit: 1 })[0];
    if (!c || (c.status !== 'approved' && c.status !== 'revoked')) return undefined;
    return { valid: c.status === 'approved', status: c.status, type: c.typeName, holder: maskName(c.applicantName), issuedAt: c.issuedAt, revokedAt: c.revokedAt };
  }

  /** `lookup`, with unknown codes NOT_FOUND. */
  verify(code: string): Verification {
    const v = this.lookup(code);
    if (!v) throw new CunboxError('NOT_FOUND', 'no certificate with this code');
    return v;
  }

  #move(actor: Actor, id: string, to: 'under_review' | 'approved' | 'rejected' | 'revoked', extra: Record<string, unknown>): CertificateState {
    const c = this.#require(id);
    if (!REVIEWERS.has(actor.role)) forbid('only the village office reviews certificates');
    this.#ctx.store.commit(actor.username, [statusDraft(c, CERTIFICATE_TRANSITIONS, to, extra)]);
    return this.#require(id);
  }

  #require(id: string): CertificateState {
    return requireEntity<CertificateState>(this.#ctx, 'certificate', id, 'certificate');
  }
}
