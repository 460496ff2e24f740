// Issue 13 through the real thing: `runm install` into a throwaway prefix and /etc, against a
// containerd started on its own config file as a system starts it (the installed shim found on
// its PATH, no RUNM_* variables, no runm checkout on its side), `ctr run --runtime
// io.containerd.runm.v2` through that socket, then `runm uninstall`: the tree is what it was, byte
// for byte.
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { runm } from "../../test/cli.ts";
import { sha256 } from "../build/hash.ts";
import { LOCAL_IMAGE_REFS } from "../constants.ts";
import { containerdFromDebian } from "../containerd/debian-containerd.ts";
import { buildImage } from "../image/build.ts";
import { importImage } from "../image/import.ts";
import { BLOCK_BEGIN, BLOCK_END } from "./containerd-config-edit.ts";
import { installPaths } from "./layout.ts";

setDefaultTimeout(300_000);

const tmp = mkdtempSync(join(tmpdir(), "runm-install-"));
const o = {
  prefix: join(tmp, "usr", "local"),
  sysconfdir: join(tmp, "etc"),
  stateDir: join(tmp, "run", "runm"),
  containerdConfig: join(tmp, "etc", "containerd", "config.toml"),
};
const ctd = join(tmp, "var", "containerd");
const address = join(ctd, "containerd.sock");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The host's containerd config as Debian ships it, pointed at a private root and socket.
const CONFIG = `version = 2
root = "${ctd}/root"
state = "${ctd}/state"

[grpc]
  address = "${address}"

[ttrpc]
  address = "${address}.ttrpc"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
`;

/** Every file and dir under the install's roots, with each file's sha256. */
function tree(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out[`${relative(tmp, p)}/`] = "dir";
        walk(p);
      } else out[relative(tmp, p)] = sha256(readFileSync(p));
    }
  };
  for (const root of [join(tmp, "usr"), join(tmp, "etc")]) walk(root);
  return out;
}

/** What a system's containerd sees: no runm variables, the installed shim's dir on PATH. */
function systemEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("RUNM_")) env[k] = v;
  env.PATH = `${join(o.prefix, "bin")}:${env.PATH}`;
  return env;
}

/** The merged config containerd would run with: runm's runtime type and the CNI dir it keeps. */
function merged(containerd: string, plugin: string) {
  const dump = Bun.spawnSync([containerd, "--config", o.containerdConfig, "config", "dump"], {
    env: systemEnv(),
  });
  const cfg = Bun.TOML.parse(dump.stdout.toString()) as {
    plugins: Record<
      string,
      { cni?: { bin_dir?: string }; containerd?: { runtimes?: Record<string, { runtime_type?: string }> } }
    >;
  };
  const cri = cfg.plugins[plugin];
  return { runtimeType: cri?.containerd?.runtimes?.runm?.runtime_type, cniBinDir: cri?.cni?.bin_dir };
}

const installArgs = [
  "--prefix",
  o.prefix,
  "--sysconfdir",
  o.sysconfdir,
  "--state-dir",
  o.stateDir,
  "--containerd-config",
  o.containerdConfig,
];

