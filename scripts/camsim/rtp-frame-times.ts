/**
 * A minimal RTSP client (RFC 2326 over one TCP connection, RTP interleaved) that reads the RTP
 * timestamp of each access unit the server sends: the simulator's own clock, as a camera states
 * it, before any client interprets it. ffmpeg's recorded DTS is not that: on a loaded CI box it
 * showed single steps of 68–600 ms with every frame present and the span right, which a test of
 * the simulator's time cannot tell from a hole.
 */
import net from 'node:net';

export interface RtpFrameTimes {
  /** RTP timestamp of each access unit (the packet with the marker bit), in arrival order. */
  timestamps: number[];
  /** The media's clock rate from the SDP (90000 for video). */
  clockRate: number;
}

/**
 * Plays `url` (rtsp://user:pass@host:port/path, Basic auth) and collects `frames` access units'
 * timestamps, then closes the connection. Rejects after `timeoutMs`.
 */
export function rtpFrameTimes(url: string, frames: number, timeoutMs: number): Promise<RtpFrameTimes> {
  const u = new URL(url);
  const base = `rtsp://${u.host}${u.pathname}`;
  const auth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(u.port), u.hostname);
    const timer = setTimeout(() => fail(new Error(`${frames} frames from ${base} not read in ${timeoutMs} ms`)), timeoutMs);
    let buf = Buffer.alloc(0);
    let cseq = 0;
    let session = '';
    let clockRate = 0;
    let controlUrl = '';
    let step: 'describe' | 'setup' | 'play' | 'rtp' = 'describe';
    const timestamps: number[] = [];

    const fail = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const request = (method: string, target: string, headers: string) => {
      cseq++;
      sock.write(`${method} ${target} RTSP/1.0\r\nCSeq: ${cseq}\r\nAuthorization: ${auth}\r\n${session ? `Session: ${session}\r\n` : ''}${headers}\r\n`);
    };

    /** One RTSP reply from the front of `buf`, or undefined while it is incomplete. */
    const reply = (): { status: number; headers: Map<string, string>; body: string } | undefined => {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const head = buf.subarray(0, end).toString().split('\r\n');
      const headers = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as const));
      const length = Number(headers.get('content-length') ?? 0);
      if (buf.length < end + 4 + length) return undefined;
      const body = buf.subarray(end + 4, end + 4 + length).toString();
      buf = buf.subarray(end + 4 + length);
      return { status: Number(/^RTSP\/1\.0 (\d{3})/.exec(head[0] ?? '')?.[1]), headers, body };
    };

    const onControl = (): boolean => {
      const r = reply();
      if (!r) return false;
      if (r.status !== 200) {
        fail(new Error(`${step.toUpperCase()} ${base}: RTSP ${r.status}`));
        return false;
      }
      if (step === 'describe') {
        clockRate = Number(/a=rtpmap:\d+ [^/\s]+\/(\d+)/.exec(r.body)?.[1]);
        const control = /a=control:(\S+)/.exec(r.body.slice(r.body.indexOf('m=video')))?.[1] ?? '';
        const contentBase = r.headers.get('content-base') ?? `${base}/`;
        controlUrl = /^rtsp:/.test(control) ? control : `${contentBase.replace(/\/?$/, '/')}${control}`;
        step = 'setup';
        request('SETUP', controlUrl, 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n');
      } else if (step === 'setup') {
        session = (r.headers.get('session') ?? '').split(';')[0] ?? '';
        step = 'play';
        request('PLAY', base, '');
      } else if (step === 'play') {
        step = 'rtp';
      }
      return true;
    };

    /** One interleaved frame ($, channel, length, data) from the front of `buf`. */
    const onInterleaved = (): boolean => {
      if (buf.length < 4) return false;
      const length = buf.readUInt16BE(2);
      if (buf.length < 4 + length) return false;
      const channel = buf[1];
      const packet = buf.subarray(4, 4 + length);
      buf = buf.subarray(4 + length);
      // Channel 0 is RTP (1 is RTCP); the marker bit ends an access unit.
      if (channel === 0 && packet.length >= 12 && (packet[1]! & 0x80) !== 0) timestamps.push(packet.readUInt32BE(4));
      if (timestamps.length < frames) return true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ timestamps, clockRate });
      return false;
    };

    sock.on('connect', () => request('DESCRIBE', base, 'Accept: application/sdp\r\n'));
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      // The PLAY reply and the first RTP can come in one read: interleaved frames start with '$'.
      while (buf.length > 0 && (buf[0] === 0x24 ? onInterleaved() : onControl()));
    });
    sock.on('error', (err) => fail(err));
  });
}
