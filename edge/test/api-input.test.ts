import t from 'tap';
import { apiHarness } from './helpers/api.ts';

t.test('a number that is not finite is a 400 (not a 500) in the query and the path', async (t) => {
  const h = await apiHarness(t);
  for (const url of ['/api/audit?limit=1e309', '/api/audit?limit=Infinity', '/api/audit?beforeId=1e309', '/api/users/1e309/sessions']) {
    t.match(await h.as.admin.get(url), { status: 400, body: { error: { code: 'INVALID_INPUT', message: /finite/ } } }, url);
  }
  t.match(await h.as.cadre.delete('/api/tokens/1e309'), { status: 400, body: { error: { code: 'INVALID_INPUT' } } });
  t.equal((await h.as.admin.get('/api/audit?limit=5')).status, 200, 'a finite one still works');
});

t.test('text that should not be stored is refused in every free-text field; the rest is stored in NFC', async (t) => {
  const h = await apiHarness(t);
  const bad = { nul: '垃圾\u0000堆', bell: 'a\u0007b', bidi: '桥头\u202Egpj.exe', isolate: '\u2067x\u2069', surrogate: '桥头\ud800', invisible: '\u200b\u200b\u2060', blank: ' \u3000\t ', bom: '\ufeff' };
  const ticket = (await h.as.villager.post('/api/tickets', { category: 'garbage', description: '桥下垃圾', place: '桥头' })).body.ticket;
  for (const [what, text] of Object.entries(bad)) {
    const refused = { status: 400, body: { error: { code: 'INVALID_INPUT' } } };
    t.match(await h.as.villager.post('/api/tickets', { category: 'garbage', description: text, place: '桥头' }), refused, `ticket description: ${what}`);
    t.match(await h.as.villager.post('/api/tickets', { category: 'garbage', description: '桥下垃圾', place: text }), refused, `ticket place: ${what}`);
    t.match(await h.as.villager.post(`/api/tickets/${ticket.id}/comments`, { text }), refused, `comment: ${what}`);
    t.match(await h.as.cadre.post(`/api/tickets/${ticket.id}/reject`, { reason: text }), refused, `reason: ${what}`);
    t.match(await h.as.cadre.patch(`/api/tickets/${ticket.id}`, { description: text }), refused, `edit: ${what}`);
  }
  const after = (await h.as.cadre.get(`/api/tickets/${ticket.id}`)).body.ticket;
  t.match(after, { status: 'submitted', description: '桥下垃圾', comments: [] }, 'nothing was stored');
  t.equal((await h.as.cadre.get('/api/tickets')).body.tickets.length, 1);

  const ok = await h.as.villager.post('/api/tickets', { category: 'garbage', description: 'Cafe\u0301 门口\r\n第二行\t缩进', place: '桥头' });
  t.equal(ok.status, 201);
  t.equal(ok.body.ticket.description, 'Caf\u00e9 门口\n第二行\t缩进', 'NFC; \\r\\n as \\n; tabs and new lines stay');
  t.equal((await h.as.villager.post(`/api/tickets/${ticket.id}/comments`, { text: '👍🏽 好的' })).status, 201, 'emoji (surrogate pairs) are text');
});
