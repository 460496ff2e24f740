// How big a VM to boot and with what: defaults from runm.toml, then containerd's runtime options
// (runtimeoptions.v1.Options → a TOML file or body with a [shim] table), then the container's OCI
// annotations io.containerd.runm.cpus / io.containerd.runm.memory (MiB).
import { readFileSync } from "node:fs";
import { loadConfig } from "../lib/config.ts";
import {
  ANNOTATION_CPUS,
  ANNOTATION_MEMORY,
  ANNOTATION_SHARE,
  GUEST_ARCHES,
  type GuestArch,
  type GuestRuntime,
  HOST_LOOPBACK_ANNOTATION,
  PUBLISH_ANNOTATION,
} from "../lib/constants.ts";
import { type AnyValue, codec } from "../lib/containerd/protos.ts";
import { invalidArgument, messageOf, permissionDenied } from "../lib/errors.ts";
import { DEFAULT_VM_CPUS, DEFAULT_VM_MEMORY_MIB } from "../lib/vm/defaults.ts";
import type { ShareKind, VmPortForward } from "../lib/vm/vm-interface.ts";
import { checkHostHooks, type OciHooks } from "./hooks.ts";
import {
  type ContainerResources,
  checkAnnotations,
  DEFAULT_POLICY,
  type Policy,
  podResources,
  sizeVm,
} from "./policy.ts";

export interface ShimOptions {
  cpus: number;
  memoryMiB: number;
  accel: "auto" | "kvm" | "tcg" | "hvf";
  /** Guest image manifest (default: the built or installed one of `guestArch`). */
  guestManifest?: string;
  /**
   * The guest's arch (default: the host's). Another arch's guest is emulated: an x86_64 host runs
   * linux/arm64 images in real arm64 VMs (`ctr run --platform linux/arm64`).
   */
  guestArch?: GuestArch;
  shareKind: ShareKind;
  bootTimeoutMs: number;
  /** Host 127.0.0.1 ports forwarded to guest ports (the publish annotation). */
  ports: VmPortForward[];
  /** Host loopback ports the guest may reach through the gateway (the host-loopback annotation). */
  hostLoopbackPorts: number[];
  /** Start from a VM template when the shape allows (false: always boot). */
  template: boolean;
  /** The OCI runtime in the guest. */
  guestRuntime: GuestRuntime;
  /**
   * Keep a spare shim with a warm VM for the next container (shim/spare.ts): faster starts for an
   * idle VM's memory (≈ 300 MiB PSS alone, part of it the template's shared file) held per
   * containerd namespace.
   */
  spare: boolean;
}

export const DEFAULT_OPTIONS: ShimOptions = {
  cpus: DEFAULT_VM_CPUS,
  memoryMiB: DEFAULT_VM_MEMORY_MIB,
  accel: "auto",
  shareKind: "9p",
  // Generous: under TCG on a loaded host a cold guest agent has taken over 60 s to answer.
  bootTimeoutMs: 180_000,
  ports: [],
  hostLoopbackPorts: [],
  template: true,
  guestRuntime: "runc",
  spare: false,
};

const RUNTIME_OPTIONS = codec("runtimeoptions.v1.Options");

const KEYS: Record<string, keyof ShimOptions> = {
  cpus: "cpus",
  memory: "memoryMiB",
  memory_mib: "memoryMiB",
  accel: "accel",
  guest_manifest: "guestManifest",
  share: "shareKind",
  boot_timeout_ms: "bootTimeoutMs",
  template: "template",
  guest_runtime: "guestRuntime",
  arch: "guestArch",
  spare: "spare",
};

/** Runtime options: the [shim] table (or top-level keys) and the operator's [policy] table. */
export interface RuntimeOptions {
  shim: Partial<ShimOptions>;
  policy: Partial<Policy>;
}

const POLICY_KEYS: Record<string, keyof Policy> = {
  allow_annotations: "allowAnnotations",
  allow_host_hooks: "allowHostHooks",
  max_cpus: "maxCpus",
  max_memory: "maxMemoryMiB",
};

