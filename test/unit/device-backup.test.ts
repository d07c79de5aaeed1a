// A backup never holds a secret: password-like keys with a value are dropped wherever they are,
// and the file says where; empty or boolean ones (what devices report) stay.
import { describe, expect, test } from "vitest";
import { backupStamp } from "../../cli/commands/backup";
import { BACKUP_FORMAT, type DeviceBackup, withoutSecrets } from "../../cli/device-backup";

const base: DeviceBackup = {
  "shelly-fleet-backup": BACKUP_FORMAT,
  device: "d",
  site: "s",
  mac: "AABBCCDDEEFF",
  address: "127.0.0.1",
  model: "SNSW-001P16EU",
  firmware: "1.0.0",
  taken: "2026-12-02T17:46:00.000Z",
  documents: { generation: "gen2", deviceInfo: {}, config: {} },
  stripped: [],
};

describe("withoutSecrets", () => {
  test("drops password-like keys that carry a value, and lists them", () => {
    const backup = withoutSecrets({
      ...base,
      documents: {
        generation: "gen2",
        deviceInfo: { auth_en: true },
        config: {
          wifi: { sta: { ssid: "iot", pass: "hunter2", is_open: false }, ap: { pass: null } },
          mqtt: { server: "broker", user: "u", Password: "mqtt-secret" },
          "script:1": { name: "x" },
        },
      },
      kvs: { token: "kvs-secret", greeting: "hi" },
      endpoints: { "/settings/login": { psk: "x", key: "" } },
      scripts: [{ id: 1, name: "x", enable: true, code: 'let password = "in the code";' }],
    });
    const text = JSON.stringify(backup);
    for (const secret of ["hunter2", "mqtt-secret", "kvs-secret", '"psk"'])
      expect(text).not.toContain(secret);
    expect(backup.stripped).toEqual([
      "documents.config.mqtt.Password",
      "documents.config.wifi.sta.pass",
      "endpoints./settings/login.psk",
      "kvs.token",
    ]);
    // What is not a secret stays: null passwords, booleans, other keys, the user's script code.
    expect(backup.documents).toMatchObject({
      config: { wifi: { sta: { ssid: "iot", is_open: false }, ap: { pass: null } }, mqtt: { user: "u" } },
    });
    expect(backup.kvs).toEqual({ greeting: "hi" });
    expect(backup.scripts?.[0]?.code).toBe('let password = "in the code";');
  });

  test("the stamp sorts by time and has no colon", () => {
    expect(backupStamp(new Date("2026-12-02T07:05:09.123Z"))).toBe("2026-12-02T070509Z");
  });
});
