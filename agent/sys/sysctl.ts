// A container's net.* sysctls, applied to the VM's network. Every container of a VM shares the
// guest's own network namespace (the VM is the isolation boundary; for a CNI pod its eth0 is the
// pod's), which runc counts as the host's and so refuses to touch (containerd 2.x gives every pod
// on a CNI network `net.ipv4.ip_unprivileged_port_start=0`). Set here instead, as runc would set
// them in a network namespace of the container's own (shared by its pod), and taken out of the
// spec. Keys and values come from a spec: only `net.` names of plain words, values without line
// breaks, each an existing /proc/sys file.
import { existsSync, writeFileSync } from "node:fs";
import { invalidArgument } from "../../lib/errors.ts";

const NET_KEY = /^net(\.[A-Za-z0-9_-]+)+$/;

/** Split the spec's sysctls into the network's (returned) and the rest (left for runc). */
export function takeNetSysctls(sysctl: Record<string, string> | undefined): {
  net: Record<string, string>;
  rest: Record<string, string> | undefined;
} {
  const net: Record<string, string> = {};
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(sysctl ?? {})) (k.startsWith("net.") ? net : rest)[k] = v;
  return { net, rest: sysctl === undefined ? undefined : rest };
}

/** Write each net.* sysctl into the VM's network (/proc/sys/net/...). */
export function applyNetSysctls(id: string, net: Record<string, string>, procSys = "/proc/sys"): void {
  for (const [key, value] of Object.entries(net)) {
    if (!NET_KEY.test(key) || /[\r\n\0]/.test(value))
      throw invalidArgument(
        `container ${id}: sysctl ${JSON.stringify(key)}=${JSON.stringify(value)} is not a plain net.* setting`,
      );
    const file = `${procSys}/${key.replaceAll(".", "/")}`;
    if (!existsSync(file)) throw invalidArgument(`container ${id}: the guest kernel has no sysctl ${key}`);
    writeFileSync(file, value);
  }
}
