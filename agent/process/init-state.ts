// States of a container's init process (what `runc state` reports, plus deleted).
import { StateMachine, type StateTable } from "./state.ts";

export type InitStatus = "created" | "running" | "paused" | "stopped" | "deleted";
export type InitOp =
  | "start"
  | "exec"
  | "kill"
  | "delete"
  | "pause"
  | "resume"
  | "update"
  | "stats"
  | "ps"
  | "resize";

export const INIT_STATES: StateTable<InitStatus, InitOp> = {
  transitions: {
    created: ["running", "stopped", "deleted"],
    running: ["paused", "stopped"],
    paused: ["running", "stopped"],
    stopped: ["deleted"],
    deleted: [],
  },
  allows: {
    created: ["start", "kill", "delete", "update", "stats", "ps", "resize"],
    running: ["exec", "kill", "pause", "update", "stats", "ps", "resize"],
    // A paused container can still be killed (runc thaws it to deliver SIGKILL) and inspected.
    paused: ["kill", "resume", "update", "stats", "ps"],
    stopped: ["delete", "kill", "stats"],
    deleted: [],
  },
};

export const initStateMachine = (id: string) =>
  new StateMachine<InitStatus, InitOp>(INIT_STATES, "created", `container ${id}`);
