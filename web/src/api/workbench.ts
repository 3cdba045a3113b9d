// The secretary's workbench beyond tickets and certificates: help requests and residents,
// party building, accounts, tokens, audit and health, evidence exports and holds. One
// function per edge endpoint, each a call of the typed client, as in endpoints.ts.
import { body, edge, type Body, type Query, type Reply, type Schemas } from './edge-client.ts';
import { timeline } from './endpoints.ts';

export type HelpRequest = Schemas['HelpRequest'];
export type HelpType = Schemas['HelpType'];
export type { HistoryEntry } from './endpoints.ts';
export type ResidentView = Schemas['Resident'];
export type ResidentStats = Reply<'/api/residents/stats'>;
export type PointsRule = Schemas['PointsRule'];
export type PartyMemberState = Schemas['PartyMember'];
export type PartySessionState = Schemas['PartySession'];
export type PointClaimState = Schemas['Claim'];
export type RankRow = Schemas['Ranking']['ranking'][number];
export type DuesRow = Reply<'/api/party/dues'>['dues'][number];
export type ApiToken = Schemas['Token'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditVerification = Reply<'/api/audit/verify'>;
/** One check of `cunbox doctor`, in the language asked for (GET /api/system/doctor). */
export type DoctorCheck = Reply<'/api/system/doctor'>['results'][number];
export type Health = Reply<'/api/health'>;
export type ExportJob = Schemas['ExportJob'];
export type Hold = Schemas['Hold'];

interface HelpActionBodies {
  assign: Body<'/api/help-requests/{id}/assign'>;
  start: Body<'/api/help-requests/{id}/start'>;
  resolve: Body<'/api/help-requests/{id}/resolve'>;
  close: Body<'/api/help-requests/{id}/close'>;
  cancel: Body<'/api/help-requests/{id}/cancel'>;
  followups: Body<'/api/help-requests/{id}/followups'>;
}
export type HelpAction = keyof HelpActionBodies;
const helpActions: { [A in HelpAction]: (id: string, b: HelpActionBodies[A]) => Promise<{ request: HelpRequest }> } = {
  assign: (id, b) => body(edge.POST('/api/help-requests/{id}/assign', { params: { path: { id } }, body: b })),
  start: (id, b) => body(edge.POST('/api/help-requests/{id}/start', { params: { path: { id } }, body: b })),
  resolve: (id, b) => body(edge.POST('/api/help-requests/{id}/resolve', { params: { path: { id } }, body: b })),
  close: (id, b) => body(edge.POST('/api/help-requests/{id}/close', { params: { path: { id } }, body: b })),
  cancel: (id, b) => body(edge.POST('/api/help-requests/{id}/cancel', { params: { path: { id } }, body: b })),
  followups: (id, b) => body(edge.POST('/api/help-requests/{id}/followups', { params: { path: { id } }, body: b })),
};

interface ClaimActionBodies {
  approve: Body<'/api/party/claims/{id}/approve'>;
  reject: Body<'/api/party/claims/{id}/reject'>;
  withdraw: Body<'/api/party/claims/{id}/withdraw'>;
}
export type ClaimAction = keyof ClaimActionBodies;
const claimActions: { [A in ClaimAction]: (id: string, b: ClaimActionBodies[A]) => Promise<{ claim: PointClaimState }> } = {
  approve: (id, b) => body(edge.POST('/api/party/claims/{id}/approve', { params: { path: { id } }, body: b })),
  reject: (id, b) => body(edge.POST('/api/party/claims/{id}/reject', { params: { path: { id } }, body: b })),
  withdraw: (id, b) => body(edge.POST('/api/party/claims/{id}/withdraw', { params: { path: { id } }, body: b })),
};

export const work = {
  helpTypes: () => body(edge.GET('/api/help-types')),
  helpRequests: (status?: Query<'/api/help-requests'>['status']) => body(edge.GET('/api/help-requests', { params: { query: { status } } })),
  helpRequest: (id: string) => body(edge.GET('/api/help-requests/{id}', { params: { path: { id } } })),
  helpHistory: (id: string) => body(edge.GET('/api/help-requests/{id}/history', { params: { path: { id } } })),
  askHelp: (b: Body<'/api/help-requests'>) => body(edge.POST('/api/help-requests', { body: b })),
  /** Whom a help request may be handed to. */
  helpAssignees: () => body(edge.GET('/api/help-assignees')),
  helpAction: <A extends HelpAction>(id: string, action: A, b: HelpActionBodies[A]) => helpActions[action](id, b),

  /** Masked as for someone without access: nothing revealed, nothing audited. */
  residents: (gridWorker?: string) => body(edge.GET('/api/residents', { params: { query: { masked: true, gridWorker } } })),
  /** The full record (for those allowed): the edge audits this read. */
  resident: (id: string) => body(edge.GET('/api/residents/{id}', { params: { path: { id } } })),
  residentStats: () => body(edge.GET('/api/residents/stats')),
  createResident: (b: Body<'/api/residents'>) => body(edge.POST('/api/residents', { body: b })),

  members: () => body(edge.GET('/api/party/members')),
  pointsRules: () => body(edge.GET('/api/party/points-rules')),
  ranking: (period?: string) => body(edge.GET('/api/party/ranking', { params: { query: { period } } })),
  claims: (status?: Query<'/api/party/claims'>['status']) => body(edge.GET('/api/party/claims', { params: { query: { status } } })),
  claim: (b: Body<'/api/party/claims'>) => body(edge.POST('/api/party/claims', { body: b })),
  claimAction: <A extends ClaimAction>(id: string, action: A, b: ClaimActionBodies[A]) => claimActions[action](id, b),
  sessions: () => body(edge.GET('/api/party/sessions')),
  createSession: (b: Body<'/api/party/sessions'>) => body(edge.POST('/api/party/sessions', { body: b })),
  checkIn: (id: string, b: Body<'/api/party/sessions/{id}/checkin'>) => body(edge.POST('/api/party/sessions/{id}/checkin', { params: { path: { id } }, body: b })),
  dues: () => body(edge.GET('/api/party/dues')),
  payDues: (id: string, b: Body<'/api/party/members/{id}/dues'>) => body(edge.POST('/api/party/members/{id}/dues', { params: { path: { id } }, body: b })),

  createUser: (b: Body<'/api/users'>) => body(edge.POST('/api/users', { body: b })),
  updateUser: (id: number, b: Body<'/api/users/{id}', 'patch'>) => body(edge.PATCH('/api/users/{id}', { params: { path: { id } }, body: b })),
  setPassword: (id: number, password: string) => body(edge.PUT('/api/users/{id}/password', { params: { path: { id } }, body: { password } })),

  tokens: () => body(edge.GET('/api/tokens')),
  createToken: (name: string, expiresInDays?: number) => body(edge.POST('/api/tokens', { body: { name, expiresInDays } })),
  revokeToken: (id: number) => body(edge.DELETE('/api/tokens/{id}', { params: { path: { id } } })),

  audit: (q: Query<'/api/audit'>) => body(edge.GET('/api/audit', { params: { query: q } })),
  verifyAudit: () => body(edge.GET('/api/audit/verify')),
  health: () => body(edge.GET('/api/health')),
  doctor: (lang: 'zh' | 'en') => body(edge.GET('/api/system/doctor', { params: { query: { lang } } })),
};

export const video = {
  timeline,
  exports: () => body(edge.GET('/api/exports')),
  exportJob: (id: number) => body(edge.GET('/api/exports/{id}', { params: { path: { id } } })),
  // Times in a body are strings (epoch ms or ISO 8601): the edge does not coerce them.
  createExport: (b: { cameraIds: number[]; from: number; to: number; reason: string }) => body(edge.POST('/api/exports', { body: { ...b, from: String(b.from), to: String(b.to) } })),
  exportAction: (id: number, action: 'cancel' | 'retry') =>
    body(action === 'cancel' ? edge.POST('/api/exports/{id}/cancel', { params: { path: { id } } }) : edge.POST('/api/exports/{id}/retry', { params: { path: { id } } })),
  manifestUrl: (id: number) => `/api/exports/${id}/manifest.json`,
  exportFileUrl: (id: number, cameraId: number) => `/api/exports/${id}/cameras/${cameraId}.mp4`,
  holds: () => body(edge.GET('/api/holds')),
  addHold: (b: { cameraId: number; from: number; to: number; reason: string }) => body(edge.POST('/api/holds', { body: { ...b, from: String(b.from), to: String(b.to) } })),
  releaseHold: (id: number) => body(edge.POST('/api/holds/{id}/release', { params: { path: { id } } })),
};
