// The demo page (www/) driven in headless Chromium through Playwright against the real local
// server: the scenarios of tests/node/e2e/scenarios.mjs that run in Chromium (all of them).
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/e2e.test.mjs
// (without it, a fresh in-memory server is started from target/server/backendless-emulator).
import { launchPlaywrightChromium } from "./e2e/drivers.mjs";
import { declareDemoScenarios } from "./e2e/scenarios.mjs";

declareDemoScenarios({
  engine: "chromium",
  suite: "demo page",
  launch: launchPlaywrightChromium,
  launchTimeout: 30_000,
  suiteTimeout: 150_000,
  testTimeout: 45_000,
});
