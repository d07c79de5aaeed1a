// Gen1 steps: one GET per settings endpoint with only the changed parameters, the pre-image as
// its undo; actions are written a whole slot at a time.
import type { FieldSpec, SectionSpec } from "../model/catalog";
import { fieldKey, parseKey } from "../model/keys";
import { type DeviceDocuments, type FlatConfig, gen1ActionOfSlot } from "../model/normalize";
import { type Change, desiredSecret, type Planning, PROFILE_ORDER, RAW_ORDER, SECTIONS } from "./changes";
import type { PlanInput, PlanStep } from "./types";

function encodeGen1(spec: FieldSpec, value: unknown): string | number | boolean | string[] {
  const mapped = spec.gen1?.values?.[String(value)];
  if (mapped !== undefined) return mapped;
  if (Array.isArray(value)) return value.map(String);
  return value as string | number | boolean;
}

export function gen1Steps(
  input: Planning,
  changes: Change[],
  live: FlatConfig,
  errors: string[],
): PlanStep[] {
  const steps = new Map<string, PlanStep>();
  const stepFor = (path: string, order: number): PlanStep => {
    let step = steps.get(path);
    if (!step) {
      step = {
        title: `GET ${path}`,
        order,
        request: { kind: "gen1", path, params: {} },
        changes: [],
        undo: { kind: "gen1", path, params: {} },
        unrestorable: [],
        secretParams: [],
        needsReboot: false,
      };
      steps.set(path, step);
    }
    return step;
  };

  for (const change of changes) {
    const key = parseKey(change.key);
    if (key.kind === "raw") {
      const step = stepFor(`/${key.target}`, RAW_ORDER);
      addGen1Param(step, key.path, change.write as string, change.from as string);
      step.changes.push(change);
      continue;
    }
    const { section, field, spec, entry } = change as Required<Change>;
    const sectionSpec = SECTIONS[section];
    if (section === "action") continue; // whole-slot writes below
    const order = section === "device" && field === "profile" ? PROFILE_ORDER : sectionSpec.order;
    const path = (spec.gen1?.endpoint ?? sectionEndpoint(input, sectionSpec)).replace("{id}", String(entry));
    const step = stepFor(path, order);
    const param = spec.gen1?.param as string;
    step.changes.push(change);
    if (change.secret) {
      step.request.params[param] = change.write as string;
      step.secretParams.push(param);
      step.unrestorable.push(change.key);
    } else {
      addGen1Param(
        step,
        param,
        encodeGen1(spec, change.write),
        change.from === undefined ? undefined : encodeGen1(spec, change.from),
      );
    }
    if (spec.gen1?.reboot) step.needsReboot = true;
    // Gen1 ignores a time zone while autodetection is on (G1DOC /settings).
    if (section === "device" && field === "timezone") {
      step.request.params.tzautodetect = false;
      if (step.undo?.kind === "gen1")
        step.undo.params.tzautodetect = documents1(input).settings.tzautodetect as boolean;
    }
    if (section === "auth") step.request.params.username = "admin";
  }
  gen1ActionSteps(input, changes, live, stepFor);
  // Gen1 /settings/login takes the password with every change that leaves auth on.
  const login = steps.get("/settings/login");
  if (login && login.request.params.enabled !== false && login.request.params.password === undefined) {
    const password = desiredSecret(input, "auth.password");
    if (password === undefined) errors.push(`${input.device}: auth: turning auth on needs auth.password`);
    else {
      login.request.params.password = password;
      login.secretParams.push("password");
    }
  }
  for (const step of steps.values())
    if (step.undo && Object.keys(step.undo.params).length === 0) delete step.undo;
  return [...steps.values()];
}

/** The section's Gen1 endpoint on this device: some models name it after their mode (RGBW2 white/color). */
function sectionEndpoint(input: PlanInput, section: SectionSpec): string {
  const byMode = section.gen1?.byMode;
  const { shelly, settings } = documents1(input);
  const modeEndpoint =
    byMode?.models.includes(String(shelly.type)) === true
      ? byMode.endpoints[String(settings.mode)]
      : undefined;
  return modeEndpoint ?? section.gen1?.endpoint ?? "/settings";
}

function documents1(input: PlanInput) {
  return input.documents as Extract<DeviceDocuments, { generation: "gen1" }>;
}

function addGen1Param(step: PlanStep, param: string, value: unknown, previous: unknown): void {
  step.request.params[param] = value as string;
  if (step.undo?.kind === "gen1" && previous !== undefined) step.undo.params[param] = previous as string;
}

/** Gen1 actions are written a whole slot at a time: index, name, enabled and every URL. */
function gen1ActionSteps(
  input: Planning,
  changes: Change[],
  live: FlatConfig,
  stepFor: (path: string, order: number) => PlanStep,
): void {
  const slots = new Set(changes.filter((c) => c.section === "action").map((c) => c.entry as string));
  for (const slot of slots) {
    const { event, channel: index } = gen1ActionOfSlot(slot);
    const desired = input.flatDesired;
    const value = (field: string, source: FlatConfig) => source.get(fieldKey("action", field, slot));
    const enabled = value("enabled", desired) ?? value("enabled", live) ?? true;
    const urls = (value("urls", desired) ?? value("urls", live) ?? []) as string[];
    // Each slot is its own request; the path carries the slot so steps do not merge.
    const step = stepFor(`/settings/actions?slot=${slot}`, SECTIONS.action.order);
    step.title = `GET /settings/actions ${event} on channel ${index}`;
    step.request = {
      kind: "gen1",
      path: "/settings/actions",
      params: { index, name: event, enabled: enabled as boolean, urls },
    };
    const liveUrls = value("urls", live);
    step.undo =
      liveUrls === undefined
        ? undefined
        : {
            kind: "gen1",
            path: "/settings/actions",
            params: {
              index,
              name: event,
              enabled: value("enabled", live) as boolean,
              urls: liveUrls as string[],
            },
          };
    step.changes.push(...changes.filter((c) => c.entry === slot));
  }
}
