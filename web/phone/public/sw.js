// The app shell offline: hashed assets cache-first (they never change), the page
// network-first with the cached copy when there is no signal. The API is never cached:
// reports made offline wait in the app's own queue (src/queue.ts), not here.
const CACHE = 'cunbox-m-v1';
const SHELL = ['/m/', '/m/manifest.webmanifest', '/m/icon.svg'];

// The shell and the hashed files its page names: the app opens with no signal from the first visit on.
async function precache() {
  const cache = await caches.open(CACHE);
  await cache.addAll(SHELL);
  const html = await (await cache.match('/m/')).text();
  await cache.addAll([...html.matchAll(/(?:src|href)="(\/m\/assets\/[^"]+)"/g)].map((m) => m[1]));
}
self.addEventListener('install', (e) => {
  e.waitUntil(precache().then(() => self.skipWaiting()));
});
self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim()));
});
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !url.pathname.startsWith('/m/')) return;
  if (url.pathname.startsWith('/m/assets/')) {
    e.respondWith(
      caches.match(e.request).then((hit) => hit ?? fetch(e.request).then((res) => {
        if (res.ok) { const copy = res.clone(); void caches.open(CACHE).then((c) => c.put(e.request, copy)); }
        return res;
      })),
    );
    return;
  }
  if (e.request.mode === 'navigate') {
    e.respondWith(
      fetch(e.request)
        .then((res) => { const copy = res.clone(); void caches.open(CACHE).then((c) => c.put('/m/', copy)); return res; })
        .catch(() => caches.match('/m/').then((hit) => hit ?? Response.error())),
    );
  }
});
