// check.mjs SHOTS_DIR KIT_DIR... : open each kit's index.html from file://
// in Debian's chromium at 390 and 1280 px and check what issue 19 asks of
// the kit page (and, at 320 and 1440 px, that nothing scrolls sideways).
// Prints one "PASS <what>" or "FAIL <what>: <why>" line per check (page.t
// turns them into TAP) and writes a full-page screenshot of each kit at
// 390 and 1280 px to SHOTS_DIR/<kit>-<width>.png.
// An argument PAGE=MANIFEST checks a page written elsewhere (kit-schedule
// page) against the kit's manifest.json.
// Env: COUNTS='{"<post id>":n,...}' the validator's counts the page must
// show; MARKS='{"since":N,"posts":{"<id>":"new"|"changed"}}' the marks.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { launchOptions } from './launch.mjs';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const [shots, ...kits] = process.argv.slice(2);
let failed = 0;
const result = (ok, what, why) => {
  if (!ok) failed++;
  console.log(ok ? `PASS ${what}` : `FAIL ${what}: ${why}`);
};

const browser = await chromium.launch(launchOptions());
try {
  for (const arg of kits) {
    const [pagePath, manifestPath] = arg.includes('=') ? arg.split('=') :
      [path.join(arg, 'index.html'), path.join(arg, 'manifest.json')];
    const name = path.basename(arg.includes('=') ? pagePath : arg).replace(/\.html$/, '');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    for (const width of [390, 1280]) {
      try {
        await checkPage(name, 'file://' + path.resolve(pagePath), manifest, width);
      } catch (e) {
        result(false, `${name} at ${width} px: the checks ran to the end`, e.message.split('\n')[0]);
      }
    }
    // the narrowest phone and a wide desktop: still no sideways scrolling
    for (const width of [320, 1440]) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      await page.goto('file://' + path.resolve(pagePath), { waitUntil: 'load' });
      const [sw, cw] = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
      result(sw <= cw, `${name} at ${width} px: no horizontal overflow`, `scrollWidth ${sw} > clientWidth ${cw}`);
      await page.close();
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);

async function checkPage(name, url, manifest, width) {
  const tag = `${name} at ${width} px`;
  const context = await browser.newContext({ viewport: { width, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  const requests = [], errors = [];
  page.on('request', r => requests.push(r.url()));
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(e.message));
  await page.goto(url, { waitUntil: 'load' });
  // players: metadata loaded means the policy let the media in
  await page.evaluate(() => Promise.all([...document.querySelectorAll('video,audio')].map(v =>
    v.readyState >= 1 ? null : new Promise(r => { v.onloadedmetadata = r; v.onerror = r; setTimeout(r, 5000); }))));

  const m = await page.evaluate(() => {
    const d = document.documentElement;
    const texts = [...document.querySelectorAll('.card .text')].map(e => {
      const r = e.getBoundingClientRect();
      return { id: e.id.slice(5), text: e.textContent, lang: e.getAttribute('lang'), dir: e.getAttribute('dir'),
        direction: getComputedStyle(e).direction,
        visible: r.width > 0 && r.height > 0 && getComputedStyle(e).visibility === 'visible',
        clipped: e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1,
        inside: r.left >= 0 && r.right <= d.clientWidth + 0.5 };
    });
    return {
      scrollWidth: d.scrollWidth, clientWidth: d.clientWidth,
      images: [...document.images].map(i => ({ src: i.getAttribute('src'), w: i.naturalWidth, ok: i.complete })),
      media: [...document.querySelectorAll('video,audio')].map(v => ({ src: v.getAttribute('src'), ready: v.readyState, err: v.error && v.error.code })),
      texts,
      counts: Object.fromEntries([...document.querySelectorAll('.card')].map(c =>
        [c.getAttribute('data-id'), c.querySelector('.count').textContent])),
      lacksLang: [...document.querySelectorAll('.text, .statement, figcaption span, #h-about + div')]
        .filter(e => !e.getAttribute('lang') || !e.getAttribute('dir')).length,
      downloads: [...document.querySelectorAll('a[download]')].map(a => a.getAttribute('href')),
    };
  });
  result(m.scrollWidth <= m.clientWidth, `${tag}: no horizontal overflow`, `scrollWidth ${m.scrollWidth} > clientWidth ${m.clientWidth}`);
  const posts = manifest.posts;
  const byId = Object.fromEntries(m.texts.map(t => [t.id, t]));
  const bad = posts.filter(p => !byId[p.id] || byId[p.id].text !== p.text || !byId[p.id].visible ||
    byId[p.id].clipped || !byId[p.id].inside);
  result(m.texts.length === posts.length && bad.length === 0, `${tag}: every post's full text visible (${posts.length})`,
    `${bad.length} not: ${bad.slice(0, 3).map(p => p.id + JSON.stringify(byId[p.id] || {})).join('; ')}`);
  const rtlBad = m.texts.filter(t => (t.direction === 'rtl') !== /^(ar|fa|he|ur|ps)(-|$)/.test(t.lang) || !t.lang || !t.dir);
  result(rtlBad.length === 0 && m.lacksLang === 0, `${tag}: lang and dir on every text, right to left for ${[...new Set(m.texts.filter(t => t.dir === 'rtl').map(t => t.lang))].join(', ') || 'none here'}`,
    `${rtlBad.length} wrong direction, ${m.lacksLang} without lang/dir`);
  const badImg = m.images.filter(i => !i.ok || i.w === 0);
  result(m.images.length > 0 && badImg.length === 0, `${tag}: every image loaded (${m.images.length})`, JSON.stringify(badImg.slice(0, 3)));
  const badMedia = m.media.filter(v => v.ready < 1 || v.err);
  result(badMedia.length === 0, `${tag}: video and audio playable (${m.media.length})`, JSON.stringify(badMedia));
  const files = new Set(manifest.files.map(f => f.path));
  const missing = m.downloads.filter(h => !files.has(h));
  const media = new Set(posts.flatMap(p => p.media.map(x => x.path)));
  const notOffered = [...media].filter(f => !m.downloads.includes(f));
  result(missing.length === 0 && notOffered.length === 0 && m.downloads.some(h => h.endsWith('.ics')) &&
    m.downloads.some(h => h.endsWith('.csv')), `${tag}: every medium, the .ics and the CSV files downloadable from the kit`,
    `not in the kit: ${missing.join(', ')}; media not offered: ${notOffered.join(', ')}`);
  const countBad = posts.filter(p => !/^\d+ of \d+ characters as /.test(m.counts[p.id] || ''));
  result(countBad.length === 0, `${tag}: a character count on every post`, countBad.map(p => p.id).join(', '));
  const ids = new Set(posts.map(p => p.id));
  const want = Object.fromEntries(Object.entries(JSON.parse(process.env.COUNTS || '{}')).filter(([id]) => ids.has(id)));
  if (Object.keys(want).length && width === 1280) {
    const wrong = Object.entries(want).filter(([id, n]) => !(m.counts[id] || '').startsWith(`${n} of `));
    result(wrong.length === 0, `${tag}: the page's counts of the tricky posts are the validator's`,
      wrong.map(([id, n]) => `${id}: want ${n}, page says "${m.counts[id]}"`).join('; '));
  }

  // the filters: each platform alone, then all again
  const plats = [...new Set(posts.map(p => p.platform))];
  const shown = await page.evaluate(async plats => {
    const out = {};
    const sel = document.getElementById('f-platform');
    for (const p of plats) {
      sel.value = p; sel.dispatchEvent(new Event('change'));
      const vis = [...document.querySelectorAll('.card')].filter(c => !c.hidden);
      out[p] = vis.every(c => c.getAttribute('data-platform') === p) ? vis.length : -1;
    }
    sel.value = ''; sel.dispatchEvent(new Event('change'));
    return out;
  }, plats);
  const wantShown = Object.fromEntries(plats.map(p => [p, posts.filter(x => x.platform === p).length]));
  result(JSON.stringify(shown) === JSON.stringify(wantShown), `${tag}: the platform filter shows exactly that platform's posts`,
    `${JSON.stringify(shown)} != ${JSON.stringify(wantShown)}`);
  const langs = [...new Set(posts.map(p => p.language))];
  const byLang = await page.evaluate(async langs => {
    const sel = document.getElementById('f-lang'), day = document.getElementById('f-day'), out = {};
    for (const l of langs) {
      sel.value = l; sel.dispatchEvent(new Event('change'));
      out[l] = [...document.querySelectorAll('.card')].filter(c => !c.hidden).length;
    }
    sel.value = ''; sel.dispatchEvent(new Event('change'));
    day.selectedIndex = 1; day.dispatchEvent(new Event('change'));
    out.day = [...document.querySelectorAll('.card')].filter(c => !c.hidden).map(c => c.getAttribute('data-day'));
    out.dayValue = day.value;
    day.selectedIndex = 0; day.dispatchEvent(new Event('change'));
    return out;
  }, langs);
  const langOk = langs.every(l => byLang[l] === posts.filter(p => p.language === l).length);
  result(langOk && byLang.day.length > 0 && byLang.day.every(d => d === byLang.dayValue),
    `${tag}: the language and day filters`, JSON.stringify(byLang));

  if (process.env.MARKS) {
    const want = JSON.parse(process.env.MARKS);
    const got = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.card[data-mark]')]
      .map(c => [c.getAttribute('data-id'), c.getAttribute('data-mark') + ':' + c.querySelector('.mark').textContent])));
    const wantTxt = Object.fromEntries(Object.entries(want.posts).map(([id, k]) =>
      [id, `${k}:${k === 'new' ? 'New' : 'Changed'} since version ${want.since}`]));
    result(JSON.stringify(got, Object.keys(got).sort()) === JSON.stringify(wantTxt, Object.keys(wantTxt).sort()),
      `${tag}: new and changed posts marked`, `${JSON.stringify(got)} != ${JSON.stringify(wantTxt)}`);
    const only = await page.evaluate(() => {
      const c = document.getElementById('f-changed');
      c.checked = true; c.dispatchEvent(new Event('change'));
      const n = [...document.querySelectorAll('.card')].filter(x => !x.hidden).length;
      c.checked = false; c.dispatchEvent(new Event('change'));
      return { n, wrapHidden: document.getElementById('f-changed-wrap').hidden, summary: document.getElementById('changes').textContent };
    });
    result(only.n === Object.keys(want.posts).length && !only.wrapHidden && /since version/.test(only.summary),
      `${tag}: "only new or changed" shows just those`, JSON.stringify(only));
  }

  // copy: the Clipboard API, then the textarea fallback with the API gone
  if (width === 1280) {
    const sample = posts.filter((p, i) => i < 8 || /[^\x00-\x7f]/.test(p.text)).slice(0, 24);
    const wrongCopy = [];
    for (const p of sample) {
      await page.locator(`[id="post-${p.id}"] button[data-copy^="text-"]`).click();
      const got = await page.evaluate(() => navigator.clipboard.readText());
      if (got !== p.text) wrongCopy.push(`${p.id}: ${JSON.stringify(got).slice(0, 80)}`);
    }
    result(wrongCopy.length === 0, `${tag}: "Copy text" puts exactly the post's text on the clipboard (${sample.length} posts)`, wrongCopy.join('; '));
    const withMedia = posts.find(p => p.media.length);
    if (withMedia) {
      await page.locator(`[id="post-${withMedia.id}"] button[data-copy^="alt-"]`).first().click();
      const got = await page.evaluate(() => navigator.clipboard.readText());
      result(got === withMedia.media[0].alt, `${tag}: "Copy alt text" puts exactly the alt text on the clipboard`, JSON.stringify(got));
    }
    const p = posts[posts.length - 1];
    await page.evaluate(() => navigator.clipboard.writeText('-'));
    await page.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }));
    await page.locator(`[id="post-${p.id}"] button[data-copy^="text-"]`).click();
    const reader = await context.newPage();
    await reader.goto(url);
    const got = await reader.evaluate(() => navigator.clipboard.readText());
    await reader.close();
    result(got === p.text, `${tag}: without the Clipboard API the textarea fallback copies the same text`, JSON.stringify(got).slice(0, 80));
    const focus = await page.evaluate(() => document.activeElement && document.activeElement.textContent);
    result(focus === 'Copy text', `${tag}: focus stays on the copy button (keyboard use)`, String(focus));
  }

  await page.evaluate(axeSource);
  const axe = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = axe.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  result(serious.length === 0, `${tag}: axe-core finds no serious or critical violation`,
    serious.map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(', ')}`).join('; '));

  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
  const net = requests.filter(u => !u.startsWith('file:'));
  result(net.length === 0, `${tag}: no request beyond file://`, net.slice(0, 5).join(', '));
  result(errors.length === 0, `${tag}: no console error`, errors.slice(0, 3).join(' | '));
  await context.close();
}
