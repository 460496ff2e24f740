import { describe, expect, test } from "bun:test";
import { fromAnnotations, parseOptionsToml } from "./options.ts";

describe("runtime options and annotations", () => {
  test("TOML with a [shim] table", () => {
    expect(parseOptionsToml('[shim]\ncpus = 2\nmemory = 512\nshare = "virtiofs"\n', "f")).toEqual({
      cpus: 2,
      memoryMiB: 512,
      shareKind: "virtiofs",
    });
    expect(() => parseOptionsToml("cpuz = 2", "f")).toThrow(/unknown option cpuz/);
    expect(() => parseOptionsToml("memory = 10", "f")).toThrow(/≥ 64/);
  });

  test("annotations io.containerd.runm.cpus / .memory", () => {
    expect(fromAnnotations({ "io.containerd.runm.cpus": "2", "io.containerd.runm.memory": "384" })).toEqual({
      cpus: 2,
      memoryMiB: 384,
    });
    expect(() => fromAnnotations({ "io.containerd.runm.cpus": "two" })).toThrow(/positive integer/);
  });
});
