/**
 * Every governance command for tickets, help requests, residents and
 * certificates, through the edge's API and through the phone API: the same
 * answers, the same ops, the same states (helpers/governance-parity.ts).
 *
 * Commands the phone API does not offer run through the edge's API in both
 * villages (`edgeOnly`): resident profiles, config (categories, help and
 * certificate types), ticket corrections, footage links and conflict reviews,
 * help-request handling after it is assigned (start, resolve, close, cancel,
 * follow-ups) and the rest of certificate review (start, resubmit, revoke).
 * Assigning a help request and approving or rejecting a certificate the phone
 * offers to the village office, so those run through it.
 */
import t from 'tap';
import { assertParity, runParity, type ParityStep } from './helpers/governance-parity.ts';

const SETUP: ParityStep[] = [
  // Residents are made at the village office (edge only); zhangsan's account is linked to his profile.
  { as: 'admin', method: 'POST', path: '/residents', body: { name: '张三', idNumber: '110101199003071234', phone: '13812345678', address: '东街1号', gridWorker: 'liwei', username: 'zhangsan', elderly: true }, status: 201, save: 'r1', edgeOnly: true },
  { as: 'wangfang', method: 'POST', path: '/residents', body: { name: '王奶奶', address: '西街9号', gridWorker: 'zhaoqiang', dibao: true }, status: 201, save: 'r2', edgeOnly: true },
  { as: 'wangfang', method: 'PATCH', path: '/residents/{r2}', body: { phone: '13900001111', disabled: true }, status: 200, edgeOnly: true },
  { as: 'liwei', method: 'POST', path: '/residents', body: { name: '无权' }, status: 403, edgeOnly: true },
  { as: 'admin', method: 'POST', path: '/residents', body: { name: '错网格', gridWorker: 'zhangsan' }, status: 400, edgeOnly: true },
  // Config (edge only): a new category, a type switched off.
  { as: 'wangfang', method: 'PUT', path: '/ticket-categories/lighting', body: { name: '路灯', slaMinutes: 120 }, status: 200, edgeOnly: true },
  { as: 'wangfang', method: 'PUT', path: '/help-types/other', body: { active: false }, status: 200, edgeOnly: true },
  { as: 'admin', method: 'PUT', path: '/certificate-types/work_away', body: { active: false }, status: 200, edgeOnly: true },
];

