// Writes the fleet files' validators as plain JavaScript beside the built schema checker, so
// that a run loads them instead of compiling the schemas: the compile was most of a `validate`
// run's start-up. Run by the build (`npm run build`, scripts/run.sh).
// Usage: node dist/fleet/precompile-validators.js
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import standaloneCode from "ajv/dist/standalone";
import { AJV_OPTIONS, type FileKind, fileSchemas, PRECOMPILED_VALIDATORS, schemasHash } from "./schema-check";

/** The validators as one CommonJS module: ajv's standalone code, and the schemas' hash. */
export function precompiledValidatorsSource(schemas: Record<FileKind, object>): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  for (const [kind, schema] of Object.entries(schemas)) ajv.addSchema(schema, kind);
  const code = standaloneCode(ajv, { device: "device", profile: "profile", site: "site" });
  return `${code}\nexports.schemasHash = ${JSON.stringify(schemasHash(schemas))};\n`;
}

if (require.main === module) writePrecompiledValidators();

function writePrecompiledValidators(): void {
  const target = path.join(__dirname, PRECOMPILED_VALIDATORS);
  fs.writeFileSync(`${target}.tmp`, precompiledValidatorsSource(fileSchemas()));
  fs.renameSync(`${target}.tmp`, target);
}
