import {
  certificateCommands as cmd,
  certificateIdNumber,
  certificateTypes,
  certificateView,
  certificateVerification,
  normalVerificationCode,
  visibleCertificate,
  canSeeCertificate,
  type CertificateRequest,
  type CertificateState,
  type CertificateType,
  type Op,
  type ResidentState,
  type Verification,
} from '@cunbox/shared';
import { CunboxError } from '../errors.ts';
import { execute, lookupsOf, requireEntity, type Actor, type GovContext } from './common.ts';
import { DEFAULT_CJK_FONT, renderCertificatePdf } from './pdf.ts';
import type { VillageIdentity } from './village.ts';

export type { CertificateRequest };

/** Whom the cloud's copy is rendered for: with maskIdAlways, nobody sees the full number. */
const CLOUD_COPY = { username: 'cloud', role: 'viewer' } as const;

/** 证明开具: request → review → approve (with a verification code) / reject; printable PDF. */
export class CertificateService {
  readonly #ctx: GovContext;
  readonly #fontPath: string;
  constructor(ctx: GovContext, opts: { fontPath?: string } = {}) {
    this.#ctx = ctx;
    this.#fontPath = opts.fontPath ?? DEFAULT_CJK_FONT;
  }

  types(): CertificateType[] {
    return certificateTypes(lookupsOf(this.#ctx));
  }

  setType(actor: Actor, code: string, fields: { name?: string; template?: string; active?: boolean }): CertificateType {
    execute(this.#ctx, cmd.setType, actor, code, fields);
    return this.#ctx.store.getOrInit<CertificateType>('certificate_type', code);
  }

  /** A resident asks for themselves (their linked profile fills name and address); reviewers may ask on someone's behalf. */
  request(actor: Actor, input: CertificateRequest): CertificateState {
    return this.#require(execute(this.#ctx, cmd.request, actor, input));
  }

  list(viewer: Actor, filter: { status?: string } = {}): CertificateState[] {
    const all = this.#ctx.store.list<CertificateState>('certificate', filter.status ? { filter: "json_extract(state, '$.status') = ?", params: [filter.status] } : {});
    return all.filter((c) => canSeeCertificate(viewer, c));
  }

  get(viewer: Actor, id: string): CertificateState {
    return visibleCertificate(lookupsOf(this.#ctx), viewer, id);
  }

  history(viewer: Actor, id: string): Op[] {
    this.get(viewer, id);
    return this.#ctx.store.history('certificate', id);
  }

  startReview(actor: Actor, id: string): CertificateState {
    return this.#require(execute(this.#ctx, cmd.startReview, actor, id));
  }

  approve(actor: Actor, id: string, note?: string): CertificateState {
    return this.#require(execute(this.#ctx, cmd.approve, actor, id, { note }));
  }

  reject(actor: Actor, id: string, reason: string): CertificateState {
    return this.#require(execute(this.#ctx, cmd.reject, actor, id, { reason }));
  }

  revoke(actor: Actor, id: string, reason: string): CertificateState {
    return this.#require(execute(this.#ctx, cmd.revoke, actor, id, { reason }));
  }

  /** The applicant corrects a rejected request and asks again. */
  resubmit(actor: Actor, id: string, fields: { purpose?: string; details?: string; address?: string }): CertificateState {
    return this.#require(execute(this.#ctx, cmd.resubmit, actor, id, fields));
  }

  review(actor: Actor, id: string): CertificateState {
    return this.#require(execute(this.#ctx, cmd.review, actor, id));
  }

  /** `village` null (no village in the config): UNAVAILABLE, after the certificate's own checks. */
  async pdf(viewer: Actor, id: string, village: VillageIdentity | null): Promise<Buffer> {
    const c = this.get(viewer, id);
    const profile = c.residentId ? this.#ctx.store.get<ResidentState>('resident', c.residentId) : undefined;
    return renderCertificatePdf({ ...c, idNumber: certificateIdNumber(c, profile) }, { fontPath: this.#fontPath, village });
  }

  /**
   * The copy phones download through the cloud: the ID number masked, as the
   * cloud holds it (it never receives a full one); the office prints the full
   * one with pdf(). Only for an approved certificate, as pdf().
   */
  async cloudPdf(id: string, village: VillageIdentity | null): Promise<Buffer> {
    const c = this.#require(id);
    const profile = c.residentId ? this.#ctx.store.get<ResidentState>('resident', c.residentId) : undefined;
    return renderCertificatePdf(certificateView(c, profile, CLOUD_COPY, { maskIdAlways: true }), { fontPath: this.#fontPath, village });
  }

  /** Public check of a code printed on a certificate (as printed, with dashes, any case); undefined: no such certificate. */
  lookup(code: string): Verification | undefined {
    const [c] = this.#ctx.store.list<CertificateState>('certificate', { filter: "json_extract(state, '$.verificationCode') = ?", params: [normalVerificationCode(code)], limit: 1 });
    return certificateVerification(c);
  }

  /** `lookup`, with unknown codes NOT_FOUND. */
  verify(code: string): Verification {
    const v = this.lookup(code);
    if (!v) throw new CunboxError('NOT_FOUND', 'no certificate with this code');
    return v;
  }

  #require(id: string): CertificateState {
    return requireEntity<CertificateState>(this.#ctx, 'certificate', id, 'certificate');
  }
}
