// The one rule for a spec naming an existing namespace, checked by the shim (shim/policy.ts) and
// again by the guest agent (agent/container.ts): only to share the pid, ipc or uts namespace of a
// container in the same VM (a pod), as `/proc/PID/ns/TYPE` with PID that container's guest pid
// (what containerd was told). Never the agent's own namespaces, the guest's mount namespace or a
// user namespace. The network is the VM's whole (the shim drops it from every spec): a pod's later
// container naming a sibling's, as CRI does, is in it already (joinsPodNetwork).

/** Each spec namespace type a container may share with a sibling, as /proc/PID/ns/ names it. */
const PROC_NAME: Record<string, string> = { pid: "pid", ipc: "ipc", uts: "uts", network: "net" };

function joinsSibling(ns: { type: string; path?: string }, containerPids: number[]): boolean {
  const m = /^\/proc\/(\d+)\/ns\/([a-z]+)$/.exec(ns.path ?? "");
  return m !== null && PROC_NAME[ns.type] === m[2] && containerPids.includes(Number(m[1]));
}

/** Whether `ns` joins the pid, ipc or uts namespace of one of `containerPids`. */
export function joinsPodNamespace(ns: { type: string; path?: string }, containerPids: number[]): boolean {
  return ns.type !== "network" && joinsSibling(ns, containerPids);
}

/** The network namespace path a spec names (a CNI pod's, or a sibling's), if it names one. */
export function networkNamespacePath(
  linux: { namespaces?: { type: string; path?: string }[] } | undefined,
): string | undefined {
  return linux?.namespaces?.find((n) => n.type === "network")?.path || undefined;
}

/** Whether `ns` names the network namespace of one of `containerPids`: the VM's, the pod's. */
export function joinsPodNetwork(ns: { type: string; path?: string }, containerPids: number[]): boolean {
  return ns.type === "network" && joinsSibling(ns, containerPids);
}
