import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planMounts } from "./mounts.ts";

const dir = mkdtempSync(join(tmpdir(), "runm-mounts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("rootfs and bind mounts become shares", () => {
  test("native snapshotter: the bind mount shared read-only, writes in a guest tmpfs upper", () => {
    const p = planMounts("c1", "/b", [{ type: "bind", source: "/snap/1/fs", options: ["rbind", "rw"] }], {});
    expect(p.shares).toEqual([{ name: "l0", hostPath: "/snap/1/fs", readOnly: true }]);
    expect(p.guestMounts.map((m) => m.kind)).toEqual(["tmpfs", "overlay"]);
    expect(p.rootfs).toBe("/run/runm/rootfs/c1");
  });

  test("no mounts: the bundle's rootfs dir, read-only when the spec says so", () => {
    const p = planMounts("c1", "/b", [], { root: { path: "rootfs", readonly: true } });
    expect(p.shares).toEqual([{ name: "rootfs", hostPath: "/b/rootfs", readOnly: true }]);
    expect(p.rootfs).toBe("/run/runm/shares/ro/rootfs");
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
      { name: "l0", hostPath: "/s/2/fs", readOnly: true },
      { name: "l1", hostPath: "/s/1/fs", readOnly: true },
    ]);
    // The writable layer is a guest tmpfs: the host upperdir is never shared.
    expect(p.guestMounts.slice(-2)).toEqual([
      { kind: "tmpfs", target: "/run/runm/upper/c1" },
      {
        kind: "overlay",
        lower: ["/run/runm/shares/ro/l0", "/run/runm/shares/ro/l1"],
        upper: "/run/runm/upper/c1/upper",
        work: "/run/runm/upper/c1/work",
        target: "/run/runm/rootfs/c1",
      },
    ]);
    expect(p.rootfs).toBe("/run/runm/rootfs/c1");
  });

  test("spec bind mounts: dirs and files each shared by themselves, ro kept, others untouched", () => {
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "conf.txt"), "x");
    const p = planMounts("c1", "/b", [{ type: "bind", source: "/r", options: ["ro"] }], {
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
    expect(p.mounts[1]?.source).toBe("/run/runm/shares/rw/m0");
    // The file alone: its directory (and so its siblings) is never shared.
    expect(p.mounts[2]?.source).toBe("/run/runm/shares/ro/m1");
    expect(p.shares.slice(1)).toEqual([
      { name: "m0", hostPath: join(dir, "data"), readOnly: false },
      { name: "m1", hostPath: join(dir, "conf.txt"), readOnly: true },
    ]);
  });

  test("a missing bind source is an InvalidArgument naming it", () => {
    expect(() =>
      planMounts("c1", "/b", [], { mounts: [{ destination: "/x", type: "bind", source: "/nope/nothing" }] }),
    ).toThrow(/\/nope\/nothing does not exist/);
  });

  test("a unix socket bind becomes a guest socket with the host socket's mode and owner, not a share", async () => {
    const path = join(dir, "app.sock");
    const server = createServer().listen(path);
    await new Promise((r) => server.once("listening", r));
    chmodSync(path, 0o660);
    try {
      const p = planMounts("c1", "/b", [], {
        mounts: [
          { destination: "/run/app.sock", type: "bind", source: path, options: ["rbind"] },
          { destination: "/run/again.sock", type: "bind", source: path, options: ["rbind", "ro"] },
        ],
      });
      const st = statSync(path);
      expect(p.sockets).toEqual([
        { hostPath: path, guestPath: "/run/runm/sockets/s0.sock", mode: 0o660, uid: st.uid, gid: st.gid },
        { hostPath: path, guestPath: "/run/runm/sockets/s1.sock", mode: 0o660, uid: st.uid, gid: st.gid },
      ]);
      expect(p.mounts.map((m) => m.source)).toEqual([
        "/run/runm/sockets/s0.sock",
        "/run/runm/sockets/s1.sock",
      ]);
      expect(p.shares.some((s) => s.hostPath === path)).toBe(false); // never shared into the VM
      // A pod's later container numbers its guest sockets after those already in the VM.
      const later = planMounts(
        "c2",
        "/b",
        [],
        { mounts: [{ destination: "/run/app.sock", type: "bind", source: path, options: ["rbind"] }] },
        { sharePrefix: "p1-", firstSocket: 2 },
      );
      expect(later.sockets.map((s) => s.guestPath)).toEqual(["/run/runm/sockets/s2.sock"]);
    } finally {
      server.close();
    }
  });

  test("a bind of a device or fifo is refused in one line", () => {
    expect(() =>
      planMounts("c1", "/b", [], { mounts: [{ destination: "/x", type: "bind", source: "/dev/null" }] }),
    ).toThrow("bind mount source /dev/null is not a directory, a regular file or a unix socket");
  });
});
