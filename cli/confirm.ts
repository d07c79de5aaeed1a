// The question `up` asks on a terminal before it applies, as `pulumi up` does.
import * as readline from "node:readline";

/** Whether both ends are a person at a terminal: only then can a command ask. */
export function canAsk(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/**
 * Asks a yes/no question; only "y" or "yes" is yes. The default is no: an empty answer, the end
 * of input and Ctrl-C all decline.
 */
export function askYesNo(
  question: string,
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<boolean> {
  const lines = readline.createInterface({ input, output });
  return new Promise<boolean>((resolve) => {
    let answered = false;
    // Without a listener, Ctrl-C at the prompt would only pause the input.
    lines.on("SIGINT", () => lines.close());
    lines.once("close", () => {
      if (!answered) output.write("\n");
      resolve(false);
    });
    lines.question(`${question} [y/N] `, (answer) => {
      answered = true;
      resolve(/^y(es)?$/i.test(answer.trim()));
      lines.close();
    });
  });
}
