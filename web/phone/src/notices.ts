/**
 * In-app notices, worked out from the ticket lists the app already fetches:
 * one of my reports changed status, or a ticket was newly assigned to me. What
 * was seen last is kept per user on the phone, so a notice shows once.
 */
import type { Ticket } from './api.ts';

export interface Notice {
  key: string;
  kind: 'changed' | 'assigned';
  status: string;
  text: string;
}

export function diffNotices(username: string, mine: Ticket[], all: Ticket[]): Notice[] {
  const storeKey = `cunbox.m.seen.${username}`;
  const raw = localStorage.getItem(storeKey);
  const seen = JSON.parse(raw ?? '{}') as Record<string, string>;
  const next: Record<string, string> = {};
  const out: Notice[] = [];
  for (const t of mine) {
    next[`m:${t.id}`] = t.status;
    const was = seen[`m:${t.id}`];
    if (raw !== null && was !== undefined && was !== t.status) out.push({ key: `m:${t.id}:${t.status}:${Date.now()}:${out.length}`, kind: 'changed', status: t.status, text: t.description.slice(0, 60) });
  }
  for (const t of all.filter((x) => x.assignee === username)) {
    next[`a:${t.id}`] = t.status;
    if (raw !== null && seen[`a:${t.id}`] === undefined) out.push({ key: `a:${t.id}:${Date.now()}:${out.length}`, kind: 'assigned', status: t.status, text: t.description.slice(0, 60) });
  }
  localStorage.setItem(storeKey, JSON.stringify(next));
  return out;
}
