// A tiny state machine: each state lists its legal successors and the operations it allows;
// anything else throws FailedPrecondition "cannot X in state Y" (containerd's init_state.go idea).
import { failedPrecondition, internal } from "../../lib/errors.ts";

export interface StateTable<S extends string, Op extends string> {
  transitions: Record<S, readonly S[]>;
  allows: Record<S, readonly Op[]>;
}

export class StateMachine<S extends string, Op extends string> {
  constructor(
    private readonly table: StateTable<S, Op>,
    private current: S,
    private readonly what: string,
  ) {}

  get state(): S {
    return this.current;
  }

  /** Throw unless `op` is legal now. */
  assert(op: Op): void {
    if (!this.table.allows[this.current].includes(op)) {
      throw failedPrecondition(`cannot ${op} ${this.what} in state ${this.current}`);
    }
  }

  is(...states: S[]): boolean {
    return states.includes(this.current);
  }

  transition(next: S): void {
    if (next === this.current) return;
    if (!this.table.transitions[this.current].includes(next)) {
      throw internal(`${this.what}: illegal transition ${this.current} -> ${next}`);
    }
    this.current = next;
  }
}
