// js-dangerously-set-inner-html in TSX: typed props, hooks, casts.
import { useEffect, useMemo, useState } from "react";
import DOMPurify from "isomorphic-dompurify";
import hljs from "highlight.js";
import { marked } from "marked";
import sanitizeHtml from "sanitize-html";

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

// --- Real-world idioms --------------------------------------------------------------------------

export function MarkdownPreview({ source }: { source: string }) {
  const html = DOMPurify.sanitize(marked.parse(source) as string);
  // ok: js-dangerously-set-inner-html
  return <article dangerouslySetInnerHTML={{ __html: html }} />;
}

export function MarkdownUnsafe({ source }: { source: string }) {
  // ruleid: js-dangerously-set-inner-html
  return <article dangerouslySetInnerHTML={{ __html: marked.parse(source) as string }} />;
}

export function JsonLd({ data }: { data: object }) {
  // ok: js-dangerously-set-inner-html
  return <script type="application/ld+json" dangerouslySetInnerHTML={{ __html: JSON.stringify(data) }} />;
}

export function CmsBlock({ block }: { block: { body: string } }) {
  // ruleid: js-dangerously-set-inner-html
  return <section dangerouslySetInnerHTML={{ __html: block.body }} />;
}

export function Comment({ body }: { body: string }) {
  const clean = sanitizeHtml(body, { allowedTags: ["b", "i", "a"] });
  // ok: js-dangerously-set-inner-html
  return <p dangerouslySetInnerHTML={{ __html: clean }} />;
}

const ICON = "<svg viewBox='0 0 10 10'><circle cx='5' cy='5' r='4'/></svg>";

export function Icon() {
  // ok: js-dangerously-set-inner-html
  return <span dangerouslySetInnerHTML={{ __html: ICON }} />;
}

export function Highlight({ text, term }: { text: string; term: string }) {
  // ruleid: js-dangerously-set-inner-html
  return <span dangerouslySetInnerHTML={{ __html: text.replace(term, `<mark>${term}</mark>`) }} />;
}
