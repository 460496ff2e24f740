// Pods: which containers share one shim and one VM (docs/SHIM.md "Pods"). As containerd's runc
// shim groups a pod's containers under one shim by the CRI's sandbox id, runm groups them under
// one shim whose VM runs them all: the group is the CRI sandbox id, else runm's own annotation
// (for ctr users), else the container's id (a container alone in its VM).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CRI_SANDBOX_ID_ANNOTATION, SANDBOX_ANNOTATION } from "../lib/constants.ts";
import { invalidArgument } from "../lib/errors.ts";

/** A group name is hashed into the shim's socket path and the VM's id: any printable id will do. */
const GROUP = /^[\x21-\x7e]{1,128}$/;

export function groupOf(id: string, annotations: Record<string, string> | undefined): string {
  for (const key of [CRI_SANDBOX_ID_ANNOTATION, SANDBOX_ANNOTATION]) {
    const v = annotations?.[key];
    if (v === undefined) continue;
    if (!GROUP.test(v))
      throw invalidArgument(`annotation ${key} ${JSON.stringify(v.slice(0, 40))} is not a sandbox id`, {
        hint: "name the sandbox with 1-128 printable characters, no spaces (the first container's id)",
      });
    return v;
  }
  return id;
}

/** What `start` reads of a bundle's config.json: the group, and whether it names a network. */
export interface BundleSpec {
  annotations?: Record<string, string>;
  linux?: { namespaces?: { type: string; path?: string }[] };
}

/**
 * The config.json of the bundle `start` was given, read once; undefined when there is none or it
 * is not JSON (the container is then its own group; Create reads it again and says what is wrong).
 */
export function readBundleSpec(bundle: string): BundleSpec | undefined {
  const config = join(bundle, "config.json");
  if (!existsSync(config)) return undefined;
  try {
    return JSON.parse(readFileSync(config, "utf8")) as BundleSpec;
  } catch {
    return undefined;
  }
}
