// What a citizen's browser really fetches from the town's origin: each fetch is an API Gateway
// request, and each page or asset one a web function invocation. A first visit loads the page and
// its assets; a returning citizen's browser keeps the assets (fingerprinted, immutable) and fetches
// only the page, its settings script (a fresh form token each time) and the API calls it makes.
// The counts go to ARTEFACTS/fetches.json, and must be bench/page-fetches.json's, which the bench's
// cost model reads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARTEFACTS, BASE_URL, PHONE, launch, fileRequest } from './helpers.mjs';

const PAGES = new Set(['/', '/status', '/map', '/stats', '/privacy', '/admin']);
const SETTINGS = '/assets/config.js';

let browser;
let proxy;
let origin;
/** Every request that reached the stack, in order: { method, path, status, cache }. */
const seen = [];

before(async () => {
  browser = await launch();
  // A counting pass-through in front of the stack: what reaches it is what reached the origin,
  // whatever the browser took from its own cache.
  const upstream = new URL(BASE_URL);
  proxy = http.createServer((req, res) => {
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        seen.push({
          method: req.method,
          path: new URL(req.url, BASE_URL).pathname,
          status: answer.statusCode,
          cache: answer.headers['cache-control'] || '',
        });
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${proxy.address().port}`;
});
after(async () => {
  await browser?.close();
  proxy?.closeAllConnections();
  await new Promise((resolve) => proxy ? proxy.close(resolve) : resolve());
});

/** What a request is: a web function invocation (page, settings, assets), an API call, or none. */
function kind(path) {
  if (PAGES.has(path)) return 'page';
  if (path === SETTINGS) return 'settings';
  if (path.startsWith('/assets/')) return 'assets';
  // The browser's own guess; no route in template.yaml (API Gateway answers 404 itself).
  if (path === '/favicon.ico') return 'unrouted';
  return 'api';
}

/** What one page view fetched, by kind (web invocations are the page, its settings and assets). */
function counts(requests) {
  const c = { page: 0, settings: 0, assets: 0, api: 0, unrouted: 0 };
  for (const r of requests) c[kind(r.path)] += 1;
  return { ...c, web: c.page + c.settings + c.assets, requests: requests.map((r) => `${r.method} ${r.path} ${r.status}`) };
}

/** Runs `visit` and returns what reached the stack meanwhile, once the page is quiet. */
async function recorded(page, visit) {
  const from = seen.length;
  await visit();
  await page.waitForLoadState('networkidle');
  return seen.slice(from);
}

/** A citizen on the form: chooses a service and places the pin (the marker's images load then). */
async function useTheForm(page) {
  await page.goto(`${origin}/?lang=en`);
  await page.getByLabel(/^Pothole/).check();
  const map = page.locator('#map');
  await map.scrollIntoViewIfNeeded();
  await map.click({ position: { x: 120, y: 80 } });
  await page.locator('.leaflet-marker-icon').waitFor();
}

test('a returning citizen fetches the page and its API calls, never an asset again, as the cost model counts', async () => {
  const ticket = await fileRequest({ service_code: 'SIGN', lat: '42.1', long: '-72.5', description: 'A sign knocked down.' });
  const context = await browser.newContext({ ...PHONE, locale: 'en-US', timezoneId: 'America/New_York' });
  const page = await context.newPage();
  // No internet here: the map tiles are blocked at the browser (a route would turn its cache off).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setBlockedURLs', { urls: ['https://tile.openstreetmap.org/*'] });
  // Script errors and CSP violations (failed loads are the blocked tiles and the favicon).
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });

  const status = `${origin}/status?lang=en&id=${encodeURIComponent(ticket)}`;
  const showsTicket = () => page.waitForFunction((id) => document.body.textContent.includes(id), ticket);
  const formFirst = await recorded(page, () => useTheForm(page));
  const statusFirst = await recorded(page, async () => { await page.goto(status); await showsTicket(); });
  const formAgain = await recorded(page, () => useTheForm(page));
  const statusAgain = await recorded(page, async () => { await page.goto(status); await showsTicket(); });
  await context.close();
  assert.deepEqual(errors, []);

  const measured = {
    form_first: counts(formFirst),
    status_after_form: counts(statusFirst),
    form_returning: counts(formAgain),
    status_returning: counts(statusAgain),
  };
  writeFileSync(join(ARTEFACTS, 'fetches.json'), `${JSON.stringify(measured, null, 2)}\n`);

  // The first visit loads every asset under its fingerprint, to be kept for a year.
  const assets = [...formFirst, ...statusFirst].filter((r) => r.path.startsWith('/assets/') && r.path !== SETTINGS);
  assert.ok(assets.length >= 8, `the form's assets: ${measured.form_first.requests.join(', ')}`);
  for (const r of assets) {
    assert.match(r.path, /^\/assets\/[0-9a-f]{8}\//, `${r.path} is fingerprinted`);
    assert.equal(r.status, 200, r.path);
    assert.equal(r.cache, 'public, max-age=31536000, immutable', r.path);
  }
  // Nothing is fetched twice: the status page loads only its own script beyond the form's.
  assert.equal(new Set(assets.map((r) => r.path)).size, assets.length, 'no asset fetched twice');
  assert.equal(measured.status_after_form.assets, 1, measured.status_after_form.requests.join(', '));

  // Returning: the page (revalidated, its settings inside it) and its API calls; no asset.
  for (const [name, view] of [['form', measured.form_returning], ['status', measured.status_returning]]) {
    assert.equal(view.assets, 0, `${name} fetched an asset again: ${view.requests.join(', ')}`);
    assert.equal(view.page, 1, name);
    assert.equal(view.settings, 0, `${name} fetched its settings apart from the page`);
    assert.ok(view.api >= 1, `${name} calls the API`);
  }
  // The bench's cost model counts what the browser really fetched.
  const model = JSON.parse(readFileSync(new URL('../../../bench/page-fetches.json', import.meta.url), 'utf8'));
  for (const view of Object.keys(measured)) {
    assert.equal(measured[view].web, model[view], `${view}: ${measured[view].requests.join(', ')} (bench/page-fetches.json)`);
  }
  for (const view of ['form_first', 'status_returning']) {
    assert.equal(measured[view].api, model[`${view}_api`], `${view}: ${measured[view].requests.join(', ')} (bench/page-fetches.json)`);
  }
});
