import { existsSync } from "node:fs";
import { failedPrecondition, permissionDenied } from "../../lib/errors.ts";
import { run } from "../../lib/exec.ts";
import { install } from "../../lib/install/install.ts";
import { DEFAULT_INSTALL } from "../../lib/install/layout.ts";
import { dirs } from "../../lib/paths.ts";
import { command } from "../command.ts";

/** Present while systemd is the init system (sd_booted(3)'s test). */
const SYSTEMD_RUNTIME_DIR = "/run/systemd/system";

export default command({
  meta: {
    name: "install",
    description:
      "Make runm a runtime of this host's containerd: the shim on its PATH, the guest image, /etc/runm/runm.toml and a config drop-in",
  },
  args: {
    prefix: {
      type: "string",
      description: `Where bin/ and lib/runm/ go (default ${DEFAULT_INSTALL.prefix})`,
    },
    sysconfdir: {
      type: "string",
      description: `Where runm/runm.toml goes (default ${DEFAULT_INSTALL.sysconfdir})`,
    },
    "state-dir": {
      type: "string",
      description: `The installed shim's state (default ${DEFAULT_INSTALL.stateDir})`,
    },
    "containerd-config": {
      type: "string",
      description: `containerd's config file, which gains one import line (default ${DEFAULT_INSTALL.containerdConfig})`,
    },
    containerd: { type: "string", description: "containerd's binary, for its version (default: on PATH)" },
    "dry-run": { type: "boolean", description: "Say what would be done, change nothing" },
    restart: {
      type: "boolean",
      description: "Restart containerd afterwards (systemd), so CRI loads the handler now",
    },
    packaged: {
      type: "boolean",
      description: "Only register with containerd (the Debian package's postinst: dpkg placed the files)",
    },
  },
  examples: [
    "runm install",
    "runm install --dry-run",
    "runm install --restart",
    "runm install --prefix /opt/runm --containerd-config /etc/containerd/config.toml",
  ],
  async run({ args }) {
    if (process.getuid?.() !== 0 && !args["dry-run"])
      throw permissionDenied("runm install writes system dirs and containerd's config", {
        hint: "run it as root (sudo runm install), or look first with --dry-run",
      });
    const o = {
      prefix: args.prefix ?? DEFAULT_INSTALL.prefix,
      sysconfdir: args.sysconfdir ?? DEFAULT_INSTALL.sysconfdir,
      stateDir: args["state-dir"] ?? DEFAULT_INSTALL.stateDir,
      containerdConfig: args["containerd-config"] ?? DEFAULT_INSTALL.containerdConfig,
    };
    // Refused before anything changes: half an install that cannot finish is worse than none.
    if (args.restart && !existsSync(SYSTEMD_RUNTIME_DIR))
      throw failedPrecondition(
        `--restart needs systemd managing containerd (no ${SYSTEMD_RUNTIME_DIR} here)`,
        {
          hint: "drop --restart and restart containerd the way this machine runs it",
        },
      );
    const say = (line: string) => process.stdout.write(`${line}\n`);
    await install(o, {
      containerd: args.containerd ?? "containerd",
      cacheDir: dirs().cache,
      dryRun: args["dry-run"],
      packaged: args.packaged,
      say,
    });
    if (args["dry-run"]) return;
    say(
      `installed: ctr run --runtime io.containerd.runm.v2 ...; CRI handler "runm" in ${o.containerdConfig}`,
    );
    if (args.restart) {
      await run("systemctl", ["restart", "containerd"], { what: "restarting containerd" });
      say("restarted containerd: the CRI handler is loaded");
    } else
      say(
        "restart containerd to load the CRI handler (systemctl restart containerd, or --restart); ctr works without a restart",
      );
  },
});
