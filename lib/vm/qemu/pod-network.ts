// A pod's CNI network, given to its VM the way Kata does it ("tcfilter"): CNI has put an interface
// (eth0, a veth into its bridge) into the pod's network namespace; runm adds a tap device there
// for QEMU and joins the two with tc: every frame arriving on eth0 is redirected out of the tap
// (into the guest), every frame the guest sends out of eth0. The guest's eth0 then takes the CNI
// interface's MAC, MTU, addresses and routes (lib/net/guest-network.ts), so the pod IP answers
// from the VM and nothing else in the namespace sees a packet. QEMU runs inside that namespace
// (jail.ts) to open the tap, which belongs to the VMM's user.
//
// The namespace path comes from a container spec: hostile. Only a named network namespace
// (/run/netns/NAME, where CNI runtimes and `ip netns` keep them) that is not the host's own, holding
// nothing but lo and eth0, is wired; /proc/PID/ns/net (another process's network) never is.
import { lstatSync, realpathSync, statSync } from "node:fs";
import { failedPrecondition, invalidArgument } from "../../errors.ts";
import { run } from "../../exec.ts";
import { logger } from "../../log.ts";
import { checkGuestNetwork, type GuestNetwork, type GuestRoute } from "../../net/guest-network.ts";
import { requireTool } from "../../tools.ts";

const log = logger("pod-network");
/** The interface CNI runtimes create in a pod's namespace (containerd's CRI: always eth0). */
export const CNI_IFNAME = "eth0";
/** The tap QEMU opens, one per pod namespace (a pod has one VM). */
export const POD_TAP = "runm0";
const NETNS_DIR = "/run/netns";
const NETNS_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export interface PodNetns {
  /** Its name under /run/netns (what `ip -n` and `tc -n` take). */
  name: string;
  path: string;
}

/**
 * The named network namespace a spec's `linux.namespaces[network].path` points at, or a one-line
 * refusal: a path outside /run/netns, a file that is not a namespace, the host's own namespace.
 */
export function podNetns(path: string): PodNetns {
  const refuse = (why: string) =>
    invalidArgument(`network namespace ${JSON.stringify(path)}: ${why}`, {
      hint: `give a named network namespace (${NETNS_DIR}/NAME, as CNI runtimes and "ip netns add" make) or none`,
    });
  let real = "";
  try {
    real = realpathSync(path);
  } catch {
    // /proc/PID/ns/net resolves to no path at all ("net:[4026531840]").
    if (!lexists(path)) throw refuse("does not exist");
  }
  const name = real.startsWith(`${NETNS_DIR}/`) ? real.slice(NETNS_DIR.length + 1) : "";
  if (!NETNS_NAME.test(name)) throw refuse(`is not a named namespace in ${NETNS_DIR}`);
  const ns = statSync(real);
  const host = statSync("/proc/self/ns/net");
  if (ns.dev === host.dev && ns.ino === host.ino) throw refuse("is the host's own network");
  // A namespace bind mount is an nsfs file: the same device as /proc/self/ns/* (a plain file at
  // the path, or a mount not done yet, is refused).
  if (ns.dev !== host.dev) throw refuse("is not a network namespace (not mounted)");
  return { name, path: real };
}

function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The pod's wiring, as the VM uses it. */
export interface PodNetwork {
  netns: PodNetns;
  tap: string;
  /** What the guest's eth0 takes over; none for a template's bare tap. */
  guest?: GuestNetwork;
}

interface IpLink {
  ifname: string;
  link_type?: string;
  address?: string;
  mtu?: number;
}
interface IpAddr {
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  protocol?: string;
}

async function ipJson<T>(netns: PodNetns, args: string[]): Promise<T[]> {
  const r = await run("ip", ["-n", netns.name, "-j", ...args], { what: "reading the pod's network" });
  return (JSON.parse(r.stdout || "[]") as T[]) ?? [];
}

/**
 * What CNI gave the pod: eth0's MAC, MTU, global addresses and its routes but the connected ones
 * (which come with the addresses). Undefined when the namespace has no interface but lo (no CNI:
 * the VM keeps its user-mode network); refused when it holds anything else.
 */
