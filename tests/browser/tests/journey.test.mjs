// A citizen files a request from a phone, a clerk works it to closed, and the citizen's status
// page shows what happened.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE_URL, DESKTOP, PHONE, PHOTO, launch, open, url, screenshot, assertAccessible, assertNoProblems, staffToken, signInOnPage, fileRequest,
} from './helpers.mjs';

let browser;
let ticket; // the number the citizen was given
const NOTE = 'Filled the hole this morning. Thank you for the report!';

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a citizen on a phone files a request with a photo and sees the confirmation', async () => {
  const page = await open(browser, { device: PHONE });
  await page.goto(url('/'));
  await page.getByLabel('Search the services').fill('pothole');
  // Search narrows the grouped list to the one service.
  await page.waitForFunction(() => document.querySelectorAll('#service-list .choice:not([hidden])').length === 1);
  await page.getByLabel(/^Pothole/).check();
  // The service's questions, rendered from its definition.
  await page.getByRole('group', { name: /About how big is it\?/ }).waitFor();
  await page.getByLabel('Larger than a car tire').check();
  await page.getByLabel(/About how deep is it/).fill('5');

  // A tap on the map places the pin and fills the coordinates.
  const map = page.locator('#map');
  await map.scrollIntoViewIfNeeded();
  await map.click({ position: { x: 120, y: 80 } });
  await page.waitForFunction(() => document.getElementById('lat').value !== '');
  const lat = Number(await page.inputValue('#lat'));
  const long = Number(await page.inputValue('#long'));
  assert.ok(Math.abs(lat - 42.265) < 0.05 && Math.abs(long + 71.805) < 0.05, `pin near the town centre: ${lat},${long}`);
  assert.equal(await page.locator('.leaflet-marker-icon').count(), 1, 'the pin is on the map');
  await page.getByLabel('Address or nearest landmark').fill('12 Main Street, by the school');

  await page.setInputFiles('#photos', PHOTO);
  const preview = page.getByRole('img', { name: 'Photo 1' });
  await preview.waitFor();
  assert.match(await preview.getAttribute('src'), /^blob:/);
  await page.getByLabel(/Describe the problem/).fill('Deep hole in the right lane, cars swerve around it.');
  await page.getByLabel('Email', { exact: true }).fill('resident@example.org');
  await screenshot(page, 'citizen-form-filled-en');

  const posted = page.waitForRequest((r) => r.url().endsWith('/open311/v2/requests.json') && r.method() === 'POST');
  await page.getByRole('button', { name: 'Send the report' }).click();
  const body = (await posted).postDataBuffer().toString('latin1');
  assert.match(body, /name="photo1"; filename="photo1.jpg"\r\nContent-Type: image\/jpeg/);
  assert.match(body, /name="attribute\[SIZE\]"\r\n\r\nlarge/);

  const confirmation = page.getByRole('region', { name: 'Thank you, your report was received' });
  await confirmation.waitFor();
  ticket = (await page.textContent('#confirm-id')).trim();
  assert.match(ticket, /^[0-9A-Z]{4}-[0-9A-Z]{4}$/, 'a ticket number');
  await page.waitForFunction(() => /\d{4}/.test(document.getElementById('confirm-expected').textContent));
  assert.match(await page.textContent('#confirm-expected'), /\w{3}, \w{3} \d{1,2}, \d{4}/, 'the expected date');
  assert.equal((await page.textContent('#confirm-department')).trim(), 'Public Works');
  assert.equal(await page.getByRole('link', { name: '(555) 010-2100' }).getAttribute('href'), 'tel:5550102100');
  assert.equal(await page.getByRole('link', { name: 'publicworks@millbrook.example' }).getAttribute('href'), 'mailto:publicworks@millbrook.example');
  assert.equal(await page.getByRole('link', { name: 'See its status' }).getAttribute('href'), `/status?id=${ticket}`);
  await screenshot(page, 'citizen-confirmation-en');
  assertNoProblems(page);

  // The request reached the town with its photo, answers and location.
  const token = await staffToken();
  const staff = await (await fetch(`${BASE_URL}/staff/v1/tickets/${ticket}`, { headers: { authorization: `Bearer ${token}` } })).json();
  assert.equal(staff.ticket.service_code, 'POTHOLE');
  assert.equal(staff.ticket.channel, 'web');
  assert.equal((staff.ticket.uploads || []).length + (staff.ticket.photos || []).length, 1, 'one photo received');
  // The photo function processes it within moments.
  let photos = staff.ticket.photos || [];
  for (let i = 0; i < 100 && photos.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await (await fetch(`${BASE_URL}/staff/v1/tickets/${ticket}`, { headers: { authorization: `Bearer ${token}` } })).json();
    photos = again.ticket.photos || [];
  }
  assert.equal(photos.length, 1, 'the photo was processed');
  assert.equal(photos[0].content_type, 'image/jpeg');
  assert.deepEqual(staff.ticket.answers, { SIZE: ['large'], DEPTH: ['5'] });
  assert.equal(staff.ticket.location.address, '12 Main Street, by the school');
  await page.context().close();
});

