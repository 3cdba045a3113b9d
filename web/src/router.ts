import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import type { Permission } from '../../shared/src/auth/permissions.ts';
import { MENU } from './menus.ts';
import { can, loadSession, session } from './session.ts';
import { loadWorkbenchTexts } from './i18n/index.ts';

declare module 'vue-router' {
  interface RouteMeta {
    permission?: Permission;
    public?: boolean;
  }
}

// Every page is its own chunk: the first load is Vue, the router and the texts; a page's
// Element Plus components come with it.
const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./pages/LoginPage.vue'), meta: { public: true } },
  { path: '/verify/:code?', component: () => import('./pages/VerifyPage.vue'), meta: { public: true } },
  // The office TV: its own credential (a kiosk cookie), no login page, no menus.
  { path: '/screen/:rest(.*)*', component: () => import('./pages/ScreenPage.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('./components/AppShell.vue'),
    children: [
      { path: '', redirect: () => firstAllowed() },
      { path: 'tickets', component: () => import('./pages/TicketsPage.vue'), meta: { permission: 'tickets.read' } },
      { path: 'tickets/:id', component: () => import('./pages/TicketDetailPage.vue'), meta: { permission: 'tickets.read' } },
      { path: 'certificates', component: () => import('./pages/CertificatesPage.vue'), meta: { permission: 'certificates.request' } },
      { path: 'announcements', component: () => import('./pages/AnnouncementsPage.vue'), meta: { permission: 'announcements.read' } },
      { path: 'cameras', component: () => import('./pages/CamerasPage.vue'), meta: { permission: 'video.view' } },
      { path: 'users', component: () => withTexts(import('./pages/UsersPage.vue')), meta: { permission: 'users.manage' } },
      { path: 'help', component: () => withTexts(import('./pages/HelpPage.vue')), meta: { permission: 'help.request' } },
      { path: 'residents', component: () => withTexts(import('./pages/ResidentsPage.vue')), meta: { permission: 'residents.read' } },
      { path: 'party', component: () => withTexts(import('./pages/PartyPage.vue')), meta: { permission: 'party.read' } },
      { path: 'exports', component: () => withTexts(import('./pages/ExportsPage.vue')), meta: { permission: 'video.export' } },
      { path: 'audit', component: () => withTexts(import('./pages/AuditPage.vue')), meta: { permission: 'audit.read' } },
      { path: 'system', component: () => withTexts(import('./pages/SystemPage.vue')), meta: { permission: 'system.doctor' } },
      { path: 'tokens', component: () => withTexts(import('./pages/TokensPage.vue')) },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
];

/** A workbench page together with its texts (not part of the first load). */
async function withTexts<T>(page: Promise<T>): Promise<T> {
  const [component] = await Promise.all([page, loadWorkbenchTexts()]);
  return component;
}

function firstAllowed(): string {
  return MENU.find((m) => can(m.permission))?.path ?? '/tickets';
}

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  await loadSession();
  if (to.meta.public) return true;
  if (!session.user) return { path: '/login', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
  // A page this role may not use: its own landing page instead (the API would refuse anyway).
  if (to.meta.permission && !can(to.meta.permission)) return firstAllowed();
  return true;
});
