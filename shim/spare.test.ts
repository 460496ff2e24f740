import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { networkNamespacePath } from "../lib/oci/pod-namespaces.ts";
import { TtrpcServer } from "../lib/ttrpc/index.ts";
import { parseShimFlags } from "./flags.ts";
import { readBundleSpec } from "./grouping.ts";
import { DEFAULT_OPTIONS } from "./options.ts";
import {
  claimOnce,
  claimSpare,
  encode,
  failureNote,
  launchSpare,
  listSpares,
  parseClaim,
  pendingMark,
  SPARE_NICE,
  SPARE_SERVICE,
  spareMismatch,
  spareSocket,
  watchContainerd,
} from "./spare.ts";

const ADDRESS = "/run/containerd-test/containerd.sock";

/** A pid that is certainly not running: a child that has exited and been reaped. */
function deadPid(): number {
  const p = Bun.spawnSync(["true"]);
  return p.pid;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "runm-spare-unit-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("spare files", () => {
  test("only live spares of this containerd and namespace are listed; a dead one's files go, whoever's", () => {
    const live = spareSocket(dir, ADDRESS, "default", process.pid);
    const dead = spareSocket(dir, ADDRESS, "default", deadPid());
    const otherNs = spareSocket(dir, ADDRESS, "k8s.io", process.pid);
    const otherDead = spareSocket(dir, "/run/other/containerd.sock", "default", deadPid());
    for (const f of [live, pendingMark(dead), otherNs, otherDead]) writeFileSync(f, "");
    expect(listSpares(dir, ADDRESS, "default")).toEqual([{ path: live, pid: process.pid, kind: "sock" }]);
    expect(existsSync(pendingMark(dead))).toBe(false);
    expect(existsSync(otherDead)).toBe(false);
    expect(existsSync(otherNs)).toBe(true);
  });
});

describe("launching a spare", () => {
  test("eight shims asking at once launch one spare, niced, marked as warming; none while it lives", async () => {
    // Eight processes, as eight shims: each looks for a spare and launches one through the real
    // launchSpare, with `sh -c "exec sleep 30"` standing in for the shim binary (sh ignores the serve
    // arguments after its script).
    const script = join(dir, "launch.ts");
    writeFileSync(
      script,
      `import { parseShimFlags } from ${JSON.stringify(join(import.meta.dir, "flags.ts"))};
import { DEFAULT_OPTIONS } from ${JSON.stringify(join(import.meta.dir, "options.ts"))};
import { launchSpare } from ${JSON.stringify(join(import.meta.dir, "spare.ts"))};
const f = parseShimFlags(["-namespace", "default", "-id", "x", "-address", ${JSON.stringify(ADDRESS)}, "start"]);
await launchSpare(f, ${JSON.stringify(dir)}, DEFAULT_OPTIONS, ["/bin/sh", "-c", "exec sleep 30"]);
`,
    );
    const launchers = Array.from({ length: 8 }, () =>
      Bun.spawn([process.execPath, script], { stderr: "inherit" }),
    );
    expect(await Promise.all(launchers.map((p) => p.exited))).toEqual(Array(8).fill(0));
    const spares = listSpares(dir, ADDRESS, "default");
    try {
      expect(spares).toHaveLength(1);
      expect(spares[0]?.kind).toBe("pending");
      expect(getPriority(spares[0]?.pid)).toBe(SPARE_NICE);
      const again = Bun.spawn([process.execPath, script]);
      expect(await again.exited).toBe(0);
      expect(listSpares(dir, ADDRESS, "default")).toHaveLength(1);
    } finally {
      for (const p of readdirSync(dir)) {
        const pid = Number(/-(\d+)\.pending$/.exec(p)?.[1]);
        if (pid) process.kill(pid, "SIGKILL");
      }
    }
  });

  test("a spare that failed a moment ago stops launches for a while; an old failure does not", async () => {
    const f = parseShimFlags(["-namespace", "default", "-id", "x", "-address", ADDRESS, "start"]);
    const note = failureNote(dir, ADDRESS, "default");
    writeFileSync(note, "no template: disk full\n");
    await launchSpare(f, dir, DEFAULT_OPTIONS, ["/bin/sh", "-c", "exec sleep 30"]);
    expect(listSpares(dir, ADDRESS, "default")).toEqual([]);
    const old = (Date.now() - 120_000) / 1000;
    utimesSync(note, old, old);
    await launchSpare(f, dir, DEFAULT_OPTIONS, ["/bin/sh", "-c", "exec sleep 30"]);
    const spares = listSpares(dir, ADDRESS, "default");
    for (const sp of spares) process.kill(sp.pid, "SIGKILL");
    expect(spares).toHaveLength(1);
    expect(existsSync(note)).toBe(false);
  });
});

