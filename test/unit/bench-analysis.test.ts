// The bench's pure helpers: drift sets compared across tools, the growth exponent, the script
// peer's key mapping, the Ansible inventory, the simulated fleet's address scheme.
import { describe, expect, it } from "vitest";
import { assertSameDrift, driftSetDifference, logLogSlope } from "../../bench/analysis";
import { bucketOf, renderProfileLine, summarizeProfile } from "../../bench/cpu-profile";
import { ansibleInventory } from "../../bench/peers/ansible";
import { differingKeys, wireChecks } from "../../bench/peers/wire-checks";
import { markdown, type Result } from "../../bench/results-md";
import { hostOf, subnetFor } from "../../bench/sim-fleet";
import type { DesiredDevice } from "../../fleet";

describe("drift sets", () => {
  it("names what each side lacks, sorted", () => {
    expect(driftSetDifference(["dev-2", "dev-0", "dev-1"], ["dev-1", "dev-9", "dev-0"])).toEqual({
      missing: ["dev-2"],
      extra: ["dev-9"],
    });
    expect(driftSetDifference(["a", "b"], ["b", "a"])).toEqual({ missing: [], extra: [] });
  });

  it("passes on the same devices in any order and fails loudly otherwise", () => {
    expect(() =>
      assertSameDrift("script", "shelly-fleet", ["dev-1", "dev-0"], ["dev-0", "dev-1"]),
    ).not.toThrow();
    expect(() => assertSameDrift("ansible", "shelly-fleet", ["dev-0", "dev-1"], ["dev-1", "dev-7"])).toThrow(
      "ansible does not find the drifted devices shelly-fleet finds: misses 1 (dev-0); adds 1 (dev-7)",
    );
    expect(() => assertSameDrift("script", "shelly-fleet", ["dev-0"], [])).toThrow(/misses 1 \(dev-0\)$/);
  });
});

describe("logLogSlope", () => {
  it("recovers the exponent of a power law", () => {
    const points = [100, 1000, 5000].map((x) => ({ x, y: 0.02 * x ** 1.3 }));
    expect(logLogSlope(points)).toBeCloseTo(1.3, 10);
    expect(logLogSlope([100, 1000].map((x) => ({ x, y: 7 })))).toBeCloseTo(0, 10);
  });

  it("fits the least-squares line through points off it", () => {
    // log10: (2, 1), (3, 2.5), (4, 3) → slope 1 by least squares.
    const slope = logLogSlope([
      { x: 100, y: 10 },
      { x: 1000, y: 10 ** 2.5 },
      { x: 10000, y: 1000 },
    ]);
    expect(slope).toBeCloseTo(1, 10);
  });

  it("is undefined without two sizes or with a value that is not positive", () => {
    expect(logLogSlope([{ x: 100, y: 3 }])).toBeUndefined();
    expect(
      logLogSlope([
        { x: 100, y: 3 },
        { x: 100, y: 4 },
      ]),
    ).toBeUndefined();
    expect(
      logLogSlope([
        { x: 100, y: 0 },
        { x: 1000, y: 4 },
      ]),
    ).toBeUndefined();
  });
});

describe("the script peer's comparison", () => {
  const config = { device: { name: "Hall" }, switch: [{ id: 0, name: "Light" }] };

  it("finds each key where its generation keeps it", () => {
    const gen1 = { name: "Hall", relays: [{ name: "Light" }] };
    const gen2 = { sys: { device: { name: "Hall" } }, "switch:0": { name: "Light" } };
    expect(differingKeys(gen1, wireChecks(config, 1))).toEqual([]);
    expect(differingKeys(gen2, wireChecks(config, 2))).toEqual([]);
    expect(differingKeys({ ...gen1, relays: [{ name: "changed" }] }, wireChecks(config, 1))).toEqual([
      "switch.0.name",
    ]);
    expect(differingKeys({ "switch:0": { name: "Light" } }, wireChecks(config, 2))).toEqual(["device.name"]);
  });

  it("refuses keys it does not compare rather than comparing less", () => {
    expect(() => wireChecks({ mqtt: { enabled: true } }, 2)).toThrow("does not compare [mqtt]");
    expect(() => wireChecks({ switch: [{ id: 0, initial_state: "on" }] }, 1)).toThrow(
      "does not compare switch.0.initial_state",
    );
  });
});

