// Several sites in one command: the children's command line and the run's exit code.
import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { combinedExitCode, renderSiteOutcomes, withoutOptions } from "../../cli/multi-site";

const sites = (...codes: number[]) => codes.map((code, i) => ({ stack: `site-${i}`, code }));

describe("the exit code of several sites", () => {
  it("is 0 when every site is", () => {
    expect(combinedExitCode(sites(0, 0))).toBe(0);
  });

  it("ranks a failure over changes over devices that need attention", () => {
    expect(combinedExitCode(sites(8, 0))).toBe(8);
    expect(combinedExitCode(sites(8, 7, 0))).toBe(7);
    expect(combinedExitCode(sites(7, 1, 8))).toBe(1);
    expect(combinedExitCode(sites(0, 130, 2))).toBe(130);
  });
});

describe("each site's command line", () => {
  const strip = (argv: string[]) => {
    const { tokens } = parseArgs({
      args: argv,
      tokens: true,
      allowPositionals: true,
      options: {
        stack: { type: "string", short: "s", multiple: true },
        "sites-parallel": { type: "string" },
        yes: { type: "boolean", short: "y" },
        config: { type: "string", short: "c", multiple: true },
      },
    });
    return withoutOptions(argv, tokens, ["stack", "sites-parallel"]);
  };

  it("drops every spelling of --stack and --sites-parallel, with their values", () => {
    expect(strip(["-s", "a", "--yes", "--stack=b", "-sc", "--sites-parallel", "2", "-c", "root=/x"])).toEqual(
      ["--yes", "-c", "root=/x"],
    );
  });

  it("keeps a value that only looks like a stack", () => {
    expect(strip(["-c", "stack=x", "-s", "a"])).toEqual(["-c", "stack=x"]);
  });
});

describe("the closing table", () => {
  it("says how each site ended, in the order given", () => {
    expect(renderSiteOutcomes(sites(0, 7), 1)).toBe(
      "\nSites: 2 (1 at a time)\n  site-0  exit 0  ok\n  site-1  exit 7  has changes to apply\n",
    );
  });
});
