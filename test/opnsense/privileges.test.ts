// What an API user without a privilege, or a service switched off, looks like to the client: each
// missing privilege (ACL.xml) answers HTTP 403 for its own calls only; a disabled service makes an
// apply fail with its changes rolled back.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { ApplyCoordinator, type Decision, OpnsenseApplyError } from "../../providers/opnsense/apply";
import { OpnsenseClient, OpnsenseHttpError } from "../../providers/opnsense/client";
import {
  OPNSENSE_PRIVILEGES,
  type OpnsensePrivilege,
  type OpnsenseSim,
  startOpnsense,
} from "../../sim/opnsense/server";

describe("privileges and service states", () => {
  let sim: OpnsenseSim;
  let api: OpnsenseClient;
  beforeAll(async () => {
    sim = await startOpnsense({ keaSubnets: [{ subnet: "10.0.30.0/24" }] });
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.privileges = new Set(Object.keys(OPNSENSE_PRIVILEGES) as OpnsensePrivilege[]);
    sim.serviceStatus.kea = "running";
    api = new OpnsenseClient({ url: sim.address, key: sim.key, secret: sim.secret });
  });

  /** One call per privilege, each needing only that one. */
  const calls: Record<OpnsensePrivilege, (api: OpnsenseClient) => Promise<unknown>> = {
    "page-dhcp-kea-v4": (a) => a.keaReservations(),
    "page-services-dnsforwarder": (a) => a.dnsmasqHosts(),
    "page-firewall-alias-edit": (a) => a.aliasUuid("shelly_all"),
    "page-diagnostics-configurationhistory": (a) => a.downloadConfig(),
  };

  test.each(Object.keys(calls) as OpnsensePrivilege[])(
    "without %s: 403 for its calls only",
    async (missing) => {
      sim.privileges.delete(missing);
      const error = await calls[missing](api).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OpnsenseHttpError);
      expect((error as OpnsenseHttpError).status).toBe(403);
      expect((error as Error).message).toMatch(/HTTP 403: Forbidden \(the API user lacks the privilege\)/);
      for (const [privilege, call] of Object.entries(calls)) {
        if (privilege !== missing) await call(api);
      }
    },
  );

  test("a disabled service is reported as such, stays disabled, and the apply is rolled back", async () => {
    sim.serviceStatus.kea = "disabled";
    expect(await api.serviceStatus("kea")).toBe("disabled");
    const subnet = [...sim.keaSubnets.keys()][0] as string;
    const coordinator = new ApplyCoordinator(() => api, {
      backupDir: fs.mkdtempSync(path.join(os.tmpdir(), "opnsense-backups-")),
      quietMs: 50,
      statusTimeoutMs: 300,
      statusPollMs: 50,
    });
    const before = sim.keaReservations.size;
    const error = await coordinator
      .change(
        "kea",
        async (): Promise<Decision<string>> => ({
          write: async () => {
            const reservation = {
              subnet,
              ip: "10.0.30.5",
              mac: "aa:bb:cc:dd:ee:05",
              hostname: "",
              description: "",
            };
            const uuid = await api.putKeaReservation(reservation);
            return {
              value: uuid,
              change: { description: "added", undo: () => api.deleteKeaReservation(uuid) },
            };
          },
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(OpnsenseApplyError);
    expect((error as Error).message).toMatch(
      /the service is disabled on OPNsense: enable it, then run again/,
    );
    expect(sim.keaReservations.size).toBe(before);
    expect(sim.serviceStatus.kea).toBe("disabled");
  });
});
