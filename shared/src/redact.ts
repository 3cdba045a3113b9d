/**
 * Credentials must never reach a log line, an API response or an error message.
 * Camera URLs carry them in the userinfo part (`rtsp://user:pass@host/...`), and
 * ffmpeg echoes its input URL back in many stderr lines, so every string that
 * may contain a URL passes through here before it is logged.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*)(?::[^\s/@]*)?@/gi;

/** Replace the userinfo of every URL in `text` with `***`. */
export function redactUrls(text: string): string {
  return text.replace(URL_USERINFO, '$1***@');
}
