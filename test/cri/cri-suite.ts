// Pods through containerd's real CRI plugin, as kubelet drives it (issue 14), with a grpc-js
// client of the CRI API (lib/cri/client.ts; critest is not packaged here). A private containerd
// with CRI on, runtime handler `runm`, the local pause image as its sandbox image, and a CNI
// network of its own (Debian's bridge, host-local and portmap plugins on a test bridge): pods in
// the node's network mode use the VM's own user-mode network, pods in the pod mode the CNI one.
// Each test names the critest case it mirrors. Imported by one file per containerd version.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LOCAL_IMAGE_REFS } from "../../lib/constants.ts";
import { type PrivateContainerd, startPrivateContainerd } from "../../lib/containerd/private.ts";
import { installShim } from "../../lib/containerd/shim-binary.ts";
import { CriClient } from "../../lib/cri/client.ts";
import { openCriStream } from "../../lib/cri/streaming.ts";
import { buildImage } from "../../lib/image/build.ts";
import { hierarchies } from "../../lib/sys/host-cgroup.ts";
import { mountPointsUnder } from "../../lib/sys/mounts.ts";
import { CNI_BIN, type TestNetwork, testNetwork } from "../fixtures/cni.ts";
import { vmmsUnder } from "../shim/harness.ts";

const T = 240_000;
/** CRI's NamespaceMode: POD shares the pod's (the pause container's), NODE the node's (runm: the VM's). */
const POD = 0;
const CONTAINER = 1;
const NODE = 2;
const CONTAINER_RUNNING = 1;
const CONTAINER_EXITED = 2;

