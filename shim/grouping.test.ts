// Which containers share one shim and one VM: the CRI's sandbox id first, then runm's own
// annotation, else the container alone; a malformed group is one clear line.
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CRI_SANDBOX_ID_ANNOTATION, SANDBOX_ANNOTATION } from "../lib/constants.ts";
import { groupOf, readBundleSpec } from "./grouping.ts";

test("the CRI sandbox id groups a pod, then runm's annotation, else the container is alone", () => {
  expect(groupOf("c1", undefined)).toBe("c1");
  expect(groupOf("c1", { "org.example": "x" })).toBe("c1");
  expect(groupOf("c1", { [SANDBOX_ANNOTATION]: "pod" })).toBe("pod");
  expect(groupOf("c1", { [CRI_SANDBOX_ID_ANNOTATION]: "abc123", [SANDBOX_ANNOTATION]: "pod" })).toBe(
    "abc123",
  );
  for (const bad of ["", "with space", "x".repeat(129), "new\nline"])
    expect(() => groupOf("c1", { [SANDBOX_ANNOTATION]: bad })).toThrow(/is not a sandbox id/);
});

test("a bundle's group comes from its config.json; a bundle without one is its own group", () => {
  const dir = mkdtempSync(join(tmpdir(), "runm-grouping-"));
  const groupOfBundle = (id: string, bundle: string) => groupOf(id, readBundleSpec(bundle)?.annotations);
  try {
    expect(groupOfBundle("c1", dir)).toBe("c1");
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ annotations: { [CRI_SANDBOX_ID_ANNOTATION]: "sb" } }),
    );
    expect(groupOfBundle("c1", dir)).toBe("sb");
    writeFileSync(join(dir, "config.json"), "{not json");
    expect(groupOfBundle("c1", dir)).toBe("c1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
