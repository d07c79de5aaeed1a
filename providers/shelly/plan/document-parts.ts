// Which of a device's documents a read needs. The identity and the configuration are always
// read; the lists of named entries (Gen2+ `Schedule.List` and `Webhook.List`, Gen1
// `/settings/actions`) only when the files manage such entries, since only managed keys are
// planned or observed. After writes, only what the writes can have changed is read again: the
// rest is the snapshot the plan was made from. Pure.
import type { DeviceConfig } from "../model/catalog";
import type { DeviceRequest } from "./types";

/** `identity`: Gen1 GET /shelly, Gen2+ Shelly.GetDeviceInfo; `config`: /settings, Shelly.GetConfig. */
export type DocumentPart = "identity" | "config" | "schedules" | "webhooks" | "actions";

const ALL_PARTS: readonly DocumentPart[] = ["identity", "config", "schedules", "webhooks", "actions"];

/** What a session is asked to read; without it, everything. */
export interface DocumentRead {
  /** Read the lists only for the kinds of entry these settings manage. */
  managing?: DeviceConfig;
  /**
   * Read again only what the session's writes since its last read can have changed, and take the
   * rest from that read (the verification after an apply).
   */
  changedOnly?: boolean;
}

/** The list each kind of named entry lives in. */
const LIST_OF_SECTION: Record<string, DocumentPart> = {
  schedule: "schedules",
  webhook: "webhooks",
  action: "actions",
};

/** What one request can change on the device; an unknown one, everything. */
export function partsChangedBy(request: DeviceRequest): DocumentPart[] {
  if (request.kind === "gen1") {
    const { path } = request;
    if (path === "/settings/actions") return ["actions"];
    // The login also shows in GET /shelly (`auth`).
    if (path === "/settings/login") return ["identity", "config"];
    if (path === "/settings" || path.startsWith("/settings/")) return ["config"];
    return [...ALL_PARTS];
  }
  const { method } = request;
  if (method.startsWith("Schedule.")) return ["schedules"];
  if (method.startsWith("Webhook.")) return ["webhooks"];
  // Shelly.SetAuth shows in GetDeviceInfo (`auth_en`); Shelly.SetProfile there and in the components.
  if (method === "Shelly.SetAuth") return ["identity"];
  if (method === "Shelly.SetProfile") return ["identity", "config"];
  if (method.endsWith(".SetConfig")) return ["config"];
  return [...ALL_PARTS];
}

/**
 * The parts to read from the device, given the requests sent since the last read when only
 * those changes are wanted. A part left out is taken from the last read, or, for a list the
 * settings do not manage, not read at all.
 */
export function partsToRead(
  read: DocumentRead | undefined,
  sentSinceLastRead?: readonly DeviceRequest[],
): Set<DocumentPart> {
  const lists = Object.values(LIST_OF_SECTION);
  const managed = new Set(
    Object.keys(read?.managing ?? {}).flatMap((section) => LIST_OF_SECTION[section] ?? []),
  );
  const changed = sentSinceLastRead && new Set(sentSinceLastRead.flatMap(partsChangedBy));
  return new Set(
    ALL_PARTS.filter(
      (part) =>
        (read?.managing === undefined || !lists.includes(part) || managed.has(part)) &&
        (!read?.changedOnly || changed === undefined || changed.has(part)),
    ),
  );
}
