/** One `shelly-fleet <name>` command. Each lives in its own module under cli/commands/. */
export interface Command {
  name: string;
  /** One line for the command list in `shelly-fleet --help`. */
  summary: string;
  /** Full help for `shelly-fleet <name> --help`. */
  help: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: string[]): Promise<number>;
}

export const print = (text: string): void => {
  process.stdout.write(text);
};
