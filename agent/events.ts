// Lifecycle events fan out to every Events stream. Events are small and rare, so each subscriber
// gets an unbounded queue; a subscriber that goes away simply unsubscribes.
export type EventType =
  | "create"
  | "start"
  | "exec_added"
  | "exec_started"
  | "exit"
  | "oom"
  | "paused"
  | "resumed"
  | "delete";

export interface AgentEvent {
  type: EventType;
  containerId: string;
  execId: string;
  pid: number;
  exitStatus: number;
  timestamp: Date;
}

export class EventBus {
  private readonly subscribers = new Set<(e: AgentEvent) => void>();

  publish(e: Omit<AgentEvent, "timestamp" | "execId" | "pid" | "exitStatus"> & Partial<AgentEvent>): void {
    const full: AgentEvent = { execId: "", pid: 0, exitStatus: 0, timestamp: new Date(), ...e };
    for (const s of this.subscribers) s(full);
  }

  /** Events from now on; ends when `signal` aborts. */
  async *subscribe(signal: AbortSignal): AsyncGenerator<AgentEvent> {
    const queue: AgentEvent[] = [];
    let wake: (() => void) | undefined;
    const push = (e: AgentEvent) => {
      queue.push(e);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.subscribers.add(push);
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    } finally {
      this.subscribers.delete(push);
      signal.removeEventListener("abort", onAbort);
    }
  }
}
