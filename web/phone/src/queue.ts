/**
 * The offline queue: a report made without signal is kept in IndexedDB (the
 * compressed photo with it) and sent when the link returns. Each entry is
 * removed as soon as the cloud accepted its ticket, and one flush runs at a
 * time, so a report is sent once however many "online" events fire. Each
 * report keeps its client key: if the link dropped after the cloud took it,
 * the resend gets the first answer back, not a second ticket.
 */
import { ApiError, Offline, newKey, sendReport, type NewReport, type Session } from './api.ts';

export interface QueuedReport {
  key?: number;
  report: NewReport;
  photo: Blob | null;
  /** The report's Idempotency-Key (absent in entries queued by an older app: a fresh one is used). */
  clientKey?: string;
  queuedAt: number;
}

const DB = 'cunbox-m';
const STORE = 'reports';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key', autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('indexedDB'));
  });
}

async function tx<T>(mode: IDBTransactionMode, run: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const req = run(db.transaction(STORE, mode).objectStore(STORE));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('indexedDB'));
    });
  } finally {
    db.close();
  }
}

export const enqueue = (item: QueuedReport): Promise<IDBValidKey> => tx('readwrite', (s) => s.add(item));
export const queued = (): Promise<QueuedReport[]> => tx('readonly', (s) => s.getAll() as IDBRequest<QueuedReport[]>);
const remove = (key: number): Promise<undefined> => tx('readwrite', (s) => s.delete(key));

let flushing: Promise<number> | null = null;

/**
 * Sends what waits, oldest first; the number sent. Stops at the first report
 * that finds no connection (it stays for the next time). A report the server
 * refuses (its category gone, say) is dropped: sending it again would not help.
 */
export function flush(session: Session, onRefused: (err: ApiError) => void): Promise<number> {
  flushing ??= (async () => {
    let sent = 0;
    try {
      for (const item of await queued()) {
        try {
          await sendReport(session, item.report, item.photo, item.clientKey ?? newKey());
        } catch (err) {
          if (err instanceof Offline) break;
          if (err instanceof ApiError && err.status < 500 && err.status !== 401 && err.status !== 429) onRefused(err);
          else break;
        }
        await remove(item.key!);
        sent++;
      }
    } finally {
      flushing = null;
    }
    return sent;
  })();
  return flushing;
}
