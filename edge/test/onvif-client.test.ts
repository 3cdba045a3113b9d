// The ONVIF client against a fake camera over real HTTP: what it reads, how it
// picks streams, and that no malformed reply to any call escapes as anything
// but a classified error.
import t from 'tap';
import { readOnvifCamera, readCameraClock } from '../src/onvif/client.ts';
import { parseOnvifAddress } from '../src/onvif/address.ts';
import { judgeReply, resolveInterface } from '../src/onvif/discovery.ts';
import { CameraProblemError, TemplatedError } from '../src/probe/problem.ts';
import { startFakeOnvif, envelope, type Action } from './helpers/fake-onvif.ts';
import { cli } from '@cunbox/test-support/edge-cli';
import { tmpDir } from '@cunbox/test-support/tmp';
import { silentServer } from './helpers/silent-server.ts';

const creds = { username: 'admin', password: 'pw' };

t.test('reads device, picks the largest H.264 profile as main and the smallest as sub', async (t) => {
  const cam = await startFakeOnvif({ deviceInfoXml: '<tds:Manufacturer>Hik &amp; Co</tds:Manufacturer><tds:Model>DS-2</tds:Model><tds:FirmwareVersion>5.10</tds:FirmwareVersion><tds:SerialNumber>00012345678901234567890</tds:SerialNumber>' });
  t.teardown(() => cam.close());
  const r = await readOnvifCamera(parseOnvifAddress(cam.address), creds, { timeoutMs: 2000 });
  t.same(r.device, { manufacturer: 'Hik & Co', model: 'DS-2', firmware: '5.10', serialNumber: '00012345678901234567890', hardwareId: null }, 'strings kept exactly (no number conversion)');
  t.equal(r.main.profile.token, 'main');
  t.equal(r.main.uri, 'rtsp://127.0.0.1:554/main');
  t.equal(r.sub?.profile.token, 'sub');
  t.equal(r.sub?.uri, 'rtsp://127.0.0.1:554/sub');
  t.equal(r.hostname, 'fake-cam');
  t.ok(r.clockOffsetMs !== null && Math.abs(r.clockOffsetMs) < 1500, `clock offset ${r.clockOffsetMs} ms`);
});

t.test('camera clock: offset measured both ways', async (t) => {
  const cam = await startFakeOnvif({ clockOffsetS: -3600 });
  t.teardown(() => cam.close());
  const behind = await readCameraClock(parseOnvifAddress(cam.address), { timeoutMs: 2000 });
  t.ok(behind !== null && Math.abs(behind + 3_600_000) < 1500, `behind: ${behind}`);
  cam.set({ clockOffsetS: 42 });
  const ahead = await readCameraClock(parseOnvifAddress(cam.address), { timeoutMs: 2000 });
  t.ok(ahead !== null && Math.abs(ahead - 42_000) < 1500, `ahead: ${ahead}`);
});

t.test('a camera that answers late once is asked again with twice the time; an answer, even a refusal, is final', async (t) => {
  const cam = await startFakeOnvif({ slowFirst: { GetDeviceInformation: 2000, GetStreamUri: 2000 } });
  t.teardown(() => cam.close());
  const r = await readOnvifCamera(parseOnvifAddress(cam.address), creds, { timeoutMs: 700 });
  t.equal(r.device.manufacturer, 'FakeCam', 'read on the second try');
  t.equal(r.main.uri, 'rtsp://127.0.0.1:554/main');
  t.equal(cam.calls.filter((c) => c === 'GetDeviceInformation').length, 2, 'GetDeviceInformation asked twice');

  const refusing = await startFakeOnvif({ override: { GetDeviceInformation: { status: 400, body: envelope('<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code><env:Reason><env:Text xml:lang="en">Sender not Authorized</env:Text></env:Reason></env:Fault>') } } });
  t.teardown(() => refusing.close());
  await t.rejects(readOnvifCamera(parseOnvifAddress(refusing.address), creds, { timeoutMs: 700 }), { code: 'ONVIF_AUTH_FAILED' });
  t.equal(refusing.calls.filter((c) => c === 'GetDeviceInformation').length, 1, 'a refused login is not tried again (cameras lock accounts)');
});

