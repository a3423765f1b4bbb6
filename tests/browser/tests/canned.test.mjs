// A clerk answers with a canned response: the picker lists the demo town's templates that fit
// the ticket, fills the message in the reporter's language, and the message sent is in the
// history; the citizen answers by email, with a photo, and the clerk sees the answer there. An admin edits the templates, and a placeholder the server does not know is named.
// A clerk redacts a public note from the admin page, and the status page no longer shows it.
// Checked with axe-core while the picker, the editor and the redaction form are shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DESKTOP, PHOTO, launch, open, url, screenshot, assertAccessible, assertNoProblems, fileRequest, emailsTo, header, deliverEmail, signInOnPage } from './helpers.mjs';

let browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a clerk picks a canned response, edits it and sends it to the reporter', async () => {
  const ticket = await fileRequest({
    service_code: 'POTHOLE',
    address_string: '40 Oak Street',
    'attribute[SIZE]': 'small',
    'attribute[DEPTH]': '2',
    description: 'Bache frente a la escuela',
    email: 'vecina@example.org',
    language: 'es',
  });
  const page = await open(browser, { device: DESKTOP });
  await page.goto(url('/admin') + `#ticket/${ticket}`);
  await signInOnPage(page, 'ana', ['dept-DPW']);
  const detail = page.getByRole('region', { name: new RegExp(`^${ticket}`) });
  await detail.waitFor();

  // Only the templates that fit a submitted pothole: not the crew's, not the streetlight's.
  const form = page.locator('#act-message');
  const picker = form.getByLabel('Canned response');
  await picker.waitFor();
  await page.waitForFunction(() => document.querySelectorAll('#message-canned option').length > 1);
  const offered = (await picker.locator('option').allTextContents()).slice(1);
  assert.deepEqual(offered, ['Which side of the street?', 'A photo would help']);
  await assertAccessible(page, 'the ticket with canned responses');

  await picker.selectOption({ label: 'Which side of the street?' });
  const text = form.getByLabel('Message to the reporter');
  const filled = await text.inputValue();
  assert.match(filled, new RegExp(`^Sobre la solicitud ${ticket} \\(Pothole\\): ¿de qué lado de la calle está`), 'in the reporter\'s Spanish, filled in');
  assert.match(filled, /llame a Public Works al \(555\) 010-2100\.$/);
  // The clerk may change the words before sending.
  const sent = `${filled} Gracias.`;
  await text.fill(sent);
  await screenshot(page, 'admin-canned-response-en');
  await form.getByRole('button', { name: 'Send the message' }).click();
  await detail.locator('#detail-history').getByText(`Message to the reporter: ${sent}`, { exact: true }).waitFor();
  assert.equal(await text.inputValue(), '', 'the form is ready for the next one');
  assert.equal(await picker.inputValue(), '');

  // The citizen answers the email, from their mail program, with a photo.
  let question;
  for (let i = 0; i < 60 && !question; i += 1) {
    question = (await emailsTo('vecina@example.org')).filter((raw) => header(raw, 'Subject').includes(ticket)).pop();
    if (!question || !header(question, 'Reply-To')) {
      question = undefined;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  assert.ok(question, 'the message went out by email');
  const replyTo = header(question, 'Reply-To').replace(/[<>]/g, '');
  assert.match(replyTo, /^reply-.+@311\.millbrook\.example$/);
  const photo = readFileSync(PHOTO).toString('base64').replace(/.{76}/g, '$&\r\n');
  await deliverEmail(
    `From: Vecina <vecina@example.org>\r\nTo: ${replyTo}\r\nSubject: Re: ${ticket}\r\nMIME-Version: 1.0\r\n` +
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n' +
      'Del lado este, frente a la escuela.\r\n\r\nEl lun, Millbrook 311 escribió:\r\n> ¿de qué lado?\r\n' +
      '--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename="bache.jpg"\r\n' +
      `Content-Transfer-Encoding: base64\r\n\r\n${photo}\r\n--b--\r\n`
  );
  const answer = detail.locator('#detail-history').getByText(
    'The reporter wrote (Email, not public): Del lado este, frente a la escuela. · with 1 photo(s), attached hidden',
    { exact: true }
  );
  for (let i = 0; i < 40 && !(await answer.isVisible()); i += 1) {
    await page.getByRole('button', { name: 'Reload the ticket' }).click();
    await page.waitForTimeout(500);
  }
  await answer.waitFor();
  await detail.getByText(/Citizen answered/).first().waitFor();
  await assertAccessible(page, 'the ticket with the citizen\'s answer');
  await screenshot(page, 'admin-citizen-answer-en');
  assertNoProblems(page);
  await page.context().close();
});

