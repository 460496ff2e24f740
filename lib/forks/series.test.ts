// The committed forks/: a valid manifest, and for each fork a well-formed, numbered series whose
// patches each carry a one-paragraph message. Plus the parser's refusals.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { forksRoot, loadManifest, parseManifest, seriesDir } from "./manifest.ts";
import { closestName } from "./names.ts";
import { parsePatch, readSeries } from "./series.ts";
import { checkUpstreamUrl, resolveUpstream } from "./upstream.ts";

const root = forksRoot({});
const manifest = loadManifest(root);

describe("committed forks/", () => {
  test("the manifest pins the five forks at full commits with https upstreams", () => {
    expect(manifest.forks.map((f) => f.name)).toEqual([
      "containerd",
      "nerdctl",
      "buildkit",
      "fsutil",
      "gvisor-tap-vsock",
    ]);
    for (const f of manifest.forks) {
      expect(f.upstream).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/);
      expect(f.base).toMatch(/^[0-9a-f]{40}$/);
      expect(f.describe === null ? f.note : f.describe).toBeTruthy();
    }
  });

  for (const f of manifest.forks) {
    test(`${f.name}: the series is numbered, well-formed, one paragraph per message`, () => {
      const series = readSeries(seriesDir(root, f.name));
      expect(series.length).toBeGreaterThan(0);
      series.forEach((p, i) => {
        expect(p.index).toBe(i + 1);
        expect(p.body.split(/\n\s*\n/)).toHaveLength(1);
        expect(p.body.length).toBeGreaterThan(200); // explains the change, not just names it
        expect(p.text).toContain("diff --git a/");
      });
    });
  }
});

const PATCH = (subject: string, body: string) =>
  [
    "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001",
    "From: A <a@example.invalid>",
    "Date: Sat, 1 Aug 2026 00:00:00 +0000",
    `Subject: ${subject}`,
    "",
    body,
    "---",
    " x | 1 +",
    "",
    "diff --git a/x b/x",
    "",
  ].join("\n");

describe("parsePatch", () => {
  test("accepts a format-patch with one paragraph and trailers", () => {
    const p = parsePatch(
      PATCH("[PATCH 1/2] x: y", "Why and how.\n\nSigned-off-by: A <a@example.invalid>"),
      "f",
    );
    expect(p).toMatchObject({
      subject: "x: y",
      number: [1, 2],
      body: expect.stringContaining("Why and how."),
    });
  });
  test("refuses two paragraphs, a missing [PATCH], a bad first line", () => {
    expect(() => parsePatch(PATCH("[PATCH] x", "One.\n\nTwo."), "f")).toThrow("one paragraph");
    expect(() => parsePatch(PATCH("x", "One."), "f")).toThrow("[PATCH]");
    expect(() => parsePatch(PATCH("[PATCH] x", "One.").replace(/^From 0+/, "From xyz"), "f")).toThrow(
      "first line",
    );
  });
  test("readSeries refuses gaps in the numbering", () => {
    const dir = mkdtempSync(join(tmpdir(), "runm-series-test-"));
    try {
      writeFileSync(join(dir, "0001-a.patch"), PATCH("[PATCH 1/2] a", "One."));
      writeFileSync(join(dir, "0003-b.patch"), PATCH("[PATCH 2/2] b", "One."));
      expect(() => readSeries(dir)).toThrow("expected number 0002");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("manifest and upstream checks", () => {
  const entry = {
    name: "x",
    base: "a".repeat(40),
    describe: null,
    dir: "x",
    why: "w",
    build: { cmd: ["true"], outputs: [] },
  };
  test("an upstream without a scheme is refused", () => {
    const text = JSON.stringify({ forks: [{ ...entry, upstream: "github.com/x/y" }] });
    expect(() => parseManifest(text, "m")).toThrow("must be an https:// URL");
    expect(() => checkUpstreamUrl("github.com/x/y")).toThrow("is not a URL");
    expect(() => checkUpstreamUrl("file://relative")).toThrow();
    expect(checkUpstreamUrl("file:///srv/x.git")).toBe("file:///srv/x.git");
    expect(checkUpstreamUrl("/srv/x.git")).toBe("/srv/x.git");
  });
  test("overrides: flag, then RUNM_FORKS_UPSTREAM_<NAME>, then the manifest", () => {
    const f = { name: "gvisor-tap-vsock", upstream: "https://github.com/containers/gvisor-tap-vsock.git" };
    const env = { RUNM_FORKS_UPSTREAM_GVISOR_TAP_VSOCK: "/srv/gv" };
    expect(resolveUpstream(f, new Map(), {})).toBe(f.upstream);
    expect(resolveUpstream(f, new Map(), env)).toBe("/srv/gv");
    expect(resolveUpstream(f, new Map([["gvisor-tap-vsock", "/x"]]), env)).toBe("/x");
  });
  test("closestName suggests near misses only", () => {
    expect(closestName("contianerd", ["containerd", "nerdctl"])).toBe("containerd");
    expect(closestName("zzz", ["containerd", "nerdctl"])).toBeNull();
  });
});
