import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import { askYesNo } from "../../cli/confirm";

async function answer(typed: string | null): Promise<{ yes: boolean; shown: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = "";
  output.on("data", (chunk: Buffer) => {
    shown += chunk.toString();
  });
  const asked = askYesNo("Apply these changes?", input, output);
  if (typed === null) input.end();
  else input.write(typed);
  return { yes: await asked, shown };
}

describe("askYesNo", () => {
  test("asks with the default shown", async () => {
    expect((await answer("y\n")).shown).toBe("Apply these changes? [y/N] ");
  });

  test.each(["y\n", "Y\n", "yes\n", " YES \n"])("%j is yes", async (typed) => {
    expect((await answer(typed)).yes).toBe(true);
  });

  test.each(["\n", "n\n", "no\n", "yep\n", "sure\n"])("%j is no", async (typed) => {
    expect((await answer(typed)).yes).toBe(false);
  });

  test("the end of input is no", async () => {
    expect((await answer(null)).yes).toBe(false);
  });
});
