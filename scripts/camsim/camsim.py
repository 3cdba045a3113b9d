#!/usr/bin/python3
"""Camera simulator: N IP cameras (RTSP + ONVIF + optional WS-Discovery) on one host.

Run with the Debian interpreter (/usr/bin/python3), which has the GStreamer
bindings (python3-gi). See README.md next to this file for the contract.

Design notes
- Clips are encoded once with ffmpeg into a cache and never re-encoded. Each
  clip is split into access units at start-up; an appsrc per served stream
  pushes those units with our own timestamps, so time keeps running across the
  clip loop. (Looping the file with multifilesrc into h264parse gives frames
  without PTS in GStreamer 1.22: clients get one burst with a frozen clock.)
- One GstRTSPServer per camera (own port), shared media factories (one pipeline
  per stream whatever the number of clients), one GLib main loop for all.
- ONVIF, the control API and WS-Discovery are plain-stdlib threads. Anything
  that touches GStreamer objects is marshalled onto the main loop.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import fcntl
import hashlib
import hmac
import http.server
import itertools
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable
from xml.sax.saxutils import escape

from camsim_events import TEV, WSNT, EventService

log = logging.getLogger("camsim")


class SimError(Exception):
    """A start-up problem the user must fix; printed without a traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


EXIT_PORT_CONFLICT = 2
EXIT_MISSING_DEPENDENCY = 3

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstApp", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstApp, GstRtsp, GstRtspServer  # noqa: F401  (GstApp adds appsrc methods)
except (ImportError, ValueError) as gi_error:  # pragma: no cover - depends on the host
    print(
        f"camsim: error: GStreamer Python bindings unavailable ({gi_error}); "
        "install python3-gi and gir1.2-gst-rtsp-server-1.0 and run with /usr/bin/python3",
        file=sys.stderr,
    )
    sys.exit(EXIT_MISSING_DEPENDENCY)


# --------------------------------------------------------------------------- clips


@dataclasses.dataclass(frozen=True)
class Rendition:
    """One encoded stream of a camera; every camera serves the same two."""

    name: str
    width: int
    height: int
    fps: int
    kbps: int
    profile: str = "main"

    @property
    def gop(self) -> int:
        return self.fps * 2  # closed 2-s GOP, like most cameras' default


RENDITIONS = (
    Rendition("main", 1280, 720, 25, 2000),
    Rendition("sub", 640, 360, 25, 500),
)
CLIP_SECONDS = 20
# Bump to force every cache to regenerate after a change the key does not see.
CACHE_VERSION = 1

# Clip name -> lavfi graph; {w} {h} {fps} are filled per rendition. A graph with
# several chains must label its output [out0]. Add an entry to get a new clip,
# or pass --clip file:/path/to/video to re-encode any file ffmpeg can read, or
# --clip asis:/path/to/h264.mp4 to serve an encoded clip unchanged (see below).
CLIP_SOURCES = {
    # Motion everywhere: good for bitrate and recording tests.
    "testsrc": "testsrc2=size={w}x{h}:rate={fps}",
    # A still scene with one moving object, for motion-detection tests.
    "still_box": (
        "smptehdbars=size={w}x{h}:rate={fps}[bg];"
        "color=c=white:size={bw}x{bh}:rate={fps}[box];"
        "[bg][box]overlay=x='mod(t*{speed}\\,{xmax})':y={y}[out0]"
    ),
}


def clip_input_args(clip: str, r: Rendition) -> list[str]:
    if clip.startswith("file:"):
        path = clip[len("file:") :]
        if not Path(path).is_file():
            raise SimError(f"clip file not found: {path}")
        return [
            "-stream_loop", "-1", "-i", path,
            "-vf", f"scale={r.width}:{r.height},fps={r.fps}",
        ]
    if clip not in CLIP_SOURCES:
        raise SimError(f"unknown clip {clip!r}; known: {', '.join(sorted(CLIP_SOURCES))} or file:PATH")
    bw, bh = r.width // 10, r.height // 10
    graph = CLIP_SOURCES[clip].format(
        w=r.width, h=r.height, fps=r.fps, bw=bw, bh=bh,
        speed=r.width // 4, xmax=r.width - bw, y=(r.height - bh) // 2,
    )
    return ["-f", "lavfi", "-i", graph]


ASIS = "asis:"


def asis_rendition(path: Path) -> tuple[int, int, int]:
    """Width, height and frame rate of an H.264 file served unchanged; a clear error otherwise."""
    if not path.is_file():
        raise SimError(f"clip file not found: {path}")
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,width,height,r_frame_rate", "-of", "json", str(path)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True)
    streams = json.loads(proc.stdout or "{}").get("streams") if proc.returncode == 0 else None
    if not streams:
        raise SimError(f"asis clip {path}: no video stream ffprobe can read ({proc.stderr.strip()[-200:]})")
    st = streams[0]
    num, _, den = str(st.get("r_frame_rate", "0/1")).partition("/")
    if st.get("codec_name") != "h264":
        raise SimError(f"asis clip {path}: video is {st.get('codec_name')}, not H.264 (use file: to re-encode it)")
    if not den or int(num) % int(den) or int(num) // int(den) <= 0:
        raise SimError(f"asis clip {path}: frame rate {num}/{den} is not a whole number")
    return int(st["width"]), int(st["height"]), int(num) // int(den)


# B-frames per mini-GOP for cameras started with --bframes (x264's usual 3 gives
# up to 3 frames of reordering, like cameras' "H.264 High" presets).
B_FRAMES = 3


def encode_args(r: Rendition, bframes: int) -> list[str]:
    rate = f"{r.kbps}k"
    return [
        "-t", str(CLIP_SECONDS), "-an", "-pix_fmt", "yuv420p",
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", r.profile,
        "-b:v", rate, "-maxrate", rate, "-bufsize", rate,
        "-g", str(r.gop), "-keyint_min", str(r.gop), "-sc_threshold", "0",
        # B-frames only where asked (--bframes): then decode order differs from
        # display order and each access unit carries its own PTS. Closed GOPs,
        # so the clip loops cleanly. SPS/PPS go in front of every IDR on the
        # wire (rtph264pay config-interval=-1).
        "-bf", str(bframes), "-x264-params", "open-gop=0",
        # AUDs let us split the file into access units without a parser.
        "-bsf:v", "h264_metadata=aud=insert",
        # MPEG-TS keeps each unit's PTS and DTS; the raw stream is copied out of it.
        "-f", "mpegts",
    ]


@dataclasses.dataclass
class Clip:
    """An encoded clip split into access units, shared by every camera showing it."""

    rendition: Rendition
    path: Path
    snapshot: bytes
    frames: list[Any]  # Gst.Buffer per access unit; never written to after load
    nbytes: list[int]
    pts_delay: list[int]  # per unit, PTS − DTS in frames (all 0 without B-frames)

    @property
    def frame_ns(self) -> int:
        return Gst.SECOND // self.rendition.fps

    @property
    def loop_ms(self) -> int:
        """The loop period: the clip's length."""
        return round(len(self.frames) * 1000 / self.rendition.fps)


def run_ffmpeg(args: list[str]) -> None:
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise SimError(f"ffmpeg failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")


def pts_delays(ts: Path, fps: int) -> list[int]:
    """PTS − DTS of each video packet in decode order, in frames."""
    proc = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts,dts",
         "-of", "csv=p=0", str(ts)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SimError(f"ffprobe failed on {ts}: {proc.stderr.strip()[-400:]}")
    ticks = 90000 // fps
    delays = []
    for line in proc.stdout.split():
        pts, dts = (int(v) for v in line.split(",")[:2])
        delays.append(round((pts - dts) / ticks))
    return delays


