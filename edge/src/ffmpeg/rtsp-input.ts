/**
 * An RTSP input whose URL, credentials included, reaches ffmpeg through a pipe
 * instead of its command line, which every local user can read in `ps` and
 * /proc/PID/cmdline.
 *
 * ffmpeg's RTSP client takes credentials only inside the URL, and ffmpeg 5.1
 * cannot read an option's value from a file. Its concat demuxer can: the
 * input is a one-entry ffconcat script read from an inherited pipe (never a
 * file on disk), naming the camera's URL and the RTSP options that must apply
 * to it. The concat layer passes packets through, shifted so the stream starts
 * at 0, which is what ffmpeg does to a direct input anyway.
 */
export interface RtspInputOptions {
  /** Full URL, credentials included; never logged unredacted. */
  url: string;
  transport: 'tcp' | 'udp';
  /** Socket I/O timeout; a connected camera that goes silent fails after it. */
  socketTimeoutSeconds: number;
  /**
   * More options for opening the camera (analyzeduration, probesize, fflags):
   * the concat layer probes its input itself, with ffmpeg's defaults (5 s)
   * unless told otherwise here.
   */
  options?: Readonly<Record<string, string>>;
}

export interface RtspInput {
  /** Input options and `-i`, to put where `-i URL` would go. */
  args: string[];
  /** The script to write to `fd`, then close. */
  script: string;
}

/** Protocols ffmpeg may open: the script's pipe, and RTSP over TCP or UDP, or RTSPS. */
const PROTOCOLS = 'async,pipe,rtsp,rtsps,rtp,tcp,udp,tls';

export function rtspInput(opts: RtspInputOptions, fd: number): RtspInput {
  const script = [
    'ffconcat version 1.0',
    `file ${quote(opts.url)}`,
    `option rtsp_transport ${opts.transport}`,
    `option timeout ${Math.round(opts.socketTimeoutSeconds * 1e6)}`,
    ...Object.entries(opts.options ?? {}).map(([k, v]) => `option ${k} ${v}`),
    '',
  ].join('\n');
  return {
    // async:pipe:N, not pipe:N: an input named pipe:… makes ffmpeg stop
    // reading stdin, and `q` on stdin is how the recorder stops it cleanly.
    // (Node's stdio pipes are socket pairs, so /dev/fd/N cannot be opened.)
    args: ['-protocol_whitelist', PROTOCOLS, '-f', 'concat', '-safe', '0', '-i', `async:pipe:${fd}`],
    script,
  };
}

/** ffconcat quoting: single quotes, a quote inside written as '\''. */
function quote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}
