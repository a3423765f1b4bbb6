// Shared by the browser tests: Debian's chromium through playwright-core, axe-core, screenshots.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const BASE_URL = process.env.BASE_URL || 'http://127.0.0.1:3314';
/** The emulator behind the stack (its outbox, and the inbound mail it receives as SES does). */
export const EMULATOR_URL = process.env.EMULATOR_URL || 'http://127.0.0.1:5315';
/** The stack's bucket, where SES stores the town's mail. */
export const INBOUND_BUCKET = process.env.INBOUND_BUCKET || 'town311-browser-photos';
export const ARTEFACTS = process.env.ARTEFACTS || join(here, '..', '..', '..', 'target', 'browser');
export const FIXTURES = join(here, '..', 'fixtures');
export const PHOTO = join(FIXTURES, 'pothole.jpg');
const TILE = readFileSync(join(FIXTURES, 'tile.png'));
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const DESKTOP = { viewport: { width: 1280, height: 900 } };

mkdirSync(ARTEFACTS, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * A page in a fresh context. Map tiles are answered with a plain local tile (the test machine
 * has no internet), or refused when `tiles: 'fail'`. Console errors and CSP violations are
 * collected on `page.problems`.
 */
export async function open(browser, { device = PHONE, lang = 'en', tiles = 'stub' } = {}) {
  const context = await browser.newContext({
    ...device,
    locale: lang === 'es' ? 'es-US' : 'en-US',
    timezoneId: 'America/New_York',
  });
  const page = await context.newPage();
  page.tileRequests = 0;
  await page.route('https://tile.openstreetmap.org/**', (route) => {
    page.tileRequests += 1;
    if (tiles === 'fail') return route.abort('internetdisconnected');
    return route.fulfill({ status: 200, contentType: 'image/png', body: TILE });
  });
  page.problems = [];
  page.on('console', (message) => {
    // Failed loads are reported below with their address instead.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      page.problems.push(message.text());
    }
  });
  page.on('response', (response) => {
    if (response.status() >= 400) page.problems.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    if (!request.url().startsWith('https://tile.openstreetmap.org/')) page.problems.push(`failed ${request.url()}`);
  });
  page.on('pageerror', (error) => page.problems.push(String(error)));
  return page;
}

/** The page's URL with the language asked for. */
export function url(path, lang = 'en') {
  const u = new URL(path, BASE_URL);
  u.searchParams.set('lang', lang);
  return u.toString();
}

/** Runs axe-core (WCAG 2.0/2.1 A and AA) and fails with a readable list of violations. */
export async function assertAccessible(page, label) {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) still holds.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
  );
  const violations = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n    ')}`,
  );
  assert.deepEqual(violations, [], `axe-core found violations on ${label}:\n${violations.join('\n')}`);
  assert.ok(result.passes.length > 10, `axe-core checked ${label}`);
}

export async function screenshot(page, name) {
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true });
}

/** While the nearby-requests endpoint is not deployed, the form asks and hides the feature. */
export const NEARBY_MISSING = /^404 .*\/citizen\/v1\/nearby\?/;

/** Fails when the page logged errors or failed loads other than the expected ones. */
export function assertNoProblems(page, allowed = [NEARBY_MISSING]) {
  const unexpected = page.problems.filter((p) => !allowed.some((re) => re.test(p)));
  assert.deepEqual(unexpected, [], `the page logged errors:\n${unexpected.join('\n')}`);
}

/** A staff token from the local stack's dev sign-in. */
export async function staffToken(username = 'ana', groups = ['dept-DPW']) {
  const response = await fetch(new URL('/dev/sign-in', BASE_URL), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, groups }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).token;
}

/** The form token the pages' settings script carries, fresh from the web function. */
export async function formToken() {
  const script = await (await fetch(new URL('/assets/config.js', BASE_URL))).text();
  const settings = JSON.parse(script.trim().replace(/^window\.TOWN311_CONFIG = /, '').replace(/;$/, ''));
  return settings.form_token;
}

/** Files a request through the API (for tests that need one to exist). */
export async function fileRequest(fields) {
  // As the town's form posts: with the token its page was served with (its Origin proves nothing).
  const response = await fetch(new URL('/open311/v2/requests.json', BASE_URL), {
    method: 'POST',
    headers: { origin: BASE_URL },
    body: new URLSearchParams({ ...fields, form_token: await formToken() }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return (await response.json())[0].service_request_id;
}

/** The raw emails the emulator recorded as sent to `to`, oldest first. */
export async function emailsTo(to) {
  const outbox = await (await fetch(new URL('/_town311/outbox', EMULATOR_URL))).json();
  return outbox.emails.filter((m) => m.to.includes(to) && m.raw).map((m) => m.raw);
}

/** A header of a raw email, unfolded. */
export function header(raw, name) {
  const head = raw.split('\r\n\r\n')[0].replace(/\r\n[ \t]/g, ' ');
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}: `));
  return line ? line.slice(name.length + 2) : '';
}

/** Delivers a raw email to the town's mail domain, as SES receives it. */
export async function deliverEmail(raw) {
  const response = await fetch(new URL(`/_town311/inbound/email?bucket=${INBOUND_BUCKET}`, EMULATOR_URL), {
    method: 'POST',
    body: raw,
  });
  assert.equal(response.status, 200, await response.clone().text());
}
