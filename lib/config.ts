// Optional runm.toml in the config dir. Unknown keys and wrong types are errors that name the
// file and the key, so a typo never silently does nothing.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { invalidArgument, messageOf } from "./errors.ts";
import { dirs } from "./paths.ts";

export interface RunmConfig {
  kernel?: { source?: string };
  vm?: {
    cpus?: number;
    memory?: number;
    accel?: "auto" | "kvm" | "tcg" | "hvf";
    /** The unprivileged user the VMM runs as (default runm-vmm). */
    user?: string;
    /** Keep a warm spare VM per containerd namespace (the runtime option `spare`, host-wide). */
    spare?: boolean;
  };
  /** What containers may widen (shim/policy.ts). */
  policy?: {
    allow_annotations?: string[];
    allow_host_hooks?: string[];
    max_cpus?: number;
    max_memory?: number;
  };
}

type FieldType = "string" | "number" | "boolean" | "string[]";
const SCHEMA: Record<string, Record<string, FieldType>> = {
  kernel: { source: "string" },
  vm: { cpus: "number", memory: "number", accel: "string", user: "string", spare: "boolean" },
  policy: {
    allow_annotations: "string[]",
    allow_host_hooks: "string[]",
    max_cpus: "number",
    max_memory: "number",
  },
};

const hasType = (v: unknown, t: FieldType) =>
  t === "string[]" ? Array.isArray(v) && v.every((x) => typeof x === "string") : typeof v === t;

export function parseConfig(text: string, file: string): RunmConfig {
  let raw: unknown;
  try {
    raw = Bun.TOML.parse(text);
  } catch (e) {
    throw invalidArgument(`${file} is not valid TOML: ${messageOf(e)}`, {
      hint: "fix the syntax or remove the file",
    });
  }
  const obj = raw as Record<string, unknown>;
  for (const [section, value] of Object.entries(obj)) {
    const keys = SCHEMA[section];
    if (!keys)
      throw invalidArgument(`${file}: unknown section [${section}]`, {
        hint: `known: ${Object.keys(SCHEMA).join(", ")}`,
      });
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const want = keys[key];
      if (!want)
        throw invalidArgument(`${file}: unknown key ${section}.${key}`, {
          hint: `known: ${Object.keys(keys).join(", ")}`,
        });
      if (!hasType(v, want)) throw invalidArgument(`${file}: ${section}.${key} must be a ${want}`);
    }
  }
  return obj as RunmConfig;
}

export function configPath(): string {
  return join(dirs().config, "runm.toml");
}

export function loadConfig(path = configPath()): RunmConfig {
  if (!existsSync(path)) return {};
  return parseConfig(readFileSync(path, "utf8"), path);
}
