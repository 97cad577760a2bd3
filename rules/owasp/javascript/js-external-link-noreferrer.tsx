// js-external-link-noreferrer in TSX: typed components, generics, links built from props.
import type { AnchorHTMLAttributes, ReactNode } from "react";

interface ExternalLinkProps {
  href: string;
  children: ReactNode;
}

export function ExternalLink({ href, children }: ExternalLinkProps) {
  // ruleid: js-external-link-noreferrer
  return <a href={href} target="_blank" rel="noopener">{children}</a>;
}

export function Footer<T extends { url: string; label: string }>({ links }: { links: T[] }) {
  return (
    <ul>
      {links.map((link) => (
        <li key={link.url}>
          {/* ruleid: js-external-link-noreferrer */}
          {<a href={link.url as string} target="_blank">{link.label}</a>}
        </li>
      ))}
    </ul>
  );
}

export function OpenButton({ url }: { url: string }) {
  // ruleid: js-external-link-noreferrer
  return <button onClick={() => window.open(url, "_blank")!.focus()}>Open</button>;
}

export function Receipt({ id }: { id: string }) {
  // ok: js-external-link-noreferrer
  return <a href={`/receipts/${id}.pdf`} target="_blank">Receipt</a>;
}

export function SafeLink({ href, children }: ExternalLinkProps) {
  // ok: js-external-link-noreferrer
  return <a href={href} target="_blank" rel="noreferrer">{children}</a>;
}

export function Mail({ to }: { to: string }) {
  // ok: js-external-link-noreferrer
  return <a href={`mailto:${to}`} target="_blank">Mail</a>;
}

export function Print({ url }: { url: string }) {
  // ok: js-external-link-noreferrer
  return <button onClick={() => window.open(url, "_blank", "noopener")}>Print</button>;
}

export function PolicyLink({ href, children }: ExternalLinkProps) {
  // ok: js-external-link-noreferrer
  return <a href={href} target="_blank" rel="noopener" referrerPolicy="no-referrer">{children}</a>;
}

// --- Real-world variants ------------------------------------------------------------------------

export function GitHubLink() {
  // ok: js-external-link-noreferrer
  return <a href="https://github.com/acme/app" target="_blank" rel="noopener noreferrer">GitHub</a>;
}

export function DocsLink() {
  // ok: js-external-link-noreferrer
  return <a href="https://docs.example.com" target="_blank" rel="noreferrer noopener">Docs</a>;
}

export function ExprRel({ href }: { href: string }) {
  // ok: js-external-link-noreferrer
  return <a href={href} target={"_blank"} rel={"noreferrer"}>Open</a>;
}

export function TemplateRel({ href }: { href: string }) {
  // ok: js-external-link-noreferrer
  return <a href={href} target="_blank" rel={`noopener noreferrer`}>Open</a>;
}

export function SponsoredRel({ href }: { href: string }) {
  // ok: js-external-link-noreferrer
  return <a href={href} target="_blank" rel="sponsored nofollow noreferrer">Partner</a>;
}

export function SpreadLink(props: AnchorHTMLAttributes<HTMLAnchorElement>) {
  // ok: js-external-link-noreferrer
  return <a {...props} target="_blank" />;
}

export function SpreadAfter({ href, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement>) {
  // ok: js-external-link-noreferrer
  return <a href={href} target="_blank" {...rest} />;
}

export function SameTab({ href }: { href: string }) {
  // ok: js-external-link-noreferrer
  return <a href={href} target="_self">Open</a>;
}

export function ConstantExternal() {
  // ruleid: js-external-link-noreferrer
  return <a href="https://status.example.com" target="_blank" rel="noopener">Status</a>;
}

export function NofollowOnly({ href }: { href: string }) {
  // ruleid: js-external-link-noreferrer
  return <a href={href} target="_blank" rel="nofollow">Sponsor</a>;
}

export function ExprBlank({ href, children }: { href: string; children: ReactNode }) {
  // ruleid: js-external-link-noreferrer
  return <a href={href} target={"_blank"} rel={"noopener"}>{children}</a>;
}

export function Card({ url, title }: { url: string; title: string }) {
  // A finding spans its statement: the multi-line return is reported at its first line.
  // ruleid: js-external-link-noreferrer
  return (
    <div className="card">
      <h3>{title}</h3>
      <a className="card-link" href={url} target="_blank">
        Read more
      </a>
    </div>
  );
}

export function InternalNewTab({ id }: { id: string }) {
  // ok: js-external-link-noreferrer
  return <a href={`/invoices/${id}`} target="_blank" rel="noopener">Invoice</a>;
}

export function openHelp() {
  // ok: js-external-link-noreferrer
  window.open("https://help.example.com", "_blank", "noopener,noreferrer");
}

export function openPreview(url: string) {
  // ruleid: js-external-link-noreferrer
  window.open(url, "_blank", "width=600,height=400");
}

export function openInPlace(url: string) {
  // ok: js-external-link-noreferrer
  window.open(url, "_self");
}
