// Boundaries, checked on the real import graph of the shipped entry point (agent/main.ts): no
// test code, no host-side modules, and proto types only in the server module.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { REPO_ROOT } from "../lib/paths.ts";

function localImports(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const transpiler = new Bun.Transpiler({ loader: "ts" });
  const visit = (file: string) => {
    if (graph.has(file)) return;
    const deps = transpiler
      .scanImports(readFileSync(file, "utf8"))
      .map((i) => i.path)
      .filter((p) => p.startsWith("."))
      .map((p) => resolve(dirname(file), p));
    graph.set(file, deps);
    for (const d of deps) if (d.endsWith(".ts")) visit(d);
  };
  visit(entry);
  return graph;
}

test("the agent's import graph keeps its boundaries", () => {
  const graph = localImports(resolve(REPO_ROOT, "agent/main.ts"));
  const rel = (f: string) => relative(REPO_ROOT, f);
  const files = [...graph.keys()].map(rel);
  expect(files.length).toBeGreaterThan(20);
  for (const f of files) {
    expect(f).not.toMatch(/^test\/|\.test\.ts$/);
    expect(f).not.toMatch(/^(shim|cli)\/|^lib\/(agent-client|vm)\//);
  }
  const protoUsers = [...graph.entries()]
    .filter(([, deps]) => deps.some((d) => rel(d).startsWith("lib/proto/")))
    .map(([f]) => rel(f))
    .filter((f) => !f.startsWith("lib/proto/"));
  expect(protoUsers.length).toBeGreaterThan(0);
  expect(protoUsers.every((f) => f.startsWith("agent/server/"))).toBe(true);
});