test('an admin edits the canned responses and an unknown placeholder is named', async () => {
  const page = await open(browser, { device: DESKTOP });
  await page.goto(url('/admin'));
  await signInOnPage(page, 'ada', ['admin', 'dept-DPW']);
  await page.getByRole('button', { name: 'Canned responses' }).click();
  const editor = page.getByLabel('The templates, as JSON');
  await page.waitForFunction(() => /which-side/.test(document.getElementById('templates-json').value));
  const document = JSON.parse(await editor.inputValue());
  // A template of this test's own, added afresh each run.
  document.templates = document.templates.filter((t) => t.id !== 'called-back');
  assert.ok(document.templates.some((t) => t.auto_on_status === 'closed'), 'the seed thanks on closing');
  await assertAccessible(page, 'the canned responses editor');

  const note = { id: 'called-back', name: 'Called back', use: 'note', text: 'Called the reporter about {ticket}: {phone}' };
  await editor.fill(JSON.stringify({ templates: [...document.templates, note] }, null, 2));
  await page.getByRole('button', { name: 'Save the canned responses' }).click();
  const summary = page.locator('#templates-summary');
  await summary.getByText('template called-back: text: unknown placeholder {phone}', { exact: false }).waitFor();

  note.text = 'Called the reporter about {ticket}; no answer.';
  await editor.fill(JSON.stringify({ templates: [...document.templates, note] }, null, 2));
  await page.getByRole('button', { name: 'Save the canned responses' }).click();
  await page.locator('#announcer', { hasText: /Canned responses saved \(version \d+\)/ }).waitFor({ state: 'attached' });
  assert.equal(await summary.isHidden(), true);
  await screenshot(page, 'admin-canned-editor-en');
  // The refusal was the server's 400, shown in the summary.
  assertNoProblems(page, [/^400 .*\/staff\/v1\/templates$/]);
  await page.context().close();
});

test('a clerk redacts a public note and the status page no longer shows it', async () => {
  const ticket = await fileRequest({
    service_code: 'POTHOLE',
    address_string: '42 Oak Street',
    'attribute[SIZE]': 'small',
    'attribute[DEPTH]': '2',
    description: 'Hole by the bus stop',
    email: 'redact@example.org',
  });
  const page = await open(browser, { device: DESKTOP });
  await page.goto(url('/admin') + `#ticket/${ticket}`);
  await signInOnPage(page, 'ana', ['dept-DPW']);
  const detail = page.getByRole('region', { name: new RegExp(`^${ticket}`) });
  await detail.waitFor();

  const said = 'Marta from number 12 says call her on 555-0199';
  const note = page.locator('#act-note');
  await note.getByLabel('Note', { exact: true }).fill(said);
  await note.getByLabel(/^Public/).check();
  await note.getByRole('button', { name: 'Add the note' }).click();
  const history = detail.locator('#detail-history');
  await history.getByText(`Note: ${said}`, { exact: true }).waitFor();

  // The note's own Redact button picks it in the form and moves there.
  await history.getByRole('button', { name: /^Redact: / }).click();
  const form = page.locator('#act-redact');
  assert.match(await form.getByLabel('Public text to remove').inputValue(), /^note:\d+$/);
  await form.getByLabel('Reason', { exact: true }).selectOption('personal_data');
  await form.getByLabel('Why, for staff (optional)').fill('a neighbour\'s number');
  await assertAccessible(page, 'the ticket with the redaction form');
  await form.getByRole('button', { name: 'Remove from public view' }).click();
  await history.getByText(/removed \(Personal data\); the public sees: \[removed by staff\] · a neighbour's number$/).waitFor();
  assert.equal(await history.getByText(said).count(), 0, 'personal data is gone for staff too');
  await screenshot(page, 'admin-redacted-note-en');

  const status = await open(browser, { device: DESKTOP });
  await status.goto(url(`/status?id=${ticket}`));
  await status.locator('#r-history li').first().waitFor();
  await status.getByText('[removed by staff]').first().waitFor();
  assert.ok(!(await status.content()).includes('555-0199'), 'the status page no longer shows the note');
  await assertAccessible(status, 'the status page with a redacted note');
  assertNoProblems(page);
  assertNoProblems(status);
  await status.context().close();
  await page.context().close();
});
