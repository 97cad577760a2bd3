// js-regex-from-user-input in TSX: client-side search boxes.
import { useState } from "react";
import { useSearchParams } from "next/navigation";
import escapeStringRegexp from "escape-string-regexp";

export function HighlightedList({ items }: { items: string[] }) {
  const searchParams = useSearchParams();
  const term = searchParams.get("term") ?? "";
  // ruleid: js-regex-from-user-input
  const re = new RegExp(`(${term})`, "gi");
  return (
    <ul>
      {items.map((item) => (
        <li key={item}>{item.replace(re, "**$1**")}</li>
      ))}
    </ul>
  );
}

export function FilterBox({ rows }: { rows: string[] }) {
  const [pattern, setPattern] = useState<string>("");
  // ok: js-regex-from-user-input
  const safe = new RegExp(escapeStringRegexp(pattern), "i");
  return (
    <div>
      <input
        onChange={(e) => {
          // ruleid: js-regex-from-user-input
          const live = new RegExp(e.target.value, "i");
          setPattern(rows.filter((r) => live.test(r)).join(","));
        }}
      />
      {/* ok: js-regex-from-user-input */}
      <span title="new RegExp(e.target.value)">{rows.filter((r) => safe.test(r)).length}</span>
    </div>
  );
}
