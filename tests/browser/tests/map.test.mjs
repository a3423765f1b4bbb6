// The public map: requests filed around a place of the test's own, then /map shown there on a
// phone and a desktop, in English and Spanish: the list under the map holds exactly the open
// public requests in view (not the one outside, not the private one, not the closed one until
// asked for), crowded pins are one numbered cluster, a pin's popup links to its status page, and
// axe-core finds nothing. The form links to the map. Screenshots go to target/browser/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, BASE_URL, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest, staffToken,
} from './helpers.mjs';

let browser;
const place = { lat: 40.5 + Math.random() * 0.8, long: -74.9 + Math.random() * 0.8 };
const at = (dLat, dLong) => ({ lat: (place.lat + dLat).toFixed(6), long: (place.long + dLong).toFixed(6) });
const filed = {};

async function pothole(where) {
  return fileRequest({ service_code: 'POTHOLE', ...where, 'attribute[SIZE]': 'small', address_string: '9 Birch Lane', description: 'Crater by the bus stop', email: 'neighbour.map@example.org' });
}

before(async () => {
  browser = await launch();
  // Two a few metres apart (one cluster), one a street away, one far outside the view.
  filed.a = await pothole(at(0, 0));
  filed.b = await pothole(at(0.00015, 0.0001));
  filed.c = await pothole(at(0.0018, 0.0025));
  filed.outside = await pothole(at(0.05, 0));
  filed.private = await fileRequest({ service_code: 'HOUSING', ...at(0.0008, -0.0008), 'attribute[PROBLEM][]': 'no_heat', description: 'No heat at my flat', email: 'tenant.map@example.org' });
  filed.closed = await pothole(at(-0.0012, -0.0012));
  const token = await staffToken('ada', ['admin']);
  const closed = await fetch(`${BASE_URL}/staff/v1/tickets/${filed.closed}/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'set_status', status: 'closed', resolution: 'fixed', version: 1 }),
  });
  assert.equal(closed.status, 200, await closed.text());
});
after(async () => {
  await browser?.close();
});

/** The ticket numbers the list under the map shows, sorted. */
async function listed(page) {
  const texts = await page.locator('#map-list li a').allTextContents();
  return texts.map((text) => text.split(':')[0]).sort();
}

function mapUrl(lang) {
  const u = new URL(url('/map', lang));
  u.searchParams.set('lat', String(place.lat));
  u.searchParams.set('long', String(place.long));
  u.searchParams.set('zoom', '16');
  return u.toString();
}

for (const lang of ['en', 'es']) {
  const words = lang === 'en'
    ? { heading: "What's already reported", closed: 'Also show requests closed in the last 30 days', count: '3 requests in view.', see: 'See request', link: "See what's already reported", open: 'Open' }
    : { heading: 'Lo que ya se reportó', closed: 'Mostrar también las cerradas en los últimos 30 días', count: '3 solicitudes a la vista.', see: 'Ver la solicitud', link: 'Ver lo que ya se reportó', open: 'Abierta' };

  for (const [device, name] of [[PHONE, 'phone'], [DESKTOP, 'desktop']]) {
    test(`map (${lang}, ${name}): exactly the open public requests in view, clustered, linked`, async () => {
      const page = await open(browser, { device, lang });
      await page.goto(mapUrl(lang));
      await page.getByRole('heading', { name: words.heading }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll('#map-list li').length > 0);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      const openOnes = [filed.a, filed.b, filed.c].sort();
      assert.deepEqual(await listed(page), openOnes, 'the open public ones in view, and only them');
      assert.equal(await page.locator('#list-count').textContent(), words.count);
      const hrefs = await page.locator('#map-list li a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      assert.deepEqual(hrefs.sort(), openOnes.map((id) => `/status?id=${id}`).sort());
      const listText = await page.locator('#map-list').textContent();
      for (const personal of ['Birch', 'Crater', 'neighbour', 'tenant', 'heat']) assert.ok(!listText.includes(personal), personal);

      // Two pins a few metres apart are one cluster of 2; the third is a pin of its own.
      const cluster = page.locator('.map-cluster');
      await cluster.first().waitFor();
      assert.deepEqual(await cluster.allTextContents(), ['2']);
      const pin = page.locator(`.leaflet-marker-icon[title^="${filed.c}"]`);
      await pin.click();
      const link = page.locator('.leaflet-popup .map-popup a');
      await link.waitFor();
      assert.equal(await link.getAttribute('href'), `/status?id=${filed.c}`);
      assert.equal(await link.textContent(), `${words.see} ${filed.c}`);
      // Moving the map reads the view again; the same pins stay, the popup open.
      const loads = Number(await page.getAttribute('#requests-map', 'data-loads'));
      await page.locator('#requests-map').focus();
      await page.keyboard.press('ArrowDown');
      await page.waitForFunction((before) => Number(document.getElementById('requests-map').dataset.loads) > before, loads);
      assert.equal(await link.isVisible(), true, 'the popup stays open as the map moves');
      await assertAccessible(page, `the map (${lang}, ${name})`);
      await screenshot(page, `map-${name}-${lang}`);

      // Recently closed ones when asked for; the private and the far one never.
      await page.getByLabel(words.closed).check();
      await page.waitForFunction(() => document.querySelectorAll('#map-list li').length === 4);
      assert.deepEqual(await listed(page), [...openOnes, filed.closed].sort());
      await assertAccessible(page, `the map with closed requests (${lang}, ${name})`);

      // Zoomed into the cluster, its two pins come apart.
      await page.getByLabel(words.closed).uncheck();
      await cluster.first().click();
      await page.waitForFunction(() => document.querySelectorAll('.map-cluster').length === 0 && document.querySelectorAll('#map-list li').length >= 2);
      assert.ok((await listed(page)).includes(filed.a) && (await listed(page)).includes(filed.b));
      assertNoProblems(page);
      await page.context().close();
    });
  }

  test(`the form links to the map (${lang})`, async () => {
    const page = await open(browser, { device: PHONE, lang });
    await page.goto(url('/', lang));
    const link = page.getByRole('link', { name: words.link });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), '/map');
    await page.context().close();
  });
}

test('a view too wide asks to zoom in, with nothing listed', async () => {
  const page = await open(browser, { device: DESKTOP });
  const u = new URL(mapUrl('en'));
  u.searchParams.set('zoom', '9');
  await page.goto(u.toString());
  await page.getByText('Zoom in to see the requests: this view is too wide.').first().waitFor();
  assert.equal(await page.locator('#map-list li').count(), 0);
  await assertAccessible(page, 'the map zoomed out');
  assertNoProblems(page);
  await page.context().close();
});