/** Parse the TOML runm's runtime options use: `[shim]` (or top-level) cpus, memory, ...; `[policy]`. */
export function parseOptionsToml(text: string, where: string): RuntimeOptions {
  let raw: Record<string, unknown>;
  try {
    raw = Bun.TOML.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw invalidArgument(`${where}: not valid TOML: ${messageOf(e)}`, {
      hint: "fix the runtime options file",
    });
  }
  const { policy: rawPolicy, ...rest } = raw;
  const table = (rest.shim as Record<string, unknown> | undefined) ?? rest;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(table)) {
    const key = KEYS[k];
    if (!key)
      throw invalidArgument(`${where}: unknown option ${k}`, {
        hint: `known: ${Object.keys(KEYS).join(", ")}, and [policy] ${Object.keys(POLICY_KEYS).join(", ")}`,
      });
    out[key] = v;
  }
  return { shim: validate(out as Partial<ShimOptions>, where), policy: parsePolicy(rawPolicy, where) };
}

export function parsePolicy(raw: unknown, where: string): Partial<Policy> {
  const out: Partial<Policy> = {};
  for (const [k, v] of Object.entries((raw as Record<string, unknown> | undefined) ?? {})) {
    const key = POLICY_KEYS[k];
    if (!key)
      throw invalidArgument(`${where}: unknown policy option ${k}`, {
        hint: `known: ${Object.keys(POLICY_KEYS).join(", ")}`,
      });
    if (key === "allowAnnotations") {
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
        throw invalidArgument(`${where}: allow_annotations must be a list of annotation names`);
      out.allowAnnotations = v as string[];
    } else if (key === "allowHostHooks") {
      if (!Array.isArray(v) || v.some((x) => typeof x !== "string" || !x.startsWith("/")))
        throw invalidArgument(`${where}: allow_host_hooks must be a list of absolute program paths`);
      out.allowHostHooks = v as string[];
    } else {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
        throw invalidArgument(`${where}: ${k} must be a positive integer`);
      out[key] = v;
    }
  }
  return out;
}

function validate(o: Partial<ShimOptions>, where: string): Partial<ShimOptions> {
  const posInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0;
  if (o.cpus !== undefined && !posInt(o.cpus))
    throw invalidArgument(`${where}: cpus must be a positive integer`);
  if (o.memoryMiB !== undefined && (!posInt(o.memoryMiB) || o.memoryMiB < 64))
    throw invalidArgument(`${where}: memory must be an integer number of MiB ≥ 64`);
  if (o.accel !== undefined && !["auto", "kvm", "tcg", "hvf"].includes(o.accel))
    throw invalidArgument(`${where}: accel must be auto, kvm, tcg or hvf`);
  if (o.shareKind !== undefined && !["9p", "virtiofs"].includes(o.shareKind))
    throw invalidArgument(`${where}: share must be 9p or virtiofs`);
  if (o.guestRuntime !== undefined && !["runc", "crun"].includes(o.guestRuntime))
    throw invalidArgument(`${where}: guest_runtime must be runc or crun`);
  if (o.guestArch !== undefined && !(GUEST_ARCHES as readonly string[]).includes(o.guestArch))
    throw invalidArgument(`${where}: arch must be one of ${GUEST_ARCHES.join(", ")}`);
  if (o.template !== undefined && typeof o.template !== "boolean")
    throw invalidArgument(`${where}: template must be true or false`);
  if (o.spare !== undefined && typeof o.spare !== "boolean")
    throw invalidArgument(`${where}: spare must be true or false`);
  return o;
}