test("install, run a container through the host's containerd with it, uninstall: nothing left", async () => {
  mkdirSync(join(tmp, "etc", "containerd"), { recursive: true });
  mkdirSync(join(tmp, "usr"), { recursive: true });
  writeFileSync(o.containerdConfig, CONFIG);
  const before = tree();

  const dry = await runm(["install", ...installArgs, "--dry-run"]);
  expect(dry.code).toBe(0);
  expect(dry.stdout).toContain(`would write ${installPaths(o).shim}`);
  expect(tree()).toEqual(before);

  // No systemd on this machine: --restart is refused in one line before anything changes.
  const restart = await runm(["install", ...installArgs, "--restart"]);
  expect(restart.code).toBe(1);
  expect(restart.stderr.trim().split("\n")).toHaveLength(1);
  expect(restart.stderr).toContain("--restart needs systemd managing containerd");
  expect(tree()).toEqual(before);

  const inst = await runm(["install", ...installArgs]);
  expect({ code: inst.code, stderr: inst.code ? inst.stderr : "" }).toEqual({ code: 0, stderr: "" });
  const p = installPaths(o);
  expect(inst.stdout).toContain(`wrote ${p.shim}`);
  // containerd 1.6 replaces a plugin's table from an import: runm's table is appended to the
  // config itself, between markers; a backup holds the original.
  const text = readFileSync(o.containerdConfig, "utf8");
  expect(text.startsWith(CONFIG)).toBe(true);
  expect(text.slice(CONFIG.length)).toBe(
    `\n${BLOCK_BEGIN}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runm]\n  runtime_type = "io.containerd.runm.v2"\n${BLOCK_END}\n`,
  );
  expect(readFileSync(`${o.containerdConfig}.runm-backup`, "utf8")).toBe(CONFIG);
  // Idempotent: a second install changes nothing but rewrites the same files.
  const again = await runm(["install", ...installArgs]);
  expect(again.code).toBe(0);
  const installed = tree();
  // runm doctor sees the install, its hashes verified.
  const doctor = JSON.parse((await runm(["doctor", "--json", "--prefix", o.prefix])).stdout) as {
    checks: { name: string; status: string; detail: string }[];
  };
  expect(doctor.checks.find((c) => c.name === "runm install")).toMatchObject({ status: "ok" });
  // containerd's CRI knows the runtime handler "runm" and keeps the operator's CNI dir.
  expect(merged("containerd", "io.containerd.grpc.v1.cri")).toEqual({
    runtimeType: "io.containerd.runm.v2",
    cniBinDir: "/usr/lib/cni",
  });

  const daemon = Bun.spawn(["containerd", "--config", o.containerdConfig], {
    env: systemEnv(),
    stdout: "ignore",
    stderr: "pipe",
  });
  const daemonLog = new Response(daemon.stderr).text();
  try {
    const ctr = (args: string[]) =>
      Bun.spawnSync(["ctr", "--address", address, ...args], {
        env: systemEnv(),
        stdout: "pipe",
        stderr: "pipe",
      });
    for (let i = 0; i < 100 && ctr(["version"]).exitCode !== 0; i++) await Bun.sleep(100);
    const image = await buildImage("busybox");
    await importImage(image.path, { address });
    const run = ctr([
      "run",
      "--rm",
      "--runtime",
      "io.containerd.runm.v2",
      LOCAL_IMAGE_REFS.busybox,
      "installed-1",
      "sh",
      "-c",
      "echo from the installed runtime; uname -r",
    ]);
    expect({ code: run.exitCode, stderr: run.exitCode ? run.stderr.toString() : "" }).toEqual({
      code: 0,
      stderr: "",
    });
    expect(run.stdout.toString()).toStartWith("from the installed runtime\n");
    // The installed shim kept its VM state in the recorded state dir, not a home dir, and left
    // none behind.
    expect(readdirSync(join(o.stateDir, "vms"))).toEqual([]);
  } finally {
    daemon.kill("SIGTERM");
    await daemon.exited;
  }
  expect(await daemonLog).not.toContain('level=error msg="failed to load runtime');
  expect(tree()).toEqual(installed); // running changed nothing installed

  const un = await runm(["uninstall", "--prefix", o.prefix]);
  expect(un.code).toBe(0);
  expect(un.stdout).toContain(`removed runm's runtime from ${o.containerdConfig}`);
  expect(tree()).toEqual(before);
  expect(readFileSync(o.containerdConfig, "utf8")).toBe(CONFIG);
  const after = JSON.parse((await runm(["doctor", "--json", "--prefix", o.prefix])).stdout) as typeof doctor;
  expect(after.checks.find((c) => c.name === "runm install")?.status).toBe("missing");
  const nothing = await runm(["uninstall", "--prefix", o.prefix]);
  expect(nothing.stdout).toContain("nothing to uninstall");
});

test("containerd 1.7 and 2.x: a drop-in their config imports, merged with the operator's CRI settings", async () => {
  for (const [suite, plugin, config] of [
    ["trixie", "io.containerd.grpc.v1.cri", CONFIG],
    [
      "sid",
      "io.containerd.cri.v1.runtime",
      `version = 3\nroot = "${ctd}/root"\n\n[plugins."io.containerd.cri.v1.runtime".cni]\n  bin_dir = "/usr/lib/cni"\n`,
    ],
  ] as const) {
    const { containerd } = await containerdFromDebian(suite);
    writeFileSync(o.containerdConfig, config);
    const before = tree();
    const inst = await runm(["install", ...installArgs, "--containerd", containerd]);
    expect({ suite, code: inst.code, stderr: inst.code ? inst.stderr : "" }).toEqual({
      suite,
      code: 0,
      stderr: "",
    });
    const p = installPaths(o);
    expect(inst.stdout).toContain(`added ${p.dropIn} to the imports of ${o.containerdConfig}`);
    expect(readFileSync(o.containerdConfig, "utf8")).toContain(`imports = ["${p.dropIn}"]`);
    expect({ suite, ...merged(containerd, plugin) }).toEqual({
      suite,
      runtimeType: "io.containerd.runm.v2",
      cniBinDir: "/usr/lib/cni",
    });
    expect((await runm(["uninstall", "--prefix", o.prefix])).code).toBe(0);
    expect(tree()).toEqual(before);
  }
});
