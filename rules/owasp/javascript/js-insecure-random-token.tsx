// js-insecure-random-token in TSX.
import { useMemo, useState } from "react";

export function Confetti({ count }: { count: number }) {
  // ok: js-insecure-random-token
  const pieces = useMemo(() => Array.from({ length: count }, () => ({ left: Math.random() * 100 })), [count]);
  return (
    <div>
      {pieces.map((p, i) => (
        // ok: js-insecure-random-token
        <span key={Math.random()} style={{ left: `${p.left}%` }} />
      ))}
    </div>
  );
}

export function LoginForm() {
  // ruleid: js-insecure-random-token
  const [csrfToken] = useState<string>(() => Math.random().toString(36).slice(2));
  return <input type="hidden" name="_csrf" value={csrfToken} />;
}
