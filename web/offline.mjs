// Trunk's post-build hook (Trunk.toml): writes sw.js, the service worker
// that makes the site work offline after one visit. It lists every file of
// this build and names its cache after a hash of their contents, so a new
// build is a new cache and the old one is dropped when the new worker takes
// over. Runs before csp.mjs (the page's registration script is inline and
// hashed there).
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const dir = process.env.TRUNK_STAGING_DIR ?? 'dist';

// `cargo xtask serve` rebuilds on every change: a cache would serve the old
// build. There the page registers no worker, and sw.js only removes one a
// visit to a built site left on the same address.
if (process.env.THERMOLAB_DEV_SERVER) {
  const page = join(dir, 'index.html');
  writeFileSync(page, readFileSync(page, 'utf8').replace(/\s*<script src="offline-status.js"><\/script>/, ''));
  writeFileSync(join(dir, 'sw.js'), `self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil((async () => {
  for (const key of await caches.keys()) if (key.startsWith('thermolab-')) await caches.delete(key);
  await self.registration.unregister();
})()));
`);
  console.log('offline.mjs: development server, no offline cache');
  process.exit(0);
}

function files(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const listed = files(dir)
  .map((path) => relative(dir, path).split(sep).join('/'))
  .filter((path) => path !== 'sw.js')
  .sort();
const hash = createHash('sha256');
for (const path of listed) {
  hash.update(path);
  hash.update(readFileSync(join(dir, path)));
}
const version = hash.digest('hex').slice(0, 16);
const template = readFileSync(new URL('sw-template.js', import.meta.url), 'utf8');
const worker = template
  .replace("'__VERSION__'", JSON.stringify(version))
  .replace("['__FILES__']", JSON.stringify(['./', ...listed]));
writeFileSync(join(dir, 'sw.js'), worker);
console.log(`offline.mjs: sw.js caches ${listed.length} files as version ${version}`);
