// A small calculator: the module the scenario's tests exercise.
export const add = (a: number, b: number) => a + b;
export const subtract = (a: number, b: number) => a - b;
export const multiply = (a: number, b: number) => a * b;

export function divide(a: number, b: number): number {
  if (b === 0) throw new RangeError("division by zero");
  return a / b;
}

/** Sum of squares 1..n, through the operations above. */
export function sumOfSquares(n: number): number {
  let total = 0;
  for (let i = 1; i <= n; i++) total = add(total, multiply(i, i));
  return total;
}
