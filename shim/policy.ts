// What a container may ask of its sandbox, decided by the operator (Kata's enable_annotations):
//  - annotations that widen the sandbox (more vCPUs or memory, published ports, reaching a host
//    loopback port, virtio-fs) are honoured only when [policy] allow_annotations lists them, and a
//    denied one fails Create in one line naming it and the option that allows it;
//  - vCPUs and memory, asked for or derived from the spec's linux.resources, are capped by
//    max_cpus / max_memory;
//  - OCI hooks that run on the host (shim/hooks.ts) run only for programs allow_host_hooks lists;
//  - spec fields that name host resources are refused: a namespace `path` (a host namespace
//    means nothing in the guest; a pod's container may name one of a container in its own VM)
//    and linux.devices (host device nodes).
// The policy comes from runm.toml [policy] and from containerd's runtime options (both written
// by the operator: the CRI config, or `ctr run --runtime-config-path`).
import { availableParallelism, totalmem } from "node:os";
import { RUNM_ANNOTATIONS } from "../lib/constants.ts";
import { invalidArgument, permissionDenied } from "../lib/errors.ts";
import { joinsPodNamespace } from "../lib/oci/pod-namespaces.ts";

export interface Policy {
  /** Annotation keys a container may set (none by default). */
  allowAnnotations: string[];
  /** Programs (absolute paths) a spec's runtime-namespace hooks may run on the host (none by default). */
  allowHostHooks: string[];
  maxCpus: number;
  maxMemoryMiB: number;
}

export const DEFAULT_POLICY: Policy = {
  allowAnnotations: [],
  allowHostHooks: [],
  maxCpus: availableParallelism(),
  maxMemoryMiB: Math.floor(totalmem() / 2 ** 20 / 2),
};

/** Refuse every runm annotation the policy does not allow, naming the first one found. */
export function checkAnnotations(a: Record<string, string> | undefined, p: Policy): void {
  for (const key of RUNM_ANNOTATIONS) {
    if (a?.[key] === undefined || p.allowAnnotations.includes(key)) continue;
    throw permissionDenied(`annotation ${key} is not allowed by the runtime's policy`, {
      hint: `allow it with allow_annotations = ["${key}"] under [policy] in runm.toml (or the runtime options)`,
    });
  }
}

export interface ContainerResources {
  memory?: { limit?: number };
  cpu?: { quota?: number; period?: number };
}

interface LinuxSpec {
  namespaces?: { type: string; path?: string }[];
  devices?: { path?: string }[];
  resources?: ContainerResources;
}

/**
 * Spec fields that name host resources: refused, one line each. A pod's later container may name
 * the pid, ipc or uts namespace of a container in its own VM (`/proc/PID/ns/TYPE`, PID being that
 * container's guest pid, which is what containerd was told): runc joins it inside the guest.
 * `podPids`: the init pids of the containers already in this VM.
 */
export function checkSpec(linux: LinuxSpec | undefined, podPids: number[] = []): void {
  for (const ns of linux?.namespaces ?? []) {
    if (!ns.path || ns.type === "network") continue;
    if (joinsPodNamespace(ns, podPids)) continue;
    throw invalidArgument(
      `the ${ns.type} namespace path ${ns.path} names a namespace outside this container's VM, which runm cannot join`,
      {
        hint: podPids.length
          ? `a pod's container may join only the pid, ipc or uts namespace of another container in its VM (/proc/PID/ns/TYPE, PID one of ${podPids.join(", ")})`
          : "drop linux.namespaces[].path: each runm container gets its own namespaces in its VM",
      },
    );
  }
  const dev = linux?.devices?.[0];
  if (dev)
    throw invalidArgument(`the host device ${dev.path ?? "(unnamed)"} cannot be given to a runm container`, {
      hint: "drop linux.devices (and --device): the container runs in a VM with its own devices",
    });
}

/**
 * CRI's pod-level resources on the pod's sandbox container (containerd sets them from the pod's
 * PodSandboxConfig, the sum of its containers' limits), as the spec resources they size the VM
 * by: undefined when there are none. A value that is not a plain number is refused.
 */
export function podResources(a: Record<string, string> | undefined): ContainerResources | undefined {
  const num = (key: string): number | undefined => {
    const v = a?.[`io.kubernetes.cri.sandbox-${key}`];
    if (v === undefined) return undefined;
    if (!/^-?\d{1,19}$/.test(v))
      throw invalidArgument(
        `annotation io.kubernetes.cri.sandbox-${key}=${JSON.stringify(v)} is not a number`,
        {
          hint: "CRI sets it from the pod's resources: give it a whole number",
        },
      );
    return Number(v);
  };
  const limit = num("memory");
  const quota = num("cpu-quota");
  const period = num("cpu-period");
  if (limit === undefined && quota === undefined) return undefined;
  return { memory: { limit }, cpu: { quota, period } };
}

/** Guest memory the agent, kernel and page cache take besides the container's own limit. */
export const GUEST_OVERHEAD_MIB = 192;

/**
 * The VM size for a spec: at least `base`, grown to hold the container's memory limit (rounded
 * up to a power of two, so a few sizes cover every limit and share templates) and its CPU quota;
 * capped by the policy.
 */
export function sizeVm(
  base: { cpus: number; memoryMiB: number },
  resources: LinuxSpec["resources"],
  p: Policy,
): { cpus: number; memoryMiB: number } {
  let memoryMiB = base.memoryMiB;
  const limit = resources?.memory?.limit;
  if (limit && limit > 0) {
    const want = Math.ceil(limit / 2 ** 20) + GUEST_OVERHEAD_MIB;
    memoryMiB = Math.max(memoryMiB, 2 ** Math.ceil(Math.log2(want)));
  }
  let cpus = base.cpus;
  const quota = resources?.cpu?.quota;
  const period = resources?.cpu?.period || 100_000;
  if (quota && quota > 0) cpus = Math.max(cpus, Math.ceil(quota / period));
  return { cpus: Math.min(cpus, p.maxCpus), memoryMiB: Math.min(memoryMiB, p.maxMemoryMiB) };
}
