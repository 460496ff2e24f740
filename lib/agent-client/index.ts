export { AgentClient } from "./client.ts";
export type * from "./types.ts";
