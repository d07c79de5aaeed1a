// Secret values for the engine commands, from anywhere but the command line: any local user can
// read a process's arguments (`ps`), so `--secret KEY=VALUE` is refused. The value comes from
// standard input (a prompt without echo on a terminal), a file, or an environment variable.
import * as fs from "node:fs";
import { UsageError } from "../errors";

export interface SecretOptions {
  /** `--secret KEY`: the value on standard input. */
  stdin: string[];
  /** `--secret-file KEY=PATH`. */
  files: string[];
  /** `--secret-env KEY=VARIABLE`. */
  env: string[];
}

export const SECRET_FORMS =
  "--secret KEY (reads standard input), --secret-file KEY=PATH or --secret-env KEY=VARIABLE";

/** A key without a namespace is the project's: `secret.x` → `shelly-fleet:secret.x`. */
export function namespaced(key: string): string {
  return key.includes(":") ? key : `shelly-fleet:${key}`;
}

/** One trailing line end goes: `echo value > file` and a typed line both end with one. */
function withoutLineEnd(value: string): string {
  return value.replace(/\r?\n$/, "");
}

function keyAndSource(pair: string, option: string, source: string): [string, string] {
  const eq = pair.indexOf("=");
  if (eq <= 0 || eq === pair.length - 1)
    throw new UsageError(`${option} expects KEY=${source}, got "${pair}"`);
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

export interface SecretInput {
  /** Whether standard input is a terminal: then each `--secret KEY` is asked for, without echo. */
  isTerminal: boolean;
  /** Everything on standard input (not a terminal). */
  readAll(): Promise<string>;
  /** Asks for one value on the terminal without echoing it. */
  prompt(question: string): Promise<string>;
}

/** The secrets the options name, by namespaced key; refuses a value on the command line. */
export async function readSecrets(
  options: SecretOptions,
  input: SecretInput = processInput(),
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  const put = (key: string, value: string, from: string) => {
    if (value === "") throw new UsageError(`${from} gives an empty value for ${key}`);
    secrets[namespaced(key)] = value;
  };
  for (const key of options.stdin) {
    if (key.includes("=")) {
      // The value is in this process's arguments already: say so, without repeating it.
      throw new UsageError(
        `--secret ${key.slice(0, key.indexOf("="))}=… would show the value to every local user (ps); use ${SECRET_FORMS}`,
      );
    }
  }
  if (options.stdin.length > 1 && !input.isTerminal) {
    throw new UsageError(
      `only one --secret KEY can read standard input (got ${options.stdin.join(", ")}); give the others with --secret-file or --secret-env`,
    );
  }
  for (const pair of options.files) {
    const [key, file] = keyAndSource(pair, "--secret-file", "PATH");
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      throw new UsageError(
        `--secret-file ${key}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    put(key, withoutLineEnd(text), `--secret-file ${key}=${file}`);
  }
  for (const pair of options.env) {
    const [key, variable] = keyAndSource(pair, "--secret-env", "VARIABLE");
    const value = env[variable];
    if (value === undefined) throw new UsageError(`--secret-env ${key}: the variable ${variable} is not set`);
    put(key, value, `--secret-env ${key}=${variable}`);
  }
  for (const key of options.stdin) {
    const value = input.isTerminal ? await input.prompt(`${key}: `) : withoutLineEnd(await input.readAll());
    put(key, value, `--secret ${key} (standard input)`);
  }
  return secrets;
}

function processInput(): SecretInput {
  return {
    isTerminal: Boolean(process.stdin.isTTY),
    async readAll() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    prompt: promptWithoutEcho,
  };
}

/** Reads one line from the terminal in raw mode, echoing nothing; Ctrl-C and Ctrl-D give up. */
function promptWithoutEcho(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: UsageError) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString("utf8")) {
        if (char === "\r" || char === "\n") return finish();
        if (char === "\u0003" || char === "\u0004")
          return finish(new UsageError("no secret given: stopped", 130));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    // Echo off before the question shows: text typed (or pasted) the moment it appears would
    // otherwise be echoed by the terminal.
    stdin.setRawMode(true);
    process.stderr.write(question);
    stdin.resume();
    stdin.on("data", onData);
  });
}
