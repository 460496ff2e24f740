// What scenario scripts import.
export { AssertionError, assert, assertEqual, assertIncludes, assertMatch } from "./assert.ts";
export type { Mount, RunSpec } from "./client.ts";
export { freePort, getLoopback, portFree } from "./net.ts";
export { inPty, TmuxTerminal } from "./pty.ts";
export { defineScenario, type Scenario, type ScenarioContext } from "./types.ts";
export { startSleeper, waitFor } from "./wait.ts";