def ensure_clip_files(cache_dir: Path, clip: str, r: Rendition, bframes: int) -> tuple[Path, Path, Path]:
    """Encode the clip, its timing and its snapshot unless a cached copy with the same key exists."""
    if clip.startswith(ASIS):
        # Served unchanged: only copied into MPEG-TS (for each unit's PTS) with
        # AUDs added; the key is the file's content.
        source = Path(clip[len(ASIS):])
        inputs = ["-i", str(source)]
        args = ["-map", "0:v:0", "-an", "-c:v", "copy", "-bsf:v", "h264_mp4toannexb,h264_metadata=aud=insert", "-f", "mpegts"]
        key_src = json.dumps([CACHE_VERSION, "asis", hashlib.sha256(source.read_bytes()).hexdigest()])
    else:
        inputs = clip_input_args(clip, r)
        args = encode_args(r, bframes)
        key_src = json.dumps([CACHE_VERSION, inputs, args, r.width, r.height])
    key = hashlib.sha256(key_src.encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", clip)[:40]
    h264 = cache_dir / f"{safe}-{r.name}-{key}.h264"
    timing = cache_dir / f"{safe}-{r.name}-{key}.pts"
    jpeg = cache_dir / f"{safe}-{r.name}-{key}.jpg"
    if h264.exists() and jpeg.exists() and timing.exists():
        return h264, timing, jpeg
    started = time.monotonic()
    tmp_ts = h264.with_suffix(f".tmp{os.getpid()}.ts")
    tmp = h264.with_suffix(f".tmp{os.getpid()}.h264")
    tmp_timing = timing.with_suffix(f".tmp{os.getpid()}.pts")
    tmp_jpeg = jpeg.with_suffix(f".tmp{os.getpid()}.jpg")
    try:
        run_ffmpeg([*inputs, *args, str(tmp_ts)])
        run_ffmpeg(["-i", str(tmp_ts), "-map", "0:v:0", "-c", "copy", "-f", "h264", str(tmp)])
        tmp_timing.write_text(" ".join(str(d) for d in pts_delays(tmp_ts, r.fps)))
        run_ffmpeg(["-f", "h264", "-i", str(tmp), "-frames:v", "1", "-q:v", "3", str(tmp_jpeg)])
        # Rename last so a crash never leaves a half-written file under the final name.
        os.replace(tmp_jpeg, jpeg)
        os.replace(tmp_timing, timing)
        os.replace(tmp, h264)
    finally:
        for leftover in (tmp_ts, tmp, tmp_timing, tmp_jpeg):
            leftover.unlink(missing_ok=True)
    log.info("encoded %s in %.1fs", h264.name, time.monotonic() - started)
    return h264, timing, jpeg


AUD = re.compile(rb"\x00\x00\x01\x09")
NAL_START = re.compile(rb"\x00\x00\x01(.)", re.DOTALL)


def load_clip(h264: Path, timing: Path, jpeg: Path, r: Rendition, expected: int | None = None) -> Clip:
    """Split the stream into access units; `expected` is the frame count (default: CLIP_SECONDS of it)."""
    data = h264.read_bytes()
    starts = [m.start() for m in AUD.finditer(data)]
    # Keep a 4-byte start code's leading zero with the unit it belongs to.
    starts = [s - 1 if s > 0 and data[s - 1] == 0 else s for s in starts]
    if not starts or starts[0] != 0:
        raise SimError(f"{h264} does not start with an access unit delimiter")
    frames, sizes = [], []
    for begin, end in zip(starts, [*starts[1:], len(data)]):
        unit = data[begin:end]
        buf = Gst.Buffer.new_wrapped(unit)
        is_idr = any((m.group(1)[0] & 0x1F) == 5 for m in NAL_START.finditer(unit))
        if not is_idr:
            buf.set_flags(Gst.BufferFlags.DELTA_UNIT)
        frames.append(buf)
        sizes.append(len(unit))
    delays = [int(v) for v in timing.read_text().split()]
    expected = CLIP_SECONDS * r.fps if expected is None else expected
    if len(frames) != expected or len(delays) != expected:
        raise SimError(f"{h264} has {len(frames)} access units and {len(delays)} timings, expected {expected}; delete the cache")
    if frames[0].has_flags(Gst.BufferFlags.DELTA_UNIT):
        raise SimError(f"{h264} does not start with a key frame, so it cannot loop")
    return Clip(r, h264, jpeg.read_bytes(), frames, sizes, delays)


def load_asis_clip(cache_dir: Path, name: str) -> dict[str, Clip]:
    """An encoded H.264 clip served unchanged on both streams: its own size, frame
    rate and length (the loop period); no re-encode, so a detector sees exactly
    the pixels the clip was made with."""
    width, height, fps = asis_rendition(Path(name[len(ASIS):]))
    probe = Rendition("sub", width, height, fps, 0)
    h264, timing, jpeg = ensure_clip_files(cache_dir, name, probe, 0)
    frames = len(timing.read_text().split())
    clip = load_clip(h264, timing, jpeg, probe, expected=frames)
    kbps = max(1, round(sum(clip.nbytes) * 8 * fps / frames / 1000))
    return {
        r: dataclasses.replace(clip, rendition=Rendition(r, width, height, fps, kbps))
        for r in ("main", "sub")
    }


def prepare_clips(cache_dir: Path, names: list[tuple[str, int]]) -> dict[tuple[str, int, str], Clip]:
    if shutil.which("ffmpeg") is None:
        raise SimError("ffmpeg not found on PATH", EXIT_MISSING_DEPENDENCY)
    cache_dir.mkdir(parents=True, exist_ok=True)
    clips: dict[tuple[str, int, str], Clip] = {}
    # Parallel test runs share the cache; the lock makes the second one wait
    # for the first encode instead of doing it again.
    with open(cache_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for name, bframes in dict.fromkeys(names):
            if name.startswith(ASIS):
                # The file decides about B-frames; --bframes does not apply.
                for r, clip in load_asis_clip(cache_dir, name).items():
                    clips[(name, bframes, r)] = clip
                continue
            for r in RENDITIONS:
                h264, timing, jpeg = ensure_clip_files(cache_dir, name, r, bframes)
                clips[(name, bframes, r.name)] = load_clip(h264, timing, jpeg, r)
    return clips


# --------------------------------------------------------------------------- ports


def ephemeral_range() -> tuple[int, int]:
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def tcp_port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # Like the servers themselves: TIME_WAIT leftovers do not count as taken.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_port_block(host: str, count: int, taken: set[int]) -> int:
    """A random block of `count` free TCP ports below the kernel's ephemeral range,
    so they cannot collide with outgoing connections and parallel runs rarely meet."""
    lo, hi = 10000, ephemeral_range()[0] - 1
    for _ in range(200):
        base = random.randrange(lo, hi - count)
        block = range(base, base + count)
        if not taken.intersection(block) and all(tcp_port_free(host, p) for p in block):
            return base
    raise SimError(f"no block of {count} free ports found", EXIT_PORT_CONFLICT)


PORT_CLAIMS_DIR = Path(os.environ.get("CAMSIM_PORT_CLAIMS", "/tmp/camsim-ports"))


class PortClaims:
    """The camera ports this simulator owns for its whole life, offline cameras included.

    A camera put offline closes its sockets, so the kernel alone would hand its
    ports to the next simulator started meanwhile, and the camera could not come
    back. Each port is claimed with an flock on a file named after it, holding
    our pid; the kernel drops the lock when the process ends, however it ends."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.held: dict[int, Any] = {}

    def claim(self, kind: str, port: int, owner_name: str) -> None:
        if port in self.held:
            return
        try:
            PORT_CLAIMS_DIR.mkdir(parents=True, exist_ok=True)
            f = open(PORT_CLAIMS_DIR / f"{self.host}-{port}", "a+")
        except OSError as e:
            raise SimError(f"cannot claim {kind} port {port} ({owner_name}) in {PORT_CLAIMS_DIR}: {e.strerror}") from None
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            owner = f.read().strip() or "?"
            f.close()
            raise SimError(f"{kind} port {port} ({owner_name}) is held by another camsim (pid {owner})", EXIT_PORT_CONFLICT) from None
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self.held[port] = f

    def release_all(self) -> None:
        for f in self.held.values():
            f.close()
        self.held.clear()


def listening_inodes(port: int) -> set[int]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def own_socket_inodes() -> set[int]:
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


# --------------------------------------------------------------------------- main loop


def call_in_main(fn: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Run fn on the GLib main loop (where all GStreamer state lives) and wait."""
    done = threading.Event()
    box: dict[str, Any] = {}

    def run() -> bool:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed back to the calling thread
            box["error"] = e
        done.set()
        return False

    GLib.idle_add(run)
    if not done.wait(timeout):
        raise TimeoutError("main loop did not answer")
    if "error" in box:
        raise box["error"]
    return box.get("value")


# --------------------------------------------------------------------------- RTSP


class Feeder:
    """Pushes one clip's access units into one media's appsrc, forever.

    Timestamps are running time: the first unit's DTS is the pipeline's
    current running time and every next one adds a frame duration, across
    loops too; PTS is DTS plus the unit's reorder delay (0 without B-frames).
    `identity sync=true` downstream paces the pipeline, so the appsrc queue only
    runs dry once per chunk and Python runs about once a second per stream.
    """

    CHUNK = 25

    def __init__(self, clip: Clip, counters: StreamCounters, stalled: Callable[[], bool]) -> None:
        self.clip = clip
        self.counters = counters
        self.stalled = stalled
        self.index = 0
        self.next_pts: int | None = None
        self.first_pts = 0
        self.epoch_known = False

    def on_need_data(self, src: Any, _length: int) -> None:
        clock = src.get_clock()
        if self.next_pts is None:
            self.next_pts = clock.get_time() - src.get_base_time() if clock else 0
            self.first_pts = self.next_pts
        if not self.epoch_known and clock:
            # identity sync=true sends the unit of running time rt when the clock
            # reads base_time + rt: the clip's first frame left at this wall time.
            ahead_ns = src.get_base_time() + self.first_pts - clock.get_time()
            self.counters.set_epoch(time.time() * 1000 + ahead_ns / 1e6)
            self.epoch_known = True
        frames, sizes, delays, frame_ns = self.clip.frames, self.clip.nbytes, self.clip.pts_delay, self.clip.frame_ns
        chunk = Gst.BufferList.new()
        nbytes = 0
        for _ in range(self.CHUNK):
            buf = frames[self.index].copy()  # shallow: shares the clip's memory
            buf.dts = self.next_pts
            buf.pts = self.next_pts + delays[self.index] * frame_ns
            buf.duration = frame_ns
            chunk.insert(-1, buf)
            nbytes += sizes[self.index]
            self.next_pts += frame_ns
            self.index = (self.index + 1) % len(frames)
        if not self.stalled():
            self.counters.add(self.CHUNK, nbytes)
        src.push_buffer_list(chunk)


class StreamCounters:
    """Frames and bytes handed to the RTP payloader (while not stalled).

    A shared stream counts once however many clients watch it; each client
    gets these bytes plus RTP/RTSP framing."""

    def __init__(self, loop_ms: int) -> None:
        self.lock = threading.Lock()
        self.frames = 0
        self.bytes = 0
        self.active = 0  # media pipelines currently built for this stream
        self.loop_ms = loop_ms
        # Wall time (ms) the running pipeline sent the clip's first frame; a new
        # pipeline (after every client left) starts the clip again.
        self.loop_epoch_ms: float | None = None

    def set_epoch(self, epoch_ms: float) -> None:
        with self.lock:
            self.loop_epoch_ms = epoch_ms

    def add(self, frames: int, nbytes: int) -> None:
        with self.lock:
            self.frames += frames
            self.bytes += nbytes

    def snapshot(self) -> dict[str, int | bool]:
        with self.lock:
            return {"active": self.active > 0, "frames_out": self.frames, "bytes_out": self.bytes,
                    "loop_ms": self.loop_ms,
                    "loop_epoch_ms": round(self.loop_epoch_ms) if self.loop_epoch_ms is not None and self.active > 0 else None}


LAUNCH = (
    "( appsrc name=src is-live=true format=time do-timestamp=false "
    'caps="video/x-h264,stream-format=byte-stream,alignment=au,width={w},height={h},framerate={fps}/1" '
    "! identity sync=true ! valve name=valve drop=false "
    "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)
FACTORY_ROLE = "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true"


class RtspEndpoint:
    """The RTSP side of one camera: its server, auth, mounts and live media."""

    def __init__(self, cam: Camera, clips: dict[str, Clip], pool: Any, auth_method: str) -> None:
        self.cam = cam
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(cam.sim.bind)
        self.server.set_service(str(cam.rtsp_port))
        self.source_id = 0
        self.clients: set[Any] = set()
        # Connections since start: a client that reconnects counts again (a live count cannot show that).
        self.clients_total = 0
        self.valves: dict[int, Any] = {}  # live media id -> its valve
        self.media_ids = itertools.count()
        self.lock = threading.Lock()
        self.counters = {name: StreamCounters(clip.loop_ms) for name, clip in clips.items()}

        self.token = GstRtspServer.RTSPToken()
        self.token.set_string("media.factory.role", "user")
        self.basic = GstRtspServer.RTSPAuth.make_basic(cam.user, cam.password)
        self.auth = GstRtspServer.RTSPAuth()
        # gi cannot pass BASIC|DIGEST (the enum rejects 3), so the challenge
        # offers one scheme; either scheme's credentials are accepted anyway.
        method = GstRtsp.RTSPAuthMethod.BASIC if auth_method == "basic" else GstRtsp.RTSPAuthMethod.DIGEST
        self.auth.set_supported_methods(method)
        self.auth.set_realm("CunboxSim")
        self.grant_credentials()
        self.server.set_auth(self.auth)

        role = Gst.Structure.from_string(FACTORY_ROLE)[0]
        mounts = self.server.get_mount_points()
        for name, clip in clips.items():
            r = clip.rendition
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(LAUNCH.format(w=r.width, h=r.height, fps=r.fps))
            factory.set_shared(True)
            factory.set_protocols(GstRtsp.RTSPLowerTrans.TCP | GstRtsp.RTSPLowerTrans.UDP)
            factory.set_address_pool(pool)
            factory.add_role_from_structure(role)
            factory.connect("media-configure", self.on_media_configure, clip, name)
            mounts.add_factory(f"/{name}", factory)
        self.server.connect("client-connected", self.on_client_connected)

    def grant_credentials(self) -> None:
        self.auth.add_basic(self.basic, self.token)
        self.auth.add_digest(self.cam.user, self.cam.password, self.token)

    def revoke_credentials(self) -> None:
        self.auth.remove_basic(self.basic)
        self.auth.remove_digest(self.cam.user)

    def on_client_connected(self, _server: Any, client: Any) -> None:
        with self.lock:
            self.clients.add(client)
            self.clients_total += 1
        client.connect("closed", self.on_client_closed)

    def on_client_closed(self, client: Any) -> None:
        with self.lock:
            self.clients.discard(client)

    def client_count(self) -> int:
        with self.lock:
            return len(self.clients)

    def clients_connected(self) -> int:
        with self.lock:
            return self.clients_total

    def on_media_configure(self, _factory: Any, media: Any, clip: Clip, name: str) -> None:
        bin_ = media.get_element()
        src = bin_.get_by_name("src")
        valve = bin_.get_by_name("valve")
        counters = self.counters[name]
        feeder = Feeder(clip, counters, lambda: "stall" in self.cam.faults)
        src.connect("need-data", feeder.on_need_data)
        key = next(self.media_ids)
        with self.lock:
            self.valves[key] = valve
            valve.set_property("drop", "stall" in self.cam.faults)
        with counters.lock:
            counters.active += 1

        def unprepared(_media: Any) -> None:
            with self.lock:
                self.valves.pop(key, None)
            with counters.lock:
                counters.active -= 1

        media.connect("unprepared", unprepared)

    def set_stalled(self, stalled: bool) -> None:
        with self.lock:
            for valve in self.valves.values():
                valve.set_property("drop", stalled)

    def drop_clients(self) -> int:
        with self.lock:
            clients = list(self.clients)
        for client in clients:
            client.close()
        return len(clients)

    def start(self) -> None:
        port = self.cam.rtsp_port
        if not tcp_port_free(self.cam.sim.bind, port):
            raise SimError(f"RTSP port {port} ({self.cam.name}) is already in use", EXIT_PORT_CONFLICT)
        self.source_id = self.server.attach(None)
        if self.source_id == 0 or self.server.get_bound_port() != port:
            self.stop()
            raise SimError(f"RTSP server for {self.cam.name} could not listen on port {port}", EXIT_PORT_CONFLICT)
        # Do not take attach() at its word: make sure the socket listening on
        # that port is one of ours, or clients would reach someone else.
        if not listening_inodes(port) & own_socket_inodes():
            self.stop()
            raise SimError(f"RTSP port {port} ({self.cam.name}) is not bound by this process", EXIT_PORT_CONFLICT)

    def stop(self) -> None:
        if self.source_id:
            # Destroying the source drops the last reference to the listening
            # socket, so new connections are refused right away.
            GLib.Source.remove(self.source_id)
            self.source_id = 0
        self.drop_clients()


# --------------------------------------------------------------------------- ONVIF

NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tt": "http://www.onvif.org/ver10/schema",
    "ter": "http://www.onvif.org/ver10/error",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
SOAP_NAMESPACES = (NS["env"], "http://schemas.xmlsoap.org/soap/envelope/")  # SOAP 1.2, 1.1
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<env:Envelope xmlns:env="{env}" xmlns:tds="{tds}" xmlns:trt="{trt}" xmlns:tt="{tt}" xmlns:ter="{ter}">'
    "<env:Body>{{body}}</env:Body></env:Envelope>"
).format(**NS)
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
GARBAGE_SOAP = b'<?xml version="1.0"?><env:Envelope xmlns:env="x"><env:Body><tds:Get\x00Response>&bogus;</env:Bod'


class SoapFault(Exception):
    def __init__(self, status: int, code: str, subcode: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.code, self.subcode, self.reason = status, code, subcode, reason

    def xml(self) -> str:
        return ENVELOPE.format(body=(
            f"<env:Fault><env:Code><env:Value>{self.code}</env:Value>"
            f"<env:Subcode><env:Value>{self.subcode}</env:Value></env:Subcode></env:Code>"
            f'<env:Reason><env:Text xml:lang="en">{escape(self.reason)}</env:Text></env:Reason></env:Fault>'
        ))


def not_authorized() -> SoapFault:
    # SOAP 1.2 over HTTP answers sender faults with 400.
    return SoapFault(400, "env:Sender", "ter:NotAuthorized", "Sender not authorized")


def password_digest(nonce: bytes, created: str, password: str) -> str:
    return base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()


def check_username_token(envelope: ET.Element, user: str, password: str) -> None:
    """WS-Security UsernameToken with PasswordDigest; anything else is refused."""
    soap = envelope.tag[1:].partition("}")[0]
    token = envelope.find(f"{{{soap}}}Header/{{{NS['wsse']}}}Security/{{{NS['wsse']}}}UsernameToken")
    if token is None:
        raise not_authorized()
    username = token.findtext(f"{{{NS['wsse']}}}Username") or ""
    pw = token.find(f"{{{NS['wsse']}}}Password")
    nonce_b64 = token.findtext(f"{{{NS['wsse']}}}Nonce") or ""
    created = token.findtext(f"{{{NS['wsu']}}}Created") or ""
    if pw is None or not (pw.get("Type") or "").endswith("#PasswordDigest") or not created:
        raise not_authorized()
    try:
        nonce = base64.b64decode(nonce_b64, validate=True)
    except ValueError:
        raise not_authorized() from None
    expected = password_digest(nonce, created, password)
    if not (hmac.compare_digest(username, user) and hmac.compare_digest((pw.text or "").strip(), expected)):
        raise not_authorized()


def tag(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


class Onvif:
    """SOAP actions of one camera's device and media services."""

    def __init__(self, cam: Camera) -> None:
        self.cam = cam
        self.actions: dict[tuple[str, str], Callable[[ET.Element], str]] = {
            (NS["tds"], "GetSystemDateAndTime"): self.get_system_date_and_time,
            (NS["tds"], "GetDeviceInformation"): self.get_device_information,
            (NS["tds"], "GetCapabilities"): self.get_capabilities,
            (NS["tds"], "GetServices"): self.get_services,
            (NS["tds"], "GetScopes"): self.get_scopes,
            (NS["tds"], "GetHostname"): self.get_hostname,
            (NS["trt"], "GetProfiles"): self.get_profiles,
            (NS["trt"], "GetProfile"): self.get_profile,
            (NS["trt"], "GetVideoSources"): self.get_video_sources,
            (NS["trt"], "GetStreamUri"): self.get_stream_uri,
            (NS["trt"], "GetSnapshotUri"): self.get_snapshot_uri,
            (TEV, "GetServiceCapabilities"): lambda _req: cam.events.capabilities(),
            (TEV, "GetEventProperties"): lambda _req: cam.events.properties(),
            (TEV, "CreatePullPointSubscription"): cam.events.create,
        }
        # Actions on one subscription, which its address (the request path) names.
        self.subscription_actions: dict[tuple[str, str], Callable[[ET.Element, str], str]] = {
            (TEV, "PullMessages"): cam.events.pull,
            (WSNT, "Renew"): cam.events.renew,
            (WSNT, "Unsubscribe"): cam.events.unsubscribe,
        }

    @property
    def base(self) -> str:
        return f"http://{self.cam.sim.bind}:{self.cam.onvif_port}"

    def handle(self, body: bytes, path: str = "/onvif/device_service") -> tuple[int, str]:
        try:
            return 200, self.dispatch(body, path)
        except SoapFault as fault:
            return fault.status, fault.xml()

    def dispatch(self, body: bytes, path: str) -> str:
        try:
            envelope = ET.fromstring(body)
        except ET.ParseError:
            raise SoapFault(400, "env:Sender", "ter:WellFormed", "Malformed XML") from None
        # Replies are SOAP 1.2 as ONVIF wants; requests may also be SOAP 1.1.
        soap = envelope.tag[1:].partition("}")[0]
        if soap not in SOAP_NAMESPACES:
            raise SoapFault(400, "env:Sender", "ter:WellFormed", "Not a SOAP envelope")
        request = envelope.find(f"{{{soap}}}Body/*")
        if request is None:
            raise SoapFault(400, "env:Sender", "ter:InvalidArgs", "Empty SOAP body")
        ns, _, action = request.tag[1:].partition("}")
        handler = self.actions.get((ns, action))
        on_subscription = self.subscription_actions.get((ns, action))
        if ns in (TEV, WSNT) and not self.cam.has_events:
            handler = on_subscription = None
        if handler is None and on_subscription is None:
            raise SoapFault(400, "env:Receiver", "ter:ActionNotSupported", f"{action} is not supported")
        if action != "GetSystemDateAndTime":
            if "refuse_auth" in self.cam.faults:
                raise not_authorized()
            check_username_token(envelope, self.cam.user, self.cam.password)
        if on_subscription is not None:
            return ENVELOPE.format(body=on_subscription(request, path))
        assert handler is not None
        return ENVELOPE.format(body=handler(request))

    def get_system_date_and_time(self, _req: ET.Element) -> str:
        t = time.gmtime(time.time() + self.cam.clock_offset)
        stamp = (
            f"<tt:Time><tt:Hour>{t.tm_hour}</tt:Hour><tt:Minute>{t.tm_min}</tt:Minute><tt:Second>{t.tm_sec}</tt:Second></tt:Time>"
            f"<tt:Date><tt:Year>{t.tm_year}</tt:Year><tt:Month>{t.tm_mon}</tt:Month><tt:Day>{t.tm_mday}</tt:Day></tt:Date>"
        )
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
            "<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime>{stamp}</tt:UTCDateTime><tt:LocalDateTime>{stamp}</tt:LocalDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def get_device_information(self, _req: ET.Element) -> str:
        cam = self.cam
        return (
            "<tds:GetDeviceInformationResponse>"
            f"<tds:Manufacturer>CunboxSim</tds:Manufacturer><tds:Model>{tag(cam.model)}</tds:Model>"
            f"<tds:FirmwareVersion>{tag(cam.firmware)}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{tag(cam.serial)}</tds:SerialNumber><tds:HardwareId>{tag(cam.hardware)}</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )

    def get_capabilities(self, _req: ET.Element) -> str:
        return (
            "<tds:GetCapabilitiesResponse><tds:Capabilities>"
            f"<tt:Device><tt:XAddr>{self.base}/onvif/device_service</tt:XAddr>"
            "<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>"
            "<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>"
            "<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>false</tt:DiscoveryBye>"
            "<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>"
            "<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>"
            "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>"
            "</tt:Device>"
            + (
                f"<tt:Events><tt:XAddr>{self.base}/onvif/events_service</tt:XAddr>"
                "<tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>"
                "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
                "<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport>"
                "</tt:Events>"
                if self.cam.has_events else ""
            )
            + f"<tt:Media><tt:XAddr>{self.base}/onvif/media_service</tt:XAddr>"
            "<tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
            "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
            "</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )

    def get_services(self, _req: ET.Element) -> str:
        services = (
            (NS["tds"], "device_service", 2, 60),
            (NS["trt"], "media_service", 2, 60),
            *(((TEV, "events_service", 2, 60),) if self.cam.has_events else ()),
        )
        return "<tds:GetServicesResponse>" + "".join(
            f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{self.base}/onvif/{path}</tds:XAddr>"
            f"<tds:Version><tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version></tds:Service>"
            for ns, path, major, minor in services
        ) + "</tds:GetServicesResponse>"

    def get_scopes(self, _req: ET.Element) -> str:
        return "<tds:GetScopesResponse>" + "".join(
            f"<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>{escape(s)}</tt:ScopeItem></tds:Scopes>"
            for s in self.cam.scopes
        ) + "</tds:GetScopesResponse>"

    def get_hostname(self, _req: ET.Element) -> str:
        return (
            "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
            f"<tt:Name>{self.cam.name}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
        )

    def profile_xml(self, element: str, r: Rendition) -> str:
        return (
            f'<{element} token="{r.name}" fixed="true"><tt:Name>{r.name}</tt:Name>'
            '<tt:VideoSourceConfiguration token="vsc0"><tt:Name>video source</tt:Name><tt:UseCount>2</tt:UseCount>'
            f'<tt:SourceToken>vs0</tt:SourceToken><tt:Bounds x="0" y="0" width="{self.cam.renditions[0].width}" height="{self.cam.renditions[0].height}"/>'
            "</tt:VideoSourceConfiguration>"
            f'<tt:VideoEncoderConfiguration token="vec_{r.name}"><tt:Name>{r.name} encoder</tt:Name><tt:UseCount>1</tt:UseCount>'
            "<tt:Encoding>H264</tt:Encoding>"
            f"<tt:Resolution><tt:Width>{r.width}</tt:Width><tt:Height>{r.height}</tt:Height></tt:Resolution>"
            "<tt:Quality>5</tt:Quality>"
            f"<tt:RateControl><tt:FrameRateLimit>{r.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>"
            f"<tt:BitrateLimit>{r.kbps}</tt:BitrateLimit></tt:RateControl>"
            f"<tt:H264><tt:GovLength>{r.gop}</tt:GovLength><tt:H264Profile>{r.profile.capitalize()}</tt:H264Profile></tt:H264>"
            "<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>"
            "<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
            "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>"
            f"</{element}>"
        )

    def rendition_for(self, req: ET.Element) -> Rendition:
        token = (req.findtext(f"{{{NS['trt']}}}ProfileToken") or "").strip()
        for r in self.cam.renditions:
            if r.name == token:
                return r
        raise SoapFault(400, "env:Sender", "ter:InvalidArgVal", f"no profile {token!r}")

    def get_profiles(self, _req: ET.Element) -> str:
        profiles = "".join(self.profile_xml("trt:Profiles", r) for r in self.cam.renditions)
        return f"<trt:GetProfilesResponse>{profiles}</trt:GetProfilesResponse>"

    def get_profile(self, req: ET.Element) -> str:
        return f"<trt:GetProfileResponse>{self.profile_xml('trt:Profile', self.rendition_for(req))}</trt:GetProfileResponse>"

    def get_video_sources(self, _req: ET.Element) -> str:
        main = self.cam.renditions[0]
        return (
            '<trt:GetVideoSourcesResponse><trt:VideoSources token="vs0">'
            f"<tt:Framerate>{main.fps}</tt:Framerate>"
            f"<tt:Resolution><tt:Width>{main.width}</tt:Width><tt:Height>{main.height}</tt:Height></tt:Resolution>"
            "</trt:VideoSources></trt:GetVideoSourcesResponse>"
        )

    @staticmethod
    def media_uri(element: str, uri: str) -> str:
        return (
            f"<{element}><trt:MediaUri><tt:Uri>{escape(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
            "<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
            f"</{element}>"
        )

    def get_stream_uri(self, req: ET.Element) -> str:
        return self.media_uri("trt:GetStreamUriResponse", self.cam.rtsp_url(self.rendition_for(req).name))

    def get_snapshot_uri(self, req: ET.Element) -> str:
        return self.media_uri("trt:GetSnapshotUriResponse", self.cam.snapshot_url(self.rendition_for(req).name))


class OnvifRequestHandler(http.server.BaseHTTPRequestHandler):
    server: OnvifHttpServer
    server_version = "CunboxSim-ONVIF/1.0"

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s onvif %s", self.server.cam.name, fmt % args)

    def reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        cam = self.server.cam
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not self.path.startswith("/onvif/"):
            self.reply(404, "text/plain", b"not found\n")
            return
        status, xml = cam.onvif.handle(body, self.path)
        payload = GARBAGE_SOAP if "garbage_soap" in cam.faults else xml.encode()
        self.reply(status, SOAP_CONTENT_TYPE, payload)

    def do_GET(self) -> None:
        match = re.fullmatch(r"/onvif/snapshot/(\w+)\.jpg", self.path)
        clip = self.server.cam.clips.get(match.group(1)) if match else None
        if clip is None:
            self.reply(404, "text/plain", b"not found\n")
            return
        self.reply(200, "image/jpeg", clip.snapshot)


class OnvifHttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, cam: Camera) -> None:
        self.cam = cam
        super().__init__((cam.sim.bind, cam.onvif_port), OnvifRequestHandler)


class OnvifEndpoint:
    def __init__(self, cam: Camera) -> None:
        self.cam = cam
        self.httpd: OnvifHttpServer | None = None

    def start(self) -> None:
        try:
            self.httpd = OnvifHttpServer(self.cam)
        except OSError as e:
            raise SimError(f"ONVIF port {self.cam.onvif_port} ({self.cam.name}): {e.strerror}", EXIT_PORT_CONFLICT) from None
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.5},
                         name=f"onvif-{self.cam.name}", daemon=True).start()

    def stop(self) -> None:
        httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()


# --------------------------------------------------------------------------- cameras

FAULTS = ("stall", "drop", "refuse_auth", "offline", "garbage_soap", "clock_offset", "drop_subscription")


class Camera:
    def __init__(self, sim: Simulator, index: int, clip_name: str, rtsp_port: int, onvif_port: int) -> None:
        self.sim = sim
        self.index = index
        self.name = f"cam{index:02d}"
        self.clip_name = clip_name
        self.bframes = index in sim.args.bframes
        self.user = sim.args.user
        self.password = f"cam{index}pass"
        self.rtsp_port = rtsp_port
        self.onvif_port = onvif_port
        self.model = "SimCam-720"
        self.firmware = "1.0.0-sim"
        self.serial = f"CSIM{index:06d}"
        self.hardware = "CunboxSim-720"
        self.uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"cunbox-camsim:{sim.bind}:{onvif_port}")
        self.scopes = (
            "onvif://www.onvif.org/type/video_encoder",
            "onvif://www.onvif.org/Profile/Streaming",
            f"onvif://www.onvif.org/name/CunboxSim_{self.name}",
            f"onvif://www.onvif.org/hardware/{self.hardware}",
            "onvif://www.onvif.org/location/simulator",
        )
        # Read from other threads; each assignment replaces the whole set so
        # readers never see it half-updated.
        self.faults: frozenset[str] = frozenset()
        self.clock_offset = 0.0
        self.lock = threading.Lock()
        self.clips = {r.name: sim.clips[(clip_name, self.b_frames(), r.name)] for r in RENDITIONS}
        # What the streams really are: the standard renditions, or an asis clip's own.
        self.renditions = [clip.rendition for clip in self.clips.values()]
        self.rtsp = RtspEndpoint(self, self.clips, sim.pool, sim.args.rtsp_auth)
        self.has_events = index not in sim.args.no_events
        self.events = EventService(
            base=lambda: self.onvif.base,
            fault=SoapFault,
            zero_time=index in sim.args.zero_time,
            clock_offset=lambda: self.clock_offset,
        )
        self.onvif = Onvif(self)
        self.onvif_http = OnvifEndpoint(self)

    def b_frames(self) -> int:
        return B_FRAMES if self.bframes else 0

    def rtsp_url(self, stream: str) -> str:
        return f"rtsp://{self.sim.bind}:{self.rtsp_port}/{stream}"

    def snapshot_url(self, stream: str) -> str:
        return f"http://{self.sim.bind}:{self.onvif_port}/onvif/snapshot/{stream}.jpg"

    def device_url(self) -> str:
        return f"http://{self.sim.bind}:{self.onvif_port}/onvif/device_service"

    def describe(self) -> dict[str, Any]:
        return {
            "index": self.index, "name": self.name, "user": self.user, "password": self.password,
            "rtsp_port": self.rtsp_port, "onvif_port": self.onvif_port,
            "main": self.rtsp_url("main"), "sub": self.rtsp_url("sub"),
            "onvif": self.device_url(), "uuid": f"urn:uuid:{self.uuid}", "clip": self.clip_name,
            "loop_ms": self.clips["sub"].loop_ms,
            "bframes": self.bframes, "events": self.has_events, "zero_time": self.events.zero_time,
        }

    def state(self) -> dict[str, Any]:
        return {
            "index": self.index, "name": self.name,
            "online": "offline" not in self.faults,
            "faults": sorted(self.faults), "clock_offset_s": self.clock_offset,
            "rtsp_clients": self.rtsp.client_count(),
            "rtsp_connections": self.rtsp.clients_connected(),
            "streams": {name: c.snapshot() for name, c in self.rtsp.counters.items()},
            "events": self.events.snapshot() if self.has_events else None,
        }

    # Fault changes come from control threads; one at a time per camera, and
    # anything touching GStreamer runs on the main loop.
    def apply_fault(self, fault: str, params: dict[str, Any]) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}, none")
        with self.lock:
            if fault == "drop":
                n = call_in_main(self.rtsp.drop_clients)
                log.info("%s: dropped %d RTSP client(s)", self.name, n)
                return
            if fault == "drop_subscription":
                n = self.events.drop_subscriptions()
                log.info("%s: forgot %d event subscription(s)", self.name, n)
                return
            if fault == "clock_offset":
                seconds = params.get("seconds")
                if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
                    raise ValueError('clock_offset needs a numeric "seconds"')
                self.clock_offset = float(seconds)
            if fault in self.faults:
                return
            self.faults = self.faults | {fault}
            if fault == "stall":
                call_in_main(lambda: self.rtsp.set_stalled(True))
            elif fault == "refuse_auth":
                call_in_main(self.rtsp.revoke_credentials)
            elif fault == "offline":
                self.onvif_http.stop()
                call_in_main(self.rtsp.stop)
            log.info("%s: fault %s on", self.name, fault)

    def clear_fault(self, fault: str | None) -> None:
        with self.lock:
            for f in sorted(self.faults) if fault is None else [fault]:
                if f not in self.faults:
                    continue
                if f == "offline":
                    # Back on the same ports; a failure here is loud, not silent.
                    self.onvif_http.start()
                    try:
                        call_in_main(self.rtsp.start)
                    except SimError:
                        self.onvif_http.stop()
                        raise
                elif f == "stall":
                    call_in_main(lambda: self.rtsp.set_stalled(False))
                elif f == "refuse_auth":
                    call_in_main(self.rtsp.grant_credentials)
                elif f == "clock_offset":
                    self.clock_offset = 0.0
                self.faults = self.faults - {f}
                log.info("%s: fault %s off", self.name, f)


# --------------------------------------------------------------------------- WS-Discovery

WSD_GROUP = "239.255.255.250"
WSD_PORT = 3702
WSA = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"
PROBE_TYPES = {"NetworkVideoTransmitter", "Device"}


class Discovery:
    """Answers WS-Discovery Probes with one unicast ProbeMatch per online camera.

    It never sends multicast (no Hello/Bye); replies go only to the prober."""

    def __init__(self, sim: Simulator, iface: str) -> None:
        self.sim = sim
        self.instance_id = int(time.time())
        self.message_number = 0
        self.lock = threading.Lock()
        self.rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            # Bound to the group address: only datagrams sent to the group arrive.
            self.rx.bind((WSD_GROUP, WSD_PORT))
            mreq = struct.pack("4s4s", socket.inet_aton(WSD_GROUP), socket.inet_aton(iface))
            self.rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        except OSError as e:
            raise SimError(f"WS-Discovery: cannot join {WSD_GROUP}:{WSD_PORT} on {iface}: {e.strerror}") from None
        self.tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
        self.tx.bind((sim.bind, 0))

    def start(self) -> None:
        threading.Thread(target=self.serve, name="wsdiscovery", daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                data, peer = self.rx.recvfrom(65536)
            except OSError:
                return
            try:
                relates_to = self.parse_probe(data)
            except ET.ParseError:
                continue
            if relates_to is not None:
                threading.Thread(target=self.answer, args=(relates_to, peer), daemon=True).start()

    @staticmethod
    def parse_probe(data: bytes) -> str | None:
        """The probe's MessageID when it asks for cameras, else None."""
        envelope = ET.fromstring(data)
        for soap in SOAP_NAMESPACES:
            probe = envelope.find(f"{{{soap}}}Body/{{{WSD}}}Probe")
            if probe is None:
                continue
            types = (probe.findtext(f"{{{WSD}}}Types") or "").split()
            if types and not any(t.rpartition(":")[2] in PROBE_TYPES for t in types):
                return None
            return envelope.findtext(f"{{{soap}}}Header/{{{WSA}}}MessageID") or ""
        return None

    def answer(self, relates_to: str, peer: tuple[str, int]) -> None:
        if not peer[0] or socket.inet_aton(peer[0])[0] >= 224:
            return  # never answer towards a multicast/broadcast address
        cams = [c for c in self.sim.cameras if "offline" not in c.faults]
        # Real devices wait a random 0..APP_MAX_DELAY (500 ms) before answering.
        schedule = sorted((random.uniform(0, 0.5), c) for c in cams) if cams else []
        started = time.monotonic()
        for delay, cam in schedule:
            time.sleep(max(0.0, started + delay - time.monotonic()))
            try:
                self.tx.sendto(self.probe_match(cam, relates_to), peer)
            except OSError as e:
                log.warning("WS-Discovery reply to %s failed: %s", peer, e)

    def probe_match(self, cam: Camera, relates_to: str) -> bytes:
        with self.lock:
            self.message_number += 1
            number = self.message_number
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<s:Envelope xmlns:s="{SOAP_NAMESPACES[0]}" xmlns:a="{WSA}" xmlns:d="{WSD}" '
            f'xmlns:dn="http://www.onvif.org/ver10/network/wsdl" xmlns:tds="{NS["tds"]}">'
            f"<s:Header><a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID>"
            f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
            f"<a:To>{WSA}/role/anonymous</a:To>"
            f"<a:Action>{WSD}/ProbeMatches</a:Action>"
            f'<d:AppSequence InstanceId="{self.instance_id}" MessageNumber="{number}"/></s:Header>'
            "<s:Body><d:ProbeMatches><d:ProbeMatch>"
            f"<a:EndpointReference><a:Address>urn:uuid:{cam.uuid}</a:Address></a:EndpointReference>"
            "<d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>"
            f"<d:Scopes>{escape(' '.join(cam.scopes))}</d:Scopes>"
            f"<d:XAddrs>{cam.device_url()}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>"
            "</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"
        ).encode()

    def stop(self) -> None:
        self.rx.close()
        self.tx.close()


# --------------------------------------------------------------------------- control API


class ControlHandler(http.server.BaseHTTPRequestHandler):
    server: ControlServer

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("control %s", fmt % args)

    def send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def camera(self, index: str) -> Camera | None:
        cams = self.server.sim.cameras
        i = int(index)
        return cams[i] if 0 <= i < len(cams) else None

    def do_GET(self) -> None:
        sim = self.server.sim
        if self.path == "/cameras":
            self.send_json(200, {"cameras": [c.state() for c in sim.cameras]})
            return
        match = re.fullmatch(r"/cameras/(\d+)", self.path)
        cam = self.camera(match.group(1)) if match else None
        if cam is None:
            self.send_json(404, {"error": "not found"})
            return
        self.send_json(200, cam.state())

    def do_POST(self) -> None:
        sim = self.server.sim
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as e:
            self.send_json(400, {"error": f"bad JSON: {e}"})
            return
        if self.path == "/shutdown":
            self.send_json(200, {"ok": True})
            GLib.idle_add(sim.quit)
            return
        event = re.fullmatch(r"/cameras/(\d+)/event", self.path)
        if event:
            self.raise_event(self.camera(event.group(1)), body)
            return
        match = re.fullmatch(r"/cameras/(\d+)/(fault|clear)", self.path)
        cam = self.camera(match.group(1)) if match else None
        if cam is None or match is None:
            self.send_json(404, {"error": "not found"})
            return
        fault = body.get("fault")
        if fault is not None and not isinstance(fault, str):
            self.send_json(400, {"error": '"fault" must be a string'})
            return

        try:
            if match.group(2) == "clear" or fault == "none":
                cam.clear_fault(None if fault in (None, "none") else fault)
            elif fault is None:
                raise ValueError('missing "fault"')
            else:
                cam.apply_fault(fault, body)
            self.send_json(200, cam.state())
        except ValueError as e:
            self.send_json(400, {"error": str(e)})
        except SimError as e:
            self.send_json(409, {"error": str(e)})


    def raise_event(self, cam: Camera | None, body: dict[str, Any]) -> None:
        if cam is None or not cam.has_events:
            self.send_json(404, {"error": "no such camera, or it has no Events service"})
            return
        kind, state = body.get("kind"), body.get("state")
        if not isinstance(state, bool):
            self.send_json(400, {"error": '"state" must be true or false'})
            return
        try:
            reached = cam.events.raise_event(str(kind), state)
        except ValueError as e:
            self.send_json(400, {"error": str(e)})
            return
        log.info("%s: event %s=%s to %d subscription(s)", cam.name, kind, state, reached)
        self.send_json(200, {"subscriptions": reached})


class ControlServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, sim: Simulator, port: int) -> None:
        self.sim = sim
        super().__init__((sim.bind, port), ControlHandler)


