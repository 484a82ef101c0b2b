// Drives Debian's headless Chromium for the console's tests through puppeteer-core (from the
// console's pinned npm packages). Reads one JSON command per line on stdin and answers one JSON
// line on stdout, so a pytest test can interleave browser steps with a Python SDK caller:
//   {"cmd": "open", "url": ..., "user": ..., "password": ...}
//   {"cmd": "wait", "js": "<expression>", "wait_ms": ms}   → the expression's first truthy value
//   {"cmd": "eval", "js": "<expression>"}
//   {"cmd": "click", "selector": ...} / {"cmd": "select", "selector": ..., "value": ...}
//   {"cmd": "screenshot", "path": ..., "selector": optional}
//   {"cmd": "logs"}                                         → the page's console and errors
// Chromium: CHROMIUM (default /usr/bin/chromium); FAKE_AUDIO: a WAV the fake microphone plays;
// NODE_MODULES: the console's node_modules (scripts/install.sh npm-dir).
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

const puppeteer = createRequire(`${process.env.NODE_MODULES}/`)('puppeteer-core');

const args = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--mute-audio',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--autoplay-policy=no-user-gesture-required',
  // The ICE candidates must be the namespace's real addresses: LiveKit cannot resolve mDNS names.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--window-size=1280,900',
];
if (process.env.FAKE_AUDIO) args.push(`--use-file-for-fake-audio-capture=${process.env.FAKE_AUDIO}`);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args,
  defaultViewport: { width: 1280, height: 900 },
});
const page = await browser.newPage();
const logs = [];
page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
page.on('requestfailed', (r) => logs.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));

async function run(c) {
  switch (c.cmd) {
    case 'open':
      if (c.user !== undefined) await page.authenticate({ username: c.user, password: c.password });
      return (await page.goto(c.url, { waitUntil: 'load', timeout: 15000 }))?.status();
    case 'wait': {
      const h = await page.waitForFunction(c.js, { timeout: c.wait_ms ?? 15000, polling: 100 });
      return h.jsonValue();
    }
    case 'eval':
      return page.evaluate(c.js);
    case 'click':
      await page.click(c.selector);
      return true;
    case 'select':
      return page.select(c.selector, c.value);
    case 'screenshot':
      if (c.selector) await (await page.$(c.selector)).screenshot({ path: c.path });
      else await page.screenshot({ path: c.path, fullPage: !!c.full });
      return c.path;
    case 'logs':
      return logs.splice(0);
    default:
      throw new Error(`unknown command ${c.cmd}`);
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    reply = { ok: true, value: await run(JSON.parse(line)) };
  } catch (e) {
    reply = { ok: false, error: String(e && e.message || e) };
  }
  process.stdout.write(JSON.stringify(reply) + '\n');
}
await browser.close();
