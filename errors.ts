/** A mistake the user can fix: printed as one clear message, never as a stack trace. Thrown by the
 * CLI and by the modules it drives (review/, automation/), which must not import the CLI. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
