import { expect, test } from "bun:test";
import { isRunmError } from "../../lib/errors.ts";
import { execStateMachine } from "./exec-state.ts";
import { initStateMachine } from "./init-state.ts";

test("init: legal path and a refused operation names the state", () => {
  const m = initStateMachine("c1");
  m.assert("start");
  m.transition("running");
  m.transition("paused");
  let err: unknown;
  try {
    m.assert("exec");
  } catch (e) {
    err = e;
  }
  expect(isRunmError(err, "FailedPrecondition")).toBe(true);
  expect((err as Error).message).toBe("cannot exec container c1 in state paused");
  m.transition("stopped");
  expect(() => m.transition("running")).toThrow("illegal transition stopped -> running");
});

test("exec: cannot be deleted while running", () => {
  const m = execStateMachine("e1");
  m.transition("running");
  expect(() => m.assert("delete")).toThrow("cannot delete exec e1 in state running");
});
