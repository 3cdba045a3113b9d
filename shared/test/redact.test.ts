import t from 'tap';
import { redactUrls } from '../src/redact.ts';

t.test('removes user and password from URLs in free text', async (t) => {
  t.equal(
    redactUrls('[rtsp @ 0x5] method DESCRIBE failed: 401 rtsp://admin:s3cr%40t@127.0.0.1:8554/main'),
    '[rtsp @ 0x5] method DESCRIBE failed: 401 rtsp://***@127.0.0.1:8554/main',
  );
  t.equal(redactUrls('rtsp://admin@cam/x and http://u:p@h/'), 'rtsp://***@cam/x and http://***@h/');
  t.equal(redactUrls('rtsp://127.0.0.1:8554/main'), 'rtsp://127.0.0.1:8554/main');
});
