// Merging layers (profiles, then the device file) into one desired configuration, keeping the
// origin of every value. Tables merge by key, channel lists by `id`, named lists by `name`;
// a later layer overrides an earlier one, and its `remove` list drops inherited values first.
import {
  CATALOG,
  type DeviceConfig,
  SECTION_NAMES,
  type SectionName,
  type SectionSpec,
  sectionPath,
} from "../providers/shelly/model/catalog";
import { locate } from "./schema-check";
import type { SourceFile } from "./source";
import type { FleetError, Origin } from "./types";

/** Inner nodes are sections, entries and raw components; leaves are field values. */
type Node = { kind: "branch"; children: Map<string, Node>; origin: Origin } | Leaf;
interface Leaf {
  kind: "leaf";
  value: unknown;
  origin: Origin;
}

export class MergedConfig {
  private readonly root = new Map<string, Node>();

  /** Applies one schema-valid file: its removals, then its values. */
  apply(source: SourceFile, errors: FleetError[]): void {
    const remove = source.data.remove;
    if (Array.isArray(remove)) {
      for (const [i, path] of (remove as string[]).entries()) {
        const where = { file: source.file, ...locate(source, ["remove", String(i)]) };
        const segments = parseRemovePath(path);
        if (typeof segments === "string") errors.push({ ...where, message: segments });
        else if (!this.delete(segments)) {
          errors.push({ ...where, message: `nothing to remove: "${path}" is not set by an earlier profile` });
        }
      }
    }
    for (const { segments, positions, value } of layerValues(source.data)) {
      const origin = { file: source.file, line: locate(source, positions).line };
      this.set(segments, value === ENTRY ? undefined : { kind: "leaf", value, origin }, origin);
    }
  }

  /** Every value with its dotted key path, in section order. */
  *leaves(): Generator<{ keyPath: string; segments: string[]; leaf: Leaf }> {
    function* walk(
      nodes: Map<string, Node>,
      prefix: string[],
    ): Generator<{
      keyPath: string;
      segments: string[];
      leaf: Leaf;
    }> {
      for (const [key, node] of nodes) {
        const segments = [...prefix, key];
        if (node.kind === "leaf") yield { keyPath: segments.join("."), segments, leaf: node };
        else yield* walk(node.children, segments);
      }
    }
    yield* walk(this.root, []);
  }

  /** The merged configuration and the origin of each value, entry and section. */
  build(): { config: DeviceConfig; provenance: Record<string, Origin> } {
    const config: Record<string, unknown> = {};
    const provenance: Record<string, Origin> = {};
    for (const name of SECTION_NAMES) {
      const path = sectionPath(name);
      const node = this.get(path);
      if (node?.kind !== "branch" || node.children.size === 0) continue;
      const spec: SectionSpec = CATALOG[name];
      let value: unknown;
      if (spec.kind === "table") {
        value = leafValues(node, path, provenance);
      } else {
        const entries = [...node.children].map(([key, entry]) => {
          provenance[`${name}.${key}`] = entry.origin;
          const fields = leafValues(entry, [name, key], provenance);
          return spec.kind === "channels" ? { id: Number(key), ...fields } : { name: key, ...fields };
        });
        // Channels in id order whatever order the layers declared them in; named lists keep theirs.
        value =
          spec.kind === "channels"
            ? entries.sort((a, b) => Number((a as { id: number }).id) - Number((b as { id: number }).id))
            : entries;
      }
      setPath(config, path, value);
    }
    const raw = this.get(["raw"]);
    if (raw?.kind === "branch") {
      for (const [generation, components] of raw.children) {
        if (components.kind !== "branch") continue;
        for (const [component, params] of components.children) {
          const values = leafValues(params, ["raw", generation, component], provenance);
          if (Object.keys(values).length > 0) setPath(config, ["raw", generation, component], values);
        }
      }
    }
    return { config: config as DeviceConfig, provenance };
  }

  private get(segments: string[]): Node | undefined {
    let node: Node | undefined;
    let children: Map<string, Node> | undefined = this.root;
    for (const segment of segments) {
      node = children?.get(segment);
      children = node?.kind === "branch" ? node.children : undefined;
    }
    return node;
  }

