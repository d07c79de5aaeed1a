// Pure figures from the bench's measurements: drift sets compared, growth exponents.

/** Devices one tool reports drifted and another does not, both ways, sorted. */
export function driftSetDifference(
  expected: readonly string[],
  found: readonly string[],
): { missing: string[]; extra: string[] } {
  const want = new Set(expected);
  const got = new Set(found);
  return {
    missing: [...want].filter((name) => !got.has(name)).sort(),
    extra: [...got].filter((name) => !want.has(name)).sort(),
  };
}

/** Throws, naming the devices, when `tool` does not report exactly `expected`'s drifted devices. */
export function assertSameDrift(tool: string, reference: string, expected: string[], found: string[]): void {
  const { missing, extra } = driftSetDifference(expected, found);
  if (missing.length === 0 && extra.length === 0) return;
  const list = (names: string[]) => names.slice(0, 10).join(", ") + (names.length > 10 ? ", …" : "");
  throw new Error(
    `${tool} does not find the drifted devices ${reference} finds: ${
      missing.length > 0 ? `misses ${missing.length} (${list(missing)})` : ""
    }${missing.length > 0 && extra.length > 0 ? "; " : ""}${extra.length > 0 ? `adds ${extra.length} (${list(extra)})` : ""}`,
  );
}

/**
 * The least-squares slope of log(y) against log(x): y ∝ x^slope (1 = linear growth). Undefined
 * with fewer than two distinct x, or any value that is not positive.
 */
export function logLogSlope(points: readonly { x: number; y: number }[]): number | undefined {
  if (points.some(({ x, y }) => !(x > 0 && y > 0))) return undefined;
  const xs = points.map(({ x }) => Math.log(x));
  const ys = points.map(({ y }) => Math.log(y));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  xs.forEach((x, i) => {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * ((ys[i] as number) - my);
  });
  return sxx === 0 ? undefined : sxy / sxx;
}
