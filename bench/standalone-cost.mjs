// What one standalone instance (`initApp({ …, standalone: true })`) costs in Node, for README's
// "On the server": the time to create one (1,000 in a row, after 50 to warm up), and the memory
// that 100 kept alive add, per instance (process.memoryUsage() after gc, before and after). Given
// a local server, each of the 100 then logs in, and the memory is read again. Run by hand, not by
// `npm run bench`:
//
//   node --expose-gc bench/standalone-cost.mjs [entry (pkg/index.js)] [server URL]
//
// The server must have the app TEST-APP / TEST-KEY; the script registers its own user there.
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

if (typeof gc !== "function") throw new Error("run with node --expose-gc");
const [entry = "pkg/index.js", server] = process.argv.slice(2);
const { default: Backendless } = await import(pathToFileURL(resolve(entry)).href);
console.warn = () => {}; // index.js warns once per initApp in Node: no localStorage
const config = { appId: "TEST-APP", apiKey: "TEST-KEY", serverURL: server ?? "http://127.0.0.1:1", standalone: true };

for (let i = 0; i < 50; i++) Backendless.initApp(config);
const started = performance.now();
for (let i = 0; i < 1000; i++) Backendless.initApp(config);
const msPerInstance = (performance.now() - started) / 1000;

const usage = () => {
  gc();
  gc();
  return process.memoryUsage();
};
const perInstanceKiB = (before, after) =>
  Object.fromEntries(["rss", "heapUsed", "external"].map((key) => [key, +((after[key] - before[key]) / 100 / 1024).toFixed(1)]));
const before = usage();
const kept = Array.from({ length: 100 }, () => Backendless.initApp(config));
const result = { entry, msPerInstance: +msPerInstance.toFixed(3), freshKiB: perInstanceKiB(before, usage()) };

if (server) {
  const user = { email: `standalone-cost-${Date.now()}@example.test`, password: "cost-of-one" };
  await kept[0].UserService.register(user);
  for (const app of kept) await app.UserService.login(user.email, user.password);
  result.loggedInKiB = perInstanceKiB(before, usage());
  result.allLoggedIn = (await Promise.all(kept.map((app) => app.UserService.isValidLogin()))).every(Boolean);
}
console.log(JSON.stringify(result));
