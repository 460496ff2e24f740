import { expect, test } from "bun:test";
import { checkGuestNetwork, type GuestNetwork, ipCommands } from "./guest-network.ts";

const pod: GuestNetwork = {
  mac: "ba:aa:cb:cb:7d:38",
  mtu: 1500,
  addresses: ["10.231.9.2/24", "fd00:1::2/64"],
  routes: [
    { destination: "default", gateway: "10.231.9.1" },
    { destination: "10.96.0.0/12", gateway: "" },
    { destination: "default", gateway: "fd00:1::1" },
  ],
};

test("the guest's eth0 drops the user-mode network, then takes the pod's MAC, MTU, addresses and routes", () => {
  expect(ipCommands(pod, "eth0")).toEqual([
    ["link", "set", "eth0", "down"],
    ["addr", "flush", "dev", "eth0"],
    ["-4", "route", "flush", "dev", "eth0"],
    ["link", "set", "eth0", "address", "ba:aa:cb:cb:7d:38", "mtu", "1500"],
    ["link", "set", "eth0", "up"],
    ["-4", "addr", "add", "10.231.9.2/24", "dev", "eth0"],
    ["-6", "addr", "add", "fd00:1::2/64", "dev", "eth0"],
    ["-4", "route", "add", "default", "via", "10.231.9.1", "dev", "eth0"],
    ["-4", "route", "add", "10.96.0.0/12", "dev", "eth0"],
    ["-6", "route", "add", "default", "via", "fd00:1::1", "dev", "eth0"],
  ]);
});

test("anything but plain addresses is refused in one line, before any command", () => {
  const bad: [Partial<GuestNetwork>, RegExp][] = [
    [{ mac: "ba:aa:cb:cb:7d" }, /bad MAC/],
    [{ mac: "01:00:5e:00:00:01" }, /bad MAC/], // multicast
    [{ mac: "BA:AA:CB:CB:7D:38 dev lo" }, /bad MAC/],
    [{ mtu: 100 }, /bad MTU/],
    [{ mtu: 1500.5 }, /bad MTU/],
    [{ addresses: [] }, /0 addresses/],
    [{ addresses: ["10.231.9.2"] }, /bad address/], // no prefix length
    [{ addresses: ["10.231.9.2/33"] }, /bad address/],
    [{ addresses: ["10.231.9.2/24 dev lo"] }, /bad address/],
    [{ addresses: ["-6/24"] }, /bad address/],
    [{ routes: [{ destination: "all", gateway: "" }] }, /bad route destination/],
    [{ routes: [{ destination: "default", gateway: "10.231.9.1 dev lo" }] }, /bad gateway/],
  ];
  for (const [patch, why] of bad) {
    expect(() => checkGuestNetwork({ ...pod, ...patch })).toThrow(why);
    expect(() => ipCommands({ ...pod, ...patch }, "eth0")).toThrow(why);
  }
});
