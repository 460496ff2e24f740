// The original runm's 2025-08-18 nginx scenario: nginx published on the host's loopback (-p
// 8080:80, or a free port when 8080 is taken), serving a host html directory bound read-only at
// /usr/share/nginx/html, configured through -e NGINX_HOST -e NGINX_PORT (the nginx image writes
// its site from a template with those two, as the official image does). The host fetches the
// page through the published port and gets the file's exact bytes.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RUNM_RUNTIME_NAME } from "../lib/constants.ts";
import {
  assertEqual,
  assertIncludes,
  defineScenario,
  freePort,
  portFree,
  waitFor,
} from "../lib/scenario/index.ts";

const PAGE = "<!doctype html>\n<title>runm</title>\n<h1>served by nginx in a micro-VM</h1>\n";
let name = "";
let port = 0;

async function fetchBytes(url: string): Promise<Uint8Array | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return r.ok ? new Uint8Array(await r.arrayBuffer()) : undefined;
  } catch {
    return undefined;
  }
}

export default defineScenario({
  id: "2025-08-18:01",
  description:
    "nginx -p 8080:80 with a read-only html dir and NGINX_HOST/NGINX_PORT; the host gets the page's exact bytes",
  // Publishing with ctr is runm's annotation (the VM's port forward); plain runc has no such thing.
  runtimes: [RUNM_RUNTIME_NAME],
  steps: [
    {
      name: "run nginx detached with the html dir and the env",
      async run(ctx) {
        const html = await ctx.tmpDir();
        writeFileSync(join(html, "index.html"), PAGE);
        // nginx's workers run as www-data: the dir must be world-readable, as a served dir is.
        chmodSync(html, 0o755);
        chmodSync(join(html, "index.html"), 0o644);
        port = (await portFree(8080)) ? 8080 : await freePort();
        if (port !== 8080) ctx.note(`127.0.0.1:8080 is taken on this host: publishing ${port} instead`);
        name = ctx.name("nginx");
        await ctx.client.run({
          image: await ctx.image("nginx"),
          name,
          detach: true,
          publish: [{ host: port, container: 80 }],
          env: ["NGINX_HOST=runm.example", "NGINX_PORT=80"],
          mounts: [{ type: "bind", source: html, target: "/usr/share/nginx/html", readonly: true }],
        });
      },
    },
    {
      name: "the host fetches the page through the published port: the file's exact bytes",
      async run() {
        const body = await waitFor(
          () => fetchBytes(`http://127.0.0.1:${port}/`),
          120_000,
          `nginx on 127.0.0.1:${port}`,
          500,
        );
        assertEqual(new TextDecoder().decode(body), PAGE, "the page as served");
        assertEqual(body.length, new TextEncoder().encode(PAGE).length, "byte count");
      },
    },
    {
      name: "the env reached nginx's config",
      async run(ctx) {
        const r = await ctx.client.exec(name, {
          cmd: ["cat", "/etc/nginx/sites-enabled/default"],
          execId: "conf",
        });
        assertIncludes(r.stdout, "listen 80;", "the port from NGINX_PORT");
        assertIncludes(r.stdout, "server_name runm.example;", "the host from NGINX_HOST");
      },
    },
    {
      name: "force-remove it",
      async run(ctx) {
        await ctx.client.removeForce(name);
      },
    },
  ],
});
