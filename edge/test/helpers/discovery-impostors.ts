/**
 * Runs inside a private network namespace (see netns.ts; never start it
 * elsewhere: it answers WS-Discovery probes). Starts camsim with discovery and
 * a responder that answers every probe with replies that are well-formed but
 * must not all be listed: a printer, a camera answering someone else's probe,
 * and one reply carrying two cameras (an NVR does that) whose type uses another
 * prefix. Then `cunbox cameras discover` as a child process. Prints one JSON line.
 *
 *   discovery-impostors.ts CAMERAS DATA_DIR
 */
import { createSocket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { startCamsim } from '../../../scripts/camsim/camsim.ts';
import { spawnCli } from '@cunbox/test-support/edge-cli';

const [count = '2', dataDir = ''] = process.argv.slice(2);

// Refuse to run anywhere but a namespace whose only interface is loopback.
const ifaces = Object.keys(networkInterfaces());
if (ifaces.length !== 1 || ifaces[0] !== 'lo') {
  process.stderr.write(`discovery-impostors: not in a private namespace (interfaces: ${ifaces.join(', ')}); refusing to answer multicast\n`);
  process.exit(2);
}

function impostorResponder() {
  const sock = createSocket({ type: 'udp4', reuseAddr: true });
  const env = (relatesTo: string, matches: string) =>
    `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches>${matches}</d:ProbeMatches></s:Body></s:Envelope>`;
  const match = (urn: string, types: string, xaddr: string, ns = '') =>
    `<d:ProbeMatch${ns}><a:EndpointReference><a:Address>${urn}</a:Address></a:EndpointReference><d:Types>${types}</d:Types><d:XAddrs>${xaddr}</d:XAddrs></d:ProbeMatch>`;
  sock.on('message', (m, peer) => {
    const id = /<(?:\w+:)?MessageID>([^<]+)</.exec(m.toString())?.[1] ?? '';
    const replies = [
      env(id, match('urn:uuid:printer-1', 'wprt:PrintDeviceType', 'http://127.0.0.1:1/wsd/print', ' xmlns:wprt="http://schemas.microsoft.com/windows/2006/08/wdp/print"')),
      env('urn:uuid:not-your-probe', match('urn:uuid:stray-1', 'dn:NetworkVideoTransmitter', 'http://127.0.0.1:2/onvif/device_service')),
      env(id, match('urn:uuid:nvr-ch1', 'tdn:NetworkVideoTransmitter', 'http://127.0.0.1:3/onvif/device_service', ' xmlns:tdn="http://www.onvif.org/ver10/network/wsdl"') + match('urn:uuid:nvr-ch2', 'dn:NetworkVideoTransmitter', 'http://127.0.0.1:4/onvif/device_service')),
    ];
    for (const r of replies) sock.send(Buffer.from(r), peer.port, peer.address);
  });
  return new Promise<{ close: () => void }>((resolve) =>
    sock.bind(3702, '239.255.255.250', () => {
      sock.addMembership('239.255.255.250', '127.0.0.1');
      resolve({ close: () => sock.close() });
    }),
  );
}

const sim = await startCamsim({ cameras: Number(count), discovery: true, discoveryIface: '127.0.0.1' });
const impostors = await impostorResponder();
try {
  const run = await spawnCli(['cameras', 'discover', '--data-dir', dataDir, '--interface', 'lo', '--timeout', '2', '--json'], {}, 120_000).done;
  process.stdout.write(`${JSON.stringify({ cameras: sim.cameras.map((c) => c.uuid), run })}\n`);
} finally {
  impostors.close();
  await sim.stop();
}