export async function readPodNetwork(netns: PodNetns): Promise<GuestNetwork | undefined> {
  const links = (await ipJson<IpLink>(netns, ["link", "show"])).filter((l) => l.link_type !== "loopback");
  if (links.length === 0) return undefined;
  const names = links.map((l) => l.ifname).sort();
  if (names.includes(POD_TAP))
    throw failedPrecondition(`network namespace ${netns.name} already has a runm VM (its ${POD_TAP} tap)`, {
      hint: "one VM per pod network: the pod's later containers join its VM",
    });
  if (names.length !== 1 || names[0] !== CNI_IFNAME)
    throw failedPrecondition(
      `network namespace ${netns.name} holds ${names.join(", ")}: runm wires only a pod namespace with lo and ${CNI_IFNAME}`,
      { hint: `give the pod its own namespace with one CNI interface named ${CNI_IFNAME}` },
    );
  const eth = links[0] as IpLink;
  const addrs = (await ipJson<IpAddr>(netns, ["addr", "show", "dev", CNI_IFNAME]))
    .flatMap((a) => a.addr_info ?? [])
    .filter((a) => a.scope === "global")
    .map((a) => `${a.local}/${a.prefixlen}`);
  const routes: GuestRoute[] = [];
  for (const family of ["-4", "-6"]) {
    for (const r of await ipJson<IpRoute>(netns, [family, "route", "show", "dev", CNI_IFNAME])) {
      if (r.protocol === "kernel" || r.dst.startsWith("fe80:") || r.dst.startsWith("ff00:")) continue;
      routes.push({ destination: r.dst, gateway: r.gateway ?? "" });
    }
  }
  return checkGuestNetwork({ mac: eth.address ?? "", mtu: eth.mtu ?? 0, addresses: addrs, routes });
}

const inNetns = (tool: "ip" | "tc", netns: PodNetns, args: string[]) =>
  run(tool, ["-n", netns.name, ...args], { what: `wiring the pod network in ${netns.name}` });

/** Every frame arriving on `from` leaves by `to` (tc's mirred, on `from`'s ingress qdisc). */
const REDIRECT = (from: string, to: string) =>
  `filter add dev ${from} parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev ${to}`.split(
    " ",
  );

/** The tap QEMU opens: persistent, the VMM user's (it attaches without privileges), up. */
async function addTap(netns: PodNetns, owner: { uid: number; gid: number }, mtu: number): Promise<void> {
  const user = ["user", String(owner.uid), "group", String(owner.gid)];
  await inNetns("ip", netns, ["tuntap", "add", "dev", POD_TAP, "mode", "tap", ...user]);
  try {
    await inNetns("ip", netns, ["link", "set", "dev", POD_TAP, "mtu", String(mtu), "up"]);
  } catch (e) {
    unwirePodNetwork(netns.name, { tap: true, ingress: false });
    throw e;
  }
}

/**
 * Wire the pod's namespace for its VM: the tap (owned by the VMM's user, so QEMU opens it without
 * privileges) and the two redirects. Undefined when the namespace has no CNI interface. On a
 * failure whatever was added is taken back.
 */
export async function wirePodNetwork(
  netns: PodNetns,
  owner: { uid: number; gid: number },
): Promise<PodNetwork | undefined> {
  const guest = await readPodNetwork(netns);
  if (!guest) return undefined;
  let tapAdded = false;
  let ingressAdded = false;
  try {
    await addTap(netns, owner, guest.mtu);
    tapAdded = true;
    await inNetns("tc", netns, ["qdisc", "add", "dev", CNI_IFNAME, "ingress"]);
    ingressAdded = true;
    await inNetns("tc", netns, REDIRECT(CNI_IFNAME, POD_TAP));
    await inNetns("tc", netns, ["qdisc", "add", "dev", POD_TAP, "ingress"]);
    await inNetns("tc", netns, REDIRECT(POD_TAP, CNI_IFNAME));
  } catch (e) {
    // Only what this call added: a tap or qdisc that was there before is not ours.
    if (tapAdded || ingressAdded) unwirePodNetwork(netns.name, { tap: tapAdded, ingress: ingressAdded });
    throw failedPrecondition(`cannot wire the pod network in ${netns.name}: ${(e as Error).message}`, {
      hint: `${CNI_IFNAME} must have no ingress qdisc of its own, and ${POD_TAP} must not exist yet`,
      cause: e,
    });
  }
  log.debug(`pod network ${netns.name}: ${guest.addresses.join(" ")} via ${POD_TAP}`);
  return { netns, tap: POD_TAP, guest };
}

/**
 * A template's tap alone, in a scratch namespace of the template builder's: the pod shape's device
 * set (a tap NIC) with nothing behind it, so every pod's VM can be restored from it.
 */
export async function bareTap(netns: PodNetns, owner: { uid: number; gid: number }): Promise<PodNetwork> {
  await addTap(netns, owner, 1500);
  return { netns, tap: POD_TAP };
}

/**
 * Take the wiring back: the tap (its redirect goes with it) and eth0's ingress qdisc (with its
 * redirect). Synchronous, for the exit path; idempotent; a namespace already removed has nothing
 * left to undo.
 */
export function unwirePodNetwork(name: string, what = { tap: true, ingress: true }): void {
  if (!NETNS_NAME.test(name)) return;
  const quiet = { stdin: "ignore", stdout: "ignore", stderr: "ignore" } as const;
  if (what.tap) Bun.spawnSync([requireTool("ip"), "-n", name, "link", "del", "dev", POD_TAP], quiet);
  if (what.ingress)
    Bun.spawnSync([requireTool("tc"), "-n", name, "qdisc", "del", "dev", CNI_IFNAME, "ingress"], quiet);
}