/** Options from containerd's CreateTaskRequest.options (runtimeoptions.v1.Options), if any. */
export function fromRuntimeOptions(any: AnyValue | null | undefined): RuntimeOptions {
  const none = { shim: {}, policy: {} };
  if (!any || any.value.length === 0) return none;
  if (!any.typeUrl.endsWith("runtimeoptions.v1.Options")) return none;
  const o = RUNTIME_OPTIONS.decode(any.value);
  if (o.configBody?.length)
    return parseOptionsToml(new TextDecoder().decode(o.configBody), "runtime options body");
  if (o.configPath) {
    let text: string;
    try {
      text = readFileSync(o.configPath, "utf8");
    } catch (e) {
      throw invalidArgument(`cannot read runtime options ${o.configPath}: ${messageOf(e)}`, {
        hint: "fix ConfigPath in containerd's runtime options",
      });
    }
    return parseOptionsToml(text, o.configPath);
  }
  return none;
}
export function fromAnnotations(a: Record<string, string> | undefined): Partial<ShimOptions> {
  const out: Partial<ShimOptions> = {};
  const num = (key: string) => {
    const v = a?.[key];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0)
      throw invalidArgument(`annotation ${key}="${v}" must be a positive integer`);
    return n;
  };
  const cpus = num(ANNOTATION_CPUS);
  const mem = num(ANNOTATION_MEMORY);
  if (cpus !== undefined) out.cpus = cpus;
  if (mem !== undefined) out.memoryMiB = mem;
  const share = a?.[ANNOTATION_SHARE];
  if (share !== undefined) out.shareKind = share as ShareKind;
  const publish = a?.[PUBLISH_ANNOTATION];
  if (publish) out.ports = parsePublish(publish);
  const loopback = a?.[HOST_LOOPBACK_ANNOTATION];
  if (loopback)
    out.hostLoopbackPorts = loopback.split(",").map((p) => port(p.trim(), HOST_LOOPBACK_ANNOTATION));
  return validate(out, "annotations");
}

function port(v: string, where: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw invalidArgument(`${where}: "${v}" is not a port number`, { hint: "use 1-65535" });
  return n;
}

/** "127.0.0.1:8080:80/tcp,9000:90" → forwards. Only loopback and TCP: runm never listens elsewhere. */
export function parsePublish(v: string): VmPortForward[] {
  return v.split(",").map((entry) => {
    const [spec, proto = "tcp"] = entry.trim().split("/") as [string, string?];
    const parts = spec.split(":");
    const ip = parts.length === 3 ? parts[0] : "127.0.0.1";
    if (ip !== "127.0.0.1" || proto !== "tcp" || parts.length < 2 || parts.length > 3)
      throw invalidArgument(`${PUBLISH_ANNOTATION}: cannot publish "${entry}"`, {
        hint: "use [127.0.0.1:]HOST:GUEST[/tcp]; runm publishes TCP on the host's loopback only",
      });
    return {
      hostPort: port(parts.at(-2) as string, PUBLISH_ANNOTATION),
      guestPort: port(parts.at(-1) as string, PUBLISH_ANNOTATION),
    };
  });
}

/**
 * The options for one container: runm.toml, then the runtime options, then the container's
 * annotations as far as the policy allows them, then its spec's linux.resources; vCPUs and memory
 * capped by the policy.
 */
export function resolveOptions(
  runtime: AnyValue | null | undefined,
  spec: {
    annotations?: Record<string, string>;
    linux?: { resources?: ContainerResources };
    hooks?: OciHooks;
  },
): ShimOptions {
  const cfg = loadConfig();
  const rt = fromRuntimeOptions(runtime);
  const policy: Policy = {
    ...DEFAULT_POLICY,
    ...parsePolicy(cfg.policy, "runm.toml"),
    ...rt.policy,
  };
  checkAnnotations(spec.annotations, policy);
  checkHostHooks(spec.hooks, policy.allowHostHooks);
  const vm = cfg.vm ?? {};
  const asked = fromAnnotations(spec.annotations);
  for (const [what, n, max] of [
    ["vCPUs", asked.cpus, policy.maxCpus],
    ["MiB of memory", asked.memoryMiB, policy.maxMemoryMiB],
  ] as const) {
    if (n !== undefined && n > max)
      throw permissionDenied(
        `the container asks for ${n} ${what}; the runtime's policy allows at most ${max}`,
        {
          hint: "ask for less, or raise max_cpus / max_memory under [policy] in runm.toml",
        },
      );
  }
  const o: ShimOptions = {
    ...DEFAULT_OPTIONS,
    ...(vm.cpus ? { cpus: vm.cpus } : {}),
    ...(vm.memory ? { memoryMiB: vm.memory } : {}),
    ...(vm.accel ? { accel: vm.accel } : {}),
    ...(vm.spare !== undefined ? { spare: vm.spare } : {}),
    ...rt.shim,
    ...asked,
  };
  // A pod's VM holds all its containers: the pod's limits (CRI's) when its sandbox gives them.
  const resources = podResources(spec.annotations) ?? spec.linux?.resources;
  return { ...o, ...sizeVm(o, resources, policy) };
}
