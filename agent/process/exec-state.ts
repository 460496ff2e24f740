// States of an exec'd process: registered by Exec, launched by Start, reaped, then deleted.
import { StateMachine, type StateTable } from "./state.ts";

export type ExecStatus = "created" | "running" | "stopped" | "deleted";
export type ExecOp = "start" | "kill" | "delete" | "resize";

export const EXEC_STATES: StateTable<ExecStatus, ExecOp> = {
  transitions: {
    created: ["running", "stopped", "deleted"],
    running: ["stopped"],
    stopped: ["deleted"],
    deleted: [],
  },
  allows: {
    created: ["start", "delete"],
    running: ["kill", "resize"],
    stopped: ["delete"],
    deleted: [],
  },
};

export const execStateMachine = (id: string) =>
  new StateMachine<ExecStatus, ExecOp>(EXEC_STATES, "created", `exec ${id}`);
