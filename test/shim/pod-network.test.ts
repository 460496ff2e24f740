// A pod on a CNI network through ctr and the shim (issue 14), against Debian 12's containerd: the
// pod's named network namespace as CNI's bridge plugin made it, given with `--with-ns network:`.
// The VM's NIC takes over the pod's interface: the host reaches the pod IP, the guest has the CNI
// MAC, QEMU runs in the pod's namespace, and no tap or redirect is left after a delete, nor after
// the shim is SIGKILLed. The VMM runs in the host cgroup the spec names. A namespace that is not a named one is refused in one line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestNetwork, testNetwork } from "../fixtures/cni.ts";
import { type Harness, startHarness, vmmsUnder } from "./harness.ts";

const T = 240_000;

describe("a pod on a CNI network (ctr, containerd 1.6)", () => {
  let h: Harness;
  let dir: string;
  let net: TestNetwork;
  const netns = `runm-e2e-${process.pid}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "runm-pod-net-"));
    net = testNetwork(dir, 202);
    h = await startHarness();
    Bun.spawnSync(["ip", "netns", "add", netns]);
  }, T);

  afterAll(async () => {
    await h?.stop();
    await net?.del(netns, netns).catch(() => {});
    Bun.spawnSync(["ip", "netns", "del", netns]);
    net?.remove();
    rmSync(dir, { recursive: true, force: true });
  }, T);

  const status = async (c: string) =>
    (await h.ctr(["task", "ls"])).stdout
      .split("\n")
      .find((l) => l.startsWith(`${c} `))
      ?.trim()
      .split(/\s+/)[2] ?? "";
  const until = async (what: string, fn: () => Promise<boolean> | boolean, ms = 30_000) => {
    for (const end = Date.now() + ms; Date.now() < end; await Bun.sleep(100)) if (await fn()) return;
    throw new Error(`timed out waiting for ${what}`);
  };
  const links = () =>
    (
      JSON.parse(Bun.spawnSync(["ip", "-n", netns, "-j", "link", "show"]).stdout.toString()) as {
        ifname: string;
      }[]
    )
      .map((l) => l.ifname)
      .sort();
  const ingress = () => Bun.spawnSync(["tc", "-n", netns, "qdisc", "show", "dev", "eth0"]).stdout.toString();
  const remove = async (c: string) => {
    await h.ctr(["task", "kill", "-s", "SIGKILL", c]);
    await until(`${c} stopped`, async () => (await status(c)) !== "RUNNING");
    await h.ctr(["task", "delete", c]);
    await h.ctr(["container", "rm", c]);
  };

  test(
    "two containers of a pod in one VM on the pod's network: the host reaches the pod IP; delete and a SIGKILLed shim leave no tap; a process's namespace is refused",
    async () => {
      const res = await net.add(netns, netns);
      const podIp = (res.ips[0]?.address ?? "").split("/")[0] ?? "";
      const cniMac = res.interfaces.find((i) => "sandbox" in i)?.mac;
      const withNet = ["--with-ns", `network:/var/run/netns/${netns}`];
      const pod = ["--annotation", "io.containerd.runm.sandbox=cni-a"];
      const serve =
        "mkdir -p /tmp/www && echo hello-from-the-pod > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www";
      expect((await h.run("cni-a", ["sh", "-c", serve], ["-d", ...pod, ...withNet])).code).toBe(0);
      expect((await h.run("cni-b", ["sleep", "1000"], ["-d", ...pod, ...withNet])).code).toBe(0);
      const vmms = vmmsUnder(h.ctd.dir);
      expect(vmms.length).toBe(1);
      // Restored from the pod shape's template (a tap NIC), not booted.
      expect(vmms[0]).toContain("-incoming defer");
      expect(vmms[0]).toContain("-netdev tap,id=net0,ifname=runm0");

      // From the host, by the pod IP, through the CNI bridge into the VM.
      let body = "";
      await until("the pod IP answers", async () => {
        body = await fetch(`http://${podIp}:8080/`, { signal: AbortSignal.timeout(3000) })
          .then((r) => r.text())
          .catch(() => "");
        return body !== "";
      });
      expect(body).toBe("hello-from-the-pod\n");
      // The guest's eth0 is the pod's: CNI's MAC and address; the other container shares it.
      const ex = await h.ctr([
        "task",
        "exec",
        "--exec-id",
        "look",
        "cni-b",
        "sh",
        "-c",
        "cat /sys/class/net/eth0/address; ip -4 addr show eth0 | grep -o 'inet [0-9./]*'; wget -qO- http://127.0.0.1:8080/",
      ]);
      expect(ex.stdout).toBe(`${cniMac}\ninet ${res.ips[0]?.address}\nhello-from-the-pod\n`);
      // QEMU runs in the pod's namespace (where its tap is), not the host's.
      const qemuPid = readdirSync("/proc").find((p) => {
        try {
          return (
            /^\S*qemu-system/.test(readFileSync(`/proc/${p}/cmdline`, "utf8")) &&
            readFileSync(`/proc/${p}/cmdline`, "utf8").includes(h.ctd.dir)
          );
        } catch {
          return false;
        }
      });
      expect(statSync(`/proc/${qemuPid}/ns/net`).ino).toBe(statSync(`/run/netns/${netns}`).ino);
      // ... and in the host cgroup runc would have given the container (ctr's /default/ID).
      expect(readFileSync(`/proc/${qemuPid}/cgroup`, "utf8")).toMatch(/:memory:\/default\/cni-a$/m);
      expect(existsSync("/sys/fs/cgroup/memory/default/cni-a")).toBe(true);
      expect(links()).toEqual(["eth0", "lo", "runm0"]);

      await remove("cni-b");
      await remove("cni-a");
      await until("the VM gone", () => vmmsUnder(h.ctd.dir).length === 0);
      expect(links()).toEqual(["eth0", "lo"]);
      expect(ingress()).not.toContain("ingress");
      expect(h.leftovers(["cni-a", "cni-b"])).toEqual([]);
      expect(existsSync("/sys/fs/cgroup/memory/default/cni-a")).toBe(false);

      // The shim SIGKILLed: containerd's cleanup (the shim's delete) takes the wiring back.
      expect((await h.run("cni-k", ["sleep", "1000"], ["-d", ...withNet])).code).toBe(0);
      expect(links()).toEqual(["eth0", "lo", "runm0"]);
      const shim = Number(
        readFileSync(
          join(h.ctd.state, "io.containerd.runtime.v2.task", "default", "cni-k", "shim.pid"),
          "utf8",
        ),
      );
      process.kill(shim, "SIGKILL");
      await until("the task gone", async () => (await status("cni-k")) !== "RUNNING");
      await h.ctr(["task", "delete", "cni-k"]);
      await h.ctr(["container", "rm", "cni-k"]);
      await until("no leftovers", () => h.leftovers(["cni-k"]).length === 0, 15_000);
      expect(links()).toEqual(["eth0", "lo"]);
      expect(ingress()).not.toContain("ingress");
      expect(existsSync("/sys/fs/cgroup/memory/default/cni-k")).toBe(false);

      // Another process's network namespace (here the host's) is refused before anything starts.
      const refused = await h.run("cni-r", ["true"], ["--rm", "--with-ns", "network:/proc/1/ns/net"]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(
        'network namespace "/proc/1/ns/net": is not a named namespace in /run/netns',
      );
      await h.ctr(["container", "rm", "cni-r"]);
      expect(h.leftovers(["cni-r"])).toEqual([]);
    },
    T,
  );
});
