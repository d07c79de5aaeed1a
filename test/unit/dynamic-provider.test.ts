// The shared adapter from Pulumi's dynamic-provider interface to a lifecycle module, and what
// Pulumi stores of each provider built with it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { dynamicProvider, type ResourceLifecycle } from "../../providers/shared/dynamic-provider";

interface ThingInputs {
  name: string;
  size?: number;
}

interface ThingOutputs extends ThingInputs {
  uuid: string;
  seen: number;
}

/** A lifecycle that records what reached it. */
function recordingLifecycle(options: { gone?: boolean; withDelete?: boolean } = {}) {
  const calls: { step: string; args: unknown[] }[] = [];
  const record = (step: string, ...args: unknown[]) => calls.push({ step, args });
  const lifecycle: ResourceLifecycle<ThingInputs, ThingOutputs> = {
    configure: (get) => record("configure", get("shelly-fleet:x")),
    check: (news) => (news.name === "" ? [{ property: "name", reason: "required" }] : []),
    diff: (olds, news) => ({ changes: olds.name !== news.name }),
    create: async (inputs) => {
      record("create", inputs);
      return { ...inputs, uuid: `uuid-${inputs.name}`, seen: 1 };
    },
    read: async (id, props) => {
      record("read", id, props);
      return options.gone ? undefined : { ...props, uuid: "uuid-live", size: 7, seen: 3 };
    },
    update: async (olds, news, id) => {
      record("update", olds, news, id);
      return { ...olds, ...news };
    },
    ...(options.withDelete && {
      delete: async (id: string, props: ThingOutputs) => {
        record("delete", id, props);
      },
    }),
  };
  return { calls, lifecycle };
}

function thingProvider(lifecycle: ResourceLifecycle<ThingInputs, ThingOutputs>) {
  return dynamicProvider<ThingInputs, ThingOutputs>({
    lifecycle: () => lifecycle,
    inputKeys: { name: true, size: true },
    id: (outs) => outs.uuid,
    refreshedInputs: (outs) => ({ size: outs.seen }),
  });
}

/** What the engine passes: the declared inputs, `__provider`, and (from the state) outputs. */
const engineProps = { name: "garage", __provider: "exports.handler = …", uuid: "uuid-old", seen: 2 };

describe("dynamicProvider", () => {
  test("create passes only the declared inputs, and the id comes from the outputs", async () => {
    const { calls, lifecycle } = recordingLifecycle();
    const provider = thingProvider(lifecycle);
    const created = await provider.create(engineProps as ThingInputs);
    expect(calls).toEqual([{ step: "create", args: [{ name: "garage" }] }]);
    expect(created.id).toBe("uuid-garage");
  });

  test("update passes the declared inputs and the resource id", async () => {
    const { calls, lifecycle } = recordingLifecycle();
    const provider = thingProvider(lifecycle);
    const olds = { name: "garage", uuid: "uuid-old", seen: 2 };
    await provider.update?.("uuid-old", olds, { ...engineProps, size: 3 } as ThingInputs);
    expect(calls).toEqual([{ step: "update", args: [olds, { name: "garage", size: 3 }, "uuid-old"] }]);
  });

  test("read: the id rule, the live outputs, and the inputs a refresh records", async () => {
    const { lifecycle } = recordingLifecycle();
    const provider = thingProvider(lifecycle);
    const read = await provider.read?.("uuid-old", engineProps as ThingOutputs);
    expect(read?.id).toBe("uuid-live");
    expect(read?.props).toMatchObject({ uuid: "uuid-live", seen: 3 });
    // The declared keys of the outputs, then what refreshedInputs takes from the others.
    expect(read?.inputs).toEqual({ name: "garage", size: 3 });
  });

  test("read of a resource that is gone returns nothing, so refresh drops it", async () => {
    const { lifecycle } = recordingLifecycle({ gone: true });
    expect(await thingProvider(lifecycle).read?.("uuid-old", engineProps as ThingOutputs)).toEqual({});
  });

  test("check returns the engine's inputs with the lifecycle's failures; configure reads stack config", async () => {
    const { calls, lifecycle } = recordingLifecycle();
    const provider = thingProvider(lifecycle);
    const news = { name: "", __provider: "…" } as ThingInputs;
    expect(await provider.check?.(news, news)).toEqual({
      inputs: news,
      failures: [{ property: "name", reason: "required" }],
    });
    await provider.configure?.({ config: { get: (key) => `value of ${key}`, require: () => "" } });
    expect(calls).toEqual([{ step: "configure", args: ["value of shelly-fleet:x"] }]);
  });

  test("delete runs the lifecycle's delete, and only releases when it has none", async () => {
    const outs = { name: "garage", uuid: "uuid-old", seen: 2 };
    const releasing = recordingLifecycle();
    await thingProvider(releasing.lifecycle).delete?.("uuid-old", outs);
    expect(releasing.calls).toEqual([]);
    const deleting = recordingLifecycle({ withDelete: true });
    await thingProvider(deleting.lifecycle).delete?.("uuid-old", outs);
    expect(deleting.calls).toEqual([{ step: "delete", args: ["uuid-old", outs] }]);
  });

  test("every input key must be declared", () => {
    const { lifecycle } = recordingLifecycle();
    dynamicProvider<ThingInputs, ThingOutputs>({
      lifecycle: () => lifecycle,
      // @ts-expect-error: `size` is missing, which the type check (tsc -p tsconfig.json) reports.
      inputKeys: { name: true },
      id: (outs) => outs.uuid,
    });
  });
});

