/**
 * The embedded broker's packet size cap, at the byte level: a real Aedes
 * behind MqttFrameLimit, real MQTT.js clients, and raw bytes written on a
 * client's socket where the cap must see a header split across writes.
 */
import t from 'tap';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { EmbeddedBroker, MAX_MQTT_PACKET_BYTES } from '../src/index.ts';

const broker = new EmbeddedBroker({ auth: { authenticate: async () => ({ kind: 'service' }) }, log: pino({ level: 'silent' }) });
t.before(() => broker.start('127.0.0.1', 0));
t.teardown(() => broker.stop());

const connect = (clientId: string): Promise<MqttClient> =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { username: 'svc', password: 'x', clientId, reconnectPeriod: 0, protocolVersion: 4 });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('packets under the cap pass whole, however the bytes arrive', async (t) => {
  const sub = await connect('sub');
  const got: Buffer[] = [];
  sub.on('message', (_tp, payload) => got.push(payload));
  await sub.subscribeAsync('cunbox/v1/test/#', { qos: 1 });
  const pub = await connect('pub');
  const big = Buffer.alloc(MAX_MQTT_PACKET_BYTES - 1024, 0x61);
  await pub.publishAsync('cunbox/v1/test/big', big, { qos: 1 });
  for (let i = 0; i < 50; i++) pub.publish('cunbox/v1/test/small', `m${i}`, { qos: 0 });
  await pub.publishAsync('cunbox/v1/test/end', 'end', { qos: 1 });
  for (let i = 0; i < 200 && got.length < 52; i++) await tick(20);
  t.equal(got.length, 52, 'all delivered');
  t.ok(got[0]!.equals(big), 'the large one intact');
  await pub.endAsync();
  await sub.endAsync();
});

t.test('a packet announcing more than the cap drops the connection, even with its header split across writes', async (t) => {
  const c = await connect('raw');
  const closed = new Promise<void>((r) => c.stream.once('close', () => r()));
  // PUBLISH QoS 0, remaining length MAX + 1 as a 3-byte varint, one byte per write.
  let n = MAX_MQTT_PACKET_BYTES + 1;
  const length: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    length.push(b);
  } while (n > 0);
  for (const b of [0x30, ...length]) {
    c.stream.write(Buffer.from([b]));
    await tick(30);
  }
  c.stream.write(Buffer.alloc(1024));
  await closed;
  t.pass('the broker closed the connection');
  c.end(true);
  const again = await connect('raw-again');
  t.ok(again.connected, 'the broker serves others as before');
  await again.endAsync();
});
