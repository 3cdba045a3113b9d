import type { Model } from '../oplog/fold.ts';
import { initState } from '../oplog/fold.ts';
import type { EntityBase, OpDraft } from '../oplog/types.ts';
import type { CertificateType } from './config.ts';
import type { ResidentState } from './help.ts';
import { obj, str } from './read.ts';
import { markCreated, opTime } from './time.ts';
import { applyReview, applyStatus, type Transitions } from './workflow.ts';

/** 证明开具: a resident asks, a cadre reviews, an approved certificate carries a verification code. */
export const CERTIFICATE_STATUSES = ['requested', 'under_review', 'approved', 'rejected', 'revoked'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export const CERTIFICATE_TRANSITIONS: Transitions<CertificateStatus> = {
  requested: ['under_review', 'approved', 'rejected'],
  under_review: ['approved', 'rejected'],
  // The applicant may correct and ask again.
  rejected: ['requested'],
  approved: ['revoked'],
  revoked: [],
};

export interface CertificateState extends EntityBase {
  type: string | null;
  typeName: string | null;
  /** The template as it was when requested, so a later edit of the type does not change issued certificates. */
  template: string;
  residentId: string | null;
  applicantName: string;
  idNumber: string | null;
  address: string | null;
  purpose: string;
  details: string;
  status: CertificateStatus;
  statusNote: string | null;
  reviewer: string | null;
  verificationCode: string | null;
  issuedAt: number | null;
  revokedAt: number | null;
}

export const certificateModel: Model<CertificateState> = {
  kind: 'certificate',
  init: (id) =>
    initState('certificate', id, {
      type: null,
      typeName: null,
      template: '',
      residentId: null,
      applicantName: '',
      idNumber: null,
      address: null,
      purpose: '',
      details: '',
      status: 'requested',
      statusNote: null,
      reviewer: null,
      verificationCode: null,
      issuedAt: null,
      revokedAt: null,
    }),
  apply(s, op) {
    const p = op.payload;
    switch (op.type) {
      case 'certificate.created':
      case 'certificate.updated': {
        if (op.type === 'certificate.created') markCreated(s, op);
        const fields = op.type === 'certificate.created' ? p : (obj(p.fields) ?? {});
        for (const k of ['type', 'typeName', 'template', 'applicantName', 'purpose', 'details'] as const) {
          const v = str(fields[k]);
          if (v !== null) s[k] = v;
        }
        for (const k of ['residentId', 'idNumber', 'address'] as const) if (k in fields) s[k] = str(fields[k]);
        break;
      }
      case 'certificate.status':
        if (applyStatus(s, op, CERTIFICATE_TRANSITIONS)) {
          s.statusNote = str(p.note);
          if (s.status === 'under_review' || s.status === 'approved' || s.status === 'rejected') s.reviewer = op.actor;
          if (s.status === 'approved') {
            s.verificationCode = str(p.verificationCode);
            s.issuedAt = opTime(op);
          }
          if (s.status === 'revoked') s.revokedAt = opTime(op);
          if (s.status === 'requested') {
            s.verificationCode = null;
            s.issuedAt = null;
          }
        }
        break;
      case 'certificate.reviewed':
        applyReview(s, op);
        break;
    }
    return s;
  },
};

/** What a certificate request names; the edge API and the phone API take the same fields. */
export interface CertificateRequest {
  type: string;
  residentId?: string;
  applicantName?: string;
  idNumber?: string;
  address?: string;
  purpose: string;
  details?: string;
}

/**
 * The op a request commits, on the edge or on the cloud: the type's name and
 * template and the profile's address are copied in, so a certificate reads the
 * same after the type or the profile changes. The profile's ID number is not:
 * the cloud holds it only masked, so a copy would differ by where the request
 * was made; a certificate without its own number shows and prints the
 * profile's (certificateIdNumber).
 */
export function certificateRequestDraft(id: string, type: CertificateType, profile: ResidentState | undefined, input: CertificateRequest, applicantName: string): OpDraft {
  return {
    entityKind: 'certificate',
    entityId: id,
    type: 'certificate.created',
    payload: {
      type: type.id,
      typeName: type.name,
      template: type.template,
      residentId: profile?.id ?? null,
      applicantName,
      idNumber: input.idNumber ?? null,
      address: input.address ?? profile?.address ?? null,
      purpose: input.purpose,
      details: input.details ?? '',
    },
  };
}

/** The ID number a certificate is for: its own (typed in the request), else its resident profile's. */
export function certificateIdNumber(c: Pick<CertificateState, 'idNumber' | 'residentId'>, profile: Pick<ResidentState, 'idNumber'> | undefined): string | null {
  return c.idNumber ?? (c.residentId ? (profile?.idNumber ?? null) : null);
}
