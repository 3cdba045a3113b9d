import type { Failure } from '../ffmpeg/stderr.ts';

export type RecorderState = 'idle' | 'connecting' | 'recording' | 'stalled' | 'offline' | 'auth-failed' | 'stopped';

export interface CameraStatus {
  cameraId: number;
  name: string;
  state: RecorderState;
  /** Wall ms when the current state began. */
  since: number;
  lastError: Failure | null;
  /** Wall ms of the last closed segment. */
  lastSegmentAt: number | null;
  /** ffmpeg starts since the edge started. */
  starts: number;
  /** Wall ms of the next restart attempt, when one is scheduled. */
  nextAttemptAt: number | null;
}

/** A segment ffmpeg has closed and announced, not yet indexed. */
export interface ClosedSegment {
  cameraId: number;
  runId: number;
  seq: number;
  /** Absolute path of the file in the camera's incoming directory. */
  file: string;
  startMs: number;
  endMs: number;
  /** Wall ms when the announcement arrived. */
  announcedAt: number;
}

type CameraEventType = 'camera.online' | 'camera.offline';

/** What a camera recorder reports to the rest of the edge. */
export interface RecorderSink {
  beginRun(cameraId: number, startedAt: number): number;
  setRunPid(runId: number, pid: number): void;
  setRunAnchor(runId: number, anchorMs: number): void;
  endRun(runId: number, endedAt: number): void;
  segmentClosed(segment: ClosedSegment): Promise<void>;
  cameraEvent(cameraId: number, type: CameraEventType, detail: Record<string, unknown>): void;
  /** Last recorded online/offline state, so a restart of the edge does not repeat events. */
  lastKnownOnline(cameraId: number): boolean | undefined;
}
