// Test cases for js-insecure-random-token: `ruleid:` marks the next line as one that must be
// reported, `ok:` one that must not. Run with: python -m pytest tests/test_rules.py

function generateToken(length = 32) {
  const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  let result = "";
  for (let i = 0; i < length; i++) {
    // ruleid: js-insecure-random-token
    result += chars.charAt(Math.floor(Math.random() * chars.length));
  }
  return result;
}

// ruleid: js-insecure-random-token
const resetToken = Math.random().toString(36).substring(2);

async function requestPasswordReset(user) {
  // ruleid: js-insecure-random-token
  user.passwordResetToken = Math.random().toString(36).slice(2) + Date.now().toString(36);
  await user.save();
}

function createSession(userId) {
  // A finding spans its statement: the whole return.
  // ruleid: js-insecure-random-token
  return {
    userId,
    session_id: Math.random().toString(16).slice(2),
    createdAt: Date.now(),
  };
}

// ruleid: js-insecure-random-token
const makeNonce = () => Math.random().toString(36).slice(2, 12);

function tempPassword() {
  // ruleid: js-insecure-random-token
  return Array.from({ length: 12 }, () => String.fromCharCode(33 + Math.floor(Math.random() * 94))).join("");
}

class ApiClient {
  // ruleid: js-insecure-random-token
  csrfToken = `${Math.random()}`.slice(2);
}

function uuidv4() {
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    // ruleid: js-insecure-random-token
    const r = (Math.random() * 16) | 0;
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}

// ruleid: js-insecure-random-token
const otp = Math.floor(100000 + Math.random() * 900000);

// ---- negatives -------------------------------------------------------------------------------

function animate(particles) {
  for (const p of particles) {
    // ok: js-insecure-random-token
    p.x += (Math.random() - 0.5) * 2;
  }
}

async function retryWithBackoff(fn, attempt) {
  // ok: js-insecure-random-token
  const jitter = Math.random() * 100;
  await new Promise((r) => setTimeout(r, 2 ** attempt * 100 + jitter));
  return fn();
}

function shuffle(items) {
  // ok: js-insecure-random-token
  return items.sort(() => Math.random() - 0.5);
}

// ok: js-insecure-random-token
const randomColor = `#${Math.floor(Math.random() * 0xffffff).toString(16).padStart(6, "0")}`;

// ok: js-insecure-random-token
const shouldSample = Math.random() < 0.01;

async function refreshToken(client) {
  // The nearest name is the delay, not the function.
  // ok: js-insecure-random-token
  const delay = Math.random() * 1000;
  await sleep(delay);
  return client.refresh();
}

// ok: js-insecure-random-token
const tokenizer = Math.random() > 0.5 ? "fast" : "exact";

function secureToken() {
  // ok: js-insecure-random-token
  return require("crypto").randomBytes(32).toString("hex");
}

// ok: js-insecure-random-token
const doc = "never use Math.random() for a session token";
