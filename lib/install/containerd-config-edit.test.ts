import { expect, test } from "bun:test";
import { addBlock, addImport, BLOCK_BEGIN, removeBlock, removeImport } from "./containerd-config-edit.ts";

// Debian's own /etc/containerd/config.toml, as the containerd package ships it.
const DEBIAN = `version = 2

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
`;
const DROP_IN = "/etc/containerd/conf.d/runm.toml";

test("the import goes after version and before any table; removing it gives back the exact bytes", () => {
  const added = addImport(DEBIAN, DROP_IN);
  expect(added.split("\n").slice(0, 3)).toEqual(["version = 2", `imports = ["${DROP_IN}"]`, ""]);
  expect((Bun.TOML.parse(added) as { imports: string[] }).imports).toEqual([DROP_IN]);
  expect(addImport(added, DROP_IN)).toBe(added); // idempotent
  expect(removeImport(added, DROP_IN)).toBe(DEBIAN);
});

test("an existing imports list keeps its entries; only runm's is added and removed", () => {
  const text = `# mine\nimports = ["/etc/containerd/other.toml"]\nversion = 2\n`;
  const added = addImport(text, DROP_IN);
  expect(added).toBe(`# mine\nimports = ["/etc/containerd/other.toml", "${DROP_IN}"]\nversion = 2\n`);
  expect(removeImport(added, DROP_IN)).toBe(text);
});

test("a config without version or keys gets the line first; an imports inside a table is not the top-level one", () => {
  expect(addImport("", DROP_IN)).toBe(`imports = ["${DROP_IN}"]\n`);
  const tabled = `[plugins.x]\nimports = ["/nope"]\n`;
  expect(addImport(tabled, DROP_IN)).toBe(`imports = ["${DROP_IN}"]\n${tabled}`);
});

test("a multi-line imports array is refused with the line to add by hand", () => {
  const text = `imports = [\n  "/a.toml",\n]\n`;
  expect(() => addImport(text, DROP_IN, "/etc/containerd/config.toml")).toThrow(
    /\/etc\/containerd\/config.toml: cannot edit its imports line/,
  );
});

const RUNTIME = `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runm]\n  runtime_type = "io.containerd.runm.v2"\n`;

test("containerd 1.6: runm's table appended between markers, the CRI settings kept; removed to the exact bytes", () => {
  const added = addBlock(DEBIAN, RUNTIME);
  expect(added.startsWith(DEBIAN)).toBe(true);
  const cri = (Bun.TOML.parse(added) as { plugins: Record<string, { cni: unknown; containerd: unknown }> })
    .plugins["io.containerd.grpc.v1.cri"];
  expect(cri?.cni).toEqual({ bin_dir: "/usr/lib/cni" });
  expect(cri?.containerd).toEqual({ runtimes: { runm: { runtime_type: "io.containerd.runm.v2" } } });
  expect(addBlock(added, RUNTIME)).toBe(added);
  expect(removeBlock(added)).toBe(DEBIAN);
  expect(removeBlock(addBlock("version = 2", RUNTIME))).toBe("version = 2\n");
});

test("a config that already defines the runtime is refused, not broken", () => {
  expect(() =>
    addBlock(addBlock(DEBIAN, RUNTIME).replace(BLOCK_BEGIN, "# mine"), RUNTIME, "/etc/c.toml"),
  ).toThrow(/\/etc\/c.toml: adding runm's runtime makes it invalid/);
});
