/**
 * The cloud's process logger hides everything the edge's does: the same
 * secret-bearing lines go through both, and no secret comes out of either.
 */
import t from 'tap';
import type { Logger } from 'pino';
import { createCloudLogger } from '../src/log.ts';
import { createLogger as createEdgeLogger } from '../../edge/src/log.ts';

type Factory = (opts: { level: string; destination: { write(s: string): void } }) => Logger;

/** Each case logs a line carrying `secret`; none may reach the output. */
const CASES: Array<{ what: string; secret: string; log: (l: Logger) => void }> = [
  { what: 'a password field', secret: 'pw-top-1', log: (l) => l.info({ password: 'pw-top-1' }, 'x') },
  { what: 'a nested password', secret: 'pw-nested-2', log: (l) => l.info({ body: { user: { password: 'pw-nested-2' } } }, 'x') },
  { what: 'a password deeper than any path', secret: 'pw-deep-3', log: (l) => l.info({ a: { b: { c: { password: 'pw-deep-3' } } } }, 'x') },
  { what: 'a token', secret: 'tok-4', log: (l) => l.info({ session: { token: 'tok-4' } }, 'x') },
  { what: "Open311's api_key", secret: 'key-5', log: (l) => l.info({ query: { api_key: 'key-5' } }, 'x') },
  { what: 'credentials', secret: 'cred-6', log: (l) => l.info({ camera: { credentials: 'cred-6' } }, 'x') },
  { what: 'an Authorization header', secret: 'Bearer-7', log: (l) => l.info({ req: { headers: { authorization: 'Bearer-7' } } }, 'x') },
  { what: 'a cookie', secret: 'sid=cookie-8', log: (l) => l.info({ req: { headers: { cookie: 'sid=cookie-8' } } }, 'x') },
  { what: 'password hashes in a users snapshot', secret: 'scrypt$16384$8$1$hash-9', log: (l) => l.info({ users: [{ username: 'a', passwordHash: 'scrypt$16384$8$1$hash-9' }] }, 'x') },
  { what: 'camera credentials in an RTSP URL field', secret: 'cam-pw-10', log: (l) => l.warn({ url: 'rtsp://admin:cam-pw-10@127.0.0.1:8554/main' }, 'x') },
  { what: 'camera credentials in the message', secret: 'cam-pw-11', log: (l) => l.warn('ffmpeg: 401 rtsp://admin:cam-pw-11@127.0.0.1:8554/main') },
  { what: 'camera credentials in an error', secret: 'cam-pw-12', log: (l) => l.error({ err: new Error('DESCRIBE failed for rtsp://admin:cam-pw-12@127.0.0.1/main') }, 'x') },
  { what: 'a token in a query string', secret: 'qtok-13', log: (l) => l.info({ path: '/open311/v2/requests.json?api_key=qtok-13&status=open' }, 'x') },
  { what: 'a bearer token quoted in text', secret: 'abcdef-14', log: (l) => l.warn('refused: Authorization: Bearer abcdef-14') },
  { what: 'a phone session token', secret: 'cbp_SECRETSESSION15', log: (l) => l.info({ note: 'signed out cbp_SECRETSESSION15' }, 'x') },
  { what: 'a full resident ID number', secret: '110101199003071234', log: (l) => l.warn({ detail: 'resident 110101199003071234 not found' }, 'x') },
  { what: 'a child logger bound to a camera URL', secret: 'cam-pw-18', log: (l) => l.child({ camera: 'rtsp://admin:cam-pw-18@127.0.0.1/main' }).info('x') },
  { what: 'a request URL with a token', secret: 'rtok-17', log: (l) => l.info({ req: { method: 'GET', url: '/api/x?token=rtok-17', ip: '127.0.0.1' } }, 'x') },
];

function run(factory: Factory, c: (typeof CASES)[number]): string {
  const lines: string[] = [];
  const log = factory({ level: 'trace', destination: { write: (s) => void lines.push(s) } });
  c.log(log);
  return lines.join('');
}

t.test("the cloud's logger hides every secret the edge's hides, and both hide them all", async (t) => {
  for (const c of CASES) {
    const edge = run(createEdgeLogger as Factory, c);
    const cloud = run(createCloudLogger as Factory, c);
    t.ok(edge.length > 0 && cloud.length > 0, `${c.what}: a line was written`);
    t.notOk(edge.includes(c.secret), `${c.what}: not in the edge's log`);
    t.notOk(cloud.includes(c.secret), `${c.what}: not in the cloud's log`);
  }
});

t.test('what is not secret stays readable', async (t) => {
  const lines: string[] = [];
  const log = createCloudLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } });
  log.warn({ url: 'rtsp://admin:pw@127.0.0.1:8554/main', detail: 'resident 110101199003071234', users: [{ username: 'zhang', passwordHash: 'h' }], count: 3 }, 'camera rtsp://u:p@h/x down');
  const line = JSON.parse(lines[0]!) as { url: string; detail: string; users: Array<{ username: string; passwordHash: string }>; count: number; msg: string };
  t.equal(line.url, 'rtsp://***@127.0.0.1:8554/main');
  t.equal(line.detail, 'resident 110101********1234', 'an ID number is masked the way screens show it');
  t.same(line.users, [{ username: 'zhang', passwordHash: '[redacted]' }]);
  t.equal(line.count, 3);
  t.equal(line.msg, 'camera rtsp://***@h/x down');
});