t.test('a camera that never answers is still unreachable after the second try', async (t) => {
  const { port, held } = await silentServer(t);
  const target = parseOnvifAddress(`127.0.0.1:${port}`);
  await t.rejects(readCameraClock(target, { timeoutMs: 300 }), { code: 'CAMERA_UNREACHABLE' });
  t.equal(held.length, 2, 'asked twice');
});

t.test('the clock offset is measured on the try that was answered', async (t) => {
  // The first answer comes after the first try gave up (4 s): timed from the first
  // try, a camera exactly on time would look about 2 s ahead.
  const cam = await startFakeOnvif({ slowFirst: { GetSystemDateAndTime: 6000 } });
  t.teardown(() => cam.close());
  const offset = await readCameraClock(parseOnvifAddress(cam.address), { timeoutMs: 4000 });
  t.ok(offset !== null && Math.abs(offset) < 1200, `offset ${offset} ms`);
});

t.test('no H.264/H.265 profile: exit 83 naming what the camera offers; H.265 alone is fine', async (t) => {
  const cam = await startFakeOnvif({ profiles: [{ token: 'mj', encoding: 'JPEG', width: 1280, height: 720 }, { token: 'mp4', encoding: 'MPEG4', width: 640, height: 480 }] });
  t.teardown(() => cam.close());
  await t.rejects(readOnvifCamera(parseOnvifAddress(cam.address), creds, { timeoutMs: 2000 }), { code: 'NO_H264_STREAM', message: /offers: JPEG, MPEG4/ });
  const dir = tmpDir(t);
  const r = await cli(['cameras', 'add', '--data-dir', dir, '--onvif', cam.address, '--user', 'admin', '--password', 'pw', '--no-probe']);
  t.equal(r.code, 83, r.err);
  t.match(r.err, /no H\.264 or H\.265 media profile/);
  t.match(r.err, /hint: set the video encoding to H\.264/);
  cam.set({ profiles: [{ token: 'hevc', encoding: 'H265', width: 2560, height: 1440 }] });
  const one = await readOnvifCamera(parseOnvifAddress(cam.address), creds, { timeoutMs: 2000 });
  t.equal(one.main.profile.token, 'hevc');
  t.equal(one.sub, null, 'one profile: no sub stream');
  const added = await cli(['cameras', 'add', '--data-dir', dir, '--onvif', cam.address, '--user', 'admin', '--password', 'pw', '--no-probe', '--json']);
  t.equal(added.code, 0, added.err);
  t.match(JSON.parse(added.out), { name: 'fake-cam', onvifUrl: `http://${cam.address}/onvif/device_service`, manufacturer: 'FakeCam', mainUrl: 'rtsp://127.0.0.1:554/hevc', subUrl: null, mainProfile: 'hevc', probe: null });
});

const GARBAGE: Array<[string, () => { status: number; body: string | Buffer; contentType?: string }]> = [
  ['binary', () => ({ status: 200, body: Buffer.from([0, 1, 2, 0xff, 0xfe, 0x3c]) })],
  ['truncated XML', () => ({ status: 200, body: '<?xml version="1.0"?><env:Envelope xmlns:env="x"><env:Body><tds:Get\u0000Response>&bogus;</env:Bod' })],
  ['empty body', () => ({ status: 200, body: '' })],
  ['HTML', () => ({ status: 200, body: '<html><body>Login</body></html>', contentType: 'text/html' })],
  ['SOAP without the answer', () => ({ status: 200, body: envelope('<tds:Something/>') })],
  ['answer with wrong shapes', () => ({ status: 200, body: envelope('<tds:GetDeviceInformationResponse><tds:Manufacturer><x/></tds:Manufacturer></tds:GetDeviceInformationResponse><trt:GetProfilesResponse><trt:Profiles/></trt:GetProfilesResponse><trt:GetStreamUriResponse><trt:MediaUri/></trt:GetStreamUriResponse><tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:UTCDateTime>now</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>') })],
  ['500 without body', () => ({ status: 500, body: '' })],
  ['a megabyte of nonsense', () => ({ status: 200, body: '<a>'.repeat(350_000) })],
];
const ACTIONS: Action[] = ['GetSystemDateAndTime', 'GetServices', 'GetCapabilities', 'GetProfiles', 'GetVideoSources', 'GetDeviceInformation', 'GetStreamUri', 'GetHostname'];

