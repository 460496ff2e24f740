// Publishes task events to containerd through its ttrpc Events service (TTRPC_ADDRESS), in the
// order they were raised: one queue, one in flight, a few retries on a fresh connection.

import { TTRPC_NAMESPACE_KEY } from "../lib/constants.ts";
import { codec, type Msg, packAny, timestamp } from "../lib/containerd/protos.ts";
import { logger } from "../lib/log.ts";
import { TtrpcClient } from "../lib/ttrpc/index.ts";

const log = logger("shim");
const FORWARD = codec("containerd.services.events.ttrpc.v1.ForwardRequest");

/** containerd's topic for each event message. */
export const TOPICS = {
  "containerd.events.TaskCreate": "/tasks/create",
  "containerd.events.TaskStart": "/tasks/start",
  "containerd.events.TaskExit": "/tasks/exit",
  "containerd.events.TaskDelete": "/tasks/delete",
  "containerd.events.TaskExecAdded": "/tasks/exec-added",
  "containerd.events.TaskExecStarted": "/tasks/exec-started",
  "containerd.events.TaskOOM": "/tasks/oom",
  "containerd.events.TaskPaused": "/tasks/paused",
  "containerd.events.TaskResumed": "/tasks/resumed",
} as const;
export type EventType = keyof typeof TOPICS;

export interface Publisher {
  publish(type: EventType, event: Msg): void;
  /** Resolves once everything queued so far was delivered (or given up on). */
  flush(): Promise<void>;
  close(): void;
}

export function createPublisher(ttrpcAddress: string, namespace: string): Publisher {
  let client: TtrpcClient | undefined;
  let tail: Promise<void> = Promise.resolve();

  const send = async (type: EventType, event: Msg, at: number) => {
    const body = FORWARD.encode({
      envelope: { timestamp: timestamp(at), namespace, topic: TOPICS[type], event: packAny(type, event) },
    });
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        client ??= await TtrpcClient.connect(ttrpcAddress);
        await client.call("containerd.services.events.ttrpc.v1.Events", "Forward", body, {
          timeoutMs: 5000,
          metadata: { [TTRPC_NAMESPACE_KEY]: [namespace] },
        });
        log.debug(`published ${TOPICS[type]}`);
        return;
      } catch (e) {
        client?.close();
        client = undefined;
        log.warn(`publishing ${TOPICS[type]} failed (attempt ${attempt}): ${String(e)}`);
        await Bun.sleep(100 * attempt);
      }
    }
  };

  return {
    publish(type, event) {
      const at = Date.now();
      tail = tail.then(() => send(type, event, at));
    },
    flush: () => tail,
    close() {
      client?.close();
      client = undefined;
    },
  };
}
