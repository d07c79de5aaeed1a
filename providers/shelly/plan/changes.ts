// What the step builders (gen1-steps, gen2-steps) share: the changes the planner's comparison
// yields, with the catalog entry each one belongs to.
import { CATALOG, type FieldSpec, type SectionName, type SectionSpec } from "../model/catalog";
import { type FlatConfig, isSecretRef } from "../model/normalize";
import type { FieldChange, PlanInput } from "./types";

export const SECTIONS = CATALOG as unknown as Record<SectionName, SectionSpec>;

/** Step order within the device; profile comes before everything (it changes the channels). */
export const PROFILE_ORDER = 5;
/** Raw keys are written last, after every catalog section (whose orders run 10 to 70). */
export const RAW_ORDER = 80;

export interface Change extends FieldChange {
  section?: SectionName;
  field?: string;
  spec?: FieldSpec;
  /** The channel id or entry name from the key. */
  entry?: string;
  /** The resolved value to write (a secret's plain value). */
  write: unknown;
}

export function publicChange({ key, from, to, secret, line }: FieldChange): FieldChange {
  return { key, from, to, secret, line };
}

/** The input with its desired config flattened once, for the step builders. */
export interface Planning extends PlanInput {
  flatDesired: FlatConfig;
}

/** The plain value of a secret field the files set, whether or not it changed. */
export function desiredSecret(input: Planning, key: string): string | undefined {
  const ref = input.flatDesired.get(key);
  return isSecretRef(ref) ? input.secrets[ref.secret] : undefined;
}
