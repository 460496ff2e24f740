// The network a pod's guest takes over from its CNI interface (issue 14): the MAC, MTU, addresses
// and routes CNI gave `eth0` in the pod's network namespace, which the guest's own eth0 assumes
// once the host redirects that interface's frames to the VM (lib/sandbox/pod-network.ts). Read
// from the host's netns by the shim and applied in the guest by the agent; both check it here, so
// a value that is not a plain address never reaches `ip` on either side.
import { isIP } from "node:net";
import { invalidArgument } from "../errors.ts";

export interface GuestRoute {
  /** "default" or an address with its prefix length (CIDR). */
  destination: string;
  /** The next hop; empty for a route on the link. */
  gateway: string;
}

export interface GuestNetwork {
  /** The CNI interface's MAC (aa:bb:cc:dd:ee:ff): the guest answers ARP with the pod's own. */
  mac: string;
  mtu: number;
  /** Addresses with their prefix lengths (CIDR), IPv4 or IPv6. */
  addresses: string[];
  routes: GuestRoute[];
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** An address with its prefix length: `10.88.0.5/16`, `fd00::5/64`. */
function isCidr(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const family = isIP(s.slice(0, slash));
  const prefix = s.slice(slash + 1);
  if (!family || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/** Refuses, in one line, anything but plain addresses, a unicast MAC and a sane MTU. */
export function checkGuestNetwork(n: GuestNetwork): GuestNetwork {
  const bad = (what: string) =>
    invalidArgument(`pod network: ${what}`, { hint: "the pod's CNI interface must have plain addresses" });
  // The low bit of the first octet marks a multicast MAC, which no interface may take.
  if (!MAC.test(n.mac) || Number.parseInt(n.mac.slice(0, 2), 16) & 1)
    throw bad(`bad MAC ${JSON.stringify(n.mac)}`);
  if (!Number.isInteger(n.mtu) || n.mtu < 576 || n.mtu > 65_535) throw bad(`bad MTU ${n.mtu}`);
  if (n.addresses.length === 0 || n.addresses.length > 16) throw bad(`${n.addresses.length} addresses`);
  for (const a of n.addresses) if (!isCidr(a)) throw bad(`bad address ${JSON.stringify(a)}`);
  if (n.routes.length > 64) throw bad(`${n.routes.length} routes`);
  for (const r of n.routes) {
    if (r.destination !== "default" && !isCidr(r.destination))
      throw bad(`bad route destination ${JSON.stringify(r.destination)}`);
    if (r.gateway && !isIP(r.gateway)) throw bad(`bad gateway ${JSON.stringify(r.gateway)}`);
  }
  return n;
}

/**
 * The `ip` commands (argv after `ip`) that make `dev` the pod's interface: down, forget the
 * template's user-mode addresses and routes, take the pod's MAC and MTU, up, then its addresses
 * and routes (connected routes come with the addresses; the others after, so their gateways are
 * reachable).
 */
export function ipCommands(n: GuestNetwork, dev: string): string[][] {
  checkGuestNetwork(n);
  const family = (cidrOrIp: string) => (cidrOrIp.includes(":") ? "-6" : "-4");
  return [
    ["link", "set", dev, "down"],
    ["addr", "flush", "dev", dev],
    ["-4", "route", "flush", "dev", dev],
    ["link", "set", dev, "address", n.mac, "mtu", String(n.mtu)],
    ["link", "set", dev, "up"],
    ...n.addresses.map((a) => [family(a), "addr", "add", a, "dev", dev]),
    ...n.routes.map((r) => [
      family(r.gateway || r.destination),
      "route",
      "add",
      r.destination,
      ...(r.gateway ? ["via", r.gateway] : []),
      "dev",
      dev,
    ]),
  ];
}
