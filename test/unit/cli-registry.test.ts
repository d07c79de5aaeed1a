import { describe, expect, it } from "vitest";
import { COMMAND_MODULES, main } from "../../cli/main";

describe("the command registry", () => {
  it("names exactly the commands each module defines", async () => {
    for (const module of COMMAND_MODULES) {
      expect((await module.load()).map((command) => command.name)).toEqual(module.names);
    }
  });

  it("lists every name once", () => {
    const names = COMMAND_MODULES.flatMap((module) => module.names);
    expect(new Set(names).size).toBe(names.length);
  });

  it("refuses a name no module lists", async () => {
    await expect(main(["frobnicate"])).rejects.toThrow(/unknown command "frobnicate"/);
  });
});
