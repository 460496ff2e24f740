// The agent is its own guard on forwards too: a guest socket path outside runm's own names
// (sN.sock under GUEST_SOCKET_ROOT) is refused before anything is created.
import { expect, test } from "bun:test";
import { HostPorts } from "./host-ports.ts";

test("guest socket paths other than runm's own are refused", async () => {
  for (const path of [
    "/etc/passwd",
    "/run/runm/sockets/../x.sock",
    "/run/runm/sockets/s1.sock/x",
    "relative.sock",
  ]) {
    const it = new HostPorts().listen(
      [],
      [{ path, mode: 0o600, uid: 0, gid: 0 }],
      new AbortController().signal,
    );
    await expect(it.next()).rejects.toThrow(`bad guest socket path ${JSON.stringify(path)}`);
  }
});
