import { describe, expect, test } from "vitest";
import { SMOKE_PROVIDER_VERSION, smokeProvider } from "../../providers/smoke";

const inputs = (message: string, code = "code-v1") => ({
  message,
  providerVersion: SMOKE_PROVIDER_VERSION,
  __provider: code,
});

describe("smoke provider", () => {
  test("diff ignores the serialized provider code", async () => {
    const olds = { ...inputs("hi"), length: 2 };
    const result = await smokeProvider.diff?.("id", olds, inputs("hi", "code-v2"));
    expect(result?.changes).toBe(false);
  });

  test("diff reports a changed message", async () => {
    const olds = { ...inputs("hi"), length: 2 };
    expect((await smokeProvider.diff?.("id", olds, inputs("hello")))?.changes).toBe(true);
  });

  test("check names the invalid field", async () => {
    const bad = { providerVersion: 1, message: 42 } as unknown as ReturnType<typeof inputs>;
    const result = await smokeProvider.check?.(bad, bad);
    expect(result?.failures).toEqual([{ property: "message", reason: "must be a string" }]);
  });

  test("read returns inputs without the provider code, so refresh can show drift", async () => {
    const result = await smokeProvider.read?.("id", { ...inputs("hi"), length: 2 });
    expect(result?.inputs).toEqual({ message: "hi", providerVersion: SMOKE_PROVIDER_VERSION });
  });
});
