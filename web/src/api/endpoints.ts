// One function per edge endpoint the app uses, typed with the edge's own state types
// (type-only imports from shared/: nothing of it is bundled).
import type { AnnouncementCategory, AnnouncementState, CertificateState, CertificateType, TicketCategory, TicketState, TicketStatus } from '../../../shared/src/index.ts';
import type { User } from '../../../edge/src/auth/users.ts';
import type { Verification as EdgeVerification } from '../../../edge/src/governance/certificates.ts';
import type { ScreenCamera, ScreenSummary } from '../../../shared/src/governance/screen.ts';
import { http } from './client.ts';
import { body, edge } from './edge-client.ts';

/** An account as the API shows it (the edge's own type: never a password hash). */
export type { User, ScreenCamera, ScreenSummary };
export type Ticket = TicketState & { breached: boolean; open311Status: 'open' | 'closed' };
export interface HistoryEntry {
  id: string;
  hlc: string;
  actor: string | null;
  type: string;
  payload: Record<string, unknown>;
}
/** Ticket categories and certificate types: `id` is the code the API takes. */
export type Category = TicketCategory;
export type { CertificateType };
export interface Camera {
  id: number;
  name: string;
  zone: string | null;
  enabled: boolean;
}
export interface TimelineCamera {
  cameraId: number;
  recorded: Array<[number, number]>;
  gaps: Array<[number, number]>;
  events: Array<{ id: number; type: string; atMs: number }>;
}
/** What the public check of a code answers (the edge's own type, plus the issuer). */
export type Verification = EdgeVerification & { issuer: string | null };
export interface WebSettings {
  timeZone: string;
  village: string | null;
}

export type TicketAction = 'assign' | 'start' | 'resolve' | 'confirm' | 'close' | 'reopen' | 'reject';

export const api = {
  settings: () => body(edge.GET('/api/web/settings')),
  login: (username: string, password: string) => http.post<{ user: User }>('/api/auth/login', { username, password }),
  logout: () => http.post<{ ok: true }>('/api/auth/logout'),
  me: () => http.get<{ user: User }>('/api/auth/me'),
  users: () => http.get<{ users: User[] }>('/api/users'),

  ticketCategories: () => http.get<{ categories: Category[] }>('/api/ticket-categories'),
  tickets: (filter: { status?: TicketStatus; category?: string; breached?: boolean; mine?: boolean; assignee?: string }) => http.get<{ tickets: Ticket[] }>('/api/tickets', filter),
  ticket: (id: string) => http.get<{ ticket: Ticket }>(`/api/tickets/${encodeURIComponent(id)}`),
  ticketHistory: (id: string) => http.get<{ history: HistoryEntry[] }>(`/api/tickets/${encodeURIComponent(id)}/history`),
  createTicket: (body: { category: string; description: string; place?: string }) => http.post<{ ticket: Ticket }>('/api/tickets', body),
  ticketAction: (id: string, action: TicketAction, body: Record<string, unknown>) => http.post<{ ticket: Ticket }>(`/api/tickets/${encodeURIComponent(id)}/${action}`, body),
  comment: (id: string, text: string) => http.post<{ ticket: Ticket }>(`/api/tickets/${encodeURIComponent(id)}/comments`, { text }),

  certificateTypes: () => http.get<{ types: CertificateType[] }>('/api/certificate-types'),
  certificates: (status?: string) => http.get<{ certificates: CertificateState[] }>('/api/certificates', { status }),
  certificateAction: (id: string, action: 'start-review' | 'approve' | 'reject' | 'revoke', body: Record<string, unknown>) =>
    http.post<{ certificate: CertificateState }>(`/api/certificates/${encodeURIComponent(id)}/${action}`, body),
  requestCertificate: (body: { type: string; applicantName?: string; purpose: string; address?: string }) => http.post<{ certificate: CertificateState }>('/api/certificates', body),
  verify: (code: string) => http.get<{ verification: Verification }>(`/api/public/certificates/${encodeURIComponent(code)}`),
  certificatePdfUrl: (id: string) => `/api/certificates/${encodeURIComponent(id)}/pdf`,

  announcements: (category?: AnnouncementCategory) => http.get<{ announcements: AnnouncementState[] }>('/api/announcements', { category }),
  createAnnouncement: (body: { category: AnnouncementCategory; title: string; body: string }) => http.post<{ announcement: AnnouncementState }>('/api/announcements', body),
  announcementAction: (id: string, action: 'submit' | 'publish' | 'reject' | 'withdraw', body: Record<string, unknown>) =>
    http.post<{ announcement: AnnouncementState }>(`/api/announcements/${encodeURIComponent(id)}/${action}`, body),

  cameras: () => http.get<{ cameras: Camera[] }>('/api/cameras'),
  timeline: (from: number, to: number, cameraId: number) => http.get<{ cameras: TimelineCamera[] }>('/api/timeline', { from, to, cameras: cameraId }),
  liveUrl: (cameraId: number) => `/api/cameras/${cameraId}/live.mp4?stream=sub`,
  playbackUrl: (cameraId: number, from: number, to: number) => `/api/cameras/${cameraId}/playback.m3u8?from=${from}&to=${to}`,
  mediaUrl: (id: string) => `/api/media/${encodeURIComponent(id)}`,

  /** The office screen: trade the kiosk token from the URL fragment for an HttpOnly cookie. */
  kioskSession: (token: string) => body(edge.POST('/api/kiosk/session', { body: { token } })),
  screenSummary: () => body(edge.GET('/api/screen/summary')),
  screenStreamUrl: '/api/screen/stream',
  snapshotUrl: (cameraId: number) => `/api/cameras/${cameraId}/snapshot.jpg`,
};