describe("the provider code Pulumi stores in the state", () => {
  // The built package, as the engine serializes it (run `tsc -p tsconfig.build.json` first).
  const requireBuilt = createRequire(path.resolve(__dirname, "../../dist/index.js"));
  // What Pulumi's dynamic-provider host evaluates the stored text with.
  const requireFromString: (code: string) => { handler(): Record<string, unknown> } = createRequire(
    require.resolve("@pulumi/pulumi"),
  )("require-from-string");
  const providers = {
    "providers/shelly/provider.js": ["shellyDeviceProvider", "shellyDeviceAdapter"],
    "providers/provision/provider.js": ["provisionedDeviceProvider", "provisionedDeviceAdapter"],
    "providers/opnsense/reservation/provider.js": ["dhcpReservationProvider", "dhcpReservationAdapter"],
    "providers/opnsense/alias/provider.js": ["firewallAliasProvider", "firewallAliasAdapter"],
    "providers/shelly/lease/provider.js": ["leaseMoveProvider", "leaseMoveAdapter"],
  };

  test.each(Object.entries(providers))(
    "%s stores one short line that loads its adapter from the package",
    (file, [name, adapter]) => {
      const text: string = requireBuilt(`./${file}`)[name as string];
      // Stored twice per resource (inputs and outputs): a serialized closure was 3.7 KB.
      expect(text.length).toBeLessThan(500);
      expect(text).toContain(`"dist/${file}"`);
      expect(text).toContain(`"${adapter}"`);
      // Nothing of the implementation or of Pulumi's SDK is stored.
      expect(text).not.toMatch(/OpnsenseClient|ApplyCoordinator|openSession|@pulumi|undici|inputKeys/);
      // Run as the engine's dynamic-provider host runs it (require-from-string, then handler()),
      // from this checkout: it is the adapter dynamicProvider built in the built package.
      const provider = requireFromString(text).handler();
      expect(provider).toBe(requireBuilt(`./${file}`)[adapter as string]);
      expect(typeof provider.check).toBe("function");
    },
  );

  test("outside a shelly-fleet checkout the stored code says so", () => {
    const text: string = requireBuilt("./providers/shelly/provider.js").shellyDeviceProvider;
    const run = spawnSync(process.execPath, ["-e", `${text};exports.handler()`], {
      cwd: os.tmpdir(),
      encoding: "utf8",
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`no shelly-fleet package above ${fs.realpathSync(os.tmpdir())}`);
  });

  test("the module old stored OPNsense provider code loads still has what it calls", () => {
    const legacy = requireBuilt("./providers/opnsense/lifecycle.js");
    for (const name of ["configure", "readReservation", "deleteReservation", "readAlias", "deleteAlias"]) {
      expect(typeof legacy[name], name).toBe("function");
    }
  });
});
