// Test cases for js-dangerously-set-inner-html: `ruleid:` marks the next line as one that must
// be reported, `ok:` one that must not. JSX in .js files parses with the javascript grammar.
import React, { useMemo } from "react";
import DOMPurify from "dompurify";
import sanitizeHtml from "sanitize-html";
import { marked } from "marked";

export function Comment({ comment }) {
  return (
    <div className="comment">
      <strong>{comment.author}</strong>
      {/* ruleid: js-dangerously-set-inner-html */}
      <p dangerouslySetInnerHTML={{ __html: comment.body }} />
    </div>
  );
}

export function Article({ markdown }) {
  return (
    <article
      className="prose"
      // ruleid: js-dangerously-set-inner-html
      dangerouslySetInnerHTML={{
        __html: marked.parse(markdown),
      }}
    />
  );
}

export function SearchSummary() {
  const query = new URLSearchParams(window.location.search).get("q");
  // ruleid: js-dangerously-set-inner-html
  return <h2 dangerouslySetInnerHTML={{ __html: `Results for <em>${query}</em>` }} />;
}

export function Legacy({ html }) {
  // ruleid: js-dangerously-set-inner-html
  return React.createElement("div", { dangerouslySetInnerHTML: { __html: html } });
}

// The markup object built ahead of the element is where the content goes in.
export function Bio({ user }) {
  // ruleid: js-dangerously-set-inner-html
  const markup = { __html: user.bioHtml };
  return <section dangerouslySetInnerHTML={markup} />;
}

export function Widget({ settings }) {
  const content = settings.customHtml || "<p>Nothing yet</p>";
  return (
    // ruleid: js-dangerously-set-inner-html
    <div dangerouslySetInnerHTML={{ "__html": content }}></div>
  );
}

// --- negatives -------------------------------------------------------------------------------

export function SafeComment({ comment }) {
  return (
    // ok: js-dangerously-set-inner-html
    <p dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(comment.body) }} />
  );
}

export function SafeArticle({ markdown }) {
  const clean = DOMPurify.sanitize(marked.parse(markdown), { USE_PROFILES: { html: true } });
  return (
    <article
      className="prose"
      // ok: js-dangerously-set-inner-html
      dangerouslySetInnerHTML={{
        __html: clean,
      }}
    />
  );
}

export function SanitizedNote({ note }) {
  const safe = sanitizeHtml(note.html, { allowedTags: ["b", "i", "a"] });
  // ok: js-dangerously-set-inner-html
  return <div dangerouslySetInnerHTML={{ __html: safe }} />;
}

// Server-side rendering: DOMPurify bound to a jsdom window, as its README shows.
const createDOMPurify = require("dompurify");
const { JSDOM } = require("jsdom");
const serverPurify = createDOMPurify(new JSDOM("").window);
export function ServerNote({ note }) {
  // ok: js-dangerously-set-inner-html
  return <div dangerouslySetInnerHTML={{ __html: serverPurify.sanitize(note) }} />;
}

export function Copyright() {
  // ok: js-dangerously-set-inner-html
  return <footer dangerouslySetInnerHTML={{ __html: "&copy; 2024 Acme, Inc." }} />;
}

// A theme script written out in full: constant text.
export function ThemeScript() {
  return (
    <script
      // ok: js-dangerously-set-inner-html
      dangerouslySetInnerHTML={{
        __html: `(function () {
          var t = localStorage.getItem("theme");
          if (t) document.documentElement.dataset.theme = t;
        })();`,
      }}
    />
  );
}

export function JsonLd({ product }) {
  const schema = { "@context": "https://schema.org", "@type": "Product", name: product.name };
  return (
    // ok: js-dangerously-set-inner-html
    <script type="application/ld+json" dangerouslySetInnerHTML={{ __html: JSON.stringify(schema) }} />
  );
}

export function Plain({ text }) {
  // React escapes children: no dangerouslySetInnerHTML, nothing to report.
  // ok: js-dangerously-set-inner-html
  return <p title="dangerouslySetInnerHTML={{ __html: x }}">{text}</p>;
}

// ok: js-dangerously-set-inner-html
// <div dangerouslySetInnerHTML={{ __html: userHtml }} />
