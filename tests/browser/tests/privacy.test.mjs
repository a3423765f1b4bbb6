// The privacy page (/privacy): reached from every citizen page's footer, in English and Spanish,
// checked with axe-core; the number of days contacts are kept is the stack's ContactRetentionDays
// (the template's default, as the browser stack sets none), and the logs' days its LogRetentionDays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASE_URL, DESKTOP, PHONE, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest, staffToken } from './helpers.mjs';

const TEMPLATE = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'template.yaml'), 'utf8');

/** A template parameter's default. */
function parameterDefault(name) {
  const found = TEMPLATE.match(new RegExp(`\\n  ${name}:\\n(?:    .*\\n)*?    Default: (\\d+)`));
  assert.ok(found, `template.yaml has a default for ${name}`);
  return Number(found[1]);
}

const CONTACT_DAYS = parameterDefault('ContactRetentionDays');
const LOG_DAYS = parameterDefault('LogRetentionDays');

const WORDS = {
  en: { heading: 'Your privacy', link: 'Privacy', days: `removed ${CONTACT_DAYS} days after`, logs: `kept ${LOG_DAYS} days` },
  es: { heading: 'Su privacidad', link: 'Privacidad', days: `se borra ${CONTACT_DAYS} días después`, logs: `se guardan ${LOG_DAYS} días` },
};

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

for (const [lang, device, name] of [['en', PHONE, 'phone'], ['es', DESKTOP, 'desktop']]) {
  test(`the privacy page (${lang}, ${name}): reached from the footer, the configured days, accessible`, async () => {
    const words = WORDS[lang];
    const page = await open(browser, { device, lang });
    // Every citizen page's footer links to it.
    for (const from of ['/', '/status', '/map', '/stats', '/privacy']) {
      const html = await (await fetch(new URL(from, BASE_URL))).text();
      assert.match(html.slice(html.indexOf('<footer')), /<a href="\/privacy"[^>]*data-i18n="nav.privacy"/, `${from} links to /privacy`);
    }
    await page.goto(url('/status', lang));
    await page.waitForLoadState('networkidle');
    await page.getByRole('contentinfo').getByRole('link', { name: words.link }).click();
    await page.getByRole('heading', { level: 1, name: words.heading }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/privacy');
    assert.equal(await page.getAttribute('html', 'lang'), lang);

    const contacts = page.locator('#privacy-contact-retention');
    await contacts.filter({ hasText: words.days }).waitFor();
    assert.match(await page.locator('#privacy-log-retention').textContent(), new RegExp(words.logs));
    assert.match(await page.locator('main').textContent(), /35/);
    assert.equal(await page.locator('[style]').count(), 0, 'no inline style anywhere');

    await assertAccessible(page, `the privacy page (${lang}, ${name})`);
    await screenshot(page, `privacy-${lang}-${name}`);
    assertNoProblems(page);
    await page.context().close();
  });
}

test('the privacy page follows the language switch', async () => {
  const page = await open(browser, { device: DESKTOP, lang: 'en' });
  await page.goto(url('/privacy', 'en'));
  await page.locator('#privacy-contact-retention').filter({ hasText: WORDS.en.days }).waitFor();
  await page.getByRole('button', { name: 'Español' }).click();
  await page.locator('#privacy-contact-retention').filter({ hasText: WORDS.es.days }).waitFor();
  await page.getByRole('heading', { level: 1, name: WORDS.es.heading }).waitFor();
  assertNoProblems(page);
  await page.context().close();
});

for (const [lang, words] of [
  ['en', { open: 'Remove my contact from this request', field: 'Your email or phone number', button: 'Remove my contact', done: 'has been removed', invalid: 'not an email address' }],
  ['es', { open: 'Borrar mi contacto de esta solicitud', field: 'Su correo o teléfono', button: 'Borrar mi contacto', done: 'se ha borrado', invalid: 'no es un correo' }],
]) {
  test(`a reporter removes their contact from the status page (${lang})`, async () => {
    const email = `forget-${lang}-${Date.now()}@example.org`;
    const id = await fileRequest({ service_code: 'POTHOLE', 'attribute[SIZE]': 'large', address_string: '12 Elm St', email, first_name: 'Rosalind' });
    const page = await open(browser, { device: PHONE, lang });
    await page.goto(url(`/status?id=${id}`, lang));
    await page.locator('#result').waitFor();
    await page.getByText(words.open).click();
    const field = page.getByLabel(words.field);
    await field.fill('not a contact');
    await page.getByRole('button', { name: words.button }).click();
    await page.getByText(words.invalid).waitFor();
    await field.fill(email);
    await page.getByRole('button', { name: words.button }).click();
    await page.locator('#forget-done').filter({ hasText: words.done }).waitFor();
    await assertAccessible(page, `the status page after removing a contact (${lang})`);
    await screenshot(page, `status-forget-${lang}`);
    assertNoProblems(page, [/^400 .*\/forget$/]);
    await page.context().close();

    // Staff see a resident with no contact.
    const token = await staffToken('ada', ['admin']);
    const view = await (await fetch(new URL(`/staff/v1/tickets/${id}`, BASE_URL), { headers: { authorization: `Bearer ${token}` } })).json();
    assert.equal(view.ticket.reporter.email, undefined);
    assert.equal(view.ticket.reporter.first_name, undefined);
  });
}
