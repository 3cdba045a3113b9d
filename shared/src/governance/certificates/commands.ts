/**
 * 证明开具: who may ask for whom, who reviews, which step follows which, as
 * commands the edge's CertificateService and the phone routes run.
 */
import { CERTIFICATE_REVIEWERS } from '../../auth/permissions.ts';
import { CunboxError } from '../../platform/errors.ts';
import { newCode } from '../../oplog/ids.ts';
import { DEFAULT_CERTIFICATE_TYPES, type CertificateType } from '../config.ts';
import { CERTIFICATE_TRANSITIONS, certificateRequestDraft, type CertificateRequest, type CertificateState } from '../certificate.ts';
import type { ResidentState } from '../help.ts';
import type { Viewer } from '../viewer.ts';
import { residentOf } from '../residents/commands.ts';
import { defined, forbid, invalid, requireEntity, reviewDraft, statusDraft, type Actor, type CommandResult, type GovernanceLookups } from '../command.ts';

type Look = GovernanceLookups;

/** 12 Crockford base32 characters: 60 bits, not guessable. */
const VERIFICATION_CODE_LENGTH = 12;

export function certificateTypes(look: Pick<Look, 'list' | 'getOrInit'>): CertificateType[] {
  const codes = new Set([...Object.keys(DEFAULT_CERTIFICATE_TYPES), ...look.list<CertificateType>('certificate_type').map((c) => c.id)]);
  return [...codes].sort().map((code) => look.getOrInit<CertificateType>('certificate_type', code));
}

/** Reviewers see every certificate; everyone else the ones they asked for. */
export function canSeeCertificate(viewer: Viewer, c: Pick<CertificateState, 'createdBy'>): boolean {
  return CERTIFICATE_REVIEWERS.has(viewer.role) || c.createdBy === viewer.username;
}

/** A certificate the viewer may see; one they may not is NOT_FOUND, as one that does not exist. */
export function visibleCertificate(look: Pick<Look, 'get'>, viewer: Viewer, id: string): CertificateState {
  const c = requireEntity<CertificateState>(look, 'certificate', id, 'certificate');
  if (!canSeeCertificate(viewer, c)) throw new CunboxError('NOT_FOUND', `no certificate ${id}`);
  return c;
}

function review(look: Look, actor: Actor, id: string, to: 'under_review' | 'approved' | 'rejected' | 'revoked', extra: Record<string, unknown>): CommandResult {
  const c = requireEntity<CertificateState>(look, 'certificate', id, 'certificate');
  if (!CERTIFICATE_REVIEWERS.has(actor.role)) forbid('only the village office reviews certificates');
  return { actor: actor.username, drafts: [statusDraft(c, CERTIFICATE_TRANSITIONS, to, extra)], entityId: id };
}

export const certificateCommands = {
  setType(look: Look, actor: Actor, code: string, fields: { name?: string; template?: string; active?: boolean }): CommandResult {
    const existing = look.getOrInit<CertificateType>('certificate_type', code);
    if (!existing.exists && (fields.name === undefined || fields.template === undefined)) invalid('a new certificate type needs a name and a template');
    return { actor: actor.username, drafts: [{ entityKind: 'certificate_type', entityId: code, type: 'certificate_type.set', payload: { fields: defined({ ...fields }) } }], entityId: code };
  },

  /** A resident asks for themselves (their linked profile fills name and address); reviewers may ask on someone's behalf. */
  request(look: Look, actor: Actor, input: CertificateRequest): CommandResult {
    const type = look.getOrInit<CertificateType>('certificate_type', input.type);
    if (!type.exists || !type.active) invalid(`type: no active certificate type ${input.type}`);
    let profile: ResidentState | undefined;
    if (input.residentId !== undefined) {
      profile = requireEntity<ResidentState>(look, 'resident', input.residentId, 'resident');
      if (profile.username !== actor.username && !CERTIFICATE_REVIEWERS.has(actor.role)) forbid('you can ask for certificates only for yourself');
    } else {
      profile = residentOf(look, actor.username);
    }
    const applicantName = input.applicantName ?? profile?.name;
    if (!applicantName) invalid('applicantName: required when the account is not linked to a resident profile');
    const id = look.newId();
    return { actor: actor.username, drafts: [certificateRequestDraft(id, type, profile, input, applicantName)], entityId: id };
  },

  startReview: (look: Look, actor: Actor, id: string) => review(look, actor, id, 'under_review', {}),
  // The code is made here, once, and travels in the op: every node shows the same code.
  approve: (look: Look, actor: Actor, id: string, input: { note?: string } = {}) => review(look, actor, id, 'approved', { note: input.note ?? null, verificationCode: newCode(VERIFICATION_CODE_LENGTH) }),
  reject: (look: Look, actor: Actor, id: string, input: { reason: string }) => review(look, actor, id, 'rejected', { note: input.reason }),
  revoke: (look: Look, actor: Actor, id: string, input: { reason: string }) => review(look, actor, id, 'revoked', { note: input.reason }),

  /** The applicant corrects a rejected request and asks again. */
  resubmit(look: Look, actor: Actor, id: string, fields: { purpose?: string; details?: string; address?: string }): CommandResult {
    const c = visibleCertificate(look, actor, id);
    if (c.createdBy !== actor.username) forbid('only the applicant can resubmit');
    const status = statusDraft(c, CERTIFICATE_TRANSITIONS, 'requested', { note: null });
    return { actor: actor.username, drafts: [{ entityKind: 'certificate', entityId: id, type: 'certificate.updated', payload: { fields: defined({ ...fields }) } }, status], entityId: id };
  },

  review(look: Look, actor: Actor, id: string): CommandResult {
    return { actor: actor.username, drafts: [reviewDraft(requireEntity<CertificateState>(look, 'certificate', id, 'certificate'))], entityId: id };
  },
};