describe("the Ansible inventory", () => {
  it("has one local host per device file with the file's values", () => {
    const device = {
      name: "dev-3",
      address: "http://127.88.0.4:8080/",
      mac: "02BE00000003",
      config: { device: { name: "Bench 3" }, switch: [{ id: 0, name: "Output 3" }] },
    } as unknown as DesiredDevice;
    expect(ansibleInventory([device])).toEqual({
      all: {
        vars: { ansible_connection: "local", ansible_python_interpreter: "{{ ansible_playbook_python }}" },
        children: {
          shelly: {
            hosts: {
              "dev-3": {
                base_url: "http://127.88.0.4:8080",
                mac: "02BE00000003",
                want_name: "Bench 3",
                want_switch: [{ id: 0, name: "Output 3" }],
              },
            },
          },
        },
      },
    });
  });
});

describe("the simulated fleet's addresses", () => {
  it("gives 5,000 devices distinct loopback addresses inside the site's subnet", () => {
    const n = 5000;
    const hosts = Array.from({ length: n }, (_, i) => hostOf(i));
    expect(new Set(hosts).size).toBe(n);
    expect(subnetFor(n)).toBe("127.88.0.0/19");
    for (const host of hosts) {
      const [a, b, c, d] = host.split(".").map(Number) as [number, number, number, number];
      expect([a, b]).toEqual([127, 88]);
      expect(c < 32 && d < 256).toBe(true);
      // Neither the subnet's own address nor its broadcast address.
      expect(host === "127.88.0.0" || host === "127.88.31.255").toBe(false);
    }
    expect(() => subnetFor(70_000)).toThrow("do not fit");
  });
});

describe("results.md's growth section", () => {
  const row = (n: number, wall: number): Result => ({
    n,
    scenario: "preview-no-drift",
    tool: "shelly-fleet",
    wall_s: wall,
    floor_s: wall / 2,
    engine_floor_s: wall / 2,
    device_floor_s: 0,
    ratio: 2,
    reads_per_device: 1,
    writes_per_device: 0,
    peak_rss_mb: 512,
    peak_rss_cli_mb: 200,
    peak_rss_engine_mb: 112,
    peak_rss_provider_mb: 200,
    cpu_s: { cli: 1, engine: 1, provider: 1, total: 3 },
    state_kb_per_device: 2.5,
  });

  it("gives per-device figures at each N and the fitted exponent", () => {
    const text = markdown([row(100, 10), row(1000, 100), row(5000, 500)], {
      latencyMs: 50,
      parallel: 32,
      peers: [],
    });
    expect(text).toContain("| preview-no-drift | 5000 | 500 | 100 | 50 | 512 | 104.9 | 2.5 |");
    expect(text).toContain("- preview-no-drift: wall ∝ N^1 (floor: N^1), N = 100, 1000, 5000");
  });

  it("says a single size gives no curve", () => {
    expect(markdown([row(20, 5)], { latencyMs: 50, parallel: 32, peers: [] })).toContain(
      "One fleet size only",
    );
  });
});

describe("where the CPU goes", () => {
  const frame = (url: string, functionName = "f") => ({ url, functionName });

  it("buckets a function by package, by shelly-fleet directory or by V8's own work", () => {
    expect(bucketOf(frame("file:///w/node_modules/google-protobuf/google-protobuf.js"))).toBe(
      "google-protobuf",
    );
    expect(bucketOf(frame("file:///w/node_modules/@grpc/grpc-js/build/src/call.js"))).toBe("@grpc/grpc-js");
    expect(bucketOf(frame("file:///w/node_modules/@pulumi/pulumi/runtime/resource.js"))).toBe(
      "@pulumi/pulumi runtime/",
    );
    expect(bucketOf(frame("file:///w/node_modules/@pulumi/pulumi/output.js"))).toBe("@pulumi/pulumi output");
    expect(bucketOf(frame("file:///w/dist/providers/shelly/session.js"))).toBe("shelly-fleet providers/");
    expect(bucketOf(frame("node:internal/http2/core"))).toBe("node http2");
    expect(bucketOf(frame("node:events"))).toBe("node events");
    expect(bucketOf(frame("", "(garbage collector)"))).toBe("garbage collection");
    expect(bucketOf(frame("", "(idle)"))).toBeUndefined();
  });

  it("sums self time from the samples, idle left out", () => {
    const summary = summarizeProfile({
      nodes: [
        { id: 1, callFrame: frame("", "(idle)") },
        { id: 2, callFrame: frame("file:///w/node_modules/undici/index.js") },
        { id: 3, callFrame: frame("file:///w/dist/cli/main.js") },
      ],
      samples: [1, 2, 3, 2],
      timeDeltas: [5000, 1000, 2000, 1000],
    });
    expect(summary.role).toBe("cli");
    expect(summary.ms).toBe(4);
    expect(summary.buckets).toEqual([
      { name: "undici", ms: 2 },
      { name: "shelly-fleet cli/", ms: 2 },
    ]);
    expect(renderProfileLine(summary)).toBe("cli 0.0 s: undici 50 %, shelly-fleet cli/ 50 %");
  });
});
