// The secretary's workbench beyond tickets and certificates: help requests and residents,
// party building, accounts, tokens, audit and health, evidence exports and holds. One
// function per edge endpoint, as in endpoints.ts (type-only imports from the edge and shared/).
import type { ClaimStatus, HelpRequestState, HelpStatus, PartyMemberState, PartySessionState, PointClaimState, RankRow, ResidentView, SessionType } from '../../../shared/src/index.ts';
import type { AuditEntry, AuditVerification } from '../../../edge/src/api/audit.ts';
import type { TokenInfo as ApiToken } from '../../../edge/src/api/auth.ts';
import type { Role } from '../../../shared/src/auth/roles.ts';
import { http, request } from './client.ts';
import { body, edge } from './edge-client.ts';
import type { paths } from '../../../scripts/openapi/generated/edge.d.ts';
import type { User } from './endpoints.ts';

export type HelpRequest = HelpRequestState & { residentName: string | null };
export type { ApiToken, ResidentView, AuditEntry, RankRow, PartyMemberState, PartySessionState, PointClaimState };
export interface HelpType {
  id: string;
  name: string;
  active: boolean;
}
export interface HistoryEntry {
  id: string;
  hlc: string;
  actor: string | null;
  type: string;
  payload: Record<string, unknown>;
}
export interface ResidentStats {
  residents: number;
  dibao: number;
  disabled: number;
  elderly: number;
}
export interface PointsRule {
  id: string;
  name: string;
  points: number;
  selfClaim: boolean;
  active: boolean;
}
export interface DuesRow {
  memberId: string;
  name: string;
  branch: string;
  standardFen: number;
  lastPaidMonth: string | null;
  monthsOwed: string[];
  owedFen: number;
}
/** Replies as the edge publishes them (its OpenAPI document). */
type Reply<P extends keyof paths> = paths[P] extends { get: { responses: { 200: { content: { 'application/json': infer R } } } } } ? R : never;
/** One check of `cunbox doctor`, in the language asked for (GET /api/system/doctor). */
export type DoctorCheck = Reply<'/api/system/doctor'>['results'][number];
export type Health = Reply<'/api/health'>;
export type HelpAction = 'assign' | 'start' | 'resolve' | 'close' | 'cancel' | 'followups';

const id = encodeURIComponent;

