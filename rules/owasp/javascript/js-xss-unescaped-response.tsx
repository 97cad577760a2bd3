// js-xss-unescaped-response in TSX: DOM writes from client components.
import { useEffect, useRef } from "react";
import { useSearchParams } from "next/navigation";
import DOMPurify from "dompurify";

export function Greeting() {
  const ref = useRef<HTMLDivElement>(null);
  const searchParams = useSearchParams();
  useEffect(() => {
    const who = searchParams.get("who") ?? "friend";
    if (ref.current) {
      // ruleid: js-xss-unescaped-response
      ref.current.innerHTML = `<strong>Hi ${who}</strong>`;
    }
  }, [searchParams]);
  return <div ref={ref} />;
}

export function Notes() {
  const ref = useRef<HTMLUListElement>(null);
  return (
    <div>
      <input
        onKeyDown={(e) => {
          // ruleid: js-xss-unescaped-response
          ref.current?.insertAdjacentHTML("beforeend", `<li>${(e.target as HTMLInputElement).value}</li>`);
        }}
        onChange={(e) => {
          // ok: js-xss-unescaped-response
          ref.current!.textContent = e.target.value;
        }}
      />
      <ul ref={ref} />
    </div>
  );
}

export function SafeGreeting() {
  const ref = useRef<HTMLDivElement>(null);
  const searchParams = useSearchParams();
  useEffect(() => {
    const who = DOMPurify.sanitize(searchParams.get("who") ?? "");
    // ok: js-xss-unescaped-response
    if (ref.current) ref.current.innerHTML = `<strong>Hi ${who}</strong>`;
  }, [searchParams]);
  return <div ref={ref} />;
}

export function Static() {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // ok: js-xss-unescaped-response
    ref.current!.innerHTML = "<em>loading…</em>";
  }, []);
  return <div ref={ref} />;
}
