// make_video.mjs OUT.webm: a two-second VP8 WebM made by Debian's chromium
// itself (a canvas recorded with MediaRecorder), so the test kit's video is
// generated here rather than committed or downloaded.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import { launchOptions } from './launch.mjs';

const out = process.argv[2];
const browser = await chromium.launch(launchOptions());
try {
  const page = await browser.newPage();
  await page.setContent('<canvas width="320" height="180"></canvas>');
  const b64 = await page.evaluate(async () => {
    const c = document.querySelector('canvas'), g = c.getContext('2d');
    const rec = new MediaRecorder(c.captureStream(25), { mimeType: 'video/webm;codecs=vp8' });
    const parts = [];
    rec.ondataavailable = e => parts.push(e.data);
    const done = new Promise(r => { rec.onstop = r; });
    rec.start(100);
    const t0 = performance.now();
    await new Promise(r => {
      (function draw() {
        const t = performance.now() - t0;
        g.fillStyle = '#0033a0'; g.fillRect(0, 0, 320, 180);
        g.fillStyle = '#fff'; g.fillRect((t / 8) % 320, 70, 40, 40);
        if (t < 2000) requestAnimationFrame(draw); else r();
      })();
    });
    rec.stop();
    await done;
    const buf = new Uint8Array(await new Blob(parts, { type: 'video/webm' }).arrayBuffer());
    let s = '';
    for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return btoa(s);
  });
  fs.writeFileSync(out, Buffer.from(b64, 'base64'));
} finally {
  await browser.close();
}
