// The jail's plan (lib/vm/qemu/jail.ts): what the script is told to make and mount. The mounts
// themselves are tested through real jails in lib/sandbox/boundary.test.ts (hostile share names).
import { expect, test } from "bun:test";
import { jailPlan, tableField, VMM_CAPS } from "./jail.ts";

const spec = (binds: { inner: string; host: string; writable: boolean }[]) => ({
  root: "/r",
  user: { uid: 1, gid: 1 },
  caps: VMM_CAPS,
  binds,
  shares: [{ name: "s", hostPath: "/tmp/a b\n#,c", readOnly: true }],
});

test("a mount table field escapes every byte a table could read as a separator or comment", () => {
  expect(tableField("/tmp/a b\n#,c\\é")).toBe("/tmp/a\\040b\\012\\043\\054c\\134\\303\\251");
  expect(tableField("/var/lib/runm-state/vm_1.x")).toBe("/var/lib/runm-state/vm_1.x");
});

test("each bind is one table line; a file's mount point is a file in a made directory", () => {
  const plan = jailPlan(spec([{ inner: "/guest/kernel", host: "/etc/hostname", writable: false }]));
  const lines = plan.table.split("\n");
  expect(lines).toContain("/etc/hostname /r/guest/kernel none bind,ro,nosuid,nodev 0 0");
  expect(lines).toContain("/tmp/a\\040b\\012\\043\\054c /r/share/ro/s none bind,ro,nosuid,nodev 0 0");
  expect(lines).toContain("/dev/null /r/dev/null none bind 0 0");
  expect(lines.every((l) => l.split(" ").length === 6)).toBe(true);
  expect(plan.files).toContain("/r/guest/kernel");
  expect(plan.dirs).toContain("/r/guest");
  expect(plan.hot).toBe("");
});

test("a mount point under another bind is refused (it would be made, then hidden)", () => {
  expect(() =>
    jailPlan(
      spec([
        { inner: "/run/x", host: "/tmp", writable: true },
        { inner: "/run/x/y", host: "/tmp", writable: true },
      ]),
    ),
  ).toThrow(/lies under another bind/);
});
