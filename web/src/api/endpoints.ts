// One function per edge endpoint the app uses, each a call of the typed client (edge-client.ts):
// paths, parameters, bodies and replies are the ones the edge publishes in its OpenAPI document.
import { body, edge, type Body, type Query, type Reply, type Schemas } from './edge-client.ts';

/** An account as the API shows it (never a password hash). */
export type User = Schemas['User'];
/** An account a ticket or help request may be assigned to (the edge applies the shared rule). */
export type Assignee = Schemas['Assignee'];
export type Ticket = Schemas['Ticket'];
/** One op of a ticket or help request, in order. */
export type HistoryEntry = Schemas['HistoryEntry'];
/** Ticket categories and certificate types: `id` is the code the API takes. */
export type Category = Schemas['TicketCategory'];
export type CertificateType = Schemas['CertificateType'];
export type Certificate = Schemas['Certificate'];
export type Announcement = Schemas['Announcement'];
export type Camera = Reply<'/api/cameras'>['cameras'][number];
export type TimelineCamera = Reply<'/api/timeline'>['cameras'][number];
/** What the public check of a code answers. */
export type Verification = Reply<'/api/public/certificates/{code}'>['verification'];
export type WebSettings = Reply<'/api/web/settings'>;
export type ScreenSummary = Reply<'/api/screen/summary'>['summary'];
export type ScreenCamera = ScreenSummary['cameras']['list'][number];

/** A recorded span or gap: [startMs, endMs]. */
type Interval = [number, number];
/** openapi-fetch reads the edge's [start, end] pairs (an array of exactly two) as number[]. */
const intervals = (xs: number[][]): Interval[] => xs.flatMap(([a, b]) => (a === undefined || b === undefined ? [] : [[a, b] satisfies Interval]));

/** Recorded spans, gaps and events of some cameras. Times in a query are strings (epoch ms or ISO 8601), as the edge documents them. */
export async function timeline(from: number, to: number, cameraIds: number[]): Promise<Reply<'/api/timeline'>> {
  const t = await body(edge.GET('/api/timeline', { params: { query: { from: String(from), to: String(to), cameras: cameraIds.join(',') } } }));
  return { ...t, cameras: t.cameras.map((c) => ({ ...c, recorded: intervals(c.recorded), gaps: intervals(c.gaps) })) };
}

interface TicketActionBodies {
  assign: Body<'/api/tickets/{id}/assign'>;
  start: Body<'/api/tickets/{id}/start'>;
  resolve: Body<'/api/tickets/{id}/resolve'>;
  confirm: Body<'/api/tickets/{id}/confirm'>;
  close: Body<'/api/tickets/{id}/close'>;
  reopen: Body<'/api/tickets/{id}/reopen'>;
  reject: Body<'/api/tickets/{id}/reject'>;
}
export type TicketAction = keyof TicketActionBodies;
const ticketActions: { [A in TicketAction]: (id: string, b: TicketActionBodies[A]) => Promise<{ ticket: Ticket }> } = {
  assign: (id, b) => body(edge.POST('/api/tickets/{id}/assign', { params: { path: { id } }, body: b })),
  start: (id, b) => body(edge.POST('/api/tickets/{id}/start', { params: { path: { id } }, body: b })),
  resolve: (id, b) => body(edge.POST('/api/tickets/{id}/resolve', { params: { path: { id } }, body: b })),
  confirm: (id, b) => body(edge.POST('/api/tickets/{id}/confirm', { params: { path: { id } }, body: b })),
  close: (id, b) => body(edge.POST('/api/tickets/{id}/close', { params: { path: { id } }, body: b })),
  reopen: (id, b) => body(edge.POST('/api/tickets/{id}/reopen', { params: { path: { id } }, body: b })),
  reject: (id, b) => body(edge.POST('/api/tickets/{id}/reject', { params: { path: { id } }, body: b })),
};

interface CertificateActionBodies {
  'start-review': Body<'/api/certificates/{id}/start-review'>;
  approve: Body<'/api/certificates/{id}/approve'>;
  reject: Body<'/api/certificates/{id}/reject'>;
  revoke: Body<'/api/certificates/{id}/revoke'>;
}
export type CertificateAction = keyof CertificateActionBodies;
const certificateActions: { [A in CertificateAction]: (id: string, b: CertificateActionBodies[A]) => Promise<{ certificate: Certificate }> } = {
  'start-review': (id, b) => body(edge.POST('/api/certificates/{id}/start-review', { params: { path: { id } }, body: b })),
  approve: (id, b) => body(edge.POST('/api/certificates/{id}/approve', { params: { path: { id } }, body: b })),
  reject: (id, b) => body(edge.POST('/api/certificates/{id}/reject', { params: { path: { id } }, body: b })),
  revoke: (id, b) => body(edge.POST('/api/certificates/{id}/revoke', { params: { path: { id } }, body: b })),
};

