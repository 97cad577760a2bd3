// Test cases for js-external-link-noreferrer (JSX in .js): `ruleid:` marks the next line as one
// that must be reported, `ok:` one that must not. Run with: python -m pytest tests/test_rules.py
import React from "react";

// ruleid: js-external-link-noreferrer
const docsLink = <a href="https://docs.example.com" target="_blank">Docs</a>;

// noopener alone still sends the Referer.
// ruleid: js-external-link-noreferrer
const statusLink = <a href="https://status.example.com" target="_blank" rel="noopener">Status</a>;

export function Partner({ partner }) {
  // ruleid: js-external-link-noreferrer
  return (
    <a
      className="partner"
      href={partner.url}
      target={"_blank"}
    >
      {partner.name}
    </a>
  );
}

export function Avatar({ user }) {
  // ruleid: js-external-link-noreferrer
  return <a href={`https://github.com/${user.login}`} target="_blank" rel="external" />;
}

export function openHelp(topic) {
  // ruleid: js-external-link-noreferrer
  window.open(`https://help.example.com/${topic}`, "_blank");
}

export function share(url) {
  // ruleid: js-external-link-noreferrer
  window.open("https://twitter.com/intent/tweet?url=" + encodeURIComponent(url), "share", "width=600,height=400");
}

export function popup(url) {
  // ruleid: js-external-link-noreferrer
  const win = window.open(url);
  return win;
}

export function renderLink(href, text) {
  // ruleid: js-external-link-noreferrer
  return `<a href="${href}" target="_blank">${text}</a>`;
}

// ---- negatives -------------------------------------------------------------------------------

// ok: js-external-link-noreferrer
const safeDocs = <a href="https://docs.example.com" target="_blank" rel="noopener noreferrer">Docs</a>;

// ok: js-external-link-noreferrer
const internal = <a href="/pricing" target="_blank">Pricing</a>;

// ok: js-external-link-noreferrer
const anchor = <a href="#faq" target="_blank">FAQ</a>;

// ok: js-external-link-noreferrer
const sameTab = <a href="https://example.org" target="_self">Example</a>;

// ok: js-external-link-noreferrer
const plain = <a href="https://example.org">Example</a>;

export function Forwarded(props) {
  // The spread may carry rel; not visible here.
  // ok: js-external-link-noreferrer
  return <a href={props.href} target="_blank" {...props.linkProps} />;
}

export function Computed({ href, external }) {
  // ok: js-external-link-noreferrer
  return <a href={href} target="_blank" rel={external ? "noopener noreferrer" : undefined} />;
}

export function openSafely(url) {
  // ok: js-external-link-noreferrer
  window.open(url, "_blank", "noopener,noreferrer");
}

export function openHere(url) {
  // ok: js-external-link-noreferrer
  window.open(url, "_self");
}

export function openInternal() {
  // ok: js-external-link-noreferrer
  window.open("/reports/export", "_blank");
}

// ok: js-external-link-noreferrer
const markup = '<a href="https://example.org" target="_blank" rel="noopener noreferrer">x</a>';

// ok: js-external-link-noreferrer
const help = "add rel to every target=_blank link";
