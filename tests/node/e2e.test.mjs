// The demo page (www/) in headless Chromium, driven through Playwright, against the real local
// server: every scenario of tests/node/e2e/scenarios.mjs (where they are written, once for both
// engines; e2e-webkit.test.mjs runs them in WebKit).
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/e2e.test.mjs
// (without it, a fresh in-memory server is started from target/server/backendless-emulator).
import { chromiumDriver } from "./e2e/drivers.mjs";
import { declareDemoScenarios } from "./e2e/scenarios.mjs";

declareDemoScenarios("demo page", chromiumDriver);
