// Trunk's post-build hook (Trunk.toml): gives the built index.html a strict
// Content-Security-Policy. The site makes no request outside its own origin,
// so everything is 'self'; the inline scripts trunk writes (the app's
// start-up, and the live-reload script of `trunk serve`) change with every
// build, so they are allowed by their hashes, computed here.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const file = join(process.env.TRUNK_STAGING_DIR ?? 'dist', 'index.html');
const html = readFileSync(file, 'utf8');
const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)];
const hashes = inline.map(([, body]) => `'sha256-${createHash('sha256').update(body).digest('base64')}'`);
const policy = [
  "default-src 'self'",
  `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`,
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  // Leptos sets a few style attributes (bar heights); no style elements.
  "style-src-attr 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');
if (html.includes('http-equiv="Content-Security-Policy"')) {
  throw new Error(`${file} already has a Content-Security-Policy`);
}
writeFileSync(file, html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`));
console.log(`csp.mjs: ${inline.length} inline script(s) allowed by hash in ${file}`);
