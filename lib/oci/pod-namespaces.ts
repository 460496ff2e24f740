// The one rule for a spec naming an existing namespace, checked by the shim (shim/policy.ts) and
// again by the guest agent (agent/container.ts): only to share the pid, ipc or uts namespace of a
// container in the same VM (a pod), as `/proc/PID/ns/TYPE` with PID that container's guest pid
// (what containerd was told). Never the agent's own namespaces, the guest's mount namespace or a
// user namespace.

/** Whether `ns` joins the pid, ipc or uts namespace of one of `containerPids`. */
export function joinsPodNamespace(ns: { type: string; path?: string }, containerPids: number[]): boolean {
  const m = /^\/proc\/(\d+)\/ns\/(pid|ipc|uts)$/.exec(ns.path ?? "");
  return m !== null && m[2] === ns.type && containerPids.includes(Number(m[1]));
}
