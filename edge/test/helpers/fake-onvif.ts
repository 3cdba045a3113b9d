/**
 * A small ONVIF device + media service over real HTTP, for replies camsim does
 * not make: other encodings, odd device information, and malformed answers to
 * any one action. No WS-Security check: the client side of login is covered
 * against camsim.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Action =
  | 'GetSystemDateAndTime'
  | 'GetServices'
  | 'GetCapabilities'
  | 'GetDeviceInformation'
  | 'GetHostname'
  | 'GetProfiles'
  | 'GetVideoSources'
  | 'GetStreamUri';

export interface Reply {
  status: number;
  body: string | Buffer;
  contentType?: string;
}

export interface FakeProfile {
  token: string;
  encoding: string;
  width: number;
  height: number;
}

export interface FakeOnvifOptions {
  profiles?: FakeProfile[];
  /** Seconds added to the clock the camera reports. */
  clockOffsetS?: number;
  /** Raw XML of the GetDeviceInformationResponse children. */
  deviceInfoXml?: string;
  /** Replaces the answer to one action. */
  override?: Partial<Record<Action, Reply>>;
  /** Holds the first answer to an action this many ms (a camera busy elsewhere); later ones come at once. */
  slowFirst?: Partial<Record<Action, number>>;
}

export interface FakeOnvif {
  port: number;
  address: string;
  /** Actions received, in order. */
  calls: Action[];
  set(opts: FakeOnvifOptions): void;
  close(): Promise<void>;
}

const NS =
  'xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl" ' +
  'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema"';

export function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><env:Envelope ${NS}><env:Body>${body}</env:Body></env:Envelope>`;
}

export const DEFAULT_PROFILES: FakeProfile[] = [
  { token: 'sub', encoding: 'H264', width: 640, height: 360 },
  { token: 'main', encoding: 'H264', width: 1920, height: 1080 },
  { token: 'mid', encoding: 'H264', width: 1280, height: 720 },
];

export async function startFakeOnvif(initial: FakeOnvifOptions = {}): Promise<FakeOnvif> {
  let opts = initial;
  const calls: Action[] = [];
  let port = 0;
  const base = () => `http://127.0.0.1:${port}`;
  const answer = (action: Action, body: string): Reply => {
    const o = opts.override?.[action];
    if (o) return o;
    const ok = (xml: string): Reply => ({ status: 200, body: envelope(xml) });
    switch (action) {
      case 'GetSystemDateAndTime': {
        const t = new Date(Date.now() + (opts.clockOffsetS ?? 0) * 1000);
        const stamp =
          `<tt:Time><tt:Hour>${t.getUTCHours()}</tt:Hour><tt:Minute>${t.getUTCMinutes()}</tt:Minute><tt:Second>${t.getUTCSeconds()}</tt:Second></tt:Time>` +
          `<tt:Date><tt:Year>${t.getUTCFullYear()}</tt:Year><tt:Month>${t.getUTCMonth() + 1}</tt:Month><tt:Day>${t.getUTCDate()}</tt:Day></tt:Date>`;
        return ok(`<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings><tt:UTCDateTime>${stamp}</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`);
      }
      case 'GetServices':
        return ok(
          '<tds:GetServicesResponse>' +
            `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl</tds:Namespace><tds:XAddr>${base()}/onvif/device_service</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>` +
            `<tds:Service><tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace><tds:XAddr>${base()}/onvif/media_service</tds:XAddr><tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>` +
            '</tds:GetServicesResponse>',
        );
      case 'GetCapabilities':
        return ok(`<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>${base()}/onvif/device_service</tt:XAddr></tt:Device><tt:Media><tt:XAddr>${base()}/onvif/media_service</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`);
      case 'GetDeviceInformation':
        return ok(
          `<tds:GetDeviceInformationResponse>${opts.deviceInfoXml ?? '<tds:Manufacturer>FakeCam</tds:Manufacturer><tds:Model>F-1</tds:Model><tds:FirmwareVersion>2.0</tds:FirmwareVersion><tds:SerialNumber>F0001</tds:SerialNumber><tds:HardwareId>F</tds:HardwareId>'}</tds:GetDeviceInformationResponse>`,
        );
      case 'GetHostname':
        return ok('<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>fake-cam</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>');
      case 'GetProfiles':
        return ok(
          `<trt:GetProfilesResponse>${(opts.profiles ?? DEFAULT_PROFILES)
            .map(
              (p) =>
                `<trt:Profiles token="${p.token}" fixed="true"><tt:Name>${p.token}</tt:Name>` +
                '<tt:VideoSourceConfiguration token="vsc"><tt:Name>vs</tt:Name><tt:UseCount>1</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>' +
                `<tt:VideoEncoderConfiguration token="vec_${p.token}"><tt:Name>e</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>${p.encoding}</tt:Encoding>` +
                `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality>` +
                '<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl>' +
                '<tt:H264><tt:GovLength>50</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264></tt:VideoEncoderConfiguration></trt:Profiles>',
            )
            .join('')}</trt:GetProfilesResponse>`,
        );
      case 'GetVideoSources':
        return ok('<trt:GetVideoSourcesResponse><trt:VideoSources token="vs0"><tt:Framerate>25</tt:Framerate><tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution></trt:VideoSources></trt:GetVideoSourcesResponse>');
      case 'GetStreamUri': {
        const token = /ProfileToken>([^<]*)</.exec(body)?.[1] ?? 'main';
        return ok(`<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://127.0.0.1:554/${token}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>`);
      }
    }
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const action = /<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)/.exec(body)?.[1] as Action | undefined;
      if (!action) {
        res.writeHead(400).end();
        return;
      }
      const r = answer(action, body);
      const hold = calls.includes(action) ? 0 : (opts.slowFirst?.[action] ?? 0);
      calls.push(action);
      const send = () => {
        if (res.destroyed) return; // the client gave up waiting
        res.writeHead(r.status, { 'content-type': r.contentType ?? 'application/soap+xml; charset=utf-8', connection: 'close' });
        res.end(r.body);
      };
      if (hold > 0) setTimeout(send, hold);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    calls,
    set: (o) => void (opts = o),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
