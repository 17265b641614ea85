// Headless Chromium checks for tests/quality: axe-core on each page at a phone and a desktop
// width, horizontal overflow, and full-page screenshots. Driven by test_browser.py.
//
//   node browser.mjs JOB.json   (prints one JSON object with the results on stdout)
//
// JOB: {chrome, userDataDir, flags: [...], axe: "path/axe.min.js",
//       axePages: [url...], overflowPages: [url...], widths: [390, 1280],
//       screenshots: [{url, width, path}]}
import { readFileSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const axeSource = readFileSync(job.axe, 'utf8');
const HEIGHT = { 390: 844, 1280: 800 };

const browser = await puppeteer.launch({
  executablePath: job.chrome,
  headless: true,
  userDataDir: job.userDataDir,
  args: job.flags,
  timeout: 60000,
});
const results = { axe: [], overflow: [], screenshots: [], consoleErrors: [] };
try {
  const page = await browser.newPage();
  await page.setCacheEnabled(false);
  page.on('console', (msg) => {
    if (msg.type() === 'error') results.consoleErrors.push({ url: page.url(), text: msg.text() });
  });
  page.on('pageerror', (err) => results.consoleErrors.push({ url: page.url(), text: String(err) }));

  const open = async (url, width) => {
    await page.setViewport({ width, height: HEIGHT[width] ?? 900, deviceScaleFactor: 1 });
    const response = await page.goto(url, { waitUntil: 'load', timeout: 30000 });
    if (!response || response.status() !== 200) {
      throw new Error(`${url}: HTTP ${response ? response.status() : 'no response'}`);
    }
  };
  const overflow = () =>
    page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
    }));

  for (const url of job.axePages) {
    for (const width of job.widths) {
      await open(url, width);
      await page.addScriptTag({ content: axeSource });
      const r = await page.evaluate(async () => {
        const out = await window.axe.run(document);
        return {
          passes: out.passes.length,
          violations: out.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, summary: n.failureSummary })),
          })),
        };
      });
      results.axe.push({ url, width, ...r, ...(await overflow()) });
    }
  }
  for (const url of job.overflowPages) {
    await open(url, job.widths[0]);
    results.overflow.push({ url, width: job.widths[0], ...(await overflow()) });
  }
  for (const shot of job.screenshots) {
    await open(shot.url, shot.width);
    await page.screenshot({ path: shot.path, fullPage: true });
    results.screenshots.push(shot);
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
