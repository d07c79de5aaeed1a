// The agent's bearer token: long and random enough that guessing it is hopeless, and kept in a
// file only its user can read. Queued tasks carry WiFi and device passwords: the token guards them.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";

/** 32 random bytes: 43 characters in base64url, 64 in hex. */
export const TOKEN_MIN_BYTES = 32;
const TOKEN_MIN_CHARS = Math.ceil((TOKEN_MIN_BYTES * 4) / 3);
/** 43 random base64url or 64 hex characters all but never use fewer distinct characters. */
const TOKEN_MIN_DISTINCT = 10;

const HOW_TO_MAKE = "make one with `shelly-fleet provisioner --new-token FILE`";

/** A fresh token: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(TOKEN_MIN_BYTES).toString("base64url");
}

/** Why this token is refused, or undefined when it will do. Never repeats the token. */
export function tokenProblem(token: string): string | undefined {
  if (token.length < TOKEN_MIN_CHARS) {
    return `the agent token has ${token.length} characters; it must hold at least ${TOKEN_MIN_BYTES} random bytes (${TOKEN_MIN_CHARS}+ characters): ${HOW_TO_MAKE}`;
  }
  if ([...token].some((c) => c.charCodeAt(0) <= 0x20 || c.charCodeAt(0) >= 0x7f)) {
    return `the agent token must be printable ASCII without spaces: ${HOW_TO_MAKE}`;
  }
  if (new Set(token).size < TOKEN_MIN_DISTINCT) {
    return `the agent token repeats too few characters to be random: ${HOW_TO_MAKE}`;
  }
  return undefined;
}

/**
 * Reads the token from a file that only this process's user owns and can read (mode 0600 or
 * stricter), checked on the open file itself. Throws one line naming the file otherwise.
 */
export function readTokenFile(file: string, uid = process.getuid?.()): string {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    throw new Error(`${file}: cannot read the agent token: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file}: the agent token must be a regular file`);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      throw new Error(
        `${file}: mode ${mode} lets other users read the agent token; run \`chmod 600 ${file}\``,
      );
    }
    if (uid !== undefined && stat.uid !== uid) {
      throw new Error(
        `${file}: owned by uid ${stat.uid}, not by the agent's user (uid ${uid}); run \`chown\` on it or run the agent as its owner`,
      );
    }
    return fs.readFileSync(fd, "utf8").trim();
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a fresh token to a new file, mode 0600; never overwrites one. */
export function writeNewTokenFile(file: string): void {
  try {
    fs.writeFileSync(file, `${newToken()}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === "EEXIST"
        ? `${file} exists already: a new token is never written over an old one`
        : `${file}: cannot write the token: ${code ?? err}`,
    );
  }
}
