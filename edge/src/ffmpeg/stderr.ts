/**
 * Turns ffmpeg's stderr into the one error a technician needs to see. Cameras
 * fail in a handful of ways; each gets a kind the supervisor acts on (auth
 * failures back off much longer, since many cameras lock an account after
 * repeated bad logins) and a short message for status displays.
 */
type FailureKind = 'auth' | 'not-found' | 'refused' | 'unreachable' | 'timeout' | 'bad-stream' | 'ended' | 'unknown';

export interface Failure {
  kind: FailureKind;
  message: string;
}

const RULES: ReadonlyArray<{ re: RegExp; kind: FailureKind; message: string }> = [
  { re: /\b401\b|Unauthorized|authorization failed/i, kind: 'auth', message: 'camera rejected the user name or password (401)' },
  { re: /\b403\b|Forbidden/i, kind: 'auth', message: 'camera refused access to this stream (403)' },
  { re: /\b404\b|Not Found|Stream not found/i, kind: 'not-found', message: 'camera has no stream at this path (404)' },
  { re: /Connection refused/i, kind: 'refused', message: 'connection refused: wrong port, or the camera is not serving RTSP' },
  { re: /No route to host|Network is unreachable|Host is unreachable/i, kind: 'unreachable', message: 'no route to the camera: check its IP address and the network' },
  { re: /Name or service not known|Temporary failure in name resolution|Failed to resolve/i, kind: 'unreachable', message: 'camera host name does not resolve' },
  { re: /timed out|Operation timed out|Connection timed out/i, kind: 'timeout', message: 'camera did not answer in time' },
  { re: /Invalid data found|could not find codec parameters|non-existing PPS|no frame!/i, kind: 'bad-stream', message: 'camera sent a stream ffmpeg cannot read' },
  { re: /End of file|Connection reset by peer|Broken pipe/i, kind: 'ended', message: 'camera closed the stream' },
];

export function classifyStderrLine(line: string): Failure | undefined {
  for (const rule of RULES) if (rule.re.test(line)) return { kind: rule.kind, message: rule.message };
  return undefined;
}

/** Lines that are routine and would only flood the log. */
export function isNoise(line: string): boolean {
  return /^\s*(Input #|Output #|Stream #|Stream mapping|Metadata:|Duration:|encoder|Press \[q\]|configuration:|lib\w+\s+\d|built with|ffmpeg version|Copyright|\s+Stream|\s+\w+\s*:)/.test(line);
}
