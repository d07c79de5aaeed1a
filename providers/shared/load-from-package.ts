// Loads a module of the installed shelly-fleet package from inside a serialized dynamic provider.
// Pulumi stores each provider's code in the state of every resource and runs that copy; the
// copies only call this, so they stay small, hold no credentials, and run the package's current
// code. The package is found above the provider process's directory (the Pulumi project).

/** Each module is looked up once per provider process: every resource call goes through here. */
const CACHE_KEY = "__shellyFleetPackageModules";

export function loadFromPackage<T>(relativePath: string): T {
  const store = globalThis as unknown as Record<string, Map<string, unknown> | undefined>;
  const cache = store[CACHE_KEY] ?? new Map<string, unknown>();
  store[CACHE_KEY] = cache;
  const cached = cache.get(relativePath);
  if (cached !== undefined) return cached as T;

  const path: typeof import("node:path") = require("node:path");
  const fs: typeof import("node:fs") = require("node:fs");
  let dir = process.cwd();
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "shelly-fleet") {
      const loaded = require(path.join(dir, relativePath)) as T;
      cache.set(relativePath, loaded);
      return loaded;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`shelly-fleet: no shelly-fleet package above ${process.cwd()}`);
    dir = parent;
  }
}
