// The address field suggests the town's addresses as they are typed (an ARIA combobox):
// choosing one by keyboard or by pointer fills the field, sends its id and puts the pin on it;
// the open list passes axe in both languages; a pin dropped while the field is empty fills it
// with the address under the pin. The local stack loads the demo town's seed addresses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, open, url, screenshot, assertAccessible, assertNoProblems } from './helpers.mjs';

// 12 Oak Street in infra/seed/addresses.csv.
const OAK = { id: 'MB-0084', address: '12 Oak Street' };

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

for (const lang of ['en', 'es']) {
  const words = lang === 'en'
    ? { search: 'Search the services' }
    : { search: 'Buscar en los servicios' };

  test(`the address field suggests the town's addresses and the keyboard chooses one (${lang})`, async () => {
    const page = await open(browser, { lang });
    await page.goto(url('/', lang));
    await page.getByLabel(words.search).waitFor();
    const field = page.getByRole('combobox');
    assert.equal(await field.getAttribute('id'), 'address');
    assert.equal(await field.getAttribute('aria-expanded'), 'false');

    await field.fill('12 oak st');
    const option = page.getByRole('option', { name: OAK.address });
    await option.waitFor();
    assert.equal(await field.getAttribute('aria-expanded'), 'true');
    assert.equal(await page.getByRole('listbox').getAttribute('id'), await field.getAttribute('aria-controls'));
    await assertAccessible(page, `the address suggestions (${lang})`);
    await screenshot(page, `citizen-form-address-suggestions-${lang}`);

    // Escape closes the list; the arrow reopens it; Enter chooses, without sending the form.
    await field.press('Escape');
    assert.equal(await field.getAttribute('aria-expanded'), 'false');
    await field.press('ArrowDown');
    await option.waitFor();
    await field.press('ArrowDown');
    assert.equal(await field.getAttribute('aria-activedescendant'), 'address-option-0');
    assert.equal(await option.getAttribute('aria-selected'), 'true');
    await field.press('Enter');
    assert.equal(await field.inputValue(), OAK.address);
    assert.equal(await page.inputValue('#address-id'), OAK.id);
    assert.equal(await field.getAttribute('aria-expanded'), 'false');
    assert.equal(await page.locator('#error-summary').isHidden(), true, 'Enter did not send the form');
    // The pin is on the address.
    await page.waitForFunction(() => document.getElementById('lat').value !== '');
    assert.ok(Math.abs(Number(await page.inputValue('#lat')) - 42.27) < 0.02, await page.inputValue('#lat'));
    assert.equal(await page.locator('.leaflet-marker-icon').count(), 1, 'the pin is on the map');
    await assertAccessible(page, `the address chosen (${lang})`);

    // Typing again forgets the chosen id.
    await field.fill('12 Oak Street, by the school');
    assert.equal(await page.inputValue('#address-id'), '');
    assertNoProblems(page);
    await page.context().close();
  });
}

test('a suggestion chosen with the pointer is sent as address_id with its point', async () => {
  const page = await open(browser);
  await page.goto(url('/'));
  await page.getByLabel(/^Pothole/).check();
  await page.getByRole('group', { name: /About how big is it\?/ }).waitFor();
  await page.getByLabel('Larger than a car tire').check();
  await page.getByRole('combobox').fill('Oak Street');
  await page.getByRole('option', { name: OAK.address }).click();
  assert.equal(await page.getByRole('combobox').inputValue(), OAK.address);
  const posted = page.waitForRequest((r) => r.url().endsWith('/open311/v2/requests.json') && r.method() === 'POST');
  await page.getByRole('button', { name: 'Send the report' }).click();
  const body = (await posted).postDataBuffer().toString('latin1');
  assert.match(body, new RegExp(`name="address_id"\\r\\n\\r\\n${OAK.id}\\r\\n`));
  assert.match(body, /name="address_string"\r\n\r\n12 Oak Street\r\n/);
  assert.match(body, /name="lat"\r\n\r\n42\.\d{6}\r\n/);
  await page.getByRole('region', { name: 'Thank you, your report was received' }).waitFor();
  assertNoProblems(page);
  await page.context().close();
});

test('a pin dropped while the address is empty fills it with the address under the pin', async () => {
  const page = await open(browser);
  await page.goto(url('/'));
  await page.getByLabel('Search the services').waitFor();
  const map = page.locator('#map');
  await map.scrollIntoViewIfNeeded();
  // The map opens on the town centre, a few steps from Main Street.
  await map.click();
  await page.waitForFunction(() => document.getElementById('address').value !== '');
  assert.match(await page.getByRole('combobox').inputValue(), /^\d+ Main Street$/);
  assert.match(await page.inputValue('#address-id'), /^MB-\d{4}$/);
  // A typed address is never replaced by the pin's: the pin's handler decides as the pin moves.
  await page.getByRole('combobox').fill('Behind the library');
  const before = await page.inputValue('#lat');
  const box = await map.boundingBox();
  await map.click({ position: { x: box.width * 0.75, y: box.height * 0.4 } });
  await page.waitForFunction((lat) => document.getElementById('lat').value !== lat, before);
  assert.equal(await page.getByRole('combobox').inputValue(), 'Behind the library');
  assertNoProblems(page);
  await page.context().close();
});
