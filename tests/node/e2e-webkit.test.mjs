// The demo page (www/) in WebKit (WebKitGTK's MiniBrowser through WebKitWebDriver, on an Xvfb
// display), driven through plain W3C WebDriver (tests/node/lib/webdriver.mjs), against the real
// local server: the scenarios of tests/node/e2e/scenarios.mjs that run in WebKit — register and
// log in, a reload restoring the session, logout, the error banners, two windows following each
// other. scripts/test.sh runs it only when BROWSERS names webkit (the `-webkit.test.mjs` suffix).
//
//   BACKENDLESS_EMULATOR_URL=http://127.0.0.1:PORT node --test tests/node/e2e-webkit.test.mjs
// (without it, a fresh in-memory server is started from target/server/backendless-emulator;
// without DISPLAY, an Xvfb of its own).
import { webkitDriver } from "./e2e/drivers.mjs";
import { declareDemoScenarios } from "./e2e/scenarios.mjs";

declareDemoScenarios("demo page in WebKit", webkitDriver);
