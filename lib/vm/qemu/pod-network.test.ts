// The pod network's host side through the real thing: named network namespaces, Debian's CNI
// bridge plugin, ip and tc. Every interface lives in a namespace or bridge this file made.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestNetwork, testNetwork } from "../../../test/fixtures/cni.ts";
import {
  CNI_IFNAME,
  POD_TAP,
  podNetns,
  readPodNetwork,
  unwirePodNetwork,
  wirePodNetwork,
} from "./pod-network.ts";

const NS = `runm-pn-${process.pid}`;
const owner = { uid: 999, gid: 995 };
let dir: string;
let net: TestNetwork;
const made: string[] = [];

const sh = (argv: string[]) => {
  const r = Bun.spawnSync(argv, { stderr: "pipe", stdout: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
};
const netns = (suffix: string) => {
  const name = `${NS}-${suffix}`;
  sh(["ip", "netns", "add", name]);
  made.push(name);
  return name;
};
const links = (ns: string) =>
  (
    JSON.parse(sh(["ip", "-n", ns, "-j", "-d", "link", "show"])) as { ifname: string; linkinfo?: object }[]
  ).map((l) => l.ifname);
const ingress = (ns: string, dev: string) => sh(["tc", "-n", ns, "filter", "show", "dev", dev, "ingress"]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "runm-pod-network-"));
  net = testNetwork(dir, 201);
});
afterEach(() => {
  for (const ns of made.splice(0)) Bun.spawnSync(["ip", "netns", "del", ns]);
});
afterAll(() => {
  net.remove();
  rmSync(dir, { recursive: true, force: true });
});

test("only a named namespace that is not the host's is a pod network; everything else is refused in one line", () => {
  const ns = netns("named");
  expect(podNetns(`/var/run/netns/${ns}`)).toEqual({ name: ns, path: `/run/netns/${ns}` });
  expect(() => podNetns("/proc/1/ns/net")).toThrow(/is not a named namespace in \/run\/netns/);
  expect(() => podNetns("/proc/self/ns/net")).toThrow(/is not a named namespace/);
  expect(() => podNetns(`/run/netns/${NS}-missing`)).toThrow(/does not exist/);
  expect(() => podNetns("/run/netns/../../proc/1/ns/net")).toThrow(/is not a named namespace/);
  // A plain file where a namespace should be mounted.
  const fake = `/run/netns/${NS}-file`;
  writeFileSync(fake, "");
  try {
    expect(() => podNetns(fake)).toThrow(/is not a network namespace/);
  } finally {
    rmSync(fake);
  }
  // The host's own network, bind-mounted under a pod-like name.
  const alias = netns("alias");
  sh(["umount", `/run/netns/${alias}`]);
  sh(["mount", "--bind", "/proc/self/ns/net", `/run/netns/${alias}`]);
  expect(() => podNetns(`/run/netns/${alias}`)).toThrow(/is the host's own network/);
});

test("a CNI pod: the guest gets eth0's MAC, MTU, address and gateway; the tap is the VMM user's and both ways are redirected; unwiring leaves what CNI made", async () => {
  const ns = netns("cni");
  const res = await net.add(ns, `${NS}-cni`);
  try {
    const pod = podNetns(`/run/netns/${ns}`);
    const wired = await wirePodNetwork(pod, owner);
    expect(wired?.tap).toBe(POD_TAP);
    expect(wired?.guest).toEqual({
      mac: res.interfaces.find((i) => "sandbox" in i)?.mac ?? "",
      mtu: 1500,
      addresses: [res.ips[0]?.address ?? ""],
      routes: [{ destination: "default", gateway: net.gateway }],
    });
    const tap = JSON.parse(sh(["ip", "-n", ns, "-j", "-d", "link", "show", "dev", POD_TAP]))[0];
    expect(tap.linkinfo.info_data).toMatchObject({ type: "tap", persist: true, user: "runm-vmm" });
    expect(tap.operstate === "UP" || tap.flags.includes("UP")).toBe(true);
    expect(ingress(ns, CNI_IFNAME)).toContain(`Egress Redirect to device ${POD_TAP}`);
    expect(ingress(ns, POD_TAP)).toContain(`Egress Redirect to device ${CNI_IFNAME}`);
    // A second VM in the same pod namespace is refused: one tap, one VM.
    await expect(wirePodNetwork(pod, owner)).rejects.toThrow(/already has a runm VM \(its runm0 tap\)/);
    unwirePodNetwork(ns);
    expect(links(ns).sort()).toEqual([CNI_IFNAME, "lo"]);
    expect(sh(["tc", "-n", ns, "qdisc", "show", "dev", CNI_IFNAME])).not.toContain("ingress");
    unwirePodNetwork(ns); // idempotent
  } finally {
    await net.del(ns, `${NS}-cni`);
  }
});

test("no CNI interface: the user-mode network, nothing added; another interface or an ingress qdisc of someone else's: refused, theirs kept", async () => {
  const empty = netns("empty");
  expect(await wirePodNetwork(podNetns(`/run/netns/${empty}`), owner)).toBeUndefined();
  expect(links(empty)).toEqual(["lo"]);

  const extra = netns("extra");
  sh(["ip", "-n", extra, "link", "add", CNI_IFNAME, "type", "veth", "peer", "name", "other0"]);
  await expect(readPodNetwork(podNetns(`/run/netns/${extra}`))).rejects.toThrow(
    /holds eth0, other0: runm wires only a pod namespace with lo and eth0/,
  );

  const theirs = netns("theirs");
  const res = await net.add(theirs, `${NS}-theirs`);
  try {
    expect(res.ips.length).toBe(1);
    sh(["tc", "-n", theirs, "qdisc", "add", "dev", CNI_IFNAME, "ingress"]);
    await expect(wirePodNetwork(podNetns(`/run/netns/${theirs}`), owner)).rejects.toThrow(
      /cannot wire the pod network in \S+: .*qdisc add dev eth0 ingress/,
    );
    expect(links(theirs).sort()).toEqual([CNI_IFNAME, "lo"]); // our tap went
    expect(sh(["tc", "-n", theirs, "qdisc", "show", "dev", CNI_IFNAME])).toContain("ingress"); // theirs stayed
  } finally {
    await net.del(theirs, `${NS}-theirs`);
  }
});
