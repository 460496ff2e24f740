// Assertions for scenario steps. A failed one throws AssertionError, which the runner reports as
// the step's failure (message only, no stack: the step name says where).
export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionError(message);
}

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : String(v));

export function assertEqual<T>(actual: T, expected: T, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    throw new AssertionError(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export function assertIncludes(haystack: string, needle: string, what: string): void {
  if (!haystack.includes(needle))
    throw new AssertionError(
      `${what}: expected output to contain ${show(needle)}, got ${show(clip(haystack))}`,
    );
}

export function assertMatch(text: string, re: RegExp, what: string): RegExpMatchArray {
  const m = text.match(re);
  if (!m) throw new AssertionError(`${what}: expected output to match ${re}, got ${show(clip(text))}`);
  return m;
}

const clip = (s: string) => (s.length > 300 ? `${s.slice(0, 300)}…` : s);
