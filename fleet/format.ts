import type { FleetError } from "./types";

/** `file:line: key.path: message`, one line per error, as `validate` and the program print it. */
export function formatFleetError(error: FleetError, file = error.file): string {
  const where = error.line === undefined ? file : `${file}:${error.line}`;
  return error.keyPath === "" ? `${where}: ${error.message}` : `${where}: ${error.keyPath}: ${error.message}`;
}
