// js-insecure-random-token in TypeScript: typed declarations, class members, exports.
import { randomBytes, randomUUID } from "node:crypto";

export const generateApiKey = (): string =>
  // ruleid: js-insecure-random-token
  "sk_" + Math.random().toString(36).substring(2, 15);

export class InviteService {
  // ruleid: js-insecure-random-token
  private readonly salt: string = Math.random().toString(36);

  createInvite(email: string): { email: string; inviteToken: string } {
    // ruleid: js-insecure-random-token
    const inviteToken = (Math.random() as number).toString(36).slice(2);
    return { email, inviteToken };
  }
}

export function verificationCode(): string {
  // ruleid: js-insecure-random-token
  return String(Math.floor(Math.random() * 1_000_000)).padStart(6, "0");
}

interface Particle {
  x: number;
  y: number;
}

export function spawnParticle(): Particle {
  // ok: js-insecure-random-token
  return { x: Math.random() * 800, y: Math.random() * 600 };
}

export function pickWinner<T>(entries: T[]): T {
  // ok: js-insecure-random-token
  return entries[Math.floor(Math.random() * entries.length)];
}

export function toastId(): string {
  // ok: js-insecure-random-token
  return Math.random().toString(36).slice(2, 9);
}

// --- Real-world idioms --------------------------------------------------------------------------

export function newSessionId(): string {
  // ok: js-insecure-random-token
  return randomUUID();
}

export const csrfToken = (): string => {
  // ok: js-insecure-random-token
  return crypto.randomUUID();
};

export function resetToken(): string {
  // ok: js-insecure-random-token
  return randomBytes(32).toString("hex");
}

export function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    // ok: js-insecure-random-token
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

export async function refreshTokenWithRetry(attempt: number): Promise<void> {
  // Jittered backoff inside a token function: the nearest name is the delay.
  // ok: js-insecure-random-token
  const delay = 2 ** attempt * 100 + Math.random() * 100;
  await new Promise((resolve) => setTimeout(resolve, delay));
}

export function sampleRate(): boolean {
  // ok: js-insecure-random-token
  return Math.random() < 0.1;
}

export function createPasswordResetLink(userId: string): string {
  // ruleid: js-insecure-random-token
  const token = Math.random().toString(36).slice(2) + Date.now().toString(36);
  return `/reset?u=${userId}&t=${token}`;
}

// ruleid: js-insecure-random-token
export const session = {
  sid: Math.random().toString(16).slice(2),
  startedAt: Date.now(),
};

export function makeOtp(): string {
  // ruleid: js-insecure-random-token
  return Math.floor(100000 + Math.random() * 900000).toString();
}

export function uuidv4(): string {
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    // ruleid: js-insecure-random-token
    const r = (Math.random() * 16) | 0;
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}