t.test('a malformed reply to any call becomes a classified error, never a crash', async (t) => {
  const cam = await startFakeOnvif();
  t.teardown(() => cam.close());
  const target = parseOnvifAddress(cam.address);
  let failures = 0;
  let expected = 0;
  // Optional: the host name (only a default name) and GetServices (GetCapabilities
  // stands in); device information may be well-formed SOAP that lacks the fields.
  const optional = (action: Action, what: string) =>
    action === 'GetHostname' || action === 'GetServices' || (action === 'GetDeviceInformation' && (what.startsWith('SOAP') || what.startsWith('answer')));
  for (const action of ACTIONS) {
    for (const [what, reply] of GARBAGE) {
      // GetCapabilities is the fallback when GetServices fails: make it the one asked.
      const fallback = action === 'GetCapabilities' ? { GetServices: { status: 400, body: envelope('<env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">not supported</env:Text></env:Reason></env:Fault>') } } : {};
      cam.set({ override: { ...fallback, [action]: reply() } });
      if (!optional(action, what)) expected++;
      try {
        const r = await readOnvifCamera(target, creds, { timeoutMs: 2000 });
        t.ok(optional(action, what), `${action} / ${what}: read anyway (main ${r.main.uri})`);
        if (action === 'GetDeviceInformation') t.same(r.device, { manufacturer: null, model: null, firmware: null, serialNumber: null, hardwareId: null }, 'no device fields made up');
      } catch (err) {
        failures++;
        t.type(err, CameraProblemError, `${action} / ${what}: ${(err as Error).message}`);
        t.equal((err as CameraProblemError).code, 'ONVIF_BAD_REPLY', `${action} / ${what}: a bad reply, not a network problem`);
      }
    }
  }
  t.equal(failures, expected, 'every required call refuses every kind of garbage');
});

t.test('addresses technicians type', async (t) => {
  t.match(parseOnvifAddress('192.0.2.10'), { host: '192.0.2.10', port: 80, url: 'http://192.0.2.10:80/onvif/device_service' });
  t.match(parseOnvifAddress(' 192.0.2.10:8000 '), { port: 8000 });
  t.match(parseOnvifAddress('http://[fe80::1]:8080/onvif/dev'), { host: 'fe80::1', port: 8080, path: '/onvif/dev', url: 'http://[fe80::1]:8080/onvif/dev' });
  t.match(parseOnvifAddress('cam-east.local'), { host: 'cam-east.local' });
  for (const bad of ['', 'host:0', 'host:70000', 'https://h/x', 'a b', 'http://admin:secret@h/']) {
    t.throws(() => parseOnvifAddress(bad), TemplatedError, `refused: ${JSON.stringify(bad)}`);
  }
  t.throws(() => parseOnvifAddress('http://admin:secret@h/'), { message: /^(?!.*secret)/ }, 'credentials in a refused address are not echoed');
});

