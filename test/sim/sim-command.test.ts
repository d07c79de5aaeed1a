// `shelly-fleet sim` when its control port is taken: one line, an exit, nothing left running.
import * as net from "node:net";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { REPO_ROOT, runCli } from "../support/cli";

describe("shelly-fleet sim", () => {
  test("a busy --control-port: one line naming the port, exit 1, the devices closed", async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      // runCli waits for the process to end: it would time out if the devices kept it alive.
      const result = await runCli([
        "sim",
        "--from",
        path.join(REPO_ROOT, "sim/devices/gen2-plus1pm"),
        "--control-port",
        String(port),
      ]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `shelly-fleet: cannot start the control API on port ${port}: it is in use; pick another --control-port, or leave it out for any free port\n`,
      );
    } finally {
      busy.close();
    }
  }, 20_000);
});
