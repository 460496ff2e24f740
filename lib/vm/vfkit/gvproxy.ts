// gvproxy (gvisor-tap-vsock) is the VM's user-mode network on macOS: vfkit sends the guest's
// frames to its unixgram socket. Published ports are added through its HTTP API
// (POST /services/forwarder/expose on the -services socket), always bound to host 127.0.0.1.
import type { VmPortForward } from "../vm-interface.ts";

export interface GvproxyPaths {
  netSocket: string;
  servicesSocket: string;
  pidfile: string;
  logFile: string;
}

/** gvproxy's default subnet gives the guest this address. */
export const GVPROXY_GUEST_IP = "192.168.127.2";

export function gvproxyArgv(gvproxy: string, paths: GvproxyPaths): string[] {
  return [
    gvproxy,
    "-listen-vfkit",
    `unixgram://${paths.netSocket}`,
    "-services",
    `unix://${paths.servicesSocket}`,
    // No SSH forward: runm talks to the guest through the agent only.
    "-ssh-port",
    "-1",
    "-pid-file",
    paths.pidfile,
    "-log-file",
    paths.logFile,
  ];
}

export interface ExposeRequest {
  local: string;
  remote: string;
  protocol: "tcp";
}

export function exposeRequests(ports: VmPortForward[]): ExposeRequest[] {
  return ports.map((p) => ({
    local: `127.0.0.1:${p.hostPort}`,
    remote: `${GVPROXY_GUEST_IP}:${p.guestPort}`,
    protocol: "tcp",
  }));
}

/** Ask a running gvproxy to forward each port. */
export async function exposePorts(servicesSocket: string, ports: VmPortForward[]): Promise<void> {
  for (const body of exposeRequests(ports)) {
    const res = await fetch("http://gvproxy/services/forwarder/expose", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
      unix: servicesSocket,
    } as RequestInit);
    if (!res.ok) throw new Error(`gvproxy refused to expose ${body.local}: ${await res.text()}`);
  }
}