interface AnnouncementActionBodies {
  submit: Body<'/api/announcements/{id}/submit'>;
  publish: Body<'/api/announcements/{id}/publish'>;
  reject: Body<'/api/announcements/{id}/reject'>;
  withdraw: Body<'/api/announcements/{id}/withdraw'>;
}
export type AnnouncementAction = keyof AnnouncementActionBodies;
const announcementActions: { [A in AnnouncementAction]: (id: string, b: AnnouncementActionBodies[A]) => Promise<{ announcement: Announcement }> } = {
  submit: (id, b) => body(edge.POST('/api/announcements/{id}/submit', { params: { path: { id } }, body: b })),
  publish: (id, b) => body(edge.POST('/api/announcements/{id}/publish', { params: { path: { id } }, body: b })),
  reject: (id, b) => body(edge.POST('/api/announcements/{id}/reject', { params: { path: { id } }, body: b })),
  withdraw: (id, b) => body(edge.POST('/api/announcements/{id}/withdraw', { params: { path: { id } }, body: b })),
};

export const api = {
  settings: () => body(edge.GET('/api/web/settings')),
  login: (username: string, password: string) => body(edge.POST('/api/auth/login', { body: { username, password } })),
  logout: () => body(edge.POST('/api/auth/logout', { body: {} })),
  me: () => body(edge.GET('/api/auth/me')),
  users: () => body(edge.GET('/api/users')),

  ticketCategories: () => body(edge.GET('/api/ticket-categories')),
  tickets: (filter: Query<'/api/tickets'>) => body(edge.GET('/api/tickets', { params: { query: filter } })),
  ticket: (id: string) => body(edge.GET('/api/tickets/{id}', { params: { path: { id } } })),
  ticketHistory: (id: string) => body(edge.GET('/api/tickets/{id}/history', { params: { path: { id } } })),
  createTicket: (b: Body<'/api/tickets'>) => body(edge.POST('/api/tickets', { body: b })),
  /** Whom a dispatcher may give a ticket to. */
  ticketAssignees: () => body(edge.GET('/api/ticket-assignees')),
  ticketAction: <A extends TicketAction>(id: string, action: A, b: TicketActionBodies[A]) => ticketActions[action](id, b),
  comment: (id: string, text: string) => body(edge.POST('/api/tickets/{id}/comments', { params: { path: { id } }, body: { text } })),

  certificateTypes: () => body(edge.GET('/api/certificate-types')),
  certificates: (status?: Query<'/api/certificates'>['status']) => body(edge.GET('/api/certificates', { params: { query: { status } } })),
  certificateAction: <A extends CertificateAction>(id: string, action: A, b: CertificateActionBodies[A]) => certificateActions[action](id, b),
  requestCertificate: (b: Body<'/api/certificates'>) => body(edge.POST('/api/certificates', { body: b })),
  verify: (code: string) => body(edge.GET('/api/public/certificates/{code}', { params: { path: { code } } })),
  certificatePdfUrl: (id: string) => `/api/certificates/${encodeURIComponent(id)}/pdf`,

  announcements: (category?: Query<'/api/announcements'>['category']) => body(edge.GET('/api/announcements', { params: { query: { category } } })),
  createAnnouncement: (b: Body<'/api/announcements'>) => body(edge.POST('/api/announcements', { body: b })),
  announcementAction: <A extends AnnouncementAction>(id: string, action: A, b: AnnouncementActionBodies[A]) => announcementActions[action](id, b),

  cameras: () => body(edge.GET('/api/cameras')),
  timeline: (from: number, to: number, cameraId: number) => timeline(from, to, [cameraId]),
  liveUrl: (cameraId: number) => `/api/cameras/${cameraId}/live.mp4?stream=sub`,
  playbackUrl: (cameraId: number, from: number, to: number) => `/api/cameras/${cameraId}/playback.m3u8?from=${from}&to=${to}`,
  mediaUrl: (id: string) => `/api/media/${encodeURIComponent(id)}`,

  /** The office screen: trade the kiosk token from the URL fragment for an HttpOnly cookie. */
  kioskSession: (token: string) => body(edge.POST('/api/kiosk/session', { body: { token } })),
  screenSummary: () => body(edge.GET('/api/screen/summary')),
  screenStreamUrl: '/api/screen/stream',
  snapshotUrl: (cameraId: number) => `/api/cameras/${cameraId}/snapshot.jpg`,
};
