import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codec } from "../lib/containerd/protos.ts";
import { isRunmError } from "../lib/errors.ts";
import { fromAnnotations, parseOptionsToml, resolveOptions } from "./options.ts";
import { checkAnnotations, checkSpec, DEFAULT_POLICY, podResources, sizeVm } from "./policy.ts";

describe("runtime options and annotations", () => {
  test("TOML with a [shim] table and a [policy] table", () => {
    const o = parseOptionsToml(
      '[shim]\ncpus = 2\nmemory = 512\nshare = "virtiofs"\n[policy]\nallow_annotations = ["io.containerd.runm.cpus"]\nmax_cpus = 4\n',
      "f",
    );
    expect(o.shim).toEqual({ cpus: 2, memoryMiB: 512, shareKind: "virtiofs" });
    expect(o.policy).toEqual({ allowAnnotations: ["io.containerd.runm.cpus"], maxCpus: 4 });
    expect(parseOptionsToml("spare = true", "f").shim).toEqual({ spare: true });
    expect(() => parseOptionsToml("spare = 1", "f")).toThrow("f: spare must be true or false");
    expect(() => parseOptionsToml("cpuz = 2", "f")).toThrow(/unknown option cpuz/);
    expect(() => parseOptionsToml("memory = 10", "f")).toThrow(/≥ 64/);
    expect(() => parseOptionsToml("[policy]\nallow_annotations = 3", "f")).toThrow(
      /list of annotation names/,
    );
  });

  test("runm.toml's [vm] spare turns spares on host-wide; a runtime's own options override it", () => {
    const dir = mkdtempSync(join(tmpdir(), "runm-options-"));
    const was = process.env.RUNM_CONFIG_DIR;
    process.env.RUNM_CONFIG_DIR = dir;
    try {
      expect(resolveOptions(null, {}).spare).toBe(false);
      writeFileSync(join(dir, "runm.toml"), "[vm]\nspare = true\n");
      expect(resolveOptions(null, {}).spare).toBe(true);
      const value = codec("runtimeoptions.v1.Options").encode({
        configBody: new TextEncoder().encode("spare = false"),
      });
      expect(resolveOptions({ typeUrl: "runtimeoptions.v1.Options", value }, {}).spare).toBe(false);
    } finally {
      if (was === undefined) delete process.env.RUNM_CONFIG_DIR;
      else process.env.RUNM_CONFIG_DIR = was;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("annotations io.containerd.runm.cpus / .memory", () => {
    expect(fromAnnotations({ "io.containerd.runm.cpus": "2", "io.containerd.runm.memory": "384" })).toEqual({
      cpus: 2,
      memoryMiB: 384,
    });
    expect(() => fromAnnotations({ "io.containerd.runm.cpus": "two" })).toThrow(/positive integer/);
  });
});

describe("the operator's policy", () => {
  const policy = { ...DEFAULT_POLICY, maxCpus: 2, maxMemoryMiB: 1024 };

  test("a widening annotation is refused unless allowed, in one line naming it and the option", () => {
    const a = { "io.containerd.runm.host-loopback": "8080" };
    let err: unknown;
    try {
      checkAnnotations(a, policy);
    } catch (e) {
      err = e;
    }
    expect(isRunmError(err, "PermissionDenied")).toBe(true);
    expect((err as Error).message).toBe(
      "annotation io.containerd.runm.host-loopback is not allowed by the runtime's policy",
    );
    expect((err as { hint: string }).hint).toContain(
      'allow_annotations = ["io.containerd.runm.host-loopback"]',
    );
    expect(() =>
      checkAnnotations(a, { ...policy, allowAnnotations: ["io.containerd.runm.host-loopback"] }),
    ).not.toThrow();
    expect(() => checkAnnotations({ "org.example.other": "x" }, policy)).not.toThrow();
  });

  test("host namespace paths and host devices are refused", () => {
    expect(() => checkSpec({ namespaces: [{ type: "pid", path: "/proc/1/ns/pid" }] })).toThrow(
      /pid namespace path \/proc\/1\/ns\/pid names a namespace outside this container's VM/,
    );
    // The network namespace is the VM's: a CNI path is dropped, not refused.
    expect(() => checkSpec({ namespaces: [{ type: "network", path: "/var/run/netns/x" }] })).not.toThrow();
    expect(() => checkSpec({ devices: [{ path: "/dev/sda" }] })).toThrow(/host device \/dev\/sda/);
    expect(() => checkSpec({ namespaces: [{ type: "pid" }] })).not.toThrow();
  });

  test("a pod's container may join the pid, ipc or uts namespace of a container in its VM, nothing else", () => {
    const ns = (type: string, path: string) => ({ namespaces: [{ type, path }] });
    for (const t of ["pid", "ipc", "uts"])
      expect(() => checkSpec(ns(t, `/proc/42/ns/${t}`), [42])).not.toThrow();
    // Not a container of this VM (the agent, the guest's init), another type, a mismatched path.
    expect(() => checkSpec(ns("pid", "/proc/1/ns/pid"), [42])).toThrow(/outside this container's VM/);
    expect(() => checkSpec(ns("mount", "/proc/42/ns/mnt"), [42])).toThrow(/outside this container's VM/);
    expect(() => checkSpec(ns("user", "/proc/42/ns/user"), [42])).toThrow(/outside/);
    expect(() => checkSpec(ns("pid", "/proc/42/ns/ipc"), [42])).toThrow(/outside/);
    expect(() => checkSpec(ns("pid", "/proc/42/../1/ns/pid"), [42])).toThrow(/outside/);
  });

  test("a pod's VM is sized by the pod's limits CRI gives its sandbox; a value that is not a number is refused", () => {
    const cri = (m: string, q = "0", p = "100000") => ({
      "io.kubernetes.cri.sandbox-memory": m,
      "io.kubernetes.cri.sandbox-cpu-quota": q,
      "io.kubernetes.cri.sandbox-cpu-period": p,
    });
    expect(podResources(undefined)).toBeUndefined();
    expect(podResources({ "io.kubernetes.cri.sandbox-id": "x" })).toBeUndefined();
    const r = podResources(cri(String(600 * 2 ** 20), "150000"));
    expect(r).toEqual({ memory: { limit: 600 * 2 ** 20 }, cpu: { quota: 150_000, period: 100_000 } });
    expect(sizeVm({ cpus: 1, memoryMiB: 512 }, r, policy)).toEqual({ cpus: 2, memoryMiB: 1024 });
    expect(sizeVm({ cpus: 1, memoryMiB: 512 }, podResources(cri("0", "-1")), policy)).toEqual({
      cpus: 1,
      memoryMiB: 512,
    });
    expect(() => podResources(cri("1e9"))).toThrow(/sandbox-memory="1e9" is not a number/);
    expect(() => podResources(cri("1", "2; rm"))).toThrow(/sandbox-cpu-quota/);
  });

  test("the VM grows to the container's limits (memory rounded to a power of two), capped", () => {
    const base = { cpus: 1, memoryMiB: 512 };
    expect(sizeVm(base, undefined, policy)).toEqual(base);
    expect(sizeVm(base, { memory: { limit: 600 * 2 ** 20 } }, policy)).toEqual({ cpus: 1, memoryMiB: 1024 });
    expect(sizeVm(base, { memory: { limit: 64 * 2 ** 20 } }, policy)).toEqual(base);
    expect(sizeVm(base, { cpu: { quota: 150_000, period: 100_000 } }, policy)).toEqual({
      cpus: 2,
      memoryMiB: 512,
    });
    expect(sizeVm(base, { memory: { limit: 8 * 2 ** 30 }, cpu: { quota: 800_000 } }, policy)).toEqual({
      cpus: 2,
      memoryMiB: 1024,
    });
  });
});
