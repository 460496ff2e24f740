import { expect, test } from "bun:test";
import { isRunmError } from "../errors.ts";
import { parsePort, parseUser, parseVolume } from "./run-flags.ts";

const invalid = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isRunmError(e, "InvalidArgument");
  }
  return false;
};

test("parseUser", () => {
  expect(parseUser("1000")).toEqual({ uid: 1000, gid: 1000 });
  expect(parseUser("1000:50")).toEqual({ uid: 1000, gid: 50 });
  for (const s of ["", "user", "1:2:3", "1:x"]) expect(invalid(() => parseUser(s))).toBe(true);
});

test("parseVolume resolves the source against cwd and reads :ro/:rw", () => {
  expect(parseVolume("./d:/data:ro", "/home/u")).toEqual({
    source: "/home/u/d",
    destination: "/data",
    readOnly: true,
  });
  expect(parseVolume("/abs:/x", "/")).toEqual({ source: "/abs", destination: "/x", readOnly: false });
  expect(parseVolume("/abs:/x:rw", "/").readOnly).toBe(false);
  for (const s of ["/a", "/a:rel", "/a:/b:rx", "/a:/b:ro:x"])
    expect(invalid(() => parseVolume(s))).toBe(true);
});

test("parsePort", () => {
  expect(parsePort("8080:80")).toEqual({ host: 8080, guest: 80 });
  for (const s of ["80", "0:80", "70000:80", "a:b"]) expect(invalid(() => parsePort(s))).toBe(true);
});
