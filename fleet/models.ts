// A device's generation from its model id, for files that state the model but not the
// generation: the catalog's model table first; else Shelly's model-id prefix: SH… Gen1 (SHSW-1,
// SHPLG-S, SHDM-2), SN…/SP…/SA… Gen2 (Plus, Pro, Wall Display), S3… Gen3, S4… Gen4 (S4SW-001X8EU).
import { modelSpec } from "../providers/shelly/model/models";
import type { DeviceGeneration } from "./types";

const PREFIXES: [RegExp, DeviceGeneration][] = [
  [/^SH/, 1],
  [/^S[NPA]/, 2],
  [/^S3/, 3],
  [/^S4/, 4],
];

export function generationOfModel(model: string): DeviceGeneration | undefined {
  return modelSpec(model)?.generation ?? PREFIXES.find(([prefix]) => prefix.test(model.toUpperCase()))?.[1];
}
