// The model a device file names, known offline: keys the model does not have are errors
// whether or not `expect` is set; values the catalog does not know are warnings, never errors.
import { describe, expect, test } from "vitest";
import { loadFleet } from "../../fleet";
import { runCli } from "../support/cli";
import { DEVICE_HEAD, writeFleet } from "./support";

const lamp = "devices/home/lamp.toml";

describe("values a device reports are never errors", () => {
  test("an unknown enumeration value is a warning naming the device, key and value", () => {
    const root = writeFleet({
      [lamp]: `${DEVICE_HEAD}\n[[light]]\nid = 0\ninitial_state = "sometimes"\n\n[device]\nprofile = "triphase"\n`,
    });
    const fleet = loadFleet({ root });
    expect(fleet.errors).toEqual([]);
    expect(fleet.warnings).toEqual([
      {
        file: lamp,
        keyPath: "light.0.initial_state",
        line: 6,
        message:
          'lamp: "sometimes" is not a value the catalog knows for light.initial_state (off, on, restore_last, match_input); accepted as written',
      },
    ]);
  });

  test("values devices report that the catalog once rejected are known now", () => {
    const root = writeFleet({
      [lamp]: `${DEVICE_HEAD}\n[[light]]\nid = 0\ninitial_state = "match_input"\n\n[device]\nprofile = "triphase"\n`,
    });
    const fleet = loadFleet({ root });
    expect([...fleet.errors, ...fleet.warnings]).toEqual([]);
  });

  test("validate prints warnings and exits 0 when there are only warnings", async () => {
    const root = writeFleet({ [lamp]: `${DEVICE_HEAD}\n[[switch]]\nid = 0\ninput_mode = "sideways"\n` });
    const result = await runCli(["validate", "--root", root]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^warning: .*lamp\.toml:6: switch\.0\.input_mode: lamp: "sideways" is not a value the catalog knows/m,
    );
    expect(result.stdout).toMatch(/ok: 1 devices in 1 site/);
  });
});

describe("the model a file names", () => {
  test("a channel the model does not have is an error, without expect", () => {
    const root = writeFleet({
      [lamp]: `${DEVICE_HEAD}model = "SNSW-001P16EU"\n\n[[switch]]\nid = 1\nname = "second"\n\n[[cover]]\nid = 0\nname = "blind"\n`,
    });
    expect(loadFleet({ root }).errors).toEqual([
      {
        file: lamp,
        keyPath: "switch.1.name",
        line: 7,
        message: 'SNSW-001P16EU (Shelly Plus 1PM) has switch 0 (model = "SNSW-001P16EU")',
      },
      {
        file: lamp,
        keyPath: "cover.0.name",
        line: 11,
        message: 'SNSW-001P16EU (Shelly Plus 1PM) has no cover channels (model = "SNSW-001P16EU")',
      },
    ]);
  });

  test("a field of the other generation is an error, without expect", () => {
    const root = writeFleet({ [lamp]: `${DEVICE_HEAD}model = "SHSW-1"\n\n[mqtt]\ntopic_prefix = "x"\n` });
    expect(loadFleet({ root }).errors).toEqual([
      {
        file: lamp,
        keyPath: "mqtt.topic_prefix",
        line: 6,
        message: 'not available on a generation 1 device (model = "SHSW-1")',
      },
    ]);
  });

  test("an unknown model is a warning; its prefix still gives the generation", () => {
    const root = writeFleet({ [lamp]: `${DEVICE_HEAD}model = "SNXX-999"\n\n[coiot]\nenabled = true\n` });
    const fleet = loadFleet({ root });
    expect(fleet.warnings).toEqual([
      {
        file: lamp,
        keyPath: "model",
        line: 3,
        message:
          'model "SNXX-999" is not in the catalog: keys are checked for generation 2, not its channels',
      },
    ]);
    expect(fleet.errors.map((e) => e.message)).toEqual([
      'not available on a generation 2 (Gen2+) device (model = "SNXX-999")',
    ]);
  });

  test("model and expect.model must agree", () => {
    const root = writeFleet({
      [lamp]: `${DEVICE_HEAD}model = "SHSW-1"\nexpect = { model = "SHSW-25" }\n`,
    });
    expect(loadFleet({ root }).errors.map((e) => `${e.keyPath}: ${e.message}`)).toEqual([
      "expect.model: the file names model SHSW-1, not SHSW-25",
    ]);
  });
});
