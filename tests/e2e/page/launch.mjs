// launch.mjs: how the page tests start Debian's chromium (never a browser
// of playwright's own): headless, no sandbox (root in CI), nothing that
// talks to the network on its own.  chromium.launch() gives every run a
// fresh temporary --user-data-dir of its own (and refuses one passed in).
export function launchOptions() {
  return {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  };
}
