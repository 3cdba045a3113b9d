/**
 * The ffmpeg filtergraph that draws a scene (pure: a string). Order follows a
 * camera: the scene (background, objects, rain) → the light on it → the
 * camera moving → the sensor's noise, last, so night gain shows as noise.
 */
import { positionExpr } from './path.ts';
import type { Light, Mover, Scene } from './scenes.ts';

export interface RenderSize {
  width: number;
  height: number;
  fps: number;
}

const even = (v: number) => Math.max(2, 2 * Math.round(v / 2));
const esc = (expr: string) => expr.replaceAll(',', '\\,');

/** One frame drawn once and repeated forever: per-frame geq is slow, a frozen frame is free. */
const frozen = (src: string, fps: number) => `${src},trim=end_frame=1,loop=loop=-1:size=1,setpts=N/${fps}/TB`;

/**
 * A still, textured scene: smooth shading, fine grain, a darker road band and
 * a wall, so a detector has edges and texture to cope with (a flat grey would
 * make every change trivial to see).
 */
function background(w: number, h: number, fps: number, seed: string): string {
  const lum = `118+26*sin(X*2*PI*3/W)*cos(Y*2*PI*2/H)+12*sin(2*PI*(X+2*Y)*17/W)`;
  return frozen(
    `nullsrc=s=${w}x${h}:r=${fps},geq=lum='${esc(lum)}':cb='${esc('126+6*sin(X*2*PI/W)')}':cr='${esc('130+5*cos(Y*2*PI/H)')}',` +
      `noise=c0s=36:c1s=6:c2s=6:allf=0${seed},boxblur=1,` +
      `drawbox=x=0:y=ih*0.2:w=iw:h=ih*0.22:color=0x3a3a3a@0.55:t=fill,` +
      `drawbox=x=iw*0.38:y=ih*0.46:w=iw*0.2:h=ih*0.3:color=0xb0a890@0.5:t=fill`,
    fps,
  );
}

const ELLIPSE = `if(lte(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2),1),255,0)`;

function sprite(m: Mover, size: RenderSize): string {
  const w = even(m.w * size.width);
  const h = even(m.h * size.height);
  const src = `color=c=black:s=${w}x${h}:r=${size.fps},format=yuva420p`;
  switch (m.shape) {
    case 'person':
      return frozen(`${src},geq=lum=${m.luma}:cb=122:cr=134:a='${esc(ELLIPSE)}'`, size.fps);
    case 'car':
      return frozen(`${src},geq=lum=${m.luma}:cb=150:cr=118:a=255`, size.fps);
    case 'leaves':
      // Green with a frozen grain, so the swaying edges and inner texture both change.
      return frozen(`${src},geq=lum=${m.luma}:cb=110:cr=112:a='${esc(ELLIPSE)}',noise=c0s=60:allf=0`, size.fps);
    case 'light':
      // A soft pool of light: fully transparent at the edge, `luma` strong in the middle.
      return frozen(`${src},geq=lum=235:cb=128:cr=128:a='${esc(`${m.luma}*exp(-3*(pow((X-W/2)/(W/2),2)+pow((Y-H/2)/(H/2),2)))`)}'`, size.fps);
  }
}

function lightFilters(light: Light | undefined, night: boolean): string[] {
  const out: string[] = [];
  if (night) out.push('eq=brightness=-0.28:contrast=0.55', 'hue=s=0');
  if (!light) return out;
  switch (light.kind) {
    case 'ramp': {
      // Cosine from low (t=0) up to high (middle) and back: no step at the loop.
      const mid = (light.low + light.high) / 2;
      const amp = (light.high - light.low) / 2;
      out.push(`eq=brightness='${esc(`${mid}-${amp}*cos(2*PI*t/DUR)`)}':eval=frame`);
      break;
    }
    case 'switch':
      out.push(`eq=brightness='${esc(`if(between(t,${light.on},${light.off}),${light.delta},0)`)}':eval=frame`);
      break;
    case 'ir':
      out.push(
        `eq=brightness='${esc(`if(gte(t,${light.at}),0.08,-0.12)`)}':eval=frame`,
        `hue=s='${esc(`if(gte(t,${light.at}),0,1)`)}'`,
      );
      break;
  }
  return out;
}

