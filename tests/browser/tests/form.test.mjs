// The citizen form's other paths: no map tiles, no map at all, mistakes explained at the fields,
// big photos made small, and nearby requests offered to follow instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_URL, PHONE, launch, open, url, screenshot, assertNoProblems } from './helpers.mjs';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function chooseService(page, name) {
  await page.getByLabel(new RegExp(`^${name}`)).check();
}

async function submitAndConfirm(page) {
  await page.getByRole('button', { name: 'Send the report' }).click();
  await page.getByRole('region', { name: 'Thank you, your report was received' }).waitFor();
  const id = (await page.textContent('#confirm-id')).trim();
  assert.match(id, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  return id;
}

test('the form still submits when the map tiles cannot load', async () => {
  const page = await open(browser, { tiles: 'fail' });
  await page.goto(url('/'));
  await chooseService(page, 'Clogged storm drain');
  // The map tried, failed, and says so; the typed address carries the request.
  await page.getByText('The map images could not load. Type the address or the coordinates instead.').waitFor();
  assert.ok(page.tileRequests > 0, 'the map asked for tiles');
  await page.getByLabel('Address or nearest landmark').fill('Corner of Oak and Elm');
  await screenshot(page, 'citizen-form-no-tiles-en');
  await submitAndConfirm(page);
  assertNoProblems(page);
  await page.context().close();
});

test('without the map script, typed coordinates still place the request', async () => {
  const page = await open(browser);
  await page.route('**/vendor/leaflet/leaflet.js', (route) => route.abort('failed'));
  await page.goto(url('/'));
  await chooseService(page, 'Clogged storm drain');
  assert.equal(await page.locator('#map').isHidden(), true, 'no map without Leaflet');
  await page.getByLabel('Latitude').fill('42.101');
  await page.getByLabel('Longitude').fill('-72.502');
  const posted = page.waitForRequest((r) => r.url().endsWith('/open311/v2/requests.json'));
  await submitAndConfirm(page);
  const body = (await posted).postDataBuffer().toString('latin1');
  assert.match(body, /name="lat"\r\n\r\n42\.101000\r\n/);
  assert.match(body, /name="long"\r\n\r\n-72\.502000\r\n/);
  assert.match(body, /name="form_token"\r\n\r\n[0-9]+\.[A-Za-z0-9_-]{43}\r\n/, 'the form sends its token');
  assertNoProblems(page, [/leaflet\.js$/, /^404 .*\/citizen\/v1\/nearby\?/]);
  await page.context().close();
});

test('mistakes are listed, tied to their fields, and the API names the ones it finds', async () => {
  const page = await open(browser);
  await page.goto(url('/'));
  await page.getByLabel('Email', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Send the report' }).click();
  const summary = page.getByRole('alert');
  await summary.getByText('Choose the kind of problem').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'error-summary', 'focus moves to the summary');
  const address = page.getByLabel('Address or nearest landmark');
  assert.equal(await address.getAttribute('aria-invalid'), 'true');
  const describedBy = (await address.getAttribute('aria-describedby')).split(' ');
  assert.ok(describedBy.includes('address-error'));
  assert.equal(await page.textContent('#address-error'), 'Place the pin on the map, or type an address or coordinates');
  await screenshot(page, 'citizen-form-errors-en');

  // A question left empty is named at the question.
  await chooseService(page, 'Pothole');
  await page.getByRole('group', { name: /About how big is it\?/ }).waitFor();
  await address.fill('5 Elm Street');
  await page.getByRole('button', { name: 'Send the report' }).click();
  await summary.getByRole('link', { name: 'Answer this question' }).click();
  assert.equal(await page.evaluate(() => document.activeElement.name), 'form-q-SIZE', 'the link leads to the question');

  // Mistakes only the API can see come back as its Open311 error list, shown at the field.
  await page.getByLabel('About a car tire').check();
  await page.route('**/open311/v2/requests.json', (route) =>
    route.fulfill({ status: 400, contentType: 'application/json', body: '[{"code":400,"description":"attribute[SIZE] must be one of: small, medium, large"}]' }),
  );
  await page.getByRole('button', { name: 'Send the report' }).click();
  await summary.getByText('attribute[SIZE] must be one of: small, medium, large').waitFor();
  assert.equal(await page.textContent('#form-q-SIZE-error'), 'attribute[SIZE] must be one of: small, medium, large');
  await page.context().close();
});

test('photos are downscaled in the browser to at most 1600 pixels, as JPEG', async () => {
  const page = await open(browser);
  await page.goto(url('/'));
  await page.getByLabel('Email', { exact: true }).waitFor();
  // A 3000 × 2000 PNG made in the page, as a phone camera would give a big picture.
  const png = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 3000;
    canvas.height = 2000;
    const ctx = canvas.getContext('2d');
    for (let i = 0; i < 60; i += 1) {
      ctx.fillStyle = `hsl(${i * 6}, 60%, 50%)`;
      ctx.fillRect(i * 50, 0, 50, 2000);
    }
    return canvas.toDataURL('image/png').split(',')[1];
  });
  await page.setInputFiles('#photos', { name: 'big.png', mimeType: 'image/png', buffer: Buffer.from(png, 'base64') });
  await page.getByRole('img', { name: 'Photo 1' }).waitFor();
  await chooseService(page, 'Clogged storm drain');
  await page.getByLabel('Address or nearest landmark').fill('Town hall');
  const posted = page.waitForRequest((r) => r.url().endsWith('/open311/v2/requests.json'));
  await submitAndConfirm(page);
  const body = (await posted).postDataBuffer();
  const start = body.indexOf(Buffer.from('Content-Type: image/jpeg\r\n\r\n'));
  assert.ok(start > 0, 'the photo went as JPEG');
  const jpeg = body.subarray(start + 28);
  // The frame header (SOF0) holds the height and width.
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  const height = jpeg.readUInt16BE(sof + 5);
  const width = jpeg.readUInt16BE(sof + 7);
  assert.deepEqual([width, height], [1600, 1067]);
  assertNoProblems(page);
  await page.context().close();
});

