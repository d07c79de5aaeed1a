// The engine's progress text, folded: per resource only the lines that say it changes or
// failed, no spinner headers, and no `devices` output (a map that runs to hundreds of lines on a
// real site and repeats what the field list says; other outputs, such as where the firewall's
// backup went, stay). `--verbose` shows every line.

/** A resource's progress line: op column, type (`pkg:module:Type`), name, then its status. */
const RESOURCE_LINE = /^ [~+\-<>=* ]{1,2}\s+[\w.-]+:[\w./-]*:[\w.-]+\s+\S+(?:\s+(.*?))?\s*$/;
/** Work in progress: only its end is worth a line. */
const IN_PROGRESS =
  /^(refreshing|creating|updating|deleting|replacing|reading|importing|running)\b(?!.*failed)/;
/** Statuses worth a line: a change planned or done, or a failure. */
const MEANINGFUL =
  /\[diff:|\b(create|update|delete|replace|created|updated|deleted|replaced|read|import|imported|failed|discard)\b|\*\*|error/;

export interface EngineOutput {
  write(chunk: string): void;
  /** Flushes a last line without its newline. */
  end(): void;
}

export function foldEngineOutput(print: (text: string) => void, verbose = false): EngineOutput {
  if (verbose) return { write: print, end: () => {} };
  let partial = "";
  let inOutputs = false;
  let outputsHeaderShown = false;
  let keepOutput = false;
  const outputLine = (text: string) => {
    // A top-level output starts at the block's first indentation: `    name: …` or `  ~ name: …`.
    const start = /^(?: {4}| {2}[~+-] )([\w.-]+)\s*:/.exec(text);
    if (start) keepOutput = start[1] !== "devices";
    if (!keepOutput) return;
    if (!outputsHeaderShown) print("Outputs:\n");
    outputsHeaderShown = true;
    print(`${text}\n`);
  };
  const line = (text: string) => {
    if (inOutputs) {
      // The block ends at the first line that is not indented (usually "Resources:").
      if (text !== "" && !/^\s/.test(text)) inOutputs = false;
      else {
        if (text !== "") outputLine(text);
        else if (outputsHeaderShown) print("\n");
        return;
      }
    }
    if (text === "Outputs:") {
      inOutputs = true;
      outputsHeaderShown = false;
      keepOutput = false;
      return;
    }
    if (text.startsWith("@ ")) return;
    const resource = RESOURCE_LINE.exec(text);
    const status = resource?.[1] ?? "";
    if (resource && (IN_PROGRESS.test(status) || !MEANINGFUL.test(status))) return;
    print(`${text}\n`);
  };
  return {
    write(chunk) {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const text of lines) line(text);
    },
    end() {
      if (partial) line(partial);
      partial = "";
    },
  };
}
