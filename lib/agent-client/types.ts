// Plain TypeScript types the agent client returns: no proto or gRPC types leak past the adapter.
import type { StatsResponse } from "../proto/wire.ts";

export interface ProcessId {
  containerId: string;
  /** Empty or absent: the container's init. */
  execId?: string;
}

export interface StdioOptions {
  terminal?: boolean;
  /** Open a stdin pipe (ignored with a terminal, which always has input). */
  stdin?: boolean;
}

export interface AgentInfo {
  version: string;
  arch: string;
  /** Guest kernel uptime when the agent started and when it began serving (ms). */
  uptimeAtStartMs: number;
  uptimeAtReadyMs: number;
  guestTime: Date;
  runcVersion: string;
  /** CPU time the agent has used (µs) and readiness signals it has handled, so far. */
  agentCpuUsec: number;
  readinessSignals: number;
}

export interface ExitResult {
  /** Exit code, or 128 + signal. */
  exitStatus: number;
  exitedAt: Date;
}

export interface ProcessState {
  containerId: string;
  execId: string;
  pid: number;
  status: "created" | "running" | "paused" | "stopped" | "deleted";
  exitStatus: number;
  exitedAt?: Date;
  terminal: boolean;
  bundle: string;
}

/** Plain numbers already: the wire message is the client's type. */
export type ContainerStats = StatsResponse;

export interface AgentEvent {
  type: "create" | "start" | "exec_added" | "exec_started" | "exit" | "oom" | "paused" | "resumed" | "delete";
  containerId: string;
  execId: string;
  pid: number;
  exitStatus: number;
  timestamp: Date;
}
