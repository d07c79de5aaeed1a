// The nmcli link: a Linux host with WiFi and NetworkManager scans for the device's AP, joins it
// as a temporary connection, and afterwards deletes that and brings its previous connection back.
import { execFile } from "node:child_process";
import { type AccessPointTarget, isDeviceSsid, sleep, type WifiLink } from "./link";

/** The temporary connection's name: deleted on leave, so a crashed run leaves nothing behind but it. */
export const PROVISION_CONNECTION = "shelly-fleet-provision";

/** Splits one `nmcli -t` line: fields are separated by ":", and ":" inside a field is "\:". */
export function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let current = "";
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (char === "\\" && i + 1 < line.length) current += line[++i];
    else if (char === ":") {
      fields.push(current);
      current = "";
    } else current += char;
  }
  fields.push(current);
  return fields;
}

export class NmcliLink implements WifiLink {
  readonly description: string;
  private previous: string | undefined;
  private joined = false;

  constructor(
    private readonly iface = "wlan0",
    private readonly command = process.env.SHELLY_FLEET_NMCLI ?? "nmcli",
  ) {
    this.description = `nmcli on ${iface}`;
  }

  private run(args: string[], signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.command, args, { timeout: 30_000, signal }, (err, stdout, stderr) => {
        if (err) {
          const detail = stderr.trim() || err.message;
          reject(new Error(`nmcli ${args.join(" ")}: ${detail}`));
        } else resolve(stdout);
      });
    });
  }

  /** Rescans until a Shelly SSID for this device shows up; the strongest one wins. */
  async findAccessPoint(target: AccessPointTarget, signal: AbortSignal): Promise<string | undefined> {
    while (!signal.aborted) {
      const listing = await this.run(
        ["-t", "-f", "SSID,SIGNAL", "device", "wifi", "list", "ifname", this.iface, "--rescan", "yes"],
        signal,
      );
      const seen = listing
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => {
          const [ssid = "", strength = "0"] = splitTerse(line);
          return { ssid, strength: Number(strength) };
        })
        .filter(({ ssid }) => isDeviceSsid(ssid, target))
        .sort((a, b) => b.strength - a.strength);
      if (seen[0]) return seen[0].ssid;
      await sleep(3_000, signal);
    }
    return undefined;
  }

  async joinAccessPoint(ssid: string | undefined, signal: AbortSignal): Promise<void> {
    if (ssid === undefined) throw new Error(`nmcli on ${this.iface}: no SSID to join`);
    if (!this.joined) this.previous = await this.activeConnection(signal);
    // A profile left by a crashed run would make `connect name` ambiguous.
    await this.run(["connection", "delete", PROVISION_CONNECTION], signal).catch(() => undefined);
    await this.run(
      ["device", "wifi", "connect", ssid, "ifname", this.iface, "name", PROVISION_CONNECTION],
      signal,
    );
    this.joined = true;
  }

  async leaveAccessPoint(signal: AbortSignal): Promise<void> {
    if (!this.joined) return;
    await this.run(["connection", "delete", PROVISION_CONNECTION], signal);
    this.joined = false;
    if (this.previous !== undefined)
      await this.run(["connection", "up", this.previous, "ifname", this.iface], signal);
  }

  /** The connection active on the interface now, to restore afterwards. */
  private async activeConnection(signal: AbortSignal): Promise<string | undefined> {
    const listing = await this.run(["-t", "-f", "NAME,DEVICE", "connection", "show", "--active"], signal);
    for (const line of listing.split("\n")) {
      const [name, device] = splitTerse(line);
      if (device === this.iface && name !== PROVISION_CONNECTION) return name;
    }
    return undefined;
  }
}