# --------------------------------------------------------------------------- simulator

REQUIRED_ELEMENTS = ("appsrc", "identity", "valve", "rtph264pay", "rtpbin", "udpsink", "udpsrc", "appsink", "appsrc")


class Simulator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.bind: str = args.bind
        self.loop = GLib.MainLoop()
        self.cameras: list[Camera] = []
        self.clips: dict[tuple[str, str], Clip] = {}
        self.pool: Any = None
        self.control: ControlServer | None = None
        self.discovery: Discovery | None = None
        self.claims = PortClaims(self.bind)

    def check_plugins(self) -> None:
        missing = [e for e in dict.fromkeys(REQUIRED_ELEMENTS) if Gst.ElementFactory.find(e) is None]
        if missing:
            raise SimError(f"missing GStreamer element(s): {', '.join(missing)} "
                           "(install gstreamer1.0-plugins-base/good/bad)", EXIT_MISSING_DEPENDENCY)

    def clip_for(self, index: int) -> str:
        names = self.args.clip
        return names[index % len(names)]

    def start(self) -> None:
        args = self.args
        self.check_plugins()
        wanted = [(self.clip_for(i), B_FRAMES if i in args.bframes else 0) for i in range(args.cameras)]
        self.clips = prepare_clips(Path(args.cache_dir), wanted)

        # Server-side UDP sockets come from this pool so they bind to --bind
        # only; a taken port is skipped by gst-rtsp-server, not fatal.
        self.pool = GstRtspServer.RTSPAddressPool()
        udp_lo = random.randrange(10000, ephemeral_range()[0] - 8 * args.cameras - 100) & ~1
        self.pool.add_range(self.bind, self.bind, udp_lo, udp_lo + 8 * args.cameras + 64, 0)

        self.start_cameras()
        try:
            self.control = ControlServer(self, args.control_port)
        except OSError as e:
            raise SimError(f"control port {args.control_port}: {e.strerror}", EXIT_PORT_CONFLICT) from None
        threading.Thread(target=self.control.serve_forever, name="control", daemon=True).start()
        if args.discovery:
            self.discovery = Discovery(self, args.discovery_iface or self.bind)
            self.discovery.start()

    def start_cameras(self) -> None:
        """Bind every camera's ports; auto-chosen blocks are retried elsewhere if
        another process grabbed a port between our check and our bind."""
        args, n = self.args, self.args.cameras
        attempts = 1 if args.rtsp_base_port or args.onvif_base_port else 5
        for attempt in range(attempts):
            rtsp_base = args.rtsp_base_port or pick_port_block(self.bind, n, set())
            onvif_base = args.onvif_base_port or pick_port_block(self.bind, n, set(range(rtsp_base, rtsp_base + n)))
            self.cameras = [Camera(self, i, self.clip_for(i), rtsp_base + i, onvif_base + i) for i in range(n)]
            try:
                for cam in self.cameras:
                    self.claims.claim("RTSP", cam.rtsp_port, cam.name)
                    self.claims.claim("ONVIF", cam.onvif_port, cam.name)
                    cam.rtsp.start()
                    cam.onvif_http.start()
                return
            except SimError as e:
                for cam in self.cameras:
                    cam.rtsp.stop()
                    cam.onvif_http.stop()
                self.claims.release_all()
                if attempt + 1 == attempts or e.exit_code != EXIT_PORT_CONFLICT:
                    raise
                log.warning("%s; trying other ports", e)

    def ready_line(self) -> str:
        assert self.control is not None
        port = self.control.server_address[1]
        return json.dumps({
            "ready": True,
            "pid": os.getpid(),
            "control": f"http://{self.bind}:{port}",
            "discovery": self.discovery is not None,
            "cameras": [c.describe() for c in self.cameras],
        }, separators=(",", ":"))

    def quit(self) -> bool:
        self.loop.quit()
        return False

    def run(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, self.quit)
        if self.args.exit_with_stdin:
            # The parent holds our stdin; EOF means it died, so don't linger as an orphan.
            def on_stdin(fd: int, _cond: Any) -> bool:
                if os.read(fd, 4096):
                    return True
                log.info("stdin closed; shutting down")
                self.quit()
                return False

            GLib.io_add_watch(0, GLib.PRIORITY_DEFAULT, GLib.IOCondition.IN | GLib.IOCondition.HUP, on_stdin)
        print(self.ready_line(), flush=True)
        log.info("%d camera(s) ready", len(self.cameras))
        self.loop.run()

    def stop(self) -> None:
        if self.discovery:
            self.discovery.stop()
        # Each HTTP server takes up to its poll interval to stop; stop them together.
        stoppers = [threading.Thread(target=cam.onvif_http.stop) for cam in self.cameras]
        if self.control:
            stoppers.append(threading.Thread(target=self.control.shutdown))
        for thread in stoppers:
            thread.start()
        for cam in self.cameras:
            cam.rtsp.stop()
        for thread in stoppers:
            thread.join()
        if self.control:
            self.control.server_close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Simulate N IP cameras (RTSP, ONVIF, WS-Discovery) on one host.")
    p.add_argument("--cameras", type=int, default=8, help="number of cameras (default 8)")
    p.add_argument("--bind", default="127.0.0.1", help="IPv4 address for every socket (default 127.0.0.1)")
    p.add_argument("--rtsp-base-port", type=int, default=0, help="camera i listens on base+i (default: free block)")
    p.add_argument("--onvif-base-port", type=int, default=0, help="camera i's ONVIF on base+i (default: free block)")
    p.add_argument("--control-port", type=int, default=0, help="fault-injection API port (0 = any free)")
    p.add_argument("--cache-dir", default=str(Path(__file__).resolve().parent / ".cache"))
    p.add_argument("--clip", default="testsrc",
                   help=f"clip name(s), comma-separated, assigned round-robin: {', '.join(CLIP_SOURCES)}, "
                        "file:PATH (re-encoded) or asis:PATH (an H.264 file served unchanged on main and sub)")
    p.add_argument("--bframes", default="",
                   help=f"comma-separated camera indexes whose streams have B-frames ({B_FRAMES} per mini-GOP)")
    p.add_argument("--no-events", default="",
                   help="comma-separated camera indexes without an ONVIF Events service")
    p.add_argument("--zero-time", default="",
                   help="comma-separated camera indexes whose event times read 0000-00-00T00:00:00Z")
    p.add_argument("--user", default="admin")
    p.add_argument("--rtsp-auth", choices=("digest", "basic"), default="digest",
                   help="scheme offered in the RTSP 401 challenge; both schemes' credentials are accepted")
    p.add_argument("--discovery", action="store_true", help="answer WS-Discovery probes (off by default)")
    p.add_argument("--discovery-iface", default=None, help="interface address to join the multicast group on (default: --bind)")
    p.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin reaches EOF (parent died)")
    p.add_argument("--verbose", "-v", action="store_true")
    args = p.parse_args(argv)
    args.clip = [c for c in args.clip.split(",") if c]
    try:
        args.bframes = {int(v) for v in args.bframes.split(",") if v.strip()}
    except ValueError:
        p.error("--bframes takes camera indexes, e.g. 0,3")
    for name in ("no_events", "zero_time"):
        try:
            setattr(args, name, {int(v) for v in getattr(args, name).split(",") if v.strip()})
        except ValueError:
            p.error(f"--{name.replace('_', '-')} takes camera indexes, e.g. 0,3")
    if not 1 <= args.cameras <= 512:
        p.error("--cameras must be between 1 and 512")
    if not args.clip:
        p.error("--clip needs at least one name")
    try:
        socket.inet_aton(args.bind)
    except OSError:
        p.error("--bind must be an IPv4 address")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.INFO,
                        format="camsim %(levelname)s %(message)s")
    # Until the main loop takes over signals, turn them into an exception so
    # a running clip encode is killed and its temporary files are removed.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: sys.exit(128 + signum))
    Gst.init(None)
    sim = Simulator(args)
    try:
        sim.start()
        sim.run()
    except SimError as e:
        print(f"camsim: error: {e}", file=sys.stderr)
        return e.exit_code
    finally:
        sim.stop()
    log.info("stopped")
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Everything is closed by now; skip interpreter teardown, which spends
    # seconds finalizing GStreamer objects whose threads are still winding down.
    os._exit(code)
