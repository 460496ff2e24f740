// TypeScript shapes of the agent.proto messages as protobufjs decodes them (camelCase fields,
// uint64 as number, defaults filled in). Mirrors lib/proto/agent.proto; only agent/server and
// lib/agent-client use these.
export interface ProcessRef {
  containerId: string;
  execId: string;
}
export interface Stdio {
  terminal: boolean;
  stdin: boolean;
}
export interface HelloResponse {
  version: string;
  arch: string;
  uptimeAtStartMs: number;
  uptimeAtReadyMs: number;
  nowUnixMs: number;
  runcVersion: string;
  agentCpuUsec: number;
  readinessSignals: number;
}
export interface SetupRequest {
  unixMs: number;
  entropy: Uint8Array;
  logLevel: string;
  sandboxId: string;
  runtime: string;
}
export interface ConfigureNetworkRequest {
  mac: string;
  mtu: number;
  addresses: string[];
  routes: { destination: string; gateway: string }[];
}
export interface UnmountRequest {
  target: string;
}
export interface MountShareRequest {
  fstype: string;
  tag: string;
  target: string;
  readOnly: boolean;
}
export interface CreateRequest {
  containerId: string;
  specJson: string;
  rootfs: string;
  stdio: Stdio;
}
export interface PidResponse {
  pid: number;
}
export interface ProcessRequest {
  process: ProcessRef;
}
export interface ExecRequest extends ProcessRequest {
  processJson: string;
  stdio: Stdio;
}
export interface KillRequest extends ProcessRequest {
  signal: number;
  all: boolean;
}
export interface DeleteResponse {
  pid: number;
  exitStatus: number;
  exitedAtUnixMs: number;
}
export interface StateResponse {
  containerId: string;
  execId: string;
  pid: number;
  status: string;
  exitStatus: number;
  exitedAtUnixMs: number;
  terminal: boolean;
  bundle: string;
}
export interface ContainerRequest {
  containerId: string;
}
export interface PsResponse {
  processes: { pid: number; command: string }[];
}
export interface UpdateRequest extends ContainerRequest {
  resourcesJson: string;
}
export interface StatsResponse {
  cpuUsageUsec: number;
  cpuUserUsec: number;
  cpuSystemUsec: number;
  memoryUsageBytes: number;
  memoryLimitBytes: number;
  memoryOomKills: number;
  pidsCurrent: number;
  pidsLimit: number;
  ioReadBytes: number;
  ioWriteBytes: number;
}
export interface WaitResponse {
  exitStatus: number;
  exitedAtUnixMs: number;
}
export interface ResizePtyRequest extends ProcessRequest {
  width: number;
  height: number;
}
export interface AttachOutputRequest extends ProcessRequest {
  stream: string;
  channelStream: number;
}
export interface AttachStdinRequest extends ProcessRequest {
  channelStream: number;
}
export interface Event {
  type: string;
  containerId: string;
  execId: string;
  pid: number;
  exitStatus: number;
  timestampUnixMs: number;
}

/** Metadata key carrying a RunmError's hint across the wire. */
export const HINT_METADATA_KEY = "runm-hint";
export interface GuestSocket {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}
export interface ForwardHostPortsRequest {
  ports: number[];
  sockets: GuestSocket[];
}
export interface ForwardedConnection {
  id: string;
  port: number;
  socket: string;
}
export interface TunnelData {
  id: string;
  data: Uint8Array;
  eof: boolean;
}
