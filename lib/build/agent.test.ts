// The arm64 agent cross-compiled on this host: Bun's arm64 runtime from npm (the real `npm pack`),
// the agent compiled onto it, and the result started under qemu-aarch64. Built into runm's cache
// like `runm build --arch arm64`, so a rerun with unchanged sources only starts the binary.
import { expect, test } from "bun:test";
import { dirs } from "../paths.ts";
import { agentInputs, buildAgent } from "./agent.ts";
import { BUN_RUNTIME_PACKAGE, bunRuntime } from "./bun-runtime.ts";
import { ELF_MACHINE, readElf } from "./elf.ts";
import { foreignExec } from "./foreign-exec.ts";
import { guestSysroot } from "./guest-sysroot.ts";

test("only a foreign arch's agent is keyed by the runtime it is compiled onto", () => {
  expect(agentInputs("x86_64")).not.toHaveProperty("runtime");
  expect(agentInputs("arm64", undefined, "f00d").runtime).toBe("f00d");
});

test("Bun's arm64 runtime comes from npm at exactly this Bun's version", async () => {
  const rt = await bunRuntime({ arch: "arm64", cacheDir: dirs().cache });
  expect(rt.info.package).toBe(`${BUN_RUNTIME_PACKAGE.arm64}@${Bun.version}`);
  expect(readElf(rt.path)).toEqual({ machine: ELF_MACHINE.arm64, interp: "/lib/ld-linux-aarch64.so.1" });
}, 120_000);

test("the cross-compiled arm64 agent (with bytecode) starts under qemu-aarch64", async () => {
  const cacheDir = dirs().cache;
  const agent = await buildAgent({ arch: "arm64", cacheDir });
  if (!agent) throw new Error("agent/main.ts is missing");
  expect(agent.info.runtime).toBe(`${BUN_RUNTIME_PACKAGE.arm64}@${Bun.version}`);
  expect(readElf(agent.path)?.machine).toBe(ELF_MACHINE.arm64);
  // A bad --listen is rejected after the whole bundle has loaded: the quickest full start-up.
  const sysroot = await guestSysroot({ arch: "arm64", cacheDir });
  const r = Bun.spawnSync([...foreignExec("arm64", { sysroot }), agent.path, "--listen", "bogus"], {
    env: { ...process.env, NO_COLOR: "1" },
  });
  expect(r.stderr.toString()).toContain(
    "bad --listen bogus; use unix:PATH, vsock[:PORT], virtio-serial or auto",
  );
  expect(r.exitCode).toBe(1);
}, 180_000);
