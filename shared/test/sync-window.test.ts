import t from 'tap';
import { SendWindow, backoffDelay } from '../src/sync/window.ts';

t.test('the send window bounds what is in flight and moves only on acks', async (t) => {
  const w = new SendWindow({ maxInFlight: 10, resendMs: 1000 });
  w.reset(5, 0);
  t.equal(w.room, 10);
  w.sentUpTo(12, 0);
  t.equal(w.room, 3);
  t.notOk(w.ack(4, 10), 'a stale ack does not move the watermark');
  t.ok(w.ack(9, 10));
  t.equal(w.acked, 9);
  t.equal(w.room, 7);
  t.notOk(w.rewindIfStalled(500), 'no rewind before resendMs without progress');
  t.ok(w.rewindIfStalled(1010), 'rewind after a stall');
  t.equal(w.sent, 9, 'resend from the watermark');
  t.notOk(w.rewindIfStalled(5000), 'nothing in flight: nothing to rewind');
});

t.test('backoff doubles to the cap, with jitter in the upper half', async (t) => {
  const opts = { baseMs: 100, maxMs: 1000 };
  t.same([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0)), [50, 100, 200, 400, 500, 500]);
  t.same([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 1)), [100, 200, 400, 800, 1000, 1000]);
});
