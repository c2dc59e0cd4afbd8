// The demo page (www/) driven in WebKit (WebKitGTK's MiniBrowser through WebKitWebDriver, on an
// Xvfb display) against the real local server: the scenarios of tests/node/e2e/scenarios.mjs
// that run in WebKit — login, reload restoring the session, logout, the error banner, two
// windows following each other — through plain W3C WebDriver (tests/node/lib/webdriver.mjs).
// scripts/test.sh runs it only when BROWSERS names webkit (the `-webkit.test.mjs` suffix).
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/e2e-webkit.test.mjs
// (without it, a fresh in-memory server is started from target/server/backendless-emulator;
// without DISPLAY, an Xvfb of its own).
import { launchWebDriverWebKit } from "./e2e/drivers.mjs";
import { declareDemoScenarios } from "./e2e/scenarios.mjs";

declareDemoScenarios({
  engine: "webkit",
  suite: "demo page in WebKit",
  launch: launchWebDriverWebKit,
  launchTimeout: 60_000,
  suiteTimeout: 300_000,
  testTimeout: 60_000,
});
