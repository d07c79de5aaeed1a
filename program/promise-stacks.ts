// The Node SDK stores the formatted stack of every promise it makes for a resource
// (runtime/debuggable.js), to name the promises a program leaks; it is never shown otherwise.
// Formatted, that is about 850 bytes per promise and 65 promises per device: 55 MB at 1,000.

/**
 * Runs `declare`, which must be synchronous (the resource constructors), with no stack captured.
 * An error thrown inside it keeps its message and loses only its stack.
 */
export function withoutPromiseStacks<T>(declare: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return declare();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
