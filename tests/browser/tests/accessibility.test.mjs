// axe-core (WCAG 2.1 A and AA) on every page and state, in English and Spanish; a screenshot of
// each goes to target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest, staffToken, signInOnPage, BASE_URL,
} from './helpers.mjs';

let browser;
let ticket;
before(async () => {
  browser = await launch();
  ticket = await fileRequest({
    service_code: 'STREETLIGHT',
    lat: '42.1003',
    long: '-72.4991',
    address_string: '40 Oak Avenue',
    'attribute[PROBLEM]': 'out',
    description: 'Dark all night.',
    email: 'neighbour@example.org',
  });
  const token = await staffToken('bo', ['dept-DPW']);
  const note = await fetch(`${BASE_URL}/staff/v1/tickets/${ticket}/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'note', text: 'A crew will replace the lamp this week.', public: true, version: 1 }),
  });
  assert.equal(note.status, 200);
});
after(async () => {
  await browser?.close();
});

for (const lang of ['en', 'es']) {
  const words = lang === 'en'
    ? { search: 'Search the services', send: 'Send the report', heading: 'Thank you, your report was received', username: 'User name', signIn: 'Sign in', signedIn: 'Signed in as' }
    : { search: 'Buscar en los servicios', send: 'Enviar el reporte', heading: 'Gracias, recibimos su reporte', username: 'Nombre de usuario', signIn: 'Iniciar sesión', signedIn: 'Sesión de' };

  test(`citizen form (${lang}): empty, with questions, with errors, confirmed`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    await page.goto(url('/', lang));
    await page.getByLabel(words.search).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), lang);
    await assertAccessible(page, `the form (${lang})`);
    await screenshot(page, `citizen-form-${lang}`);

    await page.getByRole('button', { name: words.send }).click();
    await page.locator('#error-summary:not([hidden])').waitFor();
    await page.getByLabel(/^Pothole/).check();
    await page.locator('#questions fieldset').first().waitFor();
    await page.getByRole('button', { name: words.send }).click();
    await assertAccessible(page, `the form with errors (${lang})`);
    await screenshot(page, `citizen-form-errors-${lang}`);

    await page.getByLabel('Larger than a car tire').check();
    await page.locator('#address').fill('1 Main Street');
    await page.setInputFiles('#photos', new URL('../fixtures/pothole.jpg', import.meta.url).pathname);
    await page.locator('#photo-list img').waitFor();
    await page.getByRole('button', { name: words.send }).click();
    await page.getByRole('region', { name: words.heading }).waitFor();
    await page.waitForFunction(() => /\d{4}/.test(document.getElementById('confirm-expected').textContent));
    await assertAccessible(page, `the confirmation (${lang})`);
    await screenshot(page, `citizen-confirmation-${lang}`);
    assertNoProblems(page);
    await page.context().close();
  });

  test(`status page (${lang}): lookup box, a request with its history, a number not found`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    await page.goto(url('/status', lang));
    await page.locator('#ticket-id').waitFor();
    await assertAccessible(page, `the lookup (${lang})`);
    await screenshot(page, `status-lookup-${lang}`);

    await page.locator('#ticket-id').fill(ticket);
    await page.locator('#lookup button[type=submit]').click();
    await page.locator('#result:not([hidden])').waitFor();
    await page.getByText('A crew will replace the lamp this week.').first().waitFor();
    assert.equal(await page.locator('#r-history li').count(), 2);
    await assertAccessible(page, `a request (${lang})`);
    await screenshot(page, `status-request-${lang}`);

    await page.locator('#ticket-id').fill('ZZZZ-ZZZZ');
    await page.locator('#lookup button[type=submit]').click();
    await page.locator('#ticket-id-error').waitFor();
    assert.equal(await page.locator('#result').isHidden(), true);
    await assertAccessible(page, `a number not found (${lang})`);
    await screenshot(page, `status-not-found-${lang}`);
    assertNoProblems(page, [/^404 .*\/open311\/v2\/requests\/ZZZZ-ZZZZ\.json/]);
    await page.context().close();
  });

  test(`admin page (${lang}): sign-in, queue, ticket, phone entry`, async () => {
    const page = await open(browser, { device: DESKTOP, lang });
    await page.goto(url('/admin', lang));
    await page.getByLabel(words.username).waitFor();
    await assertAccessible(page, `the sign-in (${lang})`);
    await screenshot(page, `admin-sign-in-${lang}`);

    await signInOnPage(page, 'bo', ['dept-DPW']);
    await page.locator('#who').getByText(words.signedIn).waitFor();
    await page.getByRole('link', { name: ticket }).waitFor();
    await assertAccessible(page, `the queue (${lang})`);
    await screenshot(page, `admin-queue-${lang}`);

    await page.getByRole('link', { name: ticket }).click();
    await page.locator('#detail-history li').nth(1).waitFor();
    await assertAccessible(page, `a ticket (${lang})`);
    await screenshot(page, `admin-ticket-${lang}`);

    await page.locator('#entry-toggle').click();
    await page.locator('#entry-service').selectOption('DRAIN');
    await page.locator('#entry-address').fill('Library parking lot');
    await page.locator('#entry-first').fill('Caller');
    await page.locator('#entry-phone').fill('555 010 7777');
    await assertAccessible(page, `the phone entry (${lang})`);
    await screenshot(page, `admin-entry-${lang}`);
    await page.locator('#entry-form button[type=submit]').click();
    await page.waitForFunction((seen) => /^#ticket\//.test(window.location.hash) && window.location.hash !== `#ticket/${seen}`, ticket);
    const entered = (await page.evaluate(() => window.location.hash)).slice('#ticket/'.length);
    assert.match(entered, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await page.locator('#detail-heading').getByText(entered).waitFor();
    const token = await staffToken();
    const staff = await (await fetch(`${BASE_URL}/staff/v1/tickets/${entered}`, { headers: { authorization: `Bearer ${token}` } })).json();
    assert.equal(staff.ticket.channel, 'phone');
    assert.equal(staff.ticket.reporter.first_name, 'Caller');
    assertNoProblems(page);
    await page.context().close();
  });
}
