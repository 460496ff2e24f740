import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planMounts } from "./mounts.ts";
import { fromAnnotations, parseOptionsToml } from "./options.ts";

const dir = mkdtempSync(join(tmpdir(), "runm-mounts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rootfs and bind mounts become shares", () => {
  test("native snapshotter: one bind mount, shared read-write", () => {
    const p = planMounts("c1", "/b", [{ type: "bind", source: "/snap/1/fs", options: ["rbind", "rw"] }], {});
    expect(p.shares).toEqual([{ tag: "rootfs", hostPath: "/snap/1/fs", readOnly: false }]);
    expect(p.rootfs).toBe("/run/runm/shares/rootfs");
  });

  test("no mounts: the bundle's rootfs dir, read-only when the spec says so", () => {
    const p = planMounts("c1", "/b", [], { root: { path: "rootfs", readonly: true } });
    expect(p.shares).toEqual([{ tag: "rootfs", hostPath: "/b/rootfs", readOnly: true }]);
  });

  test("overlay: each layer read-only, upper+work through their parent, assembled in the guest", () => {
    const p = planMounts(
      "c1",
      "/b",
      [
        {
          type: "overlay",
          source: "overlay",
          options: ["index=off", "workdir=/s/9/work", "upperdir=/s/9/fs", "lowerdir=/s/2/fs:/s/1/fs"],
        },
      ],
      {},
    );
    expect(p.shares).toEqual([
      { tag: "l0", hostPath: "/s/2/fs", readOnly: true },
      { tag: "l1", hostPath: "/s/1/fs", readOnly: true },
    ]);
    // The writable layer is a guest tmpfs: the host upperdir is never shared.
    expect(p.guestMounts.slice(-2)).toEqual([
      { kind: "tmpfs", target: "/run/runm/upper/c1" },
      {
        kind: "overlay",
        lower: ["/run/runm/shares/l0", "/run/runm/shares/l1"],
        upper: "/run/runm/upper/c1/upper",
        work: "/run/runm/upper/c1/work",
        target: "/run/runm/rootfs/c1",
      },
    ]);
    expect(p.rootfs).toBe("/run/runm/rootfs/c1");
  });

  test("spec bind mounts: dirs shared as is, files via their parent, ro kept, others untouched", () => {
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "conf.txt"), "x");
    const p = planMounts("c1", "/b", [{ type: "bind", source: "/r", options: [] }], {
      mounts: [
        { destination: "/proc", type: "proc", source: "proc" },
        { destination: "/data", type: "bind", source: join(dir, "data"), options: ["rbind", "rw"] },
        {
          destination: "/etc/conf.txt",
          type: "bind",
          source: join(dir, "conf.txt"),
          options: ["rbind", "ro"],
        },
      ],
    });
    expect(p.mounts[0]).toEqual({ destination: "/proc", type: "proc", source: "proc" });
    expect(p.mounts[1]?.source).toBe("/run/runm/shares/m0");
    expect(p.mounts[2]?.source).toBe("/run/runm/shares/m1/conf.txt");
    expect(p.shares.slice(1)).toEqual([
      { tag: "m0", hostPath: join(dir, "data"), readOnly: false },
      { tag: "m1", hostPath: dir, readOnly: true },
    ]);
  });

  test("a missing bind source is an InvalidArgument naming it", () => {
    expect(() =>
      planMounts("c1", "/b", [], { mounts: [{ destination: "/x", type: "bind", source: "/nope/nothing" }] }),
    ).toThrow(/\/nope\/nothing does not exist/);
  });
});

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
