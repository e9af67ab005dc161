// The review desk and the public verification page in headless Chromium, as a
// reviewer uses them: a refused login, then log in, upload a scan that needs
// review, wait for it, open it from the queue, correct its doubtful fields
// with the keyboard, approve with the key, download the PDF, drop it on
// /verify and read VALID. A screenshot of each page goes to OUTDIR.
//
//   node tests/browser/desk.mjs URL TOKEN SCAN_FILE OUTDIR
//
// URL is the server's base (http://127.0.0.1:PORT), TOKEN a reviewer's token
// for the user named by DESK_USER (default `reviewer`). When SCAN_FILE has a
// NAME.truth.json beside it, each doubtful field is set to its true value.
// Prints `keystrokes: ...` and exits non-zero on the first thing that is not
// as it should be.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [base, token, scan, outdir] = process.argv.slice(2);
if (!base || !token || !scan || !outdir) {
  console.error('usage: node desk.mjs URL TOKEN SCAN_FILE OUTDIR');
  process.exit(2);
}
const user = process.env.DESK_USER || 'reviewer';
const uploadTimeout = Number(process.env.DESK_UPLOAD_TIMEOUT_MS || 300000);
mkdirSync(outdir, { recursive: true });

const truthFile = scan.replace(/\.[^./]+$/, '.truth.json');
const truth = existsSync(truthFile) ? JSON.parse(readFileSync(truthFile, 'utf8')).fields ?? {} : {};

