// js-external-link-noreferrer in TSX: typed components, generics, links built from props.
import type { ReactNode } from "react";

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
