// The files `runm install` writes whose content is runm's: the runtime's registration in
// containerd's config (a drop-in its config imports) and the runtime config the shim reads.

/** How runm's runtime gets into containerd's config: a drop-in it imports, or a marked block. */
export type Registration = { edit: "import"; dropIn: string } | { edit: "block"; block: string };

/**
 * The CRI runtime handler `runm` in the schema of containerd `version` ("1.6.20~ds1", "2.1.9"):
 * version 2 for containerd 1.x (CRI is one plugin), version 3 for 2.x (CRI's runtime plugin).
 * containerd 1.6 replaces a plugin's whole table from an imported file, so there the table goes
 * into the config itself (containerd-config-edit.ts). The task runtime io.containerd.runm.v2
 * needs no config: containerd finds containerd-shim-runm-v2 on its PATH.
 */
export function registrationFor(version: string): Registration {
  const [major = 0, minor = 0] = version.split(/[.~+-]/).map(Number);
  const plugin = major >= 2 ? "io.containerd.cri.v1.runtime" : "io.containerd.grpc.v1.cri";
  const table = `[plugins."${plugin}".containerd.runtimes.runm]
  runtime_type = "io.containerd.runm.v2"
`;
  if (major === 1 && minor < 7) return { edit: "block", block: table };
  return {
    edit: "import",
    dropIn: `# Written by runm install; removed by runm uninstall. runm's runtime for containerd's CRI
# (Kubernetes RuntimeClass handler "runm"); ctr and nerdctl use --runtime io.containerd.runm.v2.
version = ${major >= 2 ? 3 : 2}

${table}`,
  };
}

/** /etc/runm/runm.toml as installed: every key optional, the defaults shown commented out. */
export const RUNTIME_CONFIG = `# runm's runtime configuration, read by containerd-shim-runm-v2 for every container.
# Every key is optional; the commented values are the defaults. Unknown keys are errors.

[vm]
# cpus = 1                 # vCPUs per VM (2 on hosts with 4+ cores)
# memory = 512             # MiB per VM
# user = "runm-vmm"        # the unprivileged user every VMM runs as
# spare = false            # keep a warm spare VM per containerd namespace: starts ≈ 2× faster
#                          # under TCG, ≈ 300 MiB held per namespace (docs/SHIM.md "Spare shims")

[policy]
# allow_annotations = []   # runm annotations containers may set (io.containerd.runm.*)
# allow_host_hooks = []    # host programs OCI hooks may run (absolute paths)
# max_cpus = <cores>      # the most vCPUs a container may ask for (default: the host's cores)
# max_memory = <RAM/2>    # the most MiB a container may ask for (default: half the host's RAM)
`;
