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

/** The password the tests' staff accounts get (the pool's policy: 12 characters, upper, lower, a digit). */
export const STAFF_PASSWORD = 'Test-Passw0rd-311';

/** The admin page's settings: where it signs in (`sign_in`: endpoint, region, client_id). */
export async function pageSettings() {
  const html = await (await fetch(new URL('/admin', BASE_URL))).text();
  const block = html.match(/<script type="application\/json" id="town311-config">(.*?)<\/script>/s);
  assert.ok(block, 'the admin page carries its settings');
  return JSON.parse(block[1]);
}

/** A call to the emulator's Cognito API (the JSON protocol the admin page speaks; the emulator
    takes the administrator's calls unsigned too). */
export async function cognito(action, body) {
  const response = await fetch(new URL('/', EMULATOR_URL), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, data: await response.json().catch(() => ({})) };
}

let pool = null;

/** The stack's staff user pool: its id and the page's app client. */
export async function staffPool() {
  if (pool) return pool;
  const clientId = (await pageSettings()).sign_in.client_id;
  const pools = (await cognito('ListUserPools', { MaxResults: 60 })).data.UserPools || [];
  for (const { Id } of pools) {
    const clients = (await cognito('ListUserPoolClients', { UserPoolId: Id, MaxResults: 60 })).data.UserPoolClients || [];
    if (clients.some((c) => c.ClientId === clientId)) {
      pool = { id: Id, clientId };
      return pool;
    }
  }
  throw new Error(`no user pool has the page's client ${clientId}`);
}

/** Makes `username` anew in just `groups` (a dept-<CODE> group is created the first time), with
    `password`: permanent, or temporary (changed at the first sign-in) with `{ temporary: true }`. */
export async function createStaff(username, groups, password = STAFF_PASSWORD, { temporary = false } = {}) {
  const { id } = await staffPool();
  await cognito('AdminDeleteUser', { UserPoolId: id, Username: username });
  const created = await cognito('AdminCreateUser', {
    UserPoolId: id, Username: username, TemporaryPassword: password, MessageAction: 'SUPPRESS',
  });
  assert.equal(created.status, 200, JSON.stringify(created.data));
  for (const group of groups) {
    await cognito('CreateGroup', { UserPoolId: id, GroupName: group });
    const added = await cognito('AdminAddUserToGroup', { UserPoolId: id, Username: username, GroupName: group });
    assert.equal(added.status, 200, JSON.stringify(added.data));
  }
  if (!temporary) {
    const set = await cognito('AdminSetUserPassword', { UserPoolId: id, Username: username, Password: password, Permanent: true });
    assert.equal(set.status, 200, JSON.stringify(set.data));
  }
}

/** The pool's tokens for `username` signing in with `password` through the page's app client. */
export async function signInTokens(username, password = STAFF_PASSWORD, clientId = null) {
  const signed = await cognito('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: clientId || (await staffPool()).clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  assert.ok(signed.data.AuthenticationResult, JSON.stringify(signed.data));
  return signed.data.AuthenticationResult;
}

/** A staff token (the ID token, as the admin page sends) from the stack's user pool. */
export async function staffToken(username = 'ana', groups = ['dept-DPW']) {
  await createStaff(username, groups);
  return (await signInTokens(username)).IdToken;
}

/** Signs in on the admin page (already open) as `username` in `groups`, with a password. */
export async function signInOnPage(page, username = 'ana', groups = ['dept-DPW']) {
  await createStaff(username, groups);
  await page.locator('#sign-in-username').fill(username);
  await page.locator('#sign-in-password').fill(STAFF_PASSWORD);
  await page.locator('#password-sign-in button[type=submit]').click();
  await page.locator('#who').waitFor();
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
