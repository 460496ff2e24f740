export { AgentClient, callDeadline, DEFAULT_CALL_TIMEOUT_MS } from "./client.ts";
export type * from "./types.ts";
