/** What of a certificate a viewer sees, on the edge's API and the phone API alike. */
import { CERTIFICATE_REVIEWERS } from '../../auth/permissions.ts';
import { certificateIdNumber, type CertificateState } from '../certificate.ts';
import type { ResidentState } from '../help.ts';
import { maskIdNumber, maskName } from '../mask.ts';
import type { Viewer } from '../viewer.ts';

/** Reviewers read the ID number in full (audited), except on the phone API (`maskIdAlways`). */
export function seesFullIdNumber(viewer: Viewer, opts: { maskIdAlways?: boolean } = {}): boolean {
  return !opts.maskIdAlways && CERTIFICATE_REVIEWERS.has(viewer.role);
}

/** The ID number (its own, else the profile's) in full only for those who see it; masked for everyone else, the applicant included. */
export function certificateView(c: CertificateState, profile: ResidentState | undefined, viewer: Viewer, opts: { maskIdAlways?: boolean } = {}): CertificateState {
  const idNumber = certificateIdNumber(c, profile);
  return { ...c, idNumber: seesFullIdNumber(viewer, opts) ? idNumber : maskIdNumber(idNumber) };
}

/** What the public verification page shows of a certificate: enough to match the paper, nothing more. */
export interface Verification {
  valid: boolean;
  status: 'approved' | 'revoked';
  type: string | null;
  /** The holder's name, masked: anyone holding the paper may check it. */
  holder: string;
  issuedAt: number | null;
  revokedAt: number | null;
}

/** A code as printed (groups of four with dashes, any case) as it is stored. */
export function normalVerificationCode(code: string): string {
  return code.toUpperCase().replace(/-/g, '');
}

/**
 * The public answer for a certificate found by its code; undefined where the
 * certificate was never issued (a request or a rejection is not a certificate).
 */
export function certificateVerification(c: CertificateState | undefined): Verification | undefined {
  if (!c || (c.status !== 'approved' && c.status !== 'revoked')) return undefined;
  return { valid: c.status === 'approved', status: c.status, type: c.typeName, holder: maskName(c.applicantName), issuedAt: c.issuedAt, revokedAt: c.revokedAt };
}