describe("claiming a spare", () => {
  test("two starts race for one spare: exactly one gets it, at its own socket, and tells it who it is", async () => {
    const claims: unknown[] = [];
    const accept = claimOnce();
    const server = new TtrpcServer();
    server.register(SPARE_SERVICE, {
      Claim: async (payload) => {
        const c = parseClaim(payload, "default");
        accept(c);
        claims.push(c);
        return encode({ pid: process.pid });
      },
    });
    const spare = spareSocket(dir, ADDRESS, "default", process.pid);
    await server.listen(spare);
    try {
      const flags = (id: string) =>
        parseShimFlags(["-namespace", "default", "-id", id, "-address", ADDRESS, "start"]);
      const [a, b] = await Promise.all([
        claimSpare(flags("a"), "/bundles/a", join(dir, "a.sock")),
        claimSpare(flags("b"), "/bundles/b", join(dir, "b.sock")),
      ]);
      expect([a, b].filter((x) => x === process.pid)).toHaveLength(1);
      expect([a, b].filter((x) => x === undefined)).toHaveLength(1);
      const winner = a === process.pid ? "a" : "b";
      expect(claims).toEqual([
        {
          id: winner,
          namespace: "default",
          bundle: `/bundles/${winner}`,
          socket: join(dir, `${winner}.sock`),
        },
      ]);
      expect(existsSync(join(dir, `${winner}.sock`))).toBe(true);
      expect(existsSync(spare)).toBe(false);
      // No spare left: a third start finds none.
      expect(await claimSpare(flags("c"), "/bundles/c", join(dir, "c.sock"))).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  test("a container that names a network namespace (a CNI pod) is told apart from its bundle", () => {
    const bundle = join(dir, "bundle");
    mkdirSync(bundle);
    const names = () => networkNamespacePath(readBundleSpec(bundle)?.linux);
    const spec = (ns: object[]) =>
      writeFileSync(join(bundle, "config.json"), JSON.stringify({ linux: { namespaces: ns } }));
    spec([{ type: "network", path: "/var/run/netns/cni-1" }]);
    expect(names()).toBe("/var/run/netns/cni-1");
    spec([{ type: "network" }, { type: "pid" }]);
    expect(names()).toBeUndefined();
    writeFileSync(join(bundle, "config.json"), "{");
    expect(names()).toBeUndefined();
  });

  test("a spare that cannot be claimed is ended, and the start goes on without it", async () => {
    // A stand-in spare: listens where a spare of ADDRESS would, refuses every claim, and carries a
    // spare shim's command line words (the only way a recorded pid is checked before signalling).
    const script = join(dir, "broken-spare.ts");
    writeFileSync(
      script,
      `import { TtrpcServer } from ${JSON.stringify(join(import.meta.dir, "../lib/ttrpc/index.ts"))};
import { SPARE_SERVICE, spareSocket } from ${JSON.stringify(join(import.meta.dir, "spare.ts"))};
const server = new TtrpcServer();
server.register(SPARE_SERVICE, { Claim: async () => { throw new Error("no"); } });
await server.listen(spareSocket(${JSON.stringify(dir)}, ${JSON.stringify(ADDRESS)}, "default", process.pid));
setInterval(() => {}, 1000);
`,
    );
    const broken = Bun.spawn([
      process.execPath,
      script,
      "containerd-shim-runm-v2",
      "-namespace",
      "default",
      "-id",
      "spare",
      "-address",
      ADDRESS,
      "-spare",
      "serve",
    ]);
    try {
      const at = spareSocket(dir, ADDRESS, "default", broken.pid);
      while (!existsSync(at)) await Bun.sleep(10);
      const f = parseShimFlags(["-namespace", "default", "-id", "c", "-address", ADDRESS, "start"]);
      expect(await claimSpare(f, "/bundles/c", join(dir, "c.sock"))).toBeUndefined();
      await broken.exited;
      expect(broken.signalCode).toBe("SIGTERM");
      expect(existsSync(join(dir, "c.sock"))).toBe(false);
    } finally {
      broken.kill("SIGKILL");
    }
  });

  test("a claim is checked: JSON, its namespace, absolute paths; and taken once", () => {
    const ok = { id: "x", namespace: "default", bundle: "/b", socket: "/s.sock" };
    expect(parseClaim(encode(ok), "default")).toEqual(ok);
    expect(() => parseClaim(new TextEncoder().encode("{"), "default")).toThrow("a spare claim must be JSON");
    expect(() => parseClaim(encode({ ...ok, namespace: "k8s.io" }), "default")).toThrow(
      "this spare serves namespace default, not k8s.io",
    );
    expect(() => parseClaim(encode({ ...ok, bundle: "b" }), "default")).toThrow(/paths must be absolute/);
    expect(() => parseClaim(encode({ ...ok, id: "" }), "default")).toThrow(
      /needs id, namespace, bundle and socket/,
    );
    const accept = claimOnce();
    accept(ok);
    expect(() => accept({ ...ok, id: "y" })).toThrow("this spare was claimed by default/x");
  });
});

describe("whether a container fits a spare's VM", () => {
  const have = { ...DEFAULT_OPTIONS, spare: true, manifestText: "m1" };
  test("the same shape fits; each difference is named", () => {
    expect(spareMismatch(have, { ...have, spare: false, bootTimeoutMs: 5 }, undefined)).toBeUndefined();
    expect(spareMismatch(have, { ...have, cpus: 2 }, undefined)).toBe("its cpus is 2, the spare's 1");
    expect(spareMismatch(have, have, "/run/netns/cni-1")).toBe("it joins a CNI network");
    expect(spareMismatch(have, { ...have, shareKind: "virtiofs" }, undefined)).toMatch(
      /shareKind is virtiofs/,
    );
    expect(spareMismatch(have, { ...have, manifestText: "m2" }, undefined)).toBe(
      "the guest image changed since the spare started",
    );
    expect(spareMismatch(have, { ...have, ports: [{ hostPort: 8080, guestPort: 80 }] }, undefined)).toBe(
      "it publishes ports",
    );
    expect(spareMismatch(have, { ...have, hostLoopbackPorts: [5432] }, undefined)).toBe(
      "it reaches host loopback ports",
    );
  });
});

describe("a spare goes with containerd", () => {
  test("the held connection closing and no new one accepted is containerd gone; a live one is not", async () => {
    const path = join(dir, "ttrpc.sock");
    const conns: Socket[] = [];
    const server = createServer((s) => conns.push(s));
    await new Promise<void>((r) => server.listen(path, r));
    let gone = 0;
    const stop = watchContainerd(path, () => gone++);
    while (conns.length === 0) await Bun.sleep(10);
    // containerd drops an idle connection but still runs: the watch reconnects, not "gone".
    conns[0]?.destroy();
    while (conns.length < 2) await Bun.sleep(10);
    expect(gone).toBe(0);
    // containerd exits: its socket closes every connection and refuses new ones.
    await new Promise<void>((r) => {
      server.close(() => r());
      for (const c of conns) c.destroy();
    });
    for (let i = 0; i < 100 && gone === 0; i++) await Bun.sleep(20);
    expect(gone).toBe(1);
    stop();
  });
});
