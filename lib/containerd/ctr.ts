// ctr bound to one containerd: its address on every call, a namespace, and on failure a RunmError
// carrying ctr's stderr.
import { run } from "../exec.ts";
import { requireTool } from "../tools.ts";

export type Ctr = (
  args: string[],
  o?: { namespace?: string; timeout?: number; input?: string },
) => Promise<string>;

/** Returns ctr's stdout. */
export function ctrAt(address: string): Ctr {
  const bin = requireTool("ctr", "to talk to containerd");
  return async (args, o = {}) => {
    const r = await run(bin, ["--address", address, "--namespace", o.namespace ?? "default", ...args], {
      timeout: o.timeout ?? 120_000,
      input: o.input,
      what: `ctr ${args[0] ?? ""}`,
    });
    return r.stdout;
  };
}