export function criSuite(
  name: string,
  /** Picks the test CNI network's bridge and subnet (test/fixtures/cni.ts): one per file. */
  netIndex: number,
  binary: () => Promise<{ containerd?: string; ctr?: string }> = async () => ({}),
): void {
  describe(`CRI with runm, ${name}`, () => {
    let ctd: PrivateContainerd;
    let cri: CriClient;
    let ctrBin = "ctr";
    let cniDir: string;
    let net: TestNetwork;

    beforeAll(async () => {
      const b = await binary();
      ctrBin = b.ctr ?? "ctr";
      const pause = await buildImage("pause");
      // CRI's CNI: Debian's plugins and this file's own bridge network (with portmap for hostPort).
      cniDir = mkdtempSync(join(tmpdir(), "runm-cri-cni-"));
      net = testNetwork(cniDir, netIndex);
      symlinkSync(CNI_BIN, join(cniDir, "bin"));
      mkdirSync(join(cniDir, "conf"));
      writeFileSync(join(cniDir, "conf", "10-runm-test.conflist"), JSON.stringify(net.conflist));
      ctd = await startPrivateContainerd({
        binary: b.containerd,
        cri: true,
        criSetup: { sandboxImage: LOCAL_IMAGE_REFS.pause, cniDir },
        env: (l) => ({ RUNM_STATE_DIR: join(l.dir, "runm-state") }),
        logLevel: "debug",
      });
      await installShim(ctd.bin);
      const busybox = await buildImage("busybox");
      for (const img of [pause, busybox]) {
        const r = Bun.spawnSync([
          ctrBin,
          "--address",
          ctd.address,
          "-n",
          "k8s.io",
          "images",
          "import",
          "--snapshotter",
          "overlayfs",
          img.path,
        ]);
        if (r.exitCode !== 0) throw new Error(`import ${img.ref}: ${r.stderr.toString()}`);
      }
      cri = new CriClient(ctd.address);
    }, T);

    afterAll(async () => {
      // A failed test's pods too: CNI's namespace, veth and port rules go only with RemovePodSandbox.
      const left = cri ? await cri.call("ListPodSandbox", {}).catch(() => ({ items: [] })) : { items: [] };
      for (const p of left.items as { id: string }[]) {
        await cri.call("StopPodSandbox", { podSandboxId: p.id }).catch(() => {});
        await cri.call("RemovePodSandbox", { podSandboxId: p.id }).catch(() => {});
      }
      cri?.close();
      await ctd?.stop();
      net?.remove();
      if (cniDir) rmSync(cniDir, { recursive: true, force: true });
    }, T);

    const vmms = () => vmmsUnder(ctd.dir);

    test(
      "a pod of two containers in one VM: RunPodSandbox, CreateContainer ×2, StartContainer, ExecSync, 127.0.0.1 between them, one PID namespace (shareProcessNamespace), ContainerStats, UpdateContainerResources, ContainerStatus, ListContainers, the log file, StopContainer, StopPodSandbox, RemovePodSandbox (critest: basic operations on container and pod; exec sync; networking within a pod; share process namespace; container stats; update container resources)",
      async () => {
        const uid = `uid-${process.pid}`;
        const config = {
          metadata: { name: "web", namespace: "default", uid, attempt: 0 },
          hostname: "web",
          logDirectory: join(ctd.dir, "pod-logs"),
          // shareProcessNamespace: the pod's containers see each other's processes (and pause's).
          linux: { securityContext: { namespaceOptions: { network: NODE, pid: POD } } },
        };
        mkdirSync(config.logDirectory, { recursive: true });
        const { podSandboxId: pod } = await cri.call("RunPodSandbox", { config, runtimeHandler: "runm" });
        expect(pod).toMatch(/^[0-9a-f]{64}$/);
        const status = await cri.call("PodSandboxStatus", { podSandboxId: pod });
        expect(status.status.state).toBe(0); // SANDBOX_READY
        expect(vmms().length).toBe(1);

        const container = (cname: string, args: string[]) => ({
          podSandboxId: pod,
          config: {
            metadata: { name: cname, attempt: 0 },
            image: { image: LOCAL_IMAGE_REFS.busybox },
            command: ["sh", "-c"],
            args,
            logPath: `${cname}.log`,
          },
          sandboxConfig: config,
        });
        const serve =
          "mkdir -p /tmp/www && echo hello-from-server > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www";
        const { containerId: server } = await cri.call("CreateContainer", container("server", [serve]));
        const { containerId: client } = await cri.call(
          "CreateContainer",
          container("client", ["echo client started; exec sleep 1000"]),
        );
        await cri.call("StartContainer", { containerId: server });
        await cri.call("StartContainer", { containerId: client });
        // Both containers and the sandbox in the one VM the pod started with.
        expect(vmms().length).toBe(1);

        const exec = await cri.call("ExecSync", {
          containerId: client,
          cmd: [
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/ && exit 0; sleep 1; done; exit 7",
          ],
          timeout: 60,
        });
        expect({ code: exec.exitCode, out: Buffer.from(exec.stdout).toString() }).toEqual({
          code: 0,
          out: "hello-from-server\n",
        });
        const failing = await cri.call("ExecSync", {
          containerId: client,
          cmd: ["sh", "-c", "exit 3"],
          timeout: 30,
        });
        expect(failing.exitCode).toBe(3);
        // One PID namespace for the pod: the client sees the pause process and the server's httpd.
        const ps = Buffer.from(
          (await cri.call("ExecSync", { containerId: client, cmd: ["ps", "-o", "pid,args"], timeout: 30 }))
            .stdout,
        ).toString();
        expect(ps).toMatch(/^\s*1\s+sleep 2147483647$/m);
        expect(ps).toContain("httpd -f -p 127.0.0.1:8080");

        // Stats from the guest's cgroups (critest: runtime should support ContainerStats).
        const stats = await cri.call("ContainerStats", { containerId: server });
        expect(stats.stats.attributes.id).toBe(server);
        expect(Number(stats.stats.memory.workingSetBytes?.value ?? 0)).toBeGreaterThan(0);
        expect(Number(stats.stats.cpu.usageCoreNanoSeconds?.value ?? 0)).toBeGreaterThan(0);
        // UpdateContainerResources reaches the guest's cgroup (critest: update container resources).
        await cri.call("UpdateContainerResources", {
          containerId: server,
          linux: { memoryLimitInBytes: 96 * 2 ** 20, cpuShares: 512 },
        });
        const limit = Buffer.from(
          (
            await cri.call("ExecSync", {
              containerId: server,
              // The guest is cgroup v2; CRI gives no cgroup namespace here, so the path is the full one.
              cmd: ["sh", "-c", "cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max"],
              timeout: 30,
            })
          ).stdout,
        ).toString();
        expect(limit.trim()).toBe(String(96 * 2 ** 20));

        const cs = await cri.call("ContainerStatus", { containerId: client });
        expect(cs.status.state).toBe(CONTAINER_RUNNING);
        const listed = await cri.call("ListContainers", { filter: { podSandboxId: pod } });
        expect(listed.containers.map((c: { metadata: { name: string } }) => c.metadata.name).sort()).toEqual([
          "client",
          "server",
        ]);
        // The CRI log file: "TIMESTAMP stdout F client started".
        const log = readFileSync(join(config.logDirectory, "client.log"), "utf8");
        expect(log).toMatch(/^\S+ stdout F client started$/m);

        await cri.call("StopContainer", { containerId: client, timeout: 2 });
        expect((await cri.call("ContainerStatus", { containerId: client })).status.state).toBe(
          CONTAINER_EXITED,
        );
        await cri.call("RemoveContainer", { containerId: client });
        // The server still answers: the pod's VM outlived the client.
        const again = await cri.call("ExecSync", {
          containerId: server,
          cmd: ["wget", "-qO-", "http://127.0.0.1:8080/"],
          timeout: 30,
        });
        expect(Buffer.from(again.stdout).toString()).toBe("hello-from-server\n");

        await cri.call("StopPodSandbox", { podSandboxId: pod });
        await cri.call("RemovePodSandbox", { podSandboxId: pod });
        for (let i = 0; i < 100 && vmms().length; i++) await Bun.sleep(100);
        expect(vmms()).toEqual([]);
        expect(mountPointsUnder(join(ctd.dir, "runm-state"))).toEqual([]);
      },
      T,
    );

    test(
      "a pod on the CNI network: PodSandboxStatus's IP answers from the host, hostPort through portmap on 127.0.0.1, and RemovePodSandbox leaves no VM, netns or port rule (critest: runtime should support port mapping with host port and container port; networking: DNS config and pod IP reachability)",
      async () => {
        const hostPort = 30_000 + (process.pid % 5000);
        const config = {
          metadata: { name: "netpod", namespace: "default", uid: `net-${process.pid}`, attempt: 0 },
          hostname: "netpod",
          logDirectory: join(ctd.dir, "netpod-logs"),
          dnsConfig: { servers: ["10.231.255.53"], searches: ["runm.test"], options: ["ndots:2"] },
          portMappings: [{ protocol: 0, containerPort: 8080, hostPort, hostIp: "127.0.0.1" }],
          linux: {
            // A pod's network sysctl: applied to the VM's network (runc refuses it there).
            sysctls: { "net.ipv4.ip_local_port_range": "40000\t50000" },
            securityContext: { namespaceOptions: { network: POD, pid: CONTAINER } },
          },
        };
        mkdirSync(config.logDirectory, { recursive: true });
        const { podSandboxId: pod } = await cri.call("RunPodSandbox", { config, runtimeHandler: "runm" });
        const status = await cri.call("PodSandboxStatus", { podSandboxId: pod, verbose: true });
        const podIp: string = status.status.network.ip;
        expect(podIp.startsWith(net.subnet.slice(0, net.subnet.lastIndexOf(".") + 1))).toBe(true);
        const netnsPath: string = JSON.parse(status.info.info).runtimeSpec.linux.namespaces.find(
          (n: { type: string }) => n.type === "network",
        ).path;
        expect(existsSync(netnsPath)).toBe(true);
        expect(vmms().length).toBe(1);

        const { containerId: server } = await cri.call("CreateContainer", {
          podSandboxId: pod,
          config: {
            metadata: { name: "server", attempt: 0 },
            image: { image: LOCAL_IMAGE_REFS.busybox },
            command: ["sh", "-c"],
            args: [
              "mkdir -p /tmp/www && echo hello-by-pod-ip > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
            ],
            logPath: "server.log",
          },
          sandboxConfig: config,
        });
        await cri.call("StartContainer", { containerId: server });
        const get = (url: string) =>
          fetch(url, { signal: AbortSignal.timeout(3000) })
            .then((r) => r.text())
            .catch(() => "");
        let body = "";
        for (let i = 0; i < 60 && body === ""; i++) {
          body = await get(`http://${podIp}:8080/`);
          if (body === "") await Bun.sleep(500);
        }
        expect(body).toBe("hello-by-pod-ip\n");
        expect(await get(`http://127.0.0.1:${hostPort}/`)).toBe("hello-by-pod-ip\n");
        // The pod's DNS config reaches the container (CRI's resolv.conf, a bind mount into the VM).
        const resolv = await cri.call("ExecSync", {
          containerId: server,
          cmd: ["cat", "/etc/resolv.conf"],
          timeout: 30,
        });
        expect(Buffer.from(resolv.stdout).toString()).toMatch(/nameserver 10\.231\.255\.53/);
        const range = await cri.call("ExecSync", {
          containerId: server,
          cmd: ["cat", "/proc/sys/net/ipv4/ip_local_port_range"],
          timeout: 30,
        });
        expect(Buffer.from(range.stdout).toString()).toBe("40000\t50000\n");
        // The guest's address is the pod IP.
        const addr = await cri.call("ExecSync", {
          containerId: server,
          cmd: ["ip", "-4", "addr", "show", "eth0"],
          timeout: 30,
        });
        expect(Buffer.from(addr.stdout).toString()).toContain(`inet ${podIp}/`);

        await cri.call("StopPodSandbox", { podSandboxId: pod });
        await cri.call("RemovePodSandbox", { podSandboxId: pod });
        for (let i = 0; i < 100 && vmms().length; i++) await Bun.sleep(100);
        expect(vmms()).toEqual([]);
        expect(existsSync(netnsPath)).toBe(false);
        const nat = Bun.spawnSync(["iptables-save", "-t", "nat"]).stdout.toString();
        expect(nat).not.toContain(`--dport ${hostPort}`);
        expect(mountPointsUnder(join(ctd.dir, "runm-state"))).toEqual([]);
      },
      T,
    );

    test(
      "Exec and Attach through containerd's streaming server (WebSocket, v4.channel.k8s.io), a VM sized by the pod's limits and run in the pod's host cgroup, PodSandboxStats (critest: runtime should support exec with tty=false; attach with tty=false; exec with stdin; pod sandbox stats)",
      async () => {
        const cgroupParent = `/runm-cri-test-${process.pid}`;
        const config = {
          metadata: { name: "streams", namespace: "default", uid: `streams-${process.pid}`, attempt: 0 },
          hostname: "streams",
          logDirectory: join(ctd.dir, "streams-logs"),
          // The pod's limits (kubelet: the sum of its containers'): the VM is sized to hold them.
          // Its cgroup parent (kubelet's pod cgroup): the VMM runs under it, so the pod's stats
          // (PodSandboxStats reads that cgroup on the host) are the VM's.
          linux: {
            cgroupParent,
            resources: { memoryLimitInBytes: 600 * 2 ** 20, cpuPeriod: 100_000, cpuQuota: 100_000 },
            securityContext: { namespaceOptions: { network: NODE, pid: CONTAINER } },
          },
        };
        mkdirSync(config.logDirectory, { recursive: true });
        const { podSandboxId: pod } = await cri.call("RunPodSandbox", { config, runtimeHandler: "runm" });
        expect(vmms().length).toBe(1);
        expect(vmms()[0]).toMatch(/ -m 1024M /); // 600 MiB + the guest's overhead, to a power of two
        const { containerId: echoer } = await cri.call("CreateContainer", {
          podSandboxId: pod,
          config: {
            metadata: { name: "echoer", attempt: 0 },
            image: { image: LOCAL_IMAGE_REFS.busybox },
            command: ["sh", "-c", "while read l; do echo got:$l; done"],
            stdin: true,
            logPath: "echoer.log",
          },
          sandboxConfig: config,
        });
        await cri.call("StartContainer", { containerId: echoer });

        const exec = async (cmd: string[], stdin?: string) => {
          const { url } = await cri.call("Exec", {
            containerId: echoer,
            cmd,
            stdin: stdin !== undefined,
            stdout: true,
            stderr: true,
          });
          const s = await openCriStream(url);
          if (stdin !== undefined) s.write(stdin);
          return s.done;
        };
        expect(await exec(["sh", "-c", "echo out; echo err >&2; exit 3"])).toEqual({
          stdout: "out\n",
          stderr: "err\n",
          exitCode: 3,
        });
        expect(await exec(["head", "-c", "5"], "hello")).toEqual({
          stdout: "hello",
          stderr: "",
          exitCode: 0,
        });

        // Attach to the running init: stdin in, its answer out.
        const { url } = await cri.call("Attach", {
          containerId: echoer,
          stdin: true,
          stdout: true,
          stderr: true,
        });
        const attached = await openCriStream(url);
        attached.write("ping\n");
        await attached.waitFor("got:ping\n");
        attached.close();
        // containerd writes the CRI log beside the attach stream, not before it: wait for the line.
        const logPath = join(config.logDirectory, "echoer.log");
        let log = "";
        for (let i = 0; i < 50 && !/^\S+ stdout F got:ping$/m.test(log); i++) {
          if (i) await Bun.sleep(100);
          log = readFileSync(logPath, "utf8");
        }
        expect(log).toMatch(/^\S+ stdout F got:ping$/m);

        const stats = await cri.call("PodSandboxStats", { podSandboxId: pod });
        expect(stats.stats.attributes.id).toBe(pod);
        // The VM's memory, not a pause process's few hundred KiB.
        expect(Number(stats.stats.linux.memory.workingSetBytes?.value ?? 0)).toBeGreaterThan(32 * 2 ** 20);
        expect(
          stats.stats.linux.containers.map((c: { attributes: { id: string } }) => c.attributes.id),
        ).toContain(echoer);

        await cri.call("StopPodSandbox", { podSandboxId: pod });
        await cri.call("RemovePodSandbox", { podSandboxId: pod });
        for (let i = 0; i < 100 && vmms().length; i++) await Bun.sleep(100);
        expect(vmms()).toEqual([]);
        // The VM's host cgroup went with it (the pod's cgroup parent is kubelet's: here the test's).
        expect(existsSync(`/sys/fs/cgroup/memory${cgroupParent}/${pod}`)).toBe(false);
        for (const h of hierarchies()) rmdirSync(join(h.mount, cgroupParent));
      },
      T,
    );
  });
}
