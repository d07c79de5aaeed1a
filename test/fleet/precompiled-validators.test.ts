// The build's precompiled validators (ajv's standalone code) must judge every file exactly as
// the validators compiled at run time: same verdicts, same errors, for the whole bad corpus and
// the demo site; and a module made from other schemas is never used.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { precompiledValidatorsSource } from "../../fleet/precompile-validators";
import {
  compileValidators,
  type FileKind,
  fileSchemas,
  loadPrecompiledValidators,
} from "../../fleet/schema-check";

const ROOT = path.resolve(__dirname, "..", "..");
// Inside the repository, so that the generated code finds ajv's runtime in node_modules.
const scratch = fs.mkdtempSync(path.join(ROOT, ".tmp", "validators-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

function tomlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".toml"))
    .map((file) => path.join(dir, file));
}

function kindOf(file: string): FileKind {
  if (path.basename(file) === "site.toml") return "site";
  return file.includes(`${path.sep}profiles${path.sep}`) ? "profile" : "device";
}

describe("precompiled validators", () => {
  const schemas = fileSchemas();
  const file = path.join(scratch, "validators.js");
  fs.writeFileSync(file, precompiledValidatorsSource(schemas));

  it("judge every corpus and demo file as the run-time compile does", () => {
    const precompiled = loadPrecompiledValidators(file, schemas);
    expect(precompiled).toBeDefined();
    const compiled = compileValidators(schemas);
    const files = [
      ...tomlFiles(path.join(ROOT, "test", "fleet", "bad")),
      ...tomlFiles(path.join(ROOT, "devices")),
    ];
    let invalid = 0;
    for (const toml of files) {
      let data: unknown;
      try {
        data = parse(fs.readFileSync(toml, "utf8"));
      } catch {
        continue; // the malformed-TOML case never reaches a schema
      }
      const kind = kindOf(toml);
      const [fast, slow] = [precompiled?.[kind], compiled[kind]];
      const verdict = fast?.(data);
      expect(verdict, toml).toBe(slow(data));
      expect(JSON.parse(JSON.stringify(fast?.errors ?? null)), toml).toEqual(
        JSON.parse(JSON.stringify(slow.errors ?? null)),
      );
      if (!verdict) invalid++;
    }
    expect(invalid, "the corpus has files the schema refuses").toBeGreaterThan(3);
  });

  it("are not used when made from other schemas", () => {
    const other = path.join(scratch, "other.js");
    fs.writeFileSync(other, precompiledValidatorsSource({ ...schemas, site: { type: "object" } }));
    expect(loadPrecompiledValidators(other, schemas)).toBeUndefined();
  });
});
