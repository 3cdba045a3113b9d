/** What of a certificate a viewer sees, on the edge's API and the phone API alike. */
import { CERTIFICATE_REVIEWERS } from '../../auth/permissions.ts';
import { certificateIdNumber, type CertificateState } from '../certificate.ts';
import type { ResidentState } from '../help.ts';
import { maskIdNumber } from '../mask.ts';
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
