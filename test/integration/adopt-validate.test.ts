// Property: adopt never writes a file that validate rejects. Every shipped capture, and generated
// variants of each (auth on; every enumerated value set to one the catalog does not know, every
// name emptied), is adopted from the simulator through the CLI; validate then finds no error.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CATALOG, type SectionSpec } from "../../providers/shelly/model/catalog";
import { getPath, isObject, type JsonObject, setPath } from "../../providers/shelly/model/values";
import { DEFAULT_PASSWORD, type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR, captureNames } from "../support/captures";
import { runCli } from "../support/cli";

const PASSWORD = "property-pw";
const ODD = "value-no-doc-names";

async function readJson(file: string): Promise<JsonObject> {
  return JSON.parse(await fs.readFile(file, "utf8"));
}

/** Sets every enumerated field the document holds to a value the catalog does not know, every name to empty. */
function oddValues(doc: unknown, fields: SectionSpec["fields"], generation: "gen1" | "gen2"): void {
  if (!isObject(doc)) return;
  for (const [name, field] of Object.entries(fields)) {
    const at = generation === "gen1" ? field.gen1?.attr : field.gen2?.codec ? undefined : field.gen2?.path;
    if (at === undefined || getPath(doc, at) === undefined) continue;
    if (field.type.kind === "enum") setPath(doc, at, ODD);
    else if (name === "name") setPath(doc, at, generation === "gen1" ? "" : null);
  }
}

/** A copy of a capture with odd values, written to `dir`. */
async function oddVariant(capture: string, dir: string): Promise<void> {
  const from = path.join(CAPTURES_DIR, capture);
  await fs.cp(from, dir, { recursive: true });
  const sections = Object.values(CATALOG) as SectionSpec[];
  const settingsFile = path.join(dir, "settings.json");
  const isGen1 = await fs
    .access(settingsFile)
    .then(() => true)
    .catch(() => false);
  if (isGen1) {
    const settings = await readJson(settingsFile);
    for (const section of sections) {
      if (section.gen1 === undefined || section.gen1.endpoint === "/settings/actions") continue;
      const list = section.gen1.list ? settings[section.gen1.list] : undefined;
      if (section.kind === "channels") {
        for (const channel of Array.isArray(list) ? list : []) oddValues(channel, section.fields, "gen1");
      } else if (section.fields.profile === undefined) oddValues(settings, section.fields, "gen1");
    }
    await fs.writeFile(settingsFile, JSON.stringify(settings));
    return;
  }
  const configFile = path.join(dir, "Shelly.GetConfig.json");
  const config = await readJson(configFile);
  for (const section of sections) {
    const component = section.gen2?.component;
    if (component === undefined) continue;
    for (const [key, value] of Object.entries(config)) {
      if (key === component || key.startsWith(`${component}:`)) oddValues(value, section.fields, "gen2");
    }
  }
  await fs.writeFile(configFile, JSON.stringify(config));
}

describe("adopt never writes a file that validate rejects", () => {
  let root: string;
  const devices: { name: string; device: SimDevice; password?: string }[] = [];

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), "adopt-validate-"));
    await fs.mkdir(path.join(root, "devices", "site"), { recursive: true });
    await fs.writeFile(
      path.join(root, "devices", "site", "site.toml"),
      '[credentials]\ndevice_password = { secret = "device-admin" }\n',
    );
    let serial = 0;
    const mac = () => `0200000001${(serial++).toString(16).padStart(2, "0")}`.toUpperCase();
    for (const capture of captureNames()) {
      const odd = path.join(root, "captures", `${capture}-odd`);
      await oddVariant(capture, odd);
      const variants: [string, string, string | undefined][] = [
        [capture, path.join(CAPTURES_DIR, capture), undefined],
        [`${capture}-auth`, path.join(CAPTURES_DIR, capture), PASSWORD],
        [`${capture}-odd`, odd, undefined],
      ];
      for (const [name, dir, password] of variants) {
        const device = await startDevice(dir, { mac: mac(), ...(password && { password }) });
        devices.push({ name, device, ...(password && { password }) });
      }
    }
  });

  afterAll(async () => {
    await Promise.all(devices.map(({ device }) => device.close()));
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  // The files alone: a device fresh from the box (auth off, cloud on) violates the safety
  // policies, which validate reports as such (test/policies).
  test("every capture and variant: adopt, then validate finds no error", async () => {
    const adopted = await Promise.all(
      devices.map(({ name, device, password }) =>
        runCli(["adopt", device.address, "--site", "site", "--root", root, "--name", name], {
          // A capture with auth on (gen1-dimmer2) has the simulator's default password.
          SHELLY_FLEET_DEVICE_PASSWORD: password ?? DEFAULT_PASSWORD,
        }),
      ),
    );
    for (const [i, result] of adopted.entries())
      expect(result.code, `${devices[i]?.name}: ${result.stderr}`).toBe(0);
    const validate = await runCli(["validate", "--root", root, "--json", "--no-policies"]);
    const report = JSON.parse(validate.stdout) as { errors: unknown[]; warnings: { message: string }[] };
    expect(report.errors).toEqual([]);
    expect(validate.code).toBe(0);
    expect(report.warnings.length).toBeGreaterThan(0);
    for (const warning of report.warnings) expect(warning.message).toContain(`"${ODD}"`);
  });

  test("adopted files name the model, pin auth with a secret reference and keep empty names", async () => {
    const file = (name: string) => fs.readFile(path.join(root, "devices", "site", `${name}.toml`), "utf8");
    expect(await file("gen2-plus1pm-auth")).toMatch(/^model = "SNSW-001P16EU"$/m);
    expect(await file("gen2-plus1pm-auth")).toMatch(
      /\[auth\]\nenabled = true\n\n\[auth\.password\]\nsecret = "device-admin"|\[auth\]\nenabled = true\npassword = \{ secret = "device-admin" \}/,
    );
    expect(await file("gen1-shelly1-auth")).toMatch(/\[auth\]/);
    expect(await file("gen2-pro3em")).toMatch(/\[\[em\]\]\nid = 0\nname = ""\nct_type = "120A"/);
    expect(await file("gen2-proem50")).toMatch(/\[\[em1\]\]\nid = 1\nname = ""/);
    // The redacted capture's WiFi is reported, not dropped silently.
    expect(await file("gen2-plus1pm")).toMatch(
      /# Not adopted: config wifi is "Wifi-Network-Name", not an object/,
    );
  });
});
