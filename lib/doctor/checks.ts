// `runm doctor`: each check really runs the tool (a version probe or a test boot) and reports
// ok / missing / unusable with the fix. Required checks decide the exit status.
import { existsSync } from "node:fs";
import { probe } from "../exec.ts";
import { checkInstall } from "../install/check.ts";
import { DEFAULT_INSTALL } from "../install/layout.ts";
import { findTool, installHint } from "../tools.ts";
import { probeAccel } from "../vm/qemu/accel.ts";

export type CheckStatus = "ok" | "missing" | "unusable";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  required: boolean;
  /** Version, path or reason. */
  detail: string;
  fix?: string;
}

interface ToolCheck {
  tool: string;
  args: string[];
  required: boolean;
  /** What runm uses it for, shown when it is missing. */
  for: string;
  /** Pull the version out of the probe's output. */
  version?: (out: string) => string;
}

const firstLine = (s: string) => s.split("\n")[0]?.trim() ?? "";

const LINUX_TOOLS: ToolCheck[] = [
  { tool: "qemu-system-x86_64", args: ["--version"], required: true, for: "booting guests" },
  { tool: "mksquashfs", args: ["-version"], required: true, for: "the mbin squashfs" },
  { tool: "cpio", args: ["--version"], required: true, for: "checking initramfs archives" },
  { tool: "gzip", args: ["--version"], required: true, for: "initramfs compression" },
  { tool: "git", args: ["--version"], required: true, for: "runm forks" },
  { tool: "make", args: ["--version"], required: true, for: "the kernel build" },
  { tool: "gcc", args: ["--version"], required: true, for: "the kernel build" },
  { tool: "flex", args: ["--version"], required: true, for: "the kernel build" },
  { tool: "bison", args: ["--version"], required: true, for: "the kernel build" },
  { tool: "bc", args: ["--version"], required: true, for: "the kernel build" },
  { tool: "busybox", args: ["--help"], required: true, for: "the guest's userland" },
  { tool: "containerd", args: ["--version"], required: true, for: "running containers" },
  { tool: "ctr", args: ["--version"], required: true, for: "driving containerd" },
  { tool: "runc", args: ["--version"], required: true, for: "the guest's OCI runtime" },
  {
    tool: "setpriv",
    args: ["--version"],
    required: true,
    for: "killing VMs when runm dies (parent-death signal)",
  },
  { tool: "socat", args: ["-V"], required: false, for: "guest access to host loopback ports" },
  {
    tool: "aarch64-linux-gnu-gcc",
    args: ["--version"],
    required: false,
    for: "the arm64 kernel (macOS guests)",
  },
  { tool: "qemu-system-aarch64", args: ["--version"], required: false, for: "testing arm64 guests" },
  {
    tool: "qemu-aarch64",
    args: ["--version"],
    required: false,
    for: "building the arm64 guest image on x86_64 (qemu-user runs its busybox)",
  },
  { tool: "debootstrap", args: ["--version"], required: false, for: "Debian test images" },
];

const DARWIN_TOOLS: ToolCheck[] = [
  { tool: "vfkit", args: ["--version"], required: true, for: "booting guests (Virtualization.framework)" },
  { tool: "gvproxy", args: ["--version"], required: true, for: "guest networking" },
  { tool: "codesign", args: ["--help"], required: true, for: "signing vfkit's virtualization entitlement" },
  { tool: "git", args: ["--version"], required: true, for: "runm forks" },
  { tool: "mksquashfs", args: ["-version"], required: true, for: "the mbin squashfs" },
];

async function checkTool(t: ToolCheck): Promise<CheckResult> {
  const path = findTool(t.tool);
  if (!path) {
    return {
      name: t.tool,
      status: "missing",
      required: t.required,
      detail: `needed for ${t.for}`,
      fix: installHint(t.tool),
    };
  }
  const out = await probe(path, t.args);
  if (out === null) {
    return {
      name: t.tool,
      status: "unusable",
      required: t.required,
      detail: `${path} failed to run ${t.args.join(" ")}`,
      fix: installHint(t.tool),
    };
  }
  return { name: t.tool, status: "ok", required: t.required, detail: (t.version ?? firstLine)(out) || path };
}

function checkBun(): CheckResult {
  const v = Bun.version;
  const [major = 0, minor = 0] = v.split(".").map(Number);
  const ok = major > 1 || (major === 1 && minor >= 2);
  return ok
    ? { name: "bun", status: "ok", required: true, detail: v }
    : {
        name: "bun",
        status: "unusable",
        required: true,
        detail: `${v} is older than 1.2`,
        fix: "npm install -g bun@latest",
      };
}

async function checkAccels(): Promise<CheckResult[]> {
  const qemu = findTool("qemu-system-x86_64");
  if (!qemu) return [];
  const [kvm, tcg] = await Promise.all([probeAccel(qemu, "kvm"), probeAccel(qemu, "tcg")]);
  return [
    {
      name: "accel kvm",
      status: kvm.usable ? "ok" : "unusable",
      required: false,
      detail: kvm.reason,
      ...(kvm.usable
        ? {}
        : { fix: "guests run under TCG (slower); use a host with working nested KVM for speed" }),
    },
    {
      name: "accel tcg",
      status: tcg.usable ? "ok" : "unusable",
      required: !kvm.usable,
      detail: tcg.reason,
      ...(tcg.usable ? {} : { fix: installHint("qemu-system-x86_64") }),
    },
  ];
}

function checkVirtiofsd(): CheckResult {
  const candidates = ["/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd"];
  const found = findTool("virtiofsd") ?? candidates.find((p) => existsSync(p));
  return found
    ? { name: "virtiofsd", status: "ok", required: false, detail: found }
    : {
        name: "virtiofsd",
        status: "missing",
        required: false,
        detail: "directory shares fall back to 9p",
        fix: "apt-get install qemu-system-common (ships /usr/lib/qemu/virtiofsd on Debian 12)",
      };
}

/** runm as a runtime of the host's containerd (runm install), optional: dev use needs none. */
function checkInstalled(prefix: string): CheckResult {
  return { name: "runm install", required: false, ...checkInstall(prefix) };
}

export async function runChecks(
  platform: NodeJS.Platform = process.platform,
  installPrefix = DEFAULT_INSTALL.prefix,
): Promise<CheckResult[]> {
  if (platform === "darwin") return [checkBun(), ...(await Promise.all(DARWIN_TOOLS.map(checkTool)))];
  const tools = await Promise.all(LINUX_TOOLS.map(checkTool));
  return [checkBun(), ...tools, checkVirtiofsd(), ...(await checkAccels()), checkInstalled(installPrefix)];
}

/** The accelerator guests will use, from the checks (TCG when KVM's test boot failed). */
export function chosenAccel(results: CheckResult[]): string | undefined {
  if (results.find((r) => r.name === "accel kvm")?.status === "ok") return "kvm";
  if (results.find((r) => r.name === "accel tcg")?.status === "ok") return "tcg";
  return undefined;
}

export const failedRequired = (results: CheckResult[]) =>
  results.filter((r) => r.required && r.status !== "ok");
