// The benchmark's plain-script peer: what a competent user writes to answer "which devices differ
// from their files?" without shelly-fleet. It loads the device files (fleet/, read only), then for
// every device, `--concurrency` at a time: GET /shelly (generation and MAC: the right device?),
// then the configuration (Gen1 GET /settings, Gen2+ GET /rpc/Shelly.GetConfig), and compares the
// files' keys. Prints the drifted devices' file names, sorted, one a line; exit 1 when a device
// could not be checked (unreachable, another MAC, auth on: the bench's devices have none).
// Usage: node dist/bench/peers/script.js --root DIR [--site S] [--concurrency N]
import { parseArgs } from "node:util";
import { request } from "undici";
import { formatFleetError, loadFleet } from "../../fleet";
import { differingKeys, wireChecks } from "./wire-checks";

const TIMEOUT_MS = 10_000;

async function getJson(url: string): Promise<unknown> {
  const res = await request(url, { headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`GET ${url}: HTTP ${res.statusCode}`);
  }
  return res.body.json();
}

/** The keys that differ on one device. */
async function check(
  address: string,
  mac: string,
  config: Parameters<typeof wireChecks>[0],
): Promise<string[]> {
  const base = address.replace(/\/$/, "");
  const info = (await getJson(`${base}/shelly`)) as { gen?: number; mac?: string };
  if (String(info.mac).toUpperCase() !== mac)
    throw new Error(`answers with MAC ${info.mac}, the file says ${mac}`);
  const gen = info.gen ?? 1;
  const document = await getJson(gen === 1 ? `${base}/settings` : `${base}/rpc/Shelly.GetConfig`);
  return differingKeys(document, wireChecks(config, gen));
}

/** Every device of the files checked, `concurrency` at a time: the drifted ones, and those not checked. */
export async function findDrift(options: {
  root: string;
  site?: string;
  concurrency: number;
}): Promise<{ drifted: string[]; failed: string[] }> {
  const fleet = loadFleet({ root: options.root, site: options.site });
  if (fleet.errors.length > 0)
    throw new Error(fleet.errors.map((error) => formatFleetError(error)).join("\n"));
  const drifted: string[] = [];
  const failed: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < fleet.devices.length; i = next++) {
      const device = fleet.devices[i] as (typeof fleet.devices)[number];
      try {
        if ((await check(device.address, device.mac, device.config)).length > 0) drifted.push(device.name);
      } catch (err) {
        failed.push(`${device.name}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return { drifted: drifted.sort(), failed: failed.sort() };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      root: { type: "string" },
      site: { type: "string" },
      concurrency: { type: "string", default: "32" },
    },
  });
  if (values.root === undefined) throw new Error("--root DIR is required");
  const { drifted, failed } = await findDrift({
    root: values.root,
    site: values.site,
    concurrency: Number(values.concurrency),
  });
  process.stdout.write(drifted.map((name) => `${name}\n`).join(""));
  for (const line of failed) process.stderr.write(`${line}\n`);
  return failed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`script: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
