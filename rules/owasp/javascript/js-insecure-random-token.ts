// js-insecure-random-token in TypeScript: typed declarations, class members, exports.
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