t.test('discovery replies: only valid ProbeMatches become cameras', async (t) => {
  const ID = 'urn:uuid:our-probe';
  const env = (body: string, relatesTo = ID) =>
    `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches>${body}</d:ProbeMatches></s:Body></s:Envelope>`;
  const match = (address: string | null, xaddrs: string | null, extra = '', types = 'dn:NetworkVideoTransmitter') =>
    `<d:ProbeMatch>${address === null ? '' : `<a:EndpointReference><a:Address>${address}</a:Address></a:EndpointReference>`}<d:Types>${types}</d:Types>${extra}${xaddrs === null ? '' : `<d:XAddrs>${xaddrs}</d:XAddrs>`}</d:ProbeMatch>`;
  const cams = (xml: string) => {
    const v = judgeReply(xml, ID);
    return v.kind === 'devices' ? v.cameras : [];
  };
  const ok = match('urn:uuid:1', 'http://192.0.2.7/onvif/device_service http://[fe80::1]/onvif/device_service', '<d:Scopes>onvif://www.onvif.org/name/Gate_East onvif://www.onvif.org/hardware/DS-2CD onvif://www.onvif.org/location/%E4%B8%9C%E5%8F%A3</d:Scopes>');
  t.match(cams(env(ok)), [{ urn: 'urn:uuid:1', host: '192.0.2.7', port: 80, address: '192.0.2.7:80', name: 'Gate East', hardware: 'DS-2CD', location: '东口' }]);
  t.same(judgeReply('', ID), { kind: 'malformed' });
  t.same(judgeReply('junk', ID), { kind: 'malformed' });
  t.same(judgeReply(env(''), ID), { kind: 'malformed' }, 'no ProbeMatch at all');
  t.same(judgeReply(env(match(null, 'http://192.0.2.7/')), ID), { kind: 'malformed' }, 'no endpoint reference');
  t.same(judgeReply(env(match('urn:uuid:2', 'not a url ftp://x/')), ID), { kind: 'malformed' }, 'no usable XAddr');
  t.same(cams(env(match('7', 'http://192.0.2.9:8000/onvif/device_service'))).map((c) => c.address), ['192.0.2.9:8000'], 'a number is taken as text');
  const two = cams(env(ok + match('urn:uuid:3', 'http://192.0.2.8/x')));
  t.same(two.map((c) => c.urn), ['urn:uuid:1', 'urn:uuid:3'], 'several matches in one reply: each a camera');

  t.same(judgeReply(env(ok, 'urn:uuid:someone-else'), ID), { kind: 'unrelated' }, 'an answer to another probe');
  t.same(judgeReply(env(ok).replace(/<s:Header>.*<\/s:Header>/, ''), ID), { kind: 'unrelated' }, 'an answer to no probe');
  const printer = match('urn:uuid:p', 'http://192.0.2.20/wsd', '', 'wprt:PrintDeviceType').replace('<d:ProbeMatch>', '<d:ProbeMatch xmlns:wprt="http://schemas.microsoft.com/windows/2006/08/wdp/print">');
  t.same(judgeReply(env(printer), ID), { kind: 'devices', cameras: [], otherDevices: ['urn:uuid:p'] }, 'a printer');
  t.same(cams(env(printer + ok)).map((c) => c.urn), ['urn:uuid:1'], 'a camera and a printer in one reply: the camera');
  const otherPrefix = match('urn:uuid:4', 'http://192.0.2.4/x', '', 'tds:Device tdn:NetworkVideoTransmitter').replace('<d:ProbeMatch>', '<d:ProbeMatch xmlns:tdn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">');
  t.same(cams(env(otherPrefix)).map((c) => c.urn), ['urn:uuid:4'], 'the type is known by its namespace, whatever the prefix');
  const wrongNs = match('urn:uuid:5', 'http://192.0.2.5/x').replace('<d:ProbeMatch>', '<d:ProbeMatch xmlns:dn="http://example.com/not-onvif">');
  t.same(judgeReply(env(wrongNs), ID), { kind: 'devices', cameras: [], otherDevices: ['urn:uuid:5'] }, 'the right local name in another namespace is not a camera');
  t.same(judgeReply(env(match('urn:uuid:6', 'http://192.0.2.6/x', '', 'zz:NetworkVideoTransmitter')), ID), { kind: 'devices', cameras: [], otherDevices: ['urn:uuid:6'] }, 'an unbound prefix names no known type');
  const mixedCase = env(ok).replace(/xmlns:d="[^"]+"/, 'xmlns:d="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"');
  t.same(cams(mixedCase).map((c) => c.urn), ['urn:uuid:1'], 'WS-Discovery 1.1 namespaces are read too');
});

t.test('--interface takes a name or an address', async (t) => {
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4' as const, netmask: '255.0.0.0', mac: '', internal: true, cidr: '127.0.0.1/8' }],
    eth1: [{ address: 'fe80::1', family: 'IPv6' as const, netmask: 'ffff::', mac: '', internal: false, cidr: null, scopeid: 2 }],
  };
  t.same(resolveInterface('lo', ifaces), { name: 'lo', address: '127.0.0.1' });
  t.same(resolveInterface('127.0.0.1', ifaces), { name: 'lo', address: '127.0.0.1' });
  t.throws(() => resolveInterface('eth1', ifaces), /no IPv4 address/);
  t.throws(() => resolveInterface('eth9', ifaces), /no interface named eth9 \(interfaces: lo, eth1\)/);
  t.throws(() => resolveInterface('192.0.2.1', ifaces), /no interface has the address 192\.0\.2\.1/);
});
