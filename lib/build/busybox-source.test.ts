import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { REQUIRED_APPLETS } from "./busybox.ts";
import { applyFragment, BUSYBOX_FRAGMENT } from "./busybox-source.ts";
import { parseFragment, verifyConfig } from "./kernel-config.ts";

test("the fragment's lines replace allnoconfig's, whatever their form", () => {
  const allno =
    '# comment\n# CONFIG_STATIC is not set\nCONFIG_EXTRA_CFLAGS=""\n# CONFIG_ASH is not set\nCONFIG_LS=y\n';
  const out = applyFragment(allno, "CONFIG_STATIC=y\nCONFIG_ASH=y\n# CONFIG_LS is not set\n");
  expect(out).toBe(
    '# comment\nCONFIG_EXTRA_CFLAGS=""\nCONFIG_STATIC=y\nCONFIG_ASH=y\n# CONFIG_LS is not set\n',
  );
  expect(verifyConfig(parseFragment("CONFIG_STATIC=y\n# CONFIG_LS is not set\n"), out)).toEqual([]);
});

test("initramfs/busybox.config enables every applet /init needs, statically", () => {
  const f = parseFragment(readFileSync(BUSYBOX_FRAGMENT, "utf8"));
  expect(f.get("CONFIG_STATIC")).toBe("y");
  const symbol: Record<string, string> = {
    sh: "ASH",
    reboot: "REBOOT",
    switch_root: "SWITCH_ROOT",
    cttyhack: "CTTYHACK",
  };
  for (const applet of REQUIRED_APPLETS) {
    const name = `CONFIG_${symbol[applet] ?? applet.toUpperCase()}`;
    expect([name, f.get(name)]).toEqual([name, "y"]);
  }
});
