// js-eval-dynamic in TSX: JSX and generics need the tsx grammar.
import { useState } from "react";

export function Calculator<T extends string>({ initial }: { initial: T }) {
  const [expr, setExpr] = useState<string>(initial);
  return (
    <div className="calculator">
      <input value={expr} onChange={(e) => setExpr(e.target.value)} />
      {/* ruleid: js-eval-dynamic */}
      <button onClick={() => alert(eval(expr))}>=</button>
      {/* ok: js-eval-dynamic */}
      <span title="eval(expr) is how this works">{eval("6 * 7")}</span>
    </div>
  );
}
