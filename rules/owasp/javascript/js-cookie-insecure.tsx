// js-cookie-insecure in TSX: client components writing cookies.
"use client";
import Cookies from "js-cookie";
import { useCookies } from "react-cookie";

const SIDEBAR_COOKIE_NAME = "sidebar_state";

export function LoginForm({ onDone }: { onDone: () => void }) {
  const [, setCookie] = useCookies(["authToken"]);
  async function submit(form: FormData): Promise<void> {
    const { token } = (await (await fetch("/api/login", { method: "POST", body: form })).json()) as {
      token: string;
    };
    // ruleid: js-cookie-insecure
    setCookie("authToken", token, { path: "/" });
    // ruleid: js-cookie-insecure
    Cookies.set("jwt", token);
    onDone();
  }
  return <form action={submit}><button type="submit">Sign in</button></form>;
}

export function Sidebar({ open }: { open: boolean }) {
  function toggle(next: boolean): void {
    // ok: js-cookie-insecure
    document.cookie = `${SIDEBAR_COOKIE_NAME}=${next}; path=/; max-age=${60 * 60 * 24 * 7}`;
  }
  return <button onClick={() => toggle(!open)}>Toggle</button>;
}

export function SecureLogin() {
  const [, setCookie] = useCookies(["session"]);
  return (
    <button
      onClick={() => {
        // ok: js-cookie-insecure
        setCookie("session", "abc", { path: "/", secure: true, sameSite: "strict" });
      }}
    >
      Continue
    </button>
  );
}
