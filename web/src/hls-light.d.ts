// hls.js ships its light build (no subtitles, no DRM) without declarations of its own: same API.
declare module 'hls.js/dist/hls.light.mjs' {
  export * from 'hls.js';
  export { default } from 'hls.js';
}
