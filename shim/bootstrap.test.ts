import { describe, expect, test } from "bun:test";
import { codec } from "../lib/containerd/protos.ts";
import {
  bootstrapAnswer,
  jsonAnswer,
  legacyAnswer,
  logLevelName,
  parseBootstrapParams,
  socketPath,
} from "./bootstrap.ts";
import { parseShimFlags, serveArgs } from "./flags.ts";

const PARAMS = codec("containerd.runtime.bootstrap.v1.BootstrapParams");
const RESULT = codec("containerd.runtime.bootstrap.v1.BootstrapResult");

describe("shim command line", () => {
  test("parses containerd's start line (Go flag style)", () => {
    const f = parseShimFlags([
      "-namespace",
      "k8s.io",
      "-address",
      "/run/containerd/containerd.sock",
      "-publish-binary",
      "/usr/bin/containerd",
      "-id",
      "abc",
      "-debug",
      "start",
    ]);
    expect(f).toMatchObject({ namespace: "k8s.io", id: "abc", debug: true, action: "start" });
    expect(parseShimFlags(["-id=x", "-bundle=/b", "delete"])).toMatchObject({
      id: "x",
      bundle: "/b",
      action: "delete",
    });
  });

  test("ignores flags of newer containerd versions and rejects unknown actions", () => {
    expect(parseShimFlags(["-id", "x", "-socket-dir=/s", "start"]).action).toBe("start");
    expect(() => parseShimFlags(["-id", "x", "frobnicate"])).toThrow(/unknown shim action/);
    expect(() => parseShimFlags(["start"])).toThrow(/missing -id/);
  });

  test("serve args round-trip the identity", () => {
    const f = parseShimFlags(["-namespace", "n", "-id", "i", "-address", "/a", "-debug", "start"]);
    const back = parseShimFlags(serveArgs({ ...f, socket: "/s.sock", bundle: "/b" }));
    expect(back.spare).toBeUndefined();
    expect(parseShimFlags(serveArgs({ ...f, socket: "/s.sock", spare: true })).spare).toBe(true);
    expect(back).toMatchObject({
      namespace: "n",
      id: "i",
      address: "/a",
      socket: "/s.sock",
      bundle: "/b",
      action: "serve",
      debug: true,
    });
  });
});

describe("start's answer", () => {
  test("socket path is stable, distinct per container, and fits sun_path", () => {
    const a = socketPath("/run/containerd/containerd.sock", "default", "c1");
    expect(a).toBe(socketPath("/run/containerd/containerd.sock", "default", "c1"));
    expect(a).not.toBe(socketPath("/run/containerd/containerd.sock", "default", "c2"));
    expect(a.length).toBeLessThan(108);
  });

  test("containerd 1.6/1.7: the bare address; JSON form available", () => {
    expect(legacyAnswer("/run/runm/s/x.sock")).toBe("unix:///run/runm/s/x.sock");
    expect(JSON.parse(jsonAnswer("/run/runm/s/x.sock"))).toEqual({
      version: 2,
      address: "unix:///run/runm/s/x.sock",
      protocol: "ttrpc",
    });
  });

  test("containerd 2.3+: BootstrapParams on stdin get a protobuf BootstrapResult", () => {
    const stdin = PARAMS.encode({
      instanceId: "c1",
      namespace: "default",
      logLevel: -4,
      containerdTtrpcAddress: "/run/containerd/containerd.sock.ttrpc",
      socketDir: "/run/containerd/s",
    });
    const p = parseBootstrapParams(stdin, "c1", "default");
    expect(p).toMatchObject({
      instanceId: "c1",
      ttrpcAddress: "/run/containerd/containerd.sock.ttrpc",
      socketDir: "/run/containerd/s",
    });
    expect(logLevelName(p?.logLevel ?? 0)).toBe("debug");
    const r = RESULT.decode(bootstrapAnswer("/run/containerd/s/x.sock"));
    expect(r).toMatchObject({ version: 2, address: "unix:///run/containerd/s/x.sock", protocol: "ttrpc" });
  });

  test("1.6's runtime options Any on stdin is not mistaken for bootstrap params", () => {
    const any = codec("google.protobuf.Any").encode({
      typeUrl: "runtimeoptions.v1.Options",
      value: new Uint8Array([10, 1, 65]),
    });
    expect(parseBootstrapParams(any, "c1", "default")).toBeNull();
    expect(parseBootstrapParams(new Uint8Array(), "c1", "default")).toBeNull();
    expect(parseBootstrapParams(new Uint8Array([0xff, 0xff]), "c1", "default")).toBeNull();
  });
});
