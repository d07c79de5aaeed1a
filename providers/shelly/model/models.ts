// The models the catalog knows: each model id's generation and how many channels of each kind
// it can have, in any of its profiles (a 2.5 has two relays or one roller). Lets validate check a
// file offline against the device it names. Pure data.
//
// Sources: the shipped captures (sim/devices/*: `type` on Gen1, `model` on Gen2+), the model ids in
// ../shared/reference/shelly/API.md 1.1 and 3, and the official device pages' component lists.
import type { SectionName } from "./catalog";

export type ModelGeneration = 1 | 2 | 3 | 4;
type ChannelSection = Extract<SectionName, "switch" | "cover" | "input" | "light" | "em" | "em1">;
export const CHANNEL_SECTIONS: readonly ChannelSection[] = ["switch", "cover", "input", "light", "em", "em1"];

export interface ModelSpec {
  name: string;
  generation: ModelGeneration;
  /** Channels per section; a section left out has none. */
  channels: Partial<Record<ChannelSection, number>>;
}

export const MODELS: Record<string, ModelSpec> = {
  // Gen1 (GET /shelly `type`)
  "SHSW-1": { name: "Shelly 1", generation: 1, channels: { switch: 1 } },
  "SHSW-PM": { name: "Shelly 1PM", generation: 1, channels: { switch: 1 } },
  "SHSW-L": { name: "Shelly 1L", generation: 1, channels: { switch: 1 } },
  "SHSW-25": { name: "Shelly 2.5", generation: 1, channels: { switch: 2, cover: 1 } },
  "SHPLG-S": { name: "Shelly Plug S", generation: 1, channels: { switch: 1 } },
  "SHPLG-1": { name: "Shelly Plug", generation: 1, channels: { switch: 1 } },
  "SHPLG2-1": { name: "Shelly Plug", generation: 1, channels: { switch: 1 } },
  "SHDM-1": { name: "Shelly Dimmer", generation: 1, channels: { light: 1 } },
  "SHDM-2": { name: "Shelly Dimmer 2", generation: 1, channels: { light: 1 } },
  SHRGBW2: { name: "Shelly RGBW2", generation: 1, channels: { light: 4 } },
  "SHHT-1": { name: "Shelly H&T", generation: 1, channels: {} },
  "SHIX3-1": { name: "Shelly i3", generation: 1, channels: {} },
  // Gen2 (Shelly.GetDeviceInfo `model`)
  "SNSW-001X16EU": { name: "Shelly Plus 1", generation: 2, channels: { switch: 1, input: 1 } },
  "SNSW-001P16EU": { name: "Shelly Plus 1PM", generation: 2, channels: { switch: 1, input: 1 } },
  "SNSW-002P16EU": { name: "Shelly Plus 2PM", generation: 2, channels: { switch: 2, cover: 1, input: 2 } },
  "SNSW-102P16EU": { name: "Shelly Plus 2PM", generation: 2, channels: { switch: 2, cover: 1, input: 2 } },
  "SNSN-0024X": { name: "Shelly Plus i4", generation: 2, channels: { input: 4 } },
  "SNSN-0013A": { name: "Shelly Plus H&T", generation: 2, channels: {} },
  "SNPL-00112EU": { name: "Shelly Plus Plug S", generation: 2, channels: { switch: 1 } },
  "SNPL-00110IT": { name: "Shelly Plus Plug IT", generation: 2, channels: { switch: 1 } },
  "SPSW-003XE16EU": { name: "Shelly Pro 3", generation: 2, channels: { switch: 3, input: 3 } },
  "SPSW-004PE16EU": { name: "Shelly Pro 4PM", generation: 2, channels: { switch: 4, input: 4 } },
  "SPSW-104PE16EU": { name: "Shelly Pro 4PM", generation: 2, channels: { switch: 4, input: 4 } },
  // Pro 3EM: one three-phase `em:0` (triphase) or three `em1` (monophase).
  "SPEM-003CEBEU": { name: "Shelly Pro 3EM", generation: 2, channels: { em: 1, em1: 3 } },
  "SPEM-002CEBEU50": { name: "Shelly Pro EM-50", generation: 2, channels: { em1: 2, switch: 1 } },
  // Gen3, Gen4
  "S3SW-002P16EU": { name: "Shelly 2PM Gen3", generation: 3, channels: { switch: 2, cover: 1, input: 2 } },
  "S4SW-001X8EU": { name: "Shelly 1 Mini Gen4", generation: 4, channels: { switch: 1, input: 1 } },
  "S4SW-001P16EU": { name: "Shelly 1PM Gen4", generation: 4, channels: { switch: 1, input: 1 } },
};

/** The catalog's entry for a model id (case-insensitive), or undefined when it does not know it. */
export function modelSpec(model: string): ModelSpec | undefined {
  return MODELS[model.toUpperCase()];
}
