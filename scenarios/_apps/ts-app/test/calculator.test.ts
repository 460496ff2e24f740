import { expect, test } from "bun:test";
import { add, divide, multiply, subtract, sumOfSquares } from "../src/calculator.ts";

test("the four operations", () => {
  expect([add(2, 3), subtract(2, 3), multiply(4, 5), divide(9, 3)]).toEqual([5, -1, 20, 3]);
});

test("division by zero is refused", () => {
  expect(() => divide(1, 0)).toThrow("division by zero");
});

test("sum of squares", () => {
  expect(sumOfSquares(3)).toBe(14);
  expect(sumOfSquares(50)).toBe(42925);
});
