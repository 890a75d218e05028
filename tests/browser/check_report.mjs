// Rekindle tests: opens an HTML measurement report (`rekindle measure --html`) in headless
// Chromium through puppeteer-core and checks, against the JSON report of the same run, that every
// chart rendered: per pooled sequence the lift charts (touch, offer, every segment family) with
// one row per group, the cumulative reactivation chart with one line per arm, the variants table
// and the sample-ratio sentence; that nothing was fetched from the network; and that the page
// logged no console error (Chromium logs malformed SVG, e.g. a NaN coordinate, as an error).
//
//   node check_report.mjs REPORT.html REPORT.json [--screenshot FILE.png]
// Exit 0: all good; 1: a check failed (each printed); 77: no Chromium to run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const args = process.argv.slice(2);
const [htmlPath, jsonPath] = args;
const shotAt = args.indexOf('--screenshot');
const screenshot = shotAt >= 0 ? args[shotAt + 1] : null;
const chromium = process.env.CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromium)) {
  console.log(`skipped: no Chromium at ${chromium}`);
  process.exit(77);
}
const report = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rk-chromium-'));
const failures = [];
const fail = (msg) => failures.push(msg);

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  userDataDir: userDir,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run',
         '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 900 });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warn') fail(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => fail(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith('file:') && !u.startsWith('data:')) fail(`network request: ${u}`);
  });
  await page.goto('file://' + path.resolve(htmlPath), { waitUntil: 'load' });

  const dom = await page.evaluate(() => {
    const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
    return [...document.querySelectorAll('section.sequence')].map((s) => ({
      sequence: s.dataset.sequence,
      lift: [...s.querySelectorAll('svg.lift-chart')].map((svg) => ({
        kind: svg.dataset.kind,
        rows: svg.querySelectorAll('g.row').length,
        dots: svg.querySelectorAll('circle.lift').length,
        intervals: svg.querySelectorAll('line.ci').length,
        box: box(svg),
        caption: svg.closest('figure').querySelector('figcaption').textContent,
      })),
      curves: [...s.querySelectorAll('svg.curve-chart')].map((svg) => ({
        lines: [...svg.querySelectorAll('polyline.series')].map((p) => {
          // Inside the plot: not above the top grid line (the axis's highest tick).
          const b = p.getBBox(), v = svg.viewBox.baseVal;
          const top = Math.min(...[...svg.querySelectorAll('line.grid')].map((g) => g.y1.baseVal.value));
          return { cls: p.getAttribute('class'), points: p.points.length, length: p.getTotalLength(),
                   inside: b.x >= 0 && b.y >= top - 0.5 && b.x + b.width <= v.width && b.y + b.height <= v.height };
        }),
        box: box(svg),
      })),
      variantRows: s.querySelectorAll('table.variants tr').length,
      verdicts: [...s.querySelectorAll('table.variants td[class^=verdict-]')].map((td) => td.textContent),
      srm: s.querySelector('p.srm')?.textContent ?? '',
    }));
  });

  const pooled = report.pooled.sequences;
  if (dom.length !== pooled.length) fail(`${dom.length} sequence sections, ${pooled.length} expected`);
  for (const seq of pooled) {
    const d = dom.find((x) => x.sequence === seq.sequence);
    if (!d) { fail(`no section for ${seq.sequence}`); continue; }
    const hasControl = seq.overall.control > 0;
    const families = Object.keys(seq.by).filter((k) => !['touch', 'step', 'channel', 'offer', 'variant'].includes(k));
    const expected = hasControl
      ? [['touch', 'Lift by touch', seq.by.touch], ['offer', 'Lift by offer', seq.by.offer],
         ...families.map((f) => ['cohort', `Lift by ${f}`, seq.by[f]])]
          .filter(([, , groups]) => Object.keys(groups).length > 0)
      : [];
    if (d.lift.length !== expected.length)
      fail(`${seq.sequence}: ${d.lift.length} lift charts, ${expected.length} expected`);
    for (const [kind, caption, groups] of expected) {
      const chart = d.lift.find((c) => c.caption === caption);
      if (!chart) { fail(`${seq.sequence}: no chart "${caption}"`); continue; }
      const n = Object.keys(groups).length;
      const withInterval = Object.values(groups).filter((g) => g.lift_ci95 !== null).length;
      if (chart.kind !== kind) fail(`${seq.sequence} ${caption}: kind ${chart.kind}`);
      if (chart.rows !== n) fail(`${seq.sequence} ${caption}: ${chart.rows} rows, ${n} expected`);
      if (chart.dots !== withInterval || chart.intervals !== withInterval)
        fail(`${seq.sequence} ${caption}: ${chart.dots} dots and ${chart.intervals} intervals, ${withInterval} expected`);
      if (!(chart.box[0] > 100 && chart.box[1] > 40)) fail(`${seq.sequence} ${caption}: not rendered (${chart.box})`);
    }
    if (d.curves.length !== 1) { fail(`${seq.sequence}: ${d.curves.length} curve charts`); continue; }
    const arms = [seq.overall.treated > 0 ? 'series treated' : null, hasControl ? 'series control' : null].filter(Boolean);
    const lines = d.curves[0].lines;
    if (lines.map((l) => l.cls).join() !== arms.join()) fail(`${seq.sequence}: curve lines ${lines.map((l) => l.cls)}`);
    for (const l of lines) {
      if (l.points !== 2 * report.window_days + 1) fail(`${seq.sequence} ${l.cls}: ${l.points} points`);
      if (!(l.length > 0)) fail(`${seq.sequence} ${l.cls}: zero length`);
      if (!l.inside) fail(`${seq.sequence} ${l.cls}: the line leaves the chart`);
    }
    const verdicts = seq.variants.map((v) => v.verdict);
    if (JSON.stringify(d.verdicts) !== JSON.stringify(verdicts))
      fail(`${seq.sequence}: verdicts ${d.verdicts}, expected ${verdicts}`);
    if (seq.srm === null ? !d.srm.includes('no holdout') : !d.srm.includes('held out'))
      fail(`${seq.sequence}: sample-ratio sentence "${d.srm}"`);
    if (seq.srm && seq.srm.mismatch !== d.srm.includes('Sample ratio mismatch'))
      fail(`${seq.sequence}: the sentence does not say the mismatch`);
  }
  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  const charts = dom.reduce((n, d) => n + d.lift.length + d.curves.length, 0);
  if (failures.length === 0) console.log(`report OK: ${dom.length} sequences, ${charts} charts rendered, no console errors`);
} finally {
  await browser.close();
  fs.rmSync(userDir, { recursive: true, force: true });
}
for (const f of failures) console.log('FAIL: ' + f);
process.exit(failures.length ? 1 : 0);
