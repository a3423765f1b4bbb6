// Staff sign-in at the stack's user pool (the emulator's Cognito, as Cognito in AWS): a clerk an
// administrator created with a temporary password signs in on /admin with it, is asked for a
// password of their own, sets up the authenticator code the pool requires, works a ticket, and
// signs out: the page forgets the tokens and ends them at the pool. Signing in again asks for the
// authenticator's code. Checked with axe-core at each step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, BASE_URL, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest, createStaff,
  staffToken, signInTokens,
} from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const TEMPORARY = 'Welcome-Millbrook-7';
const CHOSEN = 'My-Own-Passw0rd-311';

test('a new clerk signs in with a temporary password, chooses one, works a ticket and signs out', async () => {
  const ticket = await fileRequest({
    service_code: 'POTHOLE', lat: '42.1042', long: '-72.5901', 'attribute[SIZE]': 'small', 'attribute[DEPTH]': '2',
    description: 'Sign-in test pothole',
  });
  await createStaff('cleo', ['dept-DPW'], TEMPORARY, { temporary: true });
  const page = await open(browser, { device: DESKTOP });
  const pool = [];
  page.on('request', (request) => {
    const target = request.headers()['x-amz-target'];
    if (target) pool.push({ action: target.split('.').pop(), body: request.postDataJSON() });
  });
  await page.goto(url('/admin') + `#ticket/${ticket}`);

  // A wrong password is refused at the pool, and said so.
  await page.getByLabel('User name').fill('cleo');
  await page.getByLabel('Password', { exact: true }).fill('Not-The-Passw0rd');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Wrong user name or password.').waitFor();

  await page.getByLabel('Password', { exact: true }).fill(TEMPORARY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('New password').waitFor();
  await assertAccessible(page, 'the new password');
  await screenshot(page, 'admin-new-password-en');
  // The pool's policy holds: a weak one is refused.
  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page.getByText(/That password is too weak/).waitFor();
  await page.getByLabel('New password').fill(CHOSEN);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();

  // The pool requires an authenticator: the page shows the key to add, and takes the app's code.
  await page.getByLabel('6-digit code', { exact: true }).waitFor();
  // (The emulator gives every account the same key; Cognito a new one each time.)
  assert.ok((await page.locator('#mfa-secret').textContent()).length >= 8, 'the key from AssociateSoftwareToken');
  await assertAccessible(page, 'the authenticator set-up');
  await page.getByLabel('6-digit code', { exact: true }).fill('123456');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('#who', { hasText: 'Signed in as cleo' }).waitFor();
  assert.deepEqual(
    pool.map((call) => call.action),
    ['InitiateAuth', 'InitiateAuth', 'RespondToAuthChallenge', 'RespondToAuthChallenge', 'AssociateSoftwareToken', 'VerifySoftwareToken', 'RespondToAuthChallenge'],
  );
  assert.equal(pool[0].body.AuthFlow, 'USER_PASSWORD_AUTH');
  // Nothing of the sign-in is kept by the browser.
  assert.deepEqual(await page.evaluate(() => [sessionStorage.length, localStorage.length]), [0, 0]);

  // The clerk works the ticket: acknowledged.
  const detail = page.getByRole('region', { name: new RegExp(`^${ticket}`) });
  await detail.waitFor();
  await page.locator('#status-to').selectOption('acknowledged');
  await page.getByRole('button', { name: 'Change status' }).click();
  const admin = await staffToken('ad-signin', ['admin']);
  let view = null;
  for (let tries = 0; tries < 50; tries += 1) {
    view = await (await fetch(`${BASE_URL}/staff/v1/tickets/${ticket}`, { headers: { authorization: `Bearer ${admin}` } })).json();
    if (view.ticket.status === 'acknowledged') break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.equal(view.ticket.status, 'acknowledged');
  assert.ok(view.history.some((h) => h.actor === 'cleo' || JSON.stringify(h).includes('"cleo"')), JSON.stringify(view.history));

  // Sign-out: the staff view goes, the page asks the pool to end the tokens, and a reload finds
  // nothing to sign in with.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('User name').waitFor();
  assert.equal(await page.locator('#work').isVisible(), false);
  assert.equal(await page.locator('#who').isVisible(), false);
  const signOut = pool.find((call) => call.action === 'GlobalSignOut');
  assert.ok(signOut && signOut.body.AccessToken, 'the page ended its tokens at the pool');
  await page.reload();
  await page.getByLabel('User name').waitFor();
  assert.equal(await page.locator('#work').isVisible(), false);

  // The next sign-in asks for the authenticator's code.
  await page.getByLabel('User name').fill('cleo');
  await page.getByLabel('Password', { exact: true }).fill(CHOSEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('6-digit code from your authenticator app').fill('654321');
  await assertAccessible(page, 'the authenticator code');
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.locator('#who', { hasText: 'Signed in as cleo' }).waitFor();
  assertNoProblems(page, [/^400 .*\/$/]);
  await page.context().close();
});
