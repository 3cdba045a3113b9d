import t from 'tap';
import { redactUrls, scrubLogValue, scrubText } from '../src/platform/redact.ts';

t.test('removes user and password from URLs in free text', async (t) => {
  t.equal(
    redactUrls('[rtsp @ 0x5] method DESCRIBE failed: 401 rtsp://admin:s3cr%40t@127.0.0.1:8554/main'),
    '[rtsp @ 0x5] method DESCRIBE failed: 401 rtsp://***@127.0.0.1:8554/main',
  );
  t.equal(redactUrls('rtsp://admin@cam/x and http://u:p@h/'), 'rtsp://***@cam/x and http://***@h/');
  t.equal(redactUrls('rtsp://127.0.0.1:8554/main'), 'rtsp://127.0.0.1:8554/main');
});

t.test('scrubText: secret pairs, bearer tokens, phone tokens and ID numbers in free text', async (t) => {
  t.equal(scrubText('GET /x?api_key=abc123&status=open'), 'GET /x?api_key=[redacted]&status=open');
  t.equal(scrubText('ffmpeg -i rtsp://u:p@h/x password=hunter2'), 'ffmpeg -i rtsp://***@h/x password=[redacted]');
  t.equal(scrubText('Authorization: Bearer eyJhbGciOi.x.y'), 'Authorization: Bearer [redacted]');
  t.equal(scrubText('token cbp_AbCdEfGh12345678 ended'), 'token cbp_[redacted] ended');
  t.equal(scrubText('id 11010119900307123x here'), 'id 110101********123X here');
  // Not ID numbers: longer digit runs, timestamps, hex ids that happen to hold 18 digits.
  t.equal(scrubText('at 1764558000000 seq 1234567890123456789 node a123456789012345678b'), 'at 1764558000000 seq 1234567890123456789 node a123456789012345678b');
});

t.test('scrubLogValue: secret keys at any depth, strings scrubbed, errors flattened, other objects left to their serializers', async (t) => {
  const buf = Buffer.from('x');
  const out = scrubLogValue({ a: { b: { c: { Password: 'p', ok: 'rtsp://u:p@h/' } } }, list: [{ token: 't' }], err: new Error('at rtsp://u:p@h/'), buf, none: null }) as any;
  t.same(out.a.b.c, { Password: '[redacted]', ok: 'rtsp://***@h/' });
  t.same(out.list, [{ token: '[redacted]' }]);
  t.equal(out.err.message, 'at rtsp://***@h/');
  t.equal(out.err.type, 'Error');
  t.equal(out.buf, buf);
  t.equal(out.none, null);
});
