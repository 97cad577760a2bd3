// js-eval-dynamic in TypeScript: casts and non-null assertions do not hide the argument.

interface Formula {
  source: string;
}

export function evaluateFormula(formula: Formula): number {
  // ruleid: js-eval-dynamic
  return eval(formula.source as string) as number;
}

export class Sandbox {
  // ruleid: js-eval-dynamic
  private readonly run = (code: string | undefined): unknown => eval(code!);

  build(args: string[], body: string): Function {
    // ruleid: js-eval-dynamic
    return new Function(...args, body);
  }

  constant(): Function {
    // ok: js-eval-dynamic
    return new Function("x", "return x * 2" as string);
  }
}

// ok: js-eval-dynamic
const two: number = eval(<string>"1 + 1");

// ok: js-eval-dynamic
type Evaluator = { eval(input: string): unknown };

import * as vm from "node:vm";

export function runHook(hook: { code: string }, context: vm.Context): unknown {
  // ruleid: js-eval-dynamic
  return vm.runInContext(hook.code as string, context);
}

export function delayedCall(name: string, ms: number): NodeJS.Timeout {
  // ruleid: js-eval-dynamic
  return setTimeout(`${name}()`, ms);
}

// ok: js-eval-dynamic
const handle: ReturnType<typeof setInterval> = setInterval((): void => tick(), 1000);

// ok: js-eval-dynamic
const script: vm.Script = new vm.Script("1 + 1");