let step = 0;
/** A full-page PNG of what the browser shows, numbered in order. */
async function shot(page, name) {
  step += 1;
  const file = path.join(outdir, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

function fail(message) {
  throw new Error(message);
}

/** Keys pressed on the record page, by kind. */
const keys = { tab: 0, enter: 0, approve: 0, edit: 0, typed: 0 };

async function press(page, key, kind) {
  await page.keyboard.press(key);
  keys[kind] += 1;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

try {
  const context = await browser.newContext({
    acceptDownloads: true,
    locale: 'vi-VN',
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // A wrong token: 401 and an error on the page.
  await page.goto(`${base}/desk/login`);
  await shot(page, 'login');
  await page.fill('#login input[name=name]', user);
  await page.fill('#login input[name=token]', 'dst_not-the-token');
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.click('#login-submit'),
  ]);
  if (refused.status() !== 401) fail(`a wrong token was answered ${refused.status()}, not 401`);
  await page.waitForSelector('.error');
  await shot(page, 'login-refused');

  // The right one: the queue.
  await page.goto(`${base}/desk/login`);
  await page.fill('#login input[name=name]', user);
  await page.fill('#login input[name=token]', token);
  await Promise.all([page.waitForURL(/\/desk\/?(\?.*)?$/), page.click('#login-submit')]);
  await shot(page, 'queue-empty');

  // Upload and wait for the pipeline.
  await page.goto(`${base}/desk/upload`);
  await page.setInputFiles('#upload input[name=files]', scan);
  await shot(page, 'upload');
  await page.click('#upload-submit');
  const item = await page.waitForSelector('#progress li[data-id]');
  const id = await item.getAttribute('data-id');
  await page
    .waitForFunction(
      (id) => {
        const li = document.querySelector(`#progress li[data-id="${id}"]`);
        return li && ['issued', 'needs_review', 'failed'].includes(li.dataset.state);
      },
      id,
      { timeout: uploadTimeout, polling: 500 },
    )
    .catch(async () => {
      await shot(page, 'upload-stuck');
      fail(`#progress never showed ${id} finished (data-state ${await item.getAttribute('data-state')})`);
    });
  const state = await item.getAttribute('data-state');
  await shot(page, 'upload-done');
  if (state !== 'needs_review') fail(`${path.basename(scan)} ended ${state}, not needs_review`);

  // The queue lists it; open it.
  await page.goto(`${base}/desk`);
  const link = page.locator(`a.review-item[href$="/desk/submissions/${id}"]`);
  if ((await link.count()) !== 1) fail(`the queue has no a.review-item for ${id}`);
  await shot(page, 'queue');
  await Promise.all([page.waitForURL(`**/desk/submissions/${id}`), link.click()]);
  await page.waitForSelector('img.page');
  await page.waitForFunction(() =>
    [...document.querySelectorAll('img.page')].every((img) => img.complete && img.naturalWidth > 0),
  );
  await shot(page, 'record');

  // Which fields are up for review, as the API says.
  const api = await context.request.get(`${base}/v1/submissions/${id}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  if (!api.ok()) fail(`GET /v1/submissions/${id} answered ${api.status()}`);
  const view = await api.json();
  const doubtful = view.fields.filter((f) => f.review).map((f) => f.name);
  if (doubtful.length === 0) fail(`${id} is needs_review but no field is up for review`);

  // Keyboard only from here: Tab to the first doubtful field (unless the page
  // put the focus there), then per field set the true value when it differs
  // and confirm with Enter, then approve.
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('name') ?? '');
  for (let i = 0; (await focused()) !== `f.${doubtful[0]}`; i += 1) {
    if (i > 60) fail(`Tab never reaches input[name="f.${doubtful[0]}"]`);
    await press(page, 'Tab', 'tab');
  }
  const corrected = {};
  for (const name of doubtful) {
    if ((await focused()) !== `f.${name}`) fail(`Enter did not move to f.${name} (at "${await focused()}")`);
    const current = await page.inputValue(`input[name="f.${name}"]`);
    const want = truth[name] === undefined ? undefined : String(truth[name]);
    if (want !== undefined && want !== current) {
      // A field that takes the focus selects its value: typing replaces it.
      await page.keyboard.type(want);
      keys.typed += [...want].length;
      if ((await page.inputValue(`input[name="f.${name}"]`)) !== want) {
        await press(page, 'Control+A', 'edit');
        await page.keyboard.type(want);
        keys.typed += [...want].length;
      }
      corrected[name] = { read: current, now: want };
    }
    await press(page, 'Enter', 'enter');
  }
  await shot(page, 'record-confirmed');
  await press(page, 'Control+Enter', 'approve');
  const pdfLink = page.locator('a#pdf-link');
  await pdfLink.waitFor({ timeout: 60000 }).catch(async () => {
    // Approving may open the next record; the approved one shows its links.
    await shot(page, 'after-approve');
    await page.goto(`${base}/desk/submissions/${id}`);
    await pdfLink.waitFor().catch(async () => {
      await shot(page, 'not-approved');
      fail(`after Ctrl+Enter ${id} shows no a#pdf-link (state ${await page.textContent('#state')})`);
    });
  });
  await shot(page, 'approved');
  const documentHref = await page.getAttribute('a#document-link', 'href');
  if (!/\/d\/[^/]+$/.test(documentHref ?? '')) fail(`a#document-link points to ${documentHref}`);

  // Download the PDF as the browser does.
  const pdfPath = path.join(outdir, 'approved.pdf');
  const href = await pdfLink.getAttribute('href');
  const download = await Promise.all([page.waitForEvent('download', { timeout: 10000 }), pdfLink.click()])
    .then(([d]) => d)
    .catch(() => null);
  if (download) {
    await download.saveAs(pdfPath);
  } else {
    // Shown inline rather than downloaded: fetch it with the session.
    const r = await context.request.get(new URL(href, base).toString());
    if (!r.ok()) fail(`the PDF link answered ${r.status()}`);
    writeFileSync(pdfPath, await r.body());
  }
  const pdf = readFileSync(pdfPath);
  if (pdf.subarray(0, 5).toString() !== '%PDF-') fail('the downloaded file is not a PDF');

  // The document's public page.
  await page.goto(new URL(documentHref, base).toString());
  await shot(page, 'document');
  for (const { now } of Object.values(corrected)) {
    if (!(await page.content()).includes(now)) console.log(`note: /d/ does not show "${now}"`);
  }

  // The month's on-time report counts the approval, with its chart.
  await page.goto(`${base}/desk/report`);
  await page.waitForSelector('#report');
  const chartLoaded = await page
    .waitForFunction(() => document.querySelector('#report-chart')?.naturalWidth > 0, null, { timeout: 10000 })
    .then(() => true)
    .catch(() => false);
  await shot(page, 'report');
  if (!chartLoaded) fail('the on-time report\'s chart did not load');
  const totalResolved = await page.$eval('#report tbody tr:last-child td:nth-child(6)', (td) => Number(td.textContent));
  if (!(totalResolved >= 1)) fail(`the on-time report counts ${totalResolved} resolved this month`);

  // Drop it on /verify, without logging in.
  const visitor = await browser.newContext({ locale: 'vi-VN', viewport: { width: 1280, height: 900 } });
  const verifyPage = await visitor.newPage();
  await verifyPage.goto(`${base}/verify`);
  await shot(verifyPage, 'verify');
  await verifyPage.setInputFiles('#verify-pdf-form input[type=file][name=pdf]', pdfPath);
  // A page may send the file as soon as it is chosen; else submit the form.
  const sent = await verifyPage.waitForSelector('#verdict', { timeout: 3000 }).catch(() => null);
  if (!sent) {
    const submit = verifyPage.locator('#verify-pdf-form [type=submit]');
    if (await submit.count()) await submit.first().click();
    else await verifyPage.$eval('#verify-pdf-form', (form) => form.requestSubmit());
    await verifyPage.waitForSelector('#verdict');
  }
  const verdict = (await verifyPage.textContent('#verdict')).trim();
  await shot(verifyPage, 'verdict');
  if (verdict !== 'VALID') fail(`/verify says ${verdict} of the approved PDF`);

  if (consoleErrors.length) fail(`script errors on the pages: ${consoleErrors.join('; ')}`);

  const toApprove = keys.tab + keys.enter + keys.approve;
  console.log(`submission: ${id}`);
  console.log(`doubtful fields: ${doubtful.join(', ')}`);
  console.log(`corrected: ${JSON.stringify(corrected)}`);
  console.log(
    `keystrokes: ${toApprove} to confirm and approve (${keys.tab} Tab, ${keys.enter} Enter, ` +
      `${keys.approve} Ctrl+Enter) + ${keys.edit + keys.typed} to correct ` +
      `(${keys.edit} Ctrl+A, ${keys.typed} characters)`,
  );
  console.log(`verdict: ${verdict}`);
} finally {
  await browser.close();
}
