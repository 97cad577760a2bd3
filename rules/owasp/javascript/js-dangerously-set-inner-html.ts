// js-dangerously-set-inner-html in .ts: no JSX, but createElement and markup helpers.
import { createElement } from "react";
import DOMPurify from "dompurify";

export function toMarkup(html: string): { __html: string } {
  // ruleid: js-dangerously-set-inner-html
  return { __html: html };
}

export function renderSnippet(snippet: { html: string }) {
  // ruleid: js-dangerously-set-inner-html
  return createElement("div", {
    className: "snippet",
    dangerouslySetInnerHTML: { __html: snippet.html },
  });
}

export function toSafeMarkup(html: string): { __html: string } {
  // ok: js-dangerously-set-inner-html
  return { __html: DOMPurify.sanitize(html) };
}

// ok: js-dangerously-set-inner-html
export const EMPTY_MARKUP = { __html: "<!-- empty -->" };

// ok: js-dangerously-set-inner-html
export type Markup = { __html: string };