export const work = {
  helpTypes: () => http.get<{ types: HelpType[] }>('/api/help-types'),
  helpRequests: (status?: HelpStatus) => http.get<{ requests: HelpRequest[] }>('/api/help-requests', { status }),
  helpRequest: (rid: string) => http.get<{ request: HelpRequest }>(`/api/help-requests/${id(rid)}`),
  helpHistory: (rid: string) => http.get<{ history: HistoryEntry[] }>(`/api/help-requests/${id(rid)}/history`),
  askHelp: (body: { type: string; residentId?: string; description?: string; urgent?: boolean }) => http.post<{ request: HelpRequest }>('/api/help-requests', body),
  helpAction: (rid: string, action: HelpAction, body: Record<string, unknown>) => http.post<{ request: HelpRequest }>(`/api/help-requests/${id(rid)}/${action}`, body),

  /** Masked as for someone without access: nothing revealed, nothing audited. */
  residents: (gridWorker?: string) => http.get<{ residents: ResidentView[] }>('/api/residents', { masked: true, gridWorker }),
  /** The full record (for those allowed): the edge audits this read. */
  resident: (rid: string) => http.get<{ resident: ResidentView }>(`/api/residents/${id(rid)}`),
  residentStats: () => http.get<ResidentStats>('/api/residents/stats'),
  createResident: (body: Record<string, unknown>) => http.post<{ resident: ResidentView }>('/api/residents', body),

  members: () => http.get<{ members: PartyMemberState[] }>('/api/party/members'),
  pointsRules: () => http.get<{ rules: PointsRule[] }>('/api/party/points-rules'),
  ranking: (period?: string) => http.get<{ period: string; ranking: RankRow[] }>('/api/party/ranking', { period }),
  claims: (status?: ClaimStatus) => http.get<{ claims: PointClaimState[] }>('/api/party/claims', { status }),
  claim: (body: { ruleCode: string; description: string; date: string; quantity?: number }) => http.post<{ claim: PointClaimState }>('/api/party/claims', body),
  claimAction: (cid: string, action: 'approve' | 'reject' | 'withdraw', body: Record<string, unknown>) => http.post<{ claim: PointClaimState }>(`/api/party/claims/${id(cid)}/${action}`, body),
  sessions: () => http.get<{ sessions: PartySessionState[] }>('/api/party/sessions'),
  createSession: (body: { sessionType: SessionType; title: string; branch: string; startAt: number; location?: string; remoteAllowed?: boolean }) => http.post<{ session: PartySessionState }>('/api/party/sessions', body),
  checkIn: (sid: string, body: { mode: 'onsite' | 'remote'; memberId?: string }) => http.post<{ session: PartySessionState }>(`/api/party/sessions/${id(sid)}/checkin`, body),
  dues: () => http.get<{ dues: DuesRow[] }>('/api/party/dues'),
  payDues: (mid: string, body: { months: string[]; amountFen: number }) => http.post<{ member: PartyMemberState }>(`/api/party/members/${id(mid)}/dues`, body),

  createUser: (body: { username: string; password: string; role: Role; displayName?: string }) => http.post<{ user: User }>('/api/users', body),
  updateUser: (uid: number, body: { role?: Role; disabled?: boolean; displayName?: string | null }) => http.patch<{ user: User }>(`/api/users/${uid}`, body),
  setPassword: (uid: number, password: string) => http.put<{ ok: true }>(`/api/users/${uid}/password`, { password }),

  tokens: () => http.get<{ tokens: ApiToken[] }>('/api/tokens'),
  createToken: (name: string, expiresInDays?: number) => http.post<{ id: number; name: string; token: string; expiresAt: number | null }>('/api/tokens', { name, expiresInDays }),
  revokeToken: (tid: number) => request<{ ok: true }>('DELETE', `/api/tokens/${tid}`),

  audit: (q: { action?: string; actor?: string; beforeId?: number; limit?: number }) => http.get<{ entries: AuditEntry[] }>('/api/audit', q),
  verifyAudit: () => http.get<AuditVerification>('/api/audit/verify'),
  health: () => body(edge.GET('/api/health')),
  doctor: (lang: 'zh' | 'en') => body(edge.GET('/api/system/doctor', { params: { query: { lang } } })),
};

export type { ExportJob } from '../../../edge/src/playback/exports.ts';
export type { Hold } from '../../../edge/src/storage/holds.ts';
import type { ExportJob as Job } from '../../../edge/src/playback/exports.ts';
import type { Hold as HoldRow } from '../../../edge/src/storage/holds.ts';
import type { TimelineCamera } from './endpoints.ts';

export const video = {
  timeline: (from: number, to: number, cameraIds: number[]) => http.get<{ from: number; to: number; cameras: TimelineCamera[] }>('/api/timeline', { from, to, cameras: cameraIds.join(',') }),
  exports: () => http.get<{ exports: Job[] }>('/api/exports'),
  exportJob: (eid: number) => http.get<{ export: Job }>(`/api/exports/${eid}`),
  // Times in a body are strings (epoch ms or ISO 8601): bodies are not coerced.
  createExport: (b: { cameraIds: number[]; from: number; to: number; reason: string }) => http.post<{ export: Job }>('/api/exports', { ...b, from: String(b.from), to: String(b.to) }),
  exportAction: (eid: number, action: 'cancel' | 'retry') => http.post<{ export: Job }>(`/api/exports/${eid}/${action}`),
  manifestUrl: (eid: number) => `/api/exports/${eid}/manifest.json`,
  exportFileUrl: (eid: number, cameraId: number) => `/api/exports/${eid}/cameras/${cameraId}.mp4`,
  holds: () => http.get<{ holds: HoldRow[] }>('/api/holds'),
  addHold: (b: { cameraId: number; from: number; to: number; reason: string }) => http.post<{ hold: HoldRow }>('/api/holds', { ...b, from: String(b.from), to: String(b.to) }),
  releaseHold: (hid: number) => http.post<{ hold: HoldRow }>(`/api/holds/${hid}/release`),
};
