import t from 'tap';
import { chinaDayStart, helpCounts, hourBuckets, screenRanking, screenTicket, type HelpRequestState, type TicketState } from '../src/index.ts';

t.test('the day starts at 00:00 Beijing time; 24 hourly rows end with the current hour', async (t) => {
  const at = Date.parse('2026-05-11T01:30:00+08:00');
  t.equal(chinaDayStart(at), Date.parse('2026-05-11T00:00:00+08:00'));
  const rows = hourBuckets(at, [at, at - 10 * 60_000, at - 2 * 3600_000, at - 25 * 3600_000, at + 3600_000]);
  t.equal(rows.length, 24);
  t.same(rows.at(-1), { hour: 1, from: Date.parse('2026-05-11T01:00:00+08:00'), count: 2 }, '01:30 and 01:20');
  t.same(rows.at(-2), { hour: 0, from: Date.parse('2026-05-11T00:00:00+08:00'), count: 0 });
  t.same(rows.at(-3), { hour: 23, from: Date.parse('2026-05-10T23:00:00+08:00'), count: 1 }, '23:30 the day before');
  t.equal(rows.reduce((n, r) => n + r.count, 0), 3, 'older than 24 h and future times are left out');
});

t.test('what of a record reaches the screen', async (t) => {
  const ticket = { id: 'T', exists: true, category: 'garbage', categoryName: '垃圾倾倒', description: '王五13912345678', place: '村口桥', reporter: 'villager', assignee: 'grid_worker', photos: ['p'], status: 'submitted', deadline: 1000, slaStoppedAt: null, createdAt: 1 } as unknown as TicketState;
  t.same(screenTicket(ticket, 500), { id: 'T', category: 'garbage', categoryName: '垃圾倾倒', place: '村口桥', status: 'submitted', createdAt: 1, deadline: 1000, overdue: false });
  t.equal(screenTicket(ticket, 2000)!.overdue, true);
  t.equal(screenTicket({ ...ticket, status: 'closed' } as TicketState, 0), null, 'closed tickets leave the screen');
  const help = (type: string, status: string, urgent = false) => ({ exists: true, type, typeName: type, status, urgent, description: '透析', residentId: 'R' }) as unknown as HelpRequestState;
  t.same(helpCounts([help('medical', 'submitted', true), help('medical', 'assigned'), help('repair', 'in_progress'), help('repair', 'closed')]), {
    open: 3,
    byType: [{ type: 'medical', name: 'medical', count: 2, urgent: 1 }, { type: 'repair', name: 'repair', count: 1, urgent: 0 }],
  });
  t.same(screenRanking([{ rank: 1, memberId: 'M', name: '欧阳明月', branch: '一支部', points: 10 }]), [{ rank: 1, name: '欧**月', branch: '一支部', points: 10 }]);
});
