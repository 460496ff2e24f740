// One `runm scenario` invocation: pick the scenarios, find (or start) the containerd, choose the
// client, run them in order and always tear down what the run started, also on Ctrl-C.

import { join } from "node:path";
import { onInterrupt } from "../cleanup.ts";
import { DEV_NAMESPACE, RUNM_RUNTIME_NAME, RUNM_SNAPSHOTTER } from "../constants.ts";
import { type PrivateContainerd, startPrivateContainerd } from "../containerd/private.ts";
import { readDevEnv, shimDirs } from "../dev/dev-containerd.ts";
import { prepareRuntime } from "../dev/prepare.ts";
import { failedPrecondition, unavailable } from "../errors.ts";
import { probe } from "../exec.ts";
import { dirs } from "../paths.ts";
import { findTool } from "../tools.ts";
import type { ContainerClient, Sh } from "./client.ts";
import { CtrClient } from "./client-ctr.ts";
import { NerdctlClient } from "./client-nerdctl.ts";
import { loadScenarios, selectScenarios } from "./registry.ts";
import { runScenario, type ScenarioResult } from "./runner.ts";

export interface SessionOptions {
  ids: string[];
  keep?: boolean;
  withContainerd?: boolean;
  address?: string;
  runtime?: string;
  client?: "ctr" | "nerdctl";
  snapshotter?: string;
  /** With --with-containerd: don't rebuild the guest image (the shim is still built). */
  noBuild?: boolean;
  write: (line: string) => void;
}

async function resolveAddress(o: SessionOptions): Promise<string> {
  const address = o.address ?? (await readDevEnv())?.CONTAINERD_ADDRESS ?? process.env.CONTAINERD_ADDRESS;
  if (!address)
    throw failedPrecondition("no containerd to run scenarios against", {
      hint: "start one with: runm dev containerd (in another terminal), or add --with-containerd",
    });
  if ((await probe("ctr", ["--address", address, "version"], 5_000)) === null)
    throw unavailable(`no containerd answers at ${address}`, {
      hint: "start it with: runm dev containerd, or add --with-containerd",
    });
  return address;
}

function clientFactory(o: SessionOptions, address: string, runtime: string): (sh: Sh) => ContainerClient {
  const snapshotter = o.snapshotter ?? (runtime === RUNM_RUNTIME_NAME ? RUNM_SNAPSHOTTER : undefined);
  const nerdctl = findTool("nerdctl");
  const kind = o.client ?? (nerdctl ? "nerdctl" : "ctr");
  if (kind === "nerdctl") {
    if (!nerdctl)
      throw failedPrecondition("nerdctl not found on PATH", { hint: "install nerdctl, or use --client ctr" });
    return (sh) =>
      new NerdctlClient({ address, namespace: DEV_NAMESPACE, runtime, bin: nerdctl, snapshotter }, sh);
  }
  const volumeRoot = join(dirs().state, "scenario", "volumes");
  const logRoot = join(dirs().state, "scenario", "logs");
  return (sh) =>
    new CtrClient({ address, namespace: DEV_NAMESPACE, runtime, volumeRoot, logRoot, snapshotter }, sh);
}

export async function runSession(o: SessionOptions): Promise<ScenarioResult[]> {
  const chosen = selectScenarios(await loadScenarios(), o.ids);
  const runtime = o.runtime ?? RUNM_RUNTIME_NAME;
  const abort = new AbortController();
  const onSignal = () => {
    o.write("# interrupted: stopping the current step and cleaning up");
    abort.abort();
  };
  const release = onInterrupt(onSignal);
  let ctd: PrivateContainerd | undefined;
  try {
    if (o.withContainerd) {
      // runm's runtime needs a current guest image and shim; runc needs nothing.
      const built = runtime === RUNM_RUNTIME_NAME ? [await prepareRuntime({ guest: !o.noBuild })] : [];
      ctd = await startPrivateContainerd({ path: [...built, ...shimDirs()], ownProcessGroup: true });
      o.write(`# private containerd pid ${ctd.pid} at ${ctd.address}`);
    }
    const address = ctd?.address ?? (await resolveAddress(o));
    const makeClient = clientFactory(o, address, runtime);
    const imagesReady = new Set<string>();
    const results: ScenarioResult[] = [];
    for (const s of chosen) {
      if (abort.signal.aborted) break;
      results.push(
        await runScenario(s, {
          runtime,
          keep: !!o.keep,
          write: o.write,
          makeClient,
          signal: abort.signal,
          imagesReady,
        }),
      );
    }
    return results;
  } finally {
    release();
    if (ctd) {
      if (o.keep) o.write(`# --keep: stopping the private containerd anyway (it lives only for this run)`);
      await ctd.stop();
    }
  }
}