test('a clerk signs in, finds it in the queue, assigns, schedules and closes it with a public note', async () => {
  assert.ok(ticket, 'the citizen test filed a request');
  const page = await open(browser, { device: DESKTOP });
  await page.goto(url('/admin'));
  await page.getByLabel('User name').waitFor();
  await signInOnPage(page, 'ana', ['dept-DPW']);
  await page.locator('#who', { hasText: 'Signed in as ana' }).waitFor();

  // The department's open queue holds it; the service filter keeps it.
  await page.locator('#f-service').selectOption('POTHOLE');
  await page.getByLabel('Status', { exact: true }).selectOption('submitted');
  await page.getByRole('button', { name: 'Show' }).click();
  const link = page.getByRole('link', { name: ticket });
  await link.waitFor();
  await screenshot(page, 'admin-queue-en');
  await link.click();
  const detail = page.getByRole('region', { name: new RegExp(`^${ticket}`) });
  await detail.waitFor();
  await detail.getByText('resident@example.org').waitFor();
  // The processed photo is linked, and can be hidden from the public and shown again.
  await detail.getByRole('link', { name: 'Photo 1' }).waitFor();
  await detail.getByRole('button', { name: 'Hide from the public: Photo 1' }).click();
  await detail.getByText('Photo 1 (hidden from the public)').waitFor();
  await detail.getByRole('button', { name: 'Show again: Photo 1' }).click();
  await detail.getByRole('link', { name: 'Photo 1' }).waitFor();
  // The history words those changes from their summary codes.
  await detail.locator('#detail-history').getByText('A photo was hidden', { exact: true }).waitFor();
  await detail.locator('#detail-history').getByText('A photo was shown again', { exact: true }).waitFor();

  await page.getByLabel('Assign to (account name)').fill('ana');
  await page.getByRole('button', { name: 'Assign', exact: true }).click();
  await detail.getByText('Assigned to ana').waitFor();
  // A question for the reporter, on the channel they chose; it stays out of the public record.
  await page.getByLabel('Message to the reporter').fill('Is the hole in the eastbound lane?');
  await page.getByRole('button', { name: 'Send the message' }).click();
  await detail.getByText('Message to the reporter: Is the hole in the eastbound lane?').waitFor();
  // The assignee filter finds it too.
  await page.getByLabel('Assignee', { exact: true }).fill('ana');
  await page.locator('#f-status').selectOption('open');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('#queue-rows').getByRole('cell', { name: 'ana' }).first().waitFor();
  await page.locator('#queue-rows').getByRole('link', { name: ticket }).waitFor();

  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
  const day = tomorrow.toISOString().slice(0, 10);
  await page.getByLabel('Work scheduled for').fill(`${day}T10:30`);
  await page.getByRole('button', { name: 'Schedule', exact: true }).click();
  await detail.getByText(/^Scheduled for /).first().waitFor();

  await page.getByLabel('New status').selectOption('closed');
  await page.getByLabel('Resolution').selectOption('fixed');
  // The crew's photo of the filled hole goes with the closing.
  await page.getByLabel('Photo of the finished work (optional)').setInputFiles(new URL('../fixtures/pothole.jpg', import.meta.url).pathname);
  await page.getByLabel('Public note to the reporter (optional)').fill(NOTE);
  await page.getByRole('button', { name: 'Change status' }).click();
  await detail.getByText(`Note: ${NOTE}`).waitFor();
  await detail.getByText('Status: Scheduled → Closed (Fixed)').waitFor();
  assert.equal(await page.locator('#detail-facts dd').first().textContent(), 'Closed (Fixed)');
  await screenshot(page, 'admin-ticket-closed-en');
  assertNoProblems(page);

  const token = await staffToken();
  let staff;
  for (let i = 0; i < 100; i++) {
    staff = await (await fetch(`${BASE_URL}/staff/v1/tickets/${ticket}`, { headers: { authorization: `Bearer ${token}` } })).json();
    if ((staff.ticket.photos || []).length === 2) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(staff.ticket.photos.length, 2, 'the after-photo is processed');
  assert.equal(staff.ticket.photos[1].after, true);
  // Processing ends whenever it ends: its entry comes after the closing, wherever the note is.
  const kinds = staff.history.map((h) => h.change.type);
  const processed = kinds.lastIndexOf('photo_added');
  assert.ok(processed > kinds.indexOf('status_changed'), kinds.join(' '));
  kinds.splice(processed, 1);
  assert.equal(staff.ticket.status, 'closed');
  assert.equal(staff.ticket.resolution, 'fixed');
  assert.equal(staff.ticket.assignee, 'ana');
  assert.deepEqual(
    kinds,
    ['submitted', 'photo_added', 'photo_hidden', 'photo_hidden', 'assigned', 'messaged', 'scheduled', 'status_changed', 'noted']
  );
  await page.context().close();
});

test("the citizen's status page shows that history, in English and Spanish", async () => {
  assert.ok(ticket, 'the citizen test filed a request');
  const page = await open(browser, { device: PHONE });
  await page.goto(url(`/status?id=${ticket.toLowerCase().replace('-', '')}`));
  const result = page.getByRole('region', { name: `${ticket}: Pothole` });
  await result.waitFor();
  assert.equal((await page.textContent('#r-status')).trim(), 'Closed');
  const history = page.locator('#r-history li');
  const all = await history.allTextContents();
  // The after-photo's entry comes after the closing, before or after the note.
  const lines = all.filter((line, i) => !(i > 4 && /Photo added/.test(line)));
  assert.equal(all.length, 7, all.join('\n'));
  // Hiding and showing the photo again was staff business: not in the public history.
  assert.equal(lines.length, 6, lines.join('\n'));
  assert.match(lines[0], /Request received/);
  assert.match(lines[1], /Photo added/);
  assert.match(lines[2], /Assigned to a crew/);
  assert.match(lines[3], /Work scheduled/);
  assert.match(lines[4], /Status changed — Fixed/);
  assert.match(lines[5], new RegExp(`Note from the town${NOTE.replace(/[.!]/g, '.')}`));
  assert.doesNotMatch(lines.join(' '), /ana/, 'no staff names in public');
  const photos = page.locator('#r-photo-list a');
  assert.deepEqual(await photos.allTextContents(), ['Photo 1 from the report', 'Photo of the finished work']);
  const served = await fetch(await photos.nth(1).getAttribute('href'));
  assert.equal(served.status, 200, 'the link serves the photo');
  await assertAccessible(page, 'the status page with its photos (en, phone)');
  await screenshot(page, 'status-history-en');

  await page.getByRole('button', { name: 'Español' }).click();
  await page.waitForFunction(() => document.documentElement.lang === 'es');
  await page.getByRole('heading', { name: 'Historial' }).waitFor();
  assert.equal((await page.textContent('#r-status')).trim(), 'Cerrada');
  await page.getByRole('link', { name: 'Foto del trabajo terminado' }).waitFor();
  await assertAccessible(page, 'the status page with its photos (es, phone)');
  const spanish = await history.allTextContents();
  assert.match(spanish[0], /Solicitud recibida/);
  assert.match(spanish[1], /Foto agregada/);
  assert.match(spanish[4], /Cambio de estado — Reparado/);
  await screenshot(page, 'status-history-es');
  assertNoProblems(page);
  await page.context().close();
});

test("a merged request's status page names the request that carries on, in English and Spanish", async () => {
  const pothole = { service_code: 'POTHOLE', address_string: '7 Elm Street', 'attribute[SIZE]': 'small', 'attribute[DEPTH]': '2' };
  const parent = await fileRequest(pothole);
  const child = await fileRequest(pothole);
  const token = await staffToken('ana', ['admin']);
  const view = await (await fetch(`${BASE_URL}/staff/v1/tickets/${child}`, { headers: { authorization: `Bearer ${token}` } })).json();
  const merged = await fetch(`${BASE_URL}/staff/v1/tickets/${child}/actions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'merge', parent, version: view.ticket.version }),
  });
  assert.equal(merged.status, 200, await merged.text());

  const page = await open(browser, { device: PHONE });
  await page.goto(url(`/status?id=${child}`));
  const history = page.locator('#r-history li');
  await page.getByRole('region', { name: `${child}: Pothole` }).waitFor();
  const english = (await history.allTextContents()).join('\n');
  assert.match(english, new RegExp(`Merged into request ${parent}, which carries on`), english);
  await page.getByRole('button', { name: 'Español' }).click();
  await page.waitForFunction(() => document.documentElement.lang === 'es');
  const spanish = (await history.allTextContents()).join('\n');
  assert.match(spanish, new RegExp(`Unida a la solicitud ${parent}, que sigue adelante`), spanish);
  assertNoProblems(page);
  await page.context().close();
});
