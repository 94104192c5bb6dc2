// Thermolab's service worker (web/offline.mjs fills in the version and the
// build's files). Install caches every file of the build; activate drops
// the caches of other builds; a request for a cached file is answered from
// the cache, anything else from the network. A new build's worker waits
// until the page asks it to take over (the page offers a reload).
const VERSION = '__VERSION__';
const FILES = ['__FILES__'];
const CACHE = `thermolab-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('thermolab-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'take-over') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    // A page's address carries its state in the hash, and maybe a query: the page is index.html.
    const hit = request.mode === 'navigate'
      ? await cache.match('./', { ignoreSearch: true })
      : await cache.match(request, { ignoreSearch: true });
    return hit ?? fetch(request);
  })());
});
