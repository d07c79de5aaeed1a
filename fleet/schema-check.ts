// Checks a parsed file against its generated schema and turns ajv's errors into FleetErrors
// that name the key the way the user wrote it.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { describeValue as describe, isSecretKey } from "./redact";
import { deviceSchema, FORMATS, profileSchema, siteSchema } from "./schema";
import type { SourceFile } from "./source";
import type { FleetError } from "./types";

export type FileKind = "device" | "profile" | "site";

let validators: Record<FileKind, ValidateFunction> | undefined;

export const AJV_OPTIONS = { allErrors: true, verbose: true, allowUnionTypes: true } as const;

/** The three file schemas, keyed as the precompiled module exports them. */
export function fileSchemas(): Record<FileKind, object> {
  return { device: deviceSchema(), profile: profileSchema(), site: siteSchema() };
}

/** Names the schemas a precompiled module was made from: a stale one is never used. */
export function schemasHash(schemas: Record<FileKind, object>): string {
  return createHash("sha256").update(JSON.stringify(schemas)).digest("hex");
}

/** Written beside this module by the build (fleet/precompile-validators.ts). */
export const PRECOMPILED_VALIDATORS = "schema-validators.generated.js";

/** Compiled once per process, or loaded precompiled when the build made them from these schemas. */
function validatorFor(kind: FileKind): ValidateFunction {
  if (validators === undefined) {
    const schemas = fileSchemas();
    validators =
      loadPrecompiledValidators(path.join(__dirname, PRECOMPILED_VALIDATORS), schemas) ??
      compileValidators(schemas);
  }
  return validators[kind];
}

export function compileValidators(schemas: Record<FileKind, object>): Record<FileKind, ValidateFunction> {
  // Loaded here only: a run with precompiled validators never needs the compiler.
  const { default: Ajv } = require("ajv") as typeof import("ajv");
  const ajv = new Ajv(AJV_OPTIONS);
  return {
    device: ajv.compile(schemas.device),
    profile: ajv.compile(schemas.profile),
    site: ajv.compile(schemas.site),
  };
}

export function loadPrecompiledValidators(
  file: string,
  schemas: Record<FileKind, object>,
): Record<FileKind, ValidateFunction> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const loaded = require(file) as Record<FileKind, ValidateFunction> & { schemasHash?: string };
  return loaded.schemasHash === schemasHash(schemas) ? loaded : undefined;
}

export function checkSchema(kind: FileKind, source: SourceFile): FleetError[] {
  const validate = validatorFor(kind);
  if (validate(source.data)) return [];
  return (validate.errors ?? [])
    .filter((error) => error.keyword !== "propertyNames") // its cause is reported on its own
    .map((error) => toFleetError(error, source));
}

/**
 * A key path as the user reads it: channel entries by id, named entries by name, other
 * array elements by position (`switch.0.name`, `schedule.evening.calls[1]`, `profiles[0]`).
 */
export function locate(source: SourceFile, segments: string[]): { keyPath: string; line?: number } {
  let keyPath = "";
  let positionPath = "";
  let value: unknown = source.data;
  for (const segment of segments) {
    if (Array.isArray(value)) {
      const element = value[Number(segment)] as Record<string, unknown> | undefined;
      const key = element?.id ?? element?.name;
      keyPath += typeof key === "number" || typeof key === "string" ? `.${key}` : `[${segment}]`;
      positionPath += `[${segment}]`;
      value = element;
    } else {
      keyPath += keyPath === "" ? segment : `.${segment}`;
      positionPath += positionPath === "" ? segment : `.${segment}`;
      value = (value as Record<string, unknown> | undefined)?.[segment];
    }
  }
  return { keyPath, line: source.lineOf(positionPath) };
}

function typeName(type: unknown): string {
  const names: Record<string, string> = {
    object: "a table",
    array: "an array",
    string: "a string",
    integer: "an integer",
    number: "a number",
    boolean: "true or false",
  };
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => names[String(t)] ?? String(t)).join(" or ");
}

const PATTERN_NAMES = new Map<string, string>(Object.values(FORMATS).map((f) => [f.pattern, f.name]));

function toFleetError(error: ErrorObject, source: SourceFile): FleetError {
  const segments = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const params = error.params as Record<string, unknown>;
  // A secret typed in place of its reference, or under a secret-like key: the key, never the value.
  const secret = error.schemaPath.startsWith("#/definitions/secretRef/") || isSecretKey(segments.join("."));
  const describeValue = (value: unknown) => describe(value, secret);
  let message: string;
  switch (error.keyword) {
    case "additionalProperties": {
      segments.push(String(params.additionalProperty));
      const known = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const suggestion = closest(String(params.additionalProperty), known);
      message = `unknown key${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`;
      break;
    }
    case "required":
      segments.push(String(params.missingProperty));
      message = "required key is missing";
      break;
    case "type":
      message = error.schemaPath.startsWith("#/definitions/secretRef/")
        ? `a secret must be a reference, { secret = "name" }, never the value itself; got ${describeValue(error.data)}`
        : `expected ${typeName(params.type)}, got ${describeValue(error.data)}`;
      break;
    case "enum":
      message = `expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}; got ${describeValue(error.data)}`;
      break;
    case "pattern": {
      if (error.propertyName !== undefined) {
        // A key's name, not its value, breaks the rule: the schema says which rule.
        segments.push(error.propertyName);
        message = `not a valid key name: ${String(error.parentSchema?.description ?? `expected ${String(params.pattern)}`)}`;
        break;
      }
      const name = PATTERN_NAMES.get(String(params.pattern));
      message = `expected ${name ?? `a value matching ${String(params.pattern)}`}; got ${describeValue(error.data)}`;
      break;
    }
    default:
      message = `${error.message ?? "invalid value"}; got ${describeValue(error.data)}`;
  }
  return { file: source.file, ...locate(source, segments), message };
}

/** The known key nearest to a misspelt one, when it is near enough to be the likely intent. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
