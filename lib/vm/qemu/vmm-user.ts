// The unprivileged user the VMM runs as: runm-vmm unless runm.toml says otherwise. The jail has no
// /etc/passwd, so the name is resolved here, on the host, to numbers.
import { readFileSync } from "node:fs";
import { loadConfig } from "../../config.ts";
import { DEFAULT_VMM_USER } from "../../constants.ts";
import { failedPrecondition } from "../../errors.ts";

export interface VmmUser {
  name: string;
  uid: number;
  gid: number;
}

export function lookupUser(name: string, passwd = "/etc/passwd"): VmmUser | undefined {
  let text = "";
  try {
    text = readFileSync(passwd, "utf8");
  } catch {
    return undefined;
  }
  for (const line of text.split("\n")) {
    const [n, , uid, gid] = line.split(":");
    if (n === name && uid !== undefined && gid !== undefined)
      return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

export function vmmUser(): VmmUser {
  const name = loadConfig().vm?.user ?? DEFAULT_VMM_USER;
  const u = lookupUser(name);
  if (!u)
    throw failedPrecondition(`the VMM user ${name} does not exist`, {
      hint: `create it with: useradd --system --user-group --no-create-home --shell /usr/sbin/nologin ${name} (./setup.sh does)`,
    });
  if (u.uid === 0) throw failedPrecondition(`the VMM user ${name} is root: pick an unprivileged user`);
  return u;
}
