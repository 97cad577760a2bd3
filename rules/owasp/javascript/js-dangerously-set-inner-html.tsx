// js-dangerously-set-inner-html in TSX: typed props, hooks, casts.
import { useEffect, useMemo, useState } from "react";
import DOMPurify from "isomorphic-dompurify";
import hljs from "highlight.js";

interface RichTextProps {
  html: string;
  className?: string;
}

export function RichText({ html, className }: RichTextProps) {
  return (
    <div className={className}>
      {/* ruleid: js-dangerously-set-inner-html */}
      <div dangerouslySetInnerHTML={{ __html: html as string }} />
    </div>
  );
}

export function RemoteBanner({ url }: { url: string }) {
  const [banner, setBanner] = useState<string>("");
  useEffect(() => {
    fetch(url).then((r) => r.text()).then(setBanner);
  }, [url]);
  // ruleid: js-dangerously-set-inner-html
  return <aside dangerouslySetInnerHTML={{ __html: banner }} />;
}

export function Email({ message }: { message: { bodyHtml?: string } }) {
  return (
    <iframe
      title="email"
      // ruleid: js-dangerously-set-inner-html
      dangerouslySetInnerHTML={{ __html: message.bodyHtml ?? "" }}
    />
  );
}

export function PreloadState({ state }: { state: Record<string, unknown> }) {
  return (
    <script
      // ruleid: js-dangerously-set-inner-html
      dangerouslySetInnerHTML={{ __html: `window.__STATE__ = ${JSON.stringify(state)}` }}
    />
  );
}

export function SafeRichText({ html }: RichTextProps) {
  const clean: string = DOMPurify.sanitize(html);
  // ok: js-dangerously-set-inner-html
  return <div dangerouslySetInnerHTML={{ __html: clean }} />;
}

export function MemoRichText({ html }: RichTextProps) {
  const clean = useMemo(() => DOMPurify.sanitize(html), [html]);
  // ok: js-dangerously-set-inner-html
  return <div dangerouslySetInnerHTML={{ __html: clean }} />;
}

export function Code({ code, language }: { code: string; language: string }) {
  // Highlighter output escapes the code.
  // ok: js-dangerously-set-inner-html
  return <pre dangerouslySetInnerHTML={{ __html: hljs.highlight(code, { language }).value }} />;
}

export function Divider() {
  // ok: js-dangerously-set-inner-html
  return <hr dangerouslySetInnerHTML={{ __html: "" }} />;
}

export function Inline<T extends { label: string }>({ item }: { item: T }) {
  // ok: js-dangerously-set-inner-html
  return <span data-html="__html">{item.label}</span>;
}
