// The original runm's 2025-08-18 postgres scenario: postgres published on the host's loopback (-p
// 5432:5432, or a free port when 5432 is taken), its data directory a host directory owned by an
// unprivileged user, configured by POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB. The host's own
// psql logs in with the password over the published port and writes a row; after a clean shutdown
// a second container on the same directory reads the row back.
//
// `--user`: ctr has no `run --user`, so the image's entrypoint runs postgres as the data
// directory's owner (uid 1000 here), which is what `--user 1000:1000` gives under nerdctl/docker.
import { chownSync } from "node:fs";
import { RUNM_RUNTIME_NAME } from "../lib/constants.ts";
import {
  AssertionError,
  assertEqual,
  defineScenario,
  freePort,
  portFree,
  type RunSpec,
  type ScenarioContext,
  waitFor,
} from "../lib/scenario/index.ts";

/** A regular user's ids, as `--user "$(id -u):$(id -g)"` would give on a desktop. */
const DATA_OWNER = 1000;
const PGDATA = "/var/lib/postgresql/data";
const PASSWORD = `pw-${crypto.randomUUID()}`;
const ROW = `written through 127.0.0.1 at ${new Date().toISOString()}`;

let dataDir = "";
let port = 0;
let first = "";
let second = "";

function postgres(name: string, image: string): RunSpec {
  return {
    image,
    name,
    detach: true,
    publish: [{ host: port, container: 5432 }],
    env: ["POSTGRES_USER=runm", `POSTGRES_PASSWORD=${PASSWORD}`, "POSTGRES_DB=scenario"],
    mounts: [{ type: "bind", source: dataDir, target: PGDATA }],
  };
}

/** The host's psql (Debian's postgresql-client) against the published port, as runm. */
function hostPsql(
  ctx: ScenarioContext,
  args: string[],
  o: { password?: string; input?: string; allowFail?: boolean } = {},
) {
  return ctx.sh(
    [
      "psql",
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "runm",
      "-d",
      "scenario",
      "-v",
      "ON_ERROR_STOP=1",
      "-At",
      ...args,
    ],
    {
      env: { PGPASSWORD: o.password ?? PASSWORD, PGCONNECT_TIMEOUT: "3" },
      input: o.input,
      allowFail: o.allowFail,
      quiet: o.allowFail,
    },
  );
}

/** psql inside the container, over its unix socket (local connections are trusted). */
function containerPsql(ctx: ScenarioContext, name: string, sql: string, allowFail = false) {
  return ctx.client.exec(
    name,
    {
      cmd: ["psql", "-h", "/tmp", "-U", "runm", "-d", "scenario", "-At", "-c", sql],
      execId: `psql-${Date.now()}`,
    },
    { allowFail, quiet: allowFail },
  );
}

async function stopped(ctx: ScenarioContext, name: string): Promise<boolean> {
  const t = (await ctx.client.tasks()).find((t) => t.name === name);
  return t === undefined || t.status === "STOPPED";
}

/** A postgres that exits while we wait for it has failed: say why, from its own output. */
async function failIfExited(ctx: ScenarioContext, name: string): Promise<void> {
  if (await stopped(ctx, name))
    throw new AssertionError(
      `${name} exited before accepting connections; its output:\n${await ctx.client.logs(name)}`,
    );
}

export default defineScenario({
  id: "2025-08-18:02",
  description:
    "postgres -p 5432:5432 on a host data dir owned by uid 1000 with POSTGRES_* env; host psql writes a row, a second container reads it back",
  // Publishing with ctr is runm's annotation (the VM's port forward); plain runc has no such thing.
  runtimes: [RUNM_RUNTIME_NAME],
  steps: [
    {
      name: "run postgres detached on an empty host data dir",
      async run(ctx) {
        dataDir = await ctx.tmpDir();
        chownSync(dataDir, DATA_OWNER, DATA_OWNER);
        port = (await portFree(5432)) ? 5432 : await freePort();
        if (port !== 5432) ctx.note(`127.0.0.1:5432 is taken on this host: publishing ${port} instead`);
        first = ctx.name("postgres");
        await ctx.client.run(postgres(first, await ctx.image("postgres")));
      },
    },
    {
      name: "the host's psql logs in with the password through the published port",
      async run(ctx) {
        // initdb on the first start takes a while under TCG.
        await waitFor(
          async () => {
            if ((await hostPsql(ctx, ["-c", "select 1"], { allowFail: true })).code === 0) return true;
            await failIfExited(ctx, first);
            return false;
          },
          300_000,
          `postgres on 127.0.0.1:${port}`,
          1_000,
        );
        const wrong = await hostPsql(ctx, ["-c", "select 1"], {
          password: "not-the-password",
          allowFail: true,
        });
        assertEqual(wrong.code === 0, false, "a wrong password is refused");
      },
    },
    {
      name: "the host writes a row",
      async run(ctx) {
        await hostPsql(ctx, ["-c", "create table notes (id serial primary key, body text not null)"]);
        // The row's text goes in as a psql variable, quoted by psql.
        const r = await hostPsql(ctx, ["-v", `body=${ROW}`], {
          input: "insert into notes (body) values (:'body') returning id;\n",
        });
        assertEqual(r.stdout.trim().split("\n")[0], "1", "the new row's id");
      },
    },
    {
      name: "the database files belong to the data dir's owner",
      async run(ctx) {
        const r = await ctx.client.exec(first, {
          cmd: ["stat", "-c", "%u:%g %a", PGDATA, `${PGDATA}/PG_VERSION`],
          execId: "stat",
        });
        assertEqual(
          r.stdout.trim().split("\n"),
          [`${DATA_OWNER}:${DATA_OWNER} 700`, `${DATA_OWNER}:${DATA_OWNER} 600`],
          "owner and mode",
        );
        const pid1 = await ctx.client.exec(first, { cmd: ["stat", "-c", "%u", "/proc/1"], execId: "pid1" });
        assertEqual(pid1.stdout.trim(), String(DATA_OWNER), "postgres (PID 1) runs as the owner");
      },
    },
    {
      name: "a clean shutdown (SIGINT to postgres, PID 1)",
      async run(ctx) {
        await ctx.client.exec(first, { cmd: ["sh", "-c", "kill -INT 1"], execId: "stop" });
        await waitFor(() => stopped(ctx, first), 120_000, `${first} to stop`, 500);
        await ctx.client.removeForce(first);
      },
    },
    {
      name: "a second container on the same data dir reads the row back",
      async run(ctx) {
        second = ctx.name("postgres-again");
        await ctx.client.run(postgres(second, await ctx.image("postgres")));
        const r = await waitFor(
          async () => {
            const q = await containerPsql(ctx, second, "select body from notes where id = 1", true);
            if (q.code === 0) return q;
            await failIfExited(ctx, second);
            return undefined;
          },
          180_000,
          "postgres in the second container",
          1_000,
        );
        assertEqual(r.stdout.trim(), ROW, "the row the host wrote");
      },
    },
    {
      name: "force-remove it",
      async run(ctx) {
        await ctx.client.removeForce(second);
      },
    },
  ],
});