const TICKETS: ParityStep[] = [
  { as: 'zhangsan', upload: 'p1' },
  { as: 'zhangsan', method: 'POST', path: '/tickets', body: { category: 'garbage', description: '桥头垃圾', place: '桥头', photos: ['{p1}'] }, status: 201, save: 't1' },
  { as: 'lisi', method: 'POST', path: '/tickets', body: { category: 'lighting', description: '路灯不亮', lat: 36.08, lng: 120.36, anonymous: true }, status: 201, save: 't2' },
  { as: 'lisi', method: 'POST', path: '/tickets', body: { category: 'garbage', description: '又是桥头垃圾', place: '桥头' }, status: 201, save: 't3' },
  { as: 'lisi', method: 'POST', path: '/tickets', body: { category: 'facility', description: '井盖', place: '村口', attributes: { facility_kind: 'nope' } }, status: 400 },
  { as: 'lisi', method: 'POST', path: '/tickets', body: { category: 'garbage', description: '哪里', lat: 36.08 }, status: 400 },
  { as: 'lisi', method: 'POST', path: '/tickets', body: { category: 'nosuch', description: 'x', place: 'y' }, status: 400 },
  { as: 'zhangsan', method: 'POST', path: '/tickets/{t1}/assign', body: { assignee: 'liwei' }, status: 403 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t1}/assign', body: { assignee: 'zhangsan' }, status: 400 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t1}/assign', body: { assignee: 'liwei', note: '请处理' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t1}/confirm', body: {}, status: 409 },
  { as: 'zhaoqiang', method: 'POST', path: '/tickets/{t1}/start', body: {}, status: 403 },
  { as: 'liwei', method: 'POST', path: '/tickets/{t1}/start', body: { note: '在路上' }, status: 200 },
  { as: 'liwei', upload: 'p2' },
  { as: 'liwei', method: 'POST', path: '/tickets/{t1}/photos', body: { photos: ['{p2}'] }, status: 200 },
  { as: 'lisi', method: 'POST', path: '/tickets/{t1}/photos', body: { photos: ['{p2}'] }, status: 403 },
  { as: 'lisi', method: 'POST', path: '/tickets/{t1}/comments', body: { text: '谢谢' }, status: 201 },
  { as: 'liwei', method: 'POST', path: '/tickets/{t1}/resolve', body: { note: '已清理' }, status: 200 },
  { as: 'lisi', method: 'POST', path: '/tickets/{t1}/confirm', body: {}, status: 403 },
  { as: 'zhangsan', method: 'POST', path: '/tickets/{t1}/reopen', body: { reason: '又脏了' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t1}/assign', body: { assignee: 'liwei' }, status: 200 },
  { as: 'liwei', method: 'POST', path: '/tickets/{t1}/start', body: {}, status: 200 },
  { as: 'liwei', method: 'POST', path: '/tickets/{t1}/resolve', body: { note: '再次清理' }, status: 200 },
  { as: 'zhangsan', method: 'POST', path: '/tickets/{t1}/confirm', body: { note: '满意' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t3}/duplicate', body: { duplicateOf: '{t3}' }, status: 400 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t3}/duplicate', body: { duplicateOf: '{t1}', note: '同一处' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t2}/reject', body: { reason: '不归村里管' }, status: 200 },
  { as: 'lisi', method: 'POST', path: '/tickets/{t2}/reopen', body: { reason: '我报的' }, status: 403 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t2}/close', body: {}, status: 409 },
  // A dispatcher closes a resolved ticket without its (anonymous) reporter.
  { as: 'lisi', method: 'POST', path: '/tickets', body: { category: 'dispute', description: '占道', place: '南口', anonymous: true }, status: 201, save: 't4' },
  { as: 'admin', method: 'POST', path: '/tickets/{t4}/assign', body: { assignee: 'wangfang' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t4}/resolve', body: { note: '已劝离' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t4}/start', body: {}, status: 409 },
  { as: 'lisi', method: 'POST', path: '/tickets/{t4}/confirm', body: {}, status: 403 },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t4}/close', body: { note: '结案' }, status: 200 },
  { as: 'screen', method: 'POST', path: '/tickets', body: { category: 'garbage', description: 'x', place: 'y' }, status: 403 },
  { as: 'wangfang', method: 'POST', path: '/tickets/01JF0000000000000000000000/start', body: {}, status: 404 },
  // Edge only: corrections, footage, conflict review.
  { as: 'wangfang', method: 'PATCH', path: '/tickets/{t3}', body: { description: '桥头垃圾（重复）', category: 'parking' }, status: 200, edgeOnly: true },
  { as: 'wangfang', method: 'POST', path: '/tickets/{t3}/review', body: {}, status: 409, edgeOnly: true },
  { as: 'admin', method: 'POST', path: '/tickets/{t3}/footage', body: { cameraId: 9, startMs: 1_700_000_000_000, endMs: 1_700_000_060_000 }, status: 400, edgeOnly: true },
];

const HELP: ParityStep[] = [
  { as: 'zhangsan', method: 'POST', path: '/help-requests', body: { type: 'medical', description: '去医院', urgent: true }, status: 201, save: 'h1' },
  { as: 'lisi', method: 'POST', path: '/help-requests', body: { type: 'medical' }, status: 400 },
  { as: 'lisi', method: 'POST', path: '/help-requests', body: { type: 'repair', residentId: '{r2}' }, status: 403 },
  { as: 'zhaoqiang', method: 'POST', path: '/help-requests', body: { type: 'repair', residentId: '{r2}', description: '水管漏了' }, status: 201, save: 'h2' },
  { as: 'wangfang', method: 'POST', path: '/help-requests', body: { type: 'other', residentId: '{r2}' }, status: 400 },
  { as: 'wangfang', method: 'POST', path: '/help-requests', body: { type: 'daily_living', residentId: '{r1}' }, status: 201, save: 'h3' },
  // Edge only: handling.
  { as: 'wangfang', method: 'POST', path: '/help-requests/{h1}/assign', body: { assignee: 'liwei', note: '陪同' }, status: 200 },
  { as: 'zhaoqiang', method: 'POST', path: '/help-requests/{h1}/start', body: {}, status: 404, edgeOnly: true },
  { as: 'liwei', method: 'POST', path: '/help-requests/{h1}/start', body: {}, status: 200, edgeOnly: true },
  { as: 'liwei', method: 'POST', path: '/help-requests/{h1}/followups', body: { text: '已陪同就医' }, status: 201, edgeOnly: true },
  { as: 'liwei', method: 'POST', path: '/help-requests/{h1}/resolve', body: { note: '完成' }, status: 200, edgeOnly: true },
  { as: 'wangfang', method: 'POST', path: '/help-requests/{h1}/close', body: {}, status: 200, edgeOnly: true },
  { as: 'lisi', method: 'POST', path: '/help-requests/{h2}/cancel', body: { reason: 'x' }, status: 404, edgeOnly: true },
  { as: 'zhaoqiang', method: 'POST', path: '/help-requests/{h2}/cancel', body: { reason: '已修好' }, status: 200, edgeOnly: true },
  { as: 'wangfang', method: 'POST', path: '/help-requests/{h3}/review', body: {}, status: 409, edgeOnly: true },
];

const CERTIFICATES: ParityStep[] = [
  { as: 'zhangsan', method: 'POST', path: '/certificates', body: { type: 'residence', purpose: '办理社保' }, status: 201, save: 'c1' },
  { as: 'lisi', method: 'POST', path: '/certificates', body: { type: 'residence', purpose: '上学' }, status: 400 },
  { as: 'lisi', method: 'POST', path: '/certificates', body: { type: 'residence', purpose: '上学', applicantName: '李四', address: '南街3号' }, status: 201, save: 'c2' },
  { as: 'lisi', method: 'POST', path: '/certificates', body: { type: 'residence', purpose: '冒名', residentId: '{r1}' }, status: 403 },
  { as: 'wangfang', method: 'POST', path: '/certificates', body: { type: 'residence', purpose: '代办', residentId: '{r2}' }, status: 201, save: 'c3' },
  { as: 'zhangsan', method: 'POST', path: '/certificates', body: { type: 'work_away', purpose: '务工' }, status: 400 },
  // Edge only: review.
  { as: 'wangfang', method: 'POST', path: '/certificates/{c1}/start-review', body: {}, status: 200, edgeOnly: true },
  { as: 'wangfang', method: 'POST', path: '/certificates/{c1}/approve', body: { note: '核实' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/certificates/{c2}/reject', body: { reason: '地址不详' }, status: 200 },
  { as: 'wangfang', method: 'POST', path: '/certificates/{c2}/resubmit', body: { address: '南街3号院' }, status: 403, edgeOnly: true },
  { as: 'lisi', method: 'POST', path: '/certificates/{c2}/resubmit', body: { address: '南街3号院' }, status: 200, edgeOnly: true },
  { as: 'lisi', method: 'POST', path: '/certificates/{c2}/approve', body: {}, status: 403 },
  { as: 'admin', method: 'POST', path: '/certificates/{c1}/revoke', body: { reason: '信息有误' }, status: 200, edgeOnly: true },
  { as: 'admin', method: 'POST', path: '/certificates/{c3}/approve', body: {}, status: 200 },
  { as: 'admin', method: 'POST', path: '/certificates/{c3}/start-review', body: {}, status: 409, edgeOnly: true },
];

t.test('tickets, help requests, residents and certificates: the edge API and the phone API commit the same ops and reach the same states', async (t) => {
  const steps = [...SETUP, ...TICKETS, ...HELP, ...CERTIFICATES];
  const r = await runParity(t, steps, ['ticket', 'help_request', 'resident', 'certificate', 'ticket_category', 'help_type', 'certificate_type']);
  assertParity(t, r, steps);
  // The comparison is not empty: the phone run committed through the phone API.
  t.ok(r.phone.steps.filter((s) => s.ops.length > 0).length >= 20, 'most steps committed ops');
  t.equal(r.edge.states.ticket!.length, 4);
  t.equal(r.edge.states.certificate!.length, 3);
});
