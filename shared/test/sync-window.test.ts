import t from 'tap';
import { SendWindow, backoffDelay, fitBatch } from '../src/sync/window.ts';

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

t.test('a slow link stretches the stall timeout; rewinds that bring nothing double it, up to 16 × resendMs', async (t) => {
  const w = new SendWindow({ maxInFlight: 100, resendMs: 1000 });
  w.reset(0, 0);
  w.sentUpTo(50, 0);
  t.ok(w.ack(10, 3000), 'an ack that took 3 s');
  t.equal(w.stallMs, 6000, 'a stall is now twice what acks take');
  t.notOk(w.rewindIfStalled(3000 + 5000), 'a gap an ack could still fill is no stall');
  t.ok(w.rewindIfStalled(3000 + 6000));
  t.equal(w.stallMs, 12_000, 'doubled after a rewind');
  w.sentUpTo(50, 9000);
  t.ok(w.rewindIfStalled(9000 + 12_000));
  t.equal(w.stallMs, 16_000, 'capped');
  w.reset(10, 30_000);
  t.equal(w.stallMs, 1000, 'a hello starts afresh');
});

t.test('fitBatch caps a batch by its bytes, never below one item', async (t) => {
  const items = Array.from({ length: 10 }, (_, i) => ({ i, text: 'x'.repeat(1000) }));
  t.equal(fitBatch(items, 5000).length, 4);
  t.equal(fitBatch(items, 100).length, 1, 'one item even when it alone is over');
  t.equal(fitBatch(items, 1e6).length, 10);
  t.equal(fitBatch([{ text: '村'.repeat(1000) }, { text: '村'.repeat(1000) }], 5000).length, 1, 'bytes, not characters');
});

t.test('after a rewind one batch goes out again, the whole window once an ack shows the link moves', async (t) => {
  const w = new SendWindow({ maxInFlight: 100, resendMs: 1000, batch: 10 });
  w.reset(0, 0);
  w.sentUpTo(100, 0);
  t.ok(w.rewindIfStalled(1000));
  t.equal(w.room, 10, 'a probe of one batch');
  w.sentUpTo(10, 1000);
  t.equal(w.room, 0);
  t.ok(w.ack(10, 1500));
  t.equal(w.room, 100, 'open again');
});