  /** Sets a value, or (leaf undefined) makes sure the branch exists: `[[switch]] id = 0` alone. */
  private set(segments: string[], leaf: Leaf | undefined, origin: Origin): void {
    let children = this.root;
    const last = leaf ? segments.length - 1 : segments.length;
    for (const segment of segments.slice(0, last)) {
      let node = children.get(segment);
      if (node?.kind !== "branch") {
        node = { kind: "branch", children: new Map(), origin };
        children.set(segment, node);
      }
      children = node.children;
    }
    if (leaf) children.set(segments[last] as string, leaf);
  }

  private delete(segments: string[]): boolean {
    const parent = segments.length === 1 ? undefined : this.get(segments.slice(0, -1));
    const children =
      segments.length === 1 ? this.root : parent?.kind === "branch" ? parent.children : undefined;
    return children?.delete(segments[segments.length - 1] as string) ?? false;
  }
}

function leafValues(
  node: Node,
  prefix: string[],
  provenance: Record<string, Origin>,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (node.kind !== "branch") return values;
  for (const [key, child] of node.children) {
    if (child.kind !== "leaf") continue;
    values[key] = child.value;
    provenance[[...prefix, key].join(".")] = child.origin;
  }
  return values;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

/** Marks a channel or named entry that a file declares, with or without fields. */
const ENTRY = Symbol("entry");

/** The values of one file as merge paths, with their position paths for line numbers. */
function* layerValues(
  data: Record<string, unknown>,
): Generator<{ segments: string[]; positions: string[]; value: unknown }> {
  for (const name of SECTION_NAMES) {
    const path = sectionPath(name);
    const section = path.reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], data);
    if (section === undefined) continue;
    const spec: SectionSpec = CATALOG[name];
    if (spec.kind === "table") {
      for (const [field, value] of Object.entries(section as object)) {
        yield { segments: [...path, field], positions: [...path, field], value };
      }
      continue;
    }
    const keyField = spec.kind === "channels" ? "id" : "name";
    for (const [i, entry] of (section as Record<string, unknown>[]).entries()) {
      const key = String(entry[keyField]);
      yield { segments: [name, key], positions: [name, String(i)], value: ENTRY };
      for (const [field, value] of Object.entries(entry)) {
        if (field !== keyField)
          yield { segments: [name, key, field], positions: [name, String(i), field], value };
      }
    }
  }
  const raw = (data.raw ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  for (const [generation, components] of Object.entries(raw)) {
    for (const [component, params] of Object.entries(components)) {
      const prefix = ["raw", generation, component];
      yield { segments: prefix, positions: prefix, value: ENTRY };
      for (const [key, value] of Object.entries(params)) {
        yield { segments: [...prefix, key], positions: [...prefix, key], value };
      }
    }
  }
}

/**
 * A `remove` entry as merge path segments, or why it names nothing the model has. Named entries
 * may contain dots: a trailing segment that is one of the section's fields is the field.
 */
export function parseRemovePath(path: string): string[] | string {
  if (path === "raw" || path.startsWith("raw.")) {
    const [, generation, component, ...rest] = path.split(".");
    if (generation === undefined) return ["raw"];
    if (generation !== "gen1" && generation !== "gen2")
      return `cannot remove "${path}": expected raw.gen1 or raw.gen2`;
    return [
      "raw",
      generation,
      ...(component === undefined ? [] : [component]),
      ...(rest.length > 0 ? [rest.join(".")] : []),
    ];
  }
  const section = [...SECTION_NAMES]
    .sort((a, b) => b.length - a.length)
    .find((name) => path === name || path.startsWith(`${name}.`));
  if (section === undefined) {
    const outer = SECTION_NAMES.map((name) => sectionPath(name)[0]).find((first) => first === path);
    return outer ? [outer] : `cannot remove "${path}": no such section`;
  }
  const spec: SectionSpec = CATALOG[section as SectionName];
  const head = sectionPath(section);
  const rest = path.slice(section.length + 1);
  if (rest === "") return head;
  const fieldNames = Object.keys(spec.fields);
  if (spec.kind === "table") {
    return fieldNames.includes(rest)
      ? [...head, rest]
      : `cannot remove "${path}": ${section} has no field "${rest}"`;
  }
  const dot = rest.lastIndexOf(".");
  const [key, field] =
    dot > 0 && fieldNames.includes(rest.slice(dot + 1))
      ? [rest.slice(0, dot), rest.slice(dot + 1)]
      : [rest, undefined];
  if (spec.kind === "channels" && !/^\d+$/.test(key)) {
    return `cannot remove "${path}": expected ${section}.<id> or ${section}.<id>.<field>`;
  }
  return field === undefined ? [section, key] : [section, key, field];
}