/** Offset in pixels of the shaken picture at time t: sine bursts that start and end at zero. */
function shakeExpr(scene: Scene, axis: 'x' | 'y', px: number): string {
  const s = scene.shake!;
  const hz = axis === 'x' ? s.hz : 2 * s.hz;
  const amp = axis === 'x' ? px : px * 0.6;
  const parts = s.bursts.map(([a, b]) => `between(t,${a},${b})*sin(2*PI*${hz}*(t-${a}))`);
  return esc(`${px}+${amp}*(${parts.join('+')})`);
}

/**
 * The whole graph, output labelled [out]. `DUR` in light expressions is the
 * clip's length. With shake, the scene is drawn `margin` pixels larger on
 * every side and a moving crop takes the picture out of it.
 */
export function filterGraph(scene: Scene, size: RenderSize): string {
  const { width: W, height: H, fps } = size;
  const margin = scene.shake ? Math.ceil(scene.shake.amplitude * W) + 2 : 0;
  // `:all_seed=N` only when the scene sets one: the evaluation set's command lines (and cache keys) stay as they were.
  const seed = scene.seed === undefined ? '' : `:all_seed=${scene.seed}`;
  const chains: string[] = [`${background(W + 2 * margin, H + 2 * margin, fps, seed)}[bg0]`];
  let last = 'bg0';
  scene.movers.forEach((m, i) => {
    chains.push(`${sprite(m, size)}[m${i}]`);
    const x = positionExpr(m.path, 'x', W, margin);
    const y = positionExpr(m.path, 'y', H, margin);
    chains.push(`[${last}][m${i}]overlay=x='${x}':y='${y}':eval=frame[bg${i + 1}]`);
    last = `bg${i + 1}`;
  });
  if (scene.rain) {
    // Sparse bright specks (the top of a uniform noise field, drawn at a quarter of the size
    // so they are few and a few pixels wide), drawn out into short vertical streaks.
    const cw = W + 2 * margin;
    const ch = H + 2 * margin;
    chains.push(
      `color=c=0x808080:s=${even(cw / 4)}x${even(ch / 4)}:r=${fps},noise=c0s=100:allf=t+u${seed},` +
        `lutyuv=y='if(gt(val\\,174)\\,255\\,0)':u=128:v=128,scale=${cw}:${ch}:flags=neighbor,` +
        `avgblur=sizeX=1:sizeY=${Math.max(2, Math.round(H / 45))},lutyuv=y='min(val*3\\,190)'[rain]`,
      `[${last}][rain]blend=c0_mode=screen:c1_mode=normal:c2_mode=normal:c1_opacity=1:c2_opacity=1[wet]`,
    );
    last = 'wet';
  }
  const post = lightFilters(scene.light, scene.night === true).map((f) => f.replaceAll('DUR', String(scene.seconds)));
  if (scene.shake) post.push(`crop=${W}:${H}:x='${shakeExpr(scene, 'x', margin)}':y='${shakeExpr(scene, 'y', Math.round(margin * 0.6))}'`);
  post.push(`${scene.night ? 'noise=c0s=28:c1s=4:c2s=4:allf=t' : 'noise=c0s=7:c1s=2:c2s=2:allf=t'}${seed}`, 'format=yuv420p');
  chains.push(`[${last}]${post.join(',')}[out]`);
  return chains.join(';');
}

/**
 * Encoder settings of a typical camera sub stream: H.264 Main, closed 2-s GOP,
 * no B-frames, near-constant bitrate. One encoder thread: with several, x264's
 * rate control under the VBV cap depends on how its threads are scheduled, so
 * each render of the same scene came out different, and the motion detector's
 * recall on it with them (0.67 to 0.93 on `speeds` over five loops).
 */
export function encodeArgs(scene: Scene, size: RenderSize): string[] {
  const kbps = Math.round((600 * size.width * size.height) / (640 * 360));
  const gop = 2 * size.fps;
  return [
    '-frames:v', String(Math.round(scene.seconds * size.fps)), '-an',
    '-c:v', 'libx264', '-threads', '1', '-preset', 'veryfast', '-profile:v', 'main', '-pix_fmt', 'yuv420p',
    '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
    '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bf', '0', '-x264-params', 'open-gop=0',
    '-movflags', '+faststart',
  ];
}
