// js-open-redirect in TSX: the Next.js pages router, app-router hooks and React Router.
import { useEffect } from "react";
import { useRouter } from "next/router";
import { useSearchParams } from "next/navigation";
import { useNavigate } from "react-router-dom";

export default function AuthCallback() {
  const router = useRouter();
  useEffect(() => {
    if (!router.isReady) return;
    const { returnUrl } = router.query;
    // ruleid: js-open-redirect
    router.push(returnUrl as string);
  }, [router]);
  return <p>Signing you in…</p>;
}

export function LoginRedirect() {
  const searchParams = useSearchParams();
  const callbackUrl = searchParams.get("callbackUrl") || "/";
  const onDone = () => {
    // ruleid: js-open-redirect
    window.location.replace(callbackUrl);
  };
  return <button onClick={onDone}>Continue</button>;
}

export function Continue() {
  const navigate = useNavigate();
  const params = new URLSearchParams(window.location.search);
  return (
    <button
      // ruleid: js-open-redirect
      onClick={() => navigate(params.get("next")!)}
    >
      Continue
    </button>
  );
}

export function Go() {
  const router = useRouter();
  // ruleid: js-open-redirect
  useEffect(() => void router.replace(`${router.query.to}`), [router]);
  return null;
}

export function SearchBox() {
  const router = useRouter();
  return (
    <input
      onKeyDown={(e) => {
        if (e.key !== "Enter") return;
        // ok: js-open-redirect
        router.push({ pathname: "/search", query: { q: e.currentTarget.value } });
      }}
    />
  );
}

export function Tabs({ tabs }: { tabs: string[] }) {
  const router = useRouter();
  return (
    <nav>
      {tabs.map((tab) => (
        // ok: js-open-redirect
        <a key={tab} onClick={() => router.push(`/settings/${tab}`)}>
          {tab}
        </a>
      ))}
    </nav>
  );
}

export function Filter() {
  const router = useRouter();
  const onChange = (e: React.ChangeEvent<HTMLSelectElement>) => {
    // ok: js-open-redirect
    router.replace(`/products?sort=${encodeURIComponent(e.target.value)}`);
  };
  return <select onChange={onChange} />;
}

export function Back() {
  const navigate = useNavigate();
  // ok: js-open-redirect
  return <button onClick={() => navigate("/")}>Home</button>;
}

export function SectionPicker({ sections }: { sections: { href: string; label: string }[] }) {
  const router = useRouter();
  return (
    // ok: js-open-redirect
    <select onChange={(e) => router.push(e.target.value)}>
      {sections.map((s) => (
        <option key={s.href} value={s.href}>
          {s.label}
        </option>
      ))}
    </select>
  );
}