test('nearby open requests of the same service are offered, and following one files nothing new', async () => {
  const page = await open(browser);
  const asked = [];
  // The nearby and follow endpoints, answered as their contract says.
  await page.route('**/citizen/v1/nearby?**', (route) => {
    asked.push(new URL(route.request().url()).searchParams);
    return route.fulfill({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        requests: [{ service_request_id: 'K7QM-3XPR', status: 'open', service_name: 'Pothole', address: '14 Main Street', lat: 42.1001, long: -72.5001, distance_m: 23.4, requested_datetime: '2026-11-20T09:30:00-05:00' }],
      }),
    });
  });
  let followed = null;
  await page.route('**/citizen/v1/requests/*/follow', (route) => {
    followed = { url: route.request().url(), body: JSON.parse(route.request().postData()) };
    return route.fulfill({ status: 201, contentType: 'application/json', body: '{"service_request_id":"K7QM-3XPR","following":true}' });
  });
  let submitted = false;
  page.on('request', (r) => {
    if (r.url().endsWith('/open311/v2/requests.json')) submitted = true;
  });
  await page.goto(url('/'));
  await chooseService(page, 'Pothole');
  await page.getByLabel('Latitude').fill('42.1');
  await page.getByLabel('Longitude').fill('-72.5');
  await page.getByLabel('Longitude').blur();
  const nearby = page.getByRole('region', { name: 'Already reported nearby?' });
  await nearby.getByText('K7QM-3XPR').waitFor();
  await nearby.getByText('23 m away').waitFor();
  assert.equal(asked[0].get('service_code'), 'POTHOLE');
  assert.equal(asked[0].get('radius'), '100');

  // Following needs a way to reach the citizen.
  await nearby.getByRole('button', { name: 'Follow this one instead' }).click();
  assert.equal(await page.textContent('#email-error'), 'To follow a request, give an email or a phone number so we can tell you about changes.');
  await page.getByLabel('Mobile phone').fill('(555) 010-9999');
  await page.getByLabel('By text message (SMS)').check();
  await screenshot(page, 'citizen-form-nearby-en');
  await nearby.getByRole('button', { name: 'Follow this one instead' }).click();
  await page.getByRole('region', { name: 'You are following this request' }).waitFor();
  assert.equal((await page.textContent('#following-id')).trim(), 'K7QM-3XPR');
  assert.match(followed.url, /\/citizen\/v1\/requests\/K7QM-3XPR\/follow$/);
  assert.deepEqual(followed.body, { language: 'en', phone: '(555) 010-9999', notify_by: 'sms' });
  assert.equal(submitted, false, 'no new request');
  await screenshot(page, 'citizen-following-en');
  await page.context().close();
});

test('without the nearby endpoint the form goes on without the offer', async () => {
  const page = await open(browser);
  await page.goto(url('/'));
  await chooseService(page, 'Pothole');
  const response = page.waitForResponse((r) => r.url().includes('/citizen/v1/nearby?'));
  await page.getByLabel('Latitude').fill('42.1');
  await page.getByLabel('Longitude').fill('-72.5');
  await page.getByLabel('Longitude').blur();
  const status = (await response).status();
  if (status === 404) {
    assert.equal(await page.locator('#nearby').isHidden(), true);
  } else {
    // Once the endpoint is deployed it answers, and the section follows what it says.
    assert.equal(status, 200);
  }
  await page.context().close();
});

test("the device's location places the pin", async () => {
  const page = await open(browser);
  await page.context().grantPermissions(['geolocation'], { origin: BASE_URL });
  await page.context().setGeolocation({ latitude: 42.0987, longitude: -72.5012, accuracy: 10 });
  await page.goto(url('/'));
  await page.getByRole('button', { name: 'Use my location' }).click();
  await page.waitForFunction(() => document.getElementById('lat').value !== '');
  assert.equal(await page.inputValue('#lat'), '42.098700');
  assert.equal(await page.inputValue('#long'), '-72.501200');
  await page.locator('.leaflet-marker-icon').waitFor();
  await page.getByText('Your location was placed on the map and in the coordinates.').waitFor({ state: 'attached' });
  await page.context().close();
});

test('one line on the town website embeds the form, in the page\'s language', async () => {
  const page = await open(browser);
  // A page of the town website (served here on the stack's origin, which the local stack's
  // WebOrigin allows to frame the form).
  await page.route(`${BASE_URL}/town-website`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html lang="es"><head><title>Millbrook</title></head><body><h1>Millbrook</h1>
        <script src="${BASE_URL}/embed.js" async></script></body></html>`,
    }),
  );
  await page.goto(`${BASE_URL}/town-website`);
  const frame = page.locator('iframe');
  await frame.waitFor();
  const src = new URL(await frame.getAttribute('src'));
  assert.equal(src.pathname, '/');
  assert.equal(src.searchParams.get('embed'), '1');
  assert.equal(src.searchParams.get('lang'), 'es');
  assert.equal(await frame.getAttribute('title'), 'Report a problem');
  const form = page.frameLocator('iframe');
  await form.getByRole('heading', { name: 'Reportar un problema' }).waitFor();
  assert.equal(await form.locator('header.bar').isHidden(), true, 'no site header inside the frame');
  // The frame grows to the form's height instead of scrolling on its own.
  await page.waitForFunction(() => document.querySelector('iframe').getBoundingClientRect().height > 1500);
  await screenshot(page, 'embedded-form-es');
  await page.context().close();
});
