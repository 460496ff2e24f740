// `runm template ls` and `rm --stale` through the real CLI, over a template dir holding records of
// the x86_64 and arm64 guests built on this host and one of an older kernel: each is judged
// against its own arch's guest, and only the old one is stale.
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GuestArch } from "../../../lib/constants.ts";
import { readGuestManifest } from "../../../lib/guest-manifest.ts";
import { type TemplateShape, templateShape } from "../../../lib/sandbox/template.ts";
import { hostDriver } from "../../../lib/vm/select-driver.ts";
import { runm } from "../../../test/cli.ts";

const root = mkdtempSync(join(tmpdir(), "runm-tpl-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A template's files as listTemplates reads them (no VM needed to judge staleness). */
function fakeTemplate(key: string, shape: TemplateShape): void {
  const dir = join(root, key);
  mkdirSync(dir);
  for (const f of ["memory", "state"]) writeFileSync(join(dir, f), "");
  writeFileSync(
    join(dir, "template.json"),
    JSON.stringify({ key, shape, createdAt: "2026-12-07T00:00:00Z", buildMs: 1 }),
  );
}

async function shapeOf(arch: GuestArch): Promise<TemplateShape> {
  return templateShape(readGuestManifest(arch), await hostDriver(process.platform, arch), {
    cpus: 1,
    memoryMiB: 512,
  });
}

test("ls judges each template by its own arch's guest; rm --stale removes only the old one", async () => {
  const x86 = await shapeOf("x86_64");
  const arm = await shapeOf("arm64");
  fakeTemplate("aaaaaaaaaaaaaaaa", x86);
  fakeTemplate("bbbbbbbbbbbbbbbb", arm);
  fakeTemplate("cccccccccccccccc", { ...arm, kernel: "0".repeat(64) });
  const env = { RUNM_TEMPLATE_DIR: root };
  const ls = await runm(["template", "ls"], { env });
  expect(ls.code).toBe(0);
  const state = (key: string) =>
    ls.stdout
      .split("\n")
      .find((l) => l.startsWith(key))
      ?.includes(" current ");
  expect([state("aaaaaaaaaaaaaaaa"), state("bbbbbbbbbbbbbbbb"), state("cccccccccccccccc")]).toEqual([
    true,
    true,
    false,
  ]);
  expect((await runm(["template", "rm", "--stale"], { env })).code).toBe(0);
  expect(readdirSync(root).sort()).toEqual(["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]);
});
