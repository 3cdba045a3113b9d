/**
 * What one ONVIF notification says, read from the `onvif` package's parse of
 * a PullMessages reply. Pure: never throws, no clock. Anything this does not
 * recognise (other topics, a missing State) is null and is ignored upstream.
 */

export type AlarmKind = 'motion' | 'tamper';

export interface Notification {
  kind: AlarmKind;
  /** The topic as the camera wrote it, without its namespace prefix. */
  topic: string;
  /** true: the alarm is on; false: it is over. */
  active: boolean;
  /** "Initialized": the state at subscription time, not a change. */
  initial: boolean;
  /** The camera's own time for it; null when missing or impossible (0000-00-00T00:00:00Z). */
  cameraAtMs: number | null;
}

/**
 * Topics by their last path elements, prefix-free. Motion: VideoSource/MotionAlarm
 * (Profile S), RuleEngine/CellMotionDetector/Motion and Profile T's
 * MotionRegionDetector. Tamper: a covered, turned, blurred or blinded view.
 */
const TOPICS: ReadonlyArray<{ pattern: RegExp; kind: AlarmKind }> = [
  { pattern: /^VideoSource\/MotionAlarm$/i, kind: 'motion' },
  { pattern: /^RuleEngine\/CellMotionDetector\/Motion$/i, kind: 'motion' },
  { pattern: /^RuleEngine\/MotionRegionDetector\/Motion$/i, kind: 'motion' },
  { pattern: /^VideoSource\/GlobalSceneChange(\/.*)?$/i, kind: 'tamper' },
  { pattern: /^VideoSource\/ImageTooBlurry(\/.*)?$/i, kind: 'tamper' },
  { pattern: /^VideoSource\/ImageTooDark(\/.*)?$/i, kind: 'tamper' },
  { pattern: /^VideoSource\/ImageTooBright(\/.*)?$/i, kind: 'tamper' },
  { pattern: /^RuleEngine\/TamperDetector\/Tamper$/i, kind: 'tamper' },
];

/** The data items that carry the on/off state, by topic family. */
const STATE_ITEMS = new Set(['state', 'ismotion', 'istamper']);

/** Strips `tns1:` (any prefix) from each path element: cameras differ in prefixes. */
export function topicPath(raw: string): string {
  return raw
    .trim()
    .split('/')
    .map((part) => part.replace(/^[^:]*:/, ''))
    .join('/');
}

export function kindOf(topic: string): AlarmKind | null {
  return TOPICS.find((t) => t.pattern.test(topic))?.kind ?? null;
}

/** Every notification in a PullMessages reply that is a motion or tamper state. */
export function readNotifications(reply: unknown): Notification[] {
  const raw = obj(reply)?.['notificationMessage'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map(readNotification).filter((n): n is Notification => n !== null);
}

function readNotification(raw: unknown): Notification | null {
  const m = obj(raw);
  const topicRaw = str(m?.['topic']) ?? str(obj(m?.['topic'])?.['_']);
  if (!topicRaw) return null;
  const topic = topicPath(topicRaw);
  const kind = kindOf(topic);
  if (!kind) return null;
  // wsnt:Message wraps tt:Message; the library keeps both levels.
  const outer = obj(m?.['message']);
  const message = obj(outer?.['message']) ?? outer;
  const attrs = obj(message?.['$']);
  const active = stateOf(obj(message?.['data'])?.['simpleItem']);
  if (active === null) return null;
  return {
    kind,
    topic,
    active,
    initial: String(str(attrs?.['PropertyOperation']) ?? '').toLowerCase() === 'initialized',
    cameraAtMs: timeOf(attrs?.['UtcTime']),
  };
}

function stateOf(items: unknown): boolean | null {
  for (const item of Array.isArray(items) ? items : [items]) {
    const a = obj(obj(item)?.['$']);
    const name = str(a?.['Name']);
    if (!name || !STATE_ITEMS.has(name.toLowerCase())) continue;
    const v = a?.['Value'];
    if (typeof v === 'boolean') return v;
    if (typeof v === 'string' && /^(true|1)$/i.test(v.trim())) return true;
    if (typeof v === 'string' && /^(false|0)$/i.test(v.trim())) return false;
    if (typeof v === 'number') return v !== 0;
  }
  return null;
}

/** Years before 2000 are a camera that never got the time (0000-00-00, 1970-01-01). */
function timeOf(v: unknown): number | null {
  const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) && ms >= Date.UTC(2000, 0, 1) ? ms : null;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? (v as Record<string, unknown>) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
