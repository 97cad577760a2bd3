// Test cases for js-jwt-hardcoded-secret: `ruleid:` marks the next line as one that must be
// reported, `ok:` one that must not.

const jwt = require("jsonwebtoken");
const { sign, verify } = require("jsonwebtoken");
const express = require("express");
const expressjwt = require("express-jwt");
const crypto = require("crypto");
const appConfig = require("./config");
const { jwt: jwtSettings } = require("./config/auth");

const JWT_SECRET = "s3cr3t-do-not-share";
const config = {
  jwtSecret: "another-hardcoded-secret",
  port: 3000,
};

function issueToken(user) {
  // ruleid: js-jwt-hardcoded-secret
  return jwt.sign({ sub: user.id, role: user.role }, "my-super-secret-key", { expiresIn: "1h" });
}

function issueWithConstant(user) {
  // A constant bound to a literal in the same file is as hardcoded as the literal.
  // ruleid: js-jwt-hardcoded-secret
  const token = jwt.sign({ sub: user.id }, JWT_SECRET);
  return token;
}

function checkToken(req, res, next) {
  try {
    // ruleid: js-jwt-hardcoded-secret
    req.user = jwt.verify(req.headers.authorization.slice(7), config.jwtSecret);
    next();
  } catch (err) {
    res.status(401).end();
  }
}

// Destructured from require("jsonwebtoken"), multi-line call.
// ruleid: js-jwt-hardcoded-secret
const refreshToken = sign(
  { sub: "user-1", type: "refresh" },
  `refresh-secret`,
  { expiresIn: "30d" }
);

// The secret falls back to a literal when the variable is unset: production then runs with it.
// ruleid: js-jwt-hardcoded-secret
const decoded = verify(token, process.env.JWT_SECRET || "changeme");

// ruleid: js-jwt-hardcoded-secret
require("jsonwebtoken").sign(payload, "inline-secret", callback);

// ruleid: js-jwt-hardcoded-secret
const ACCESS_TOKEN_SECRET = process.env.ACCESS_TOKEN_SECRET ?? "dev-access-secret";

// express-jwt middleware with the secret in its options.
const app = express();
// ruleid: js-jwt-hardcoded-secret
app.use(expressjwt({ secret: "shhhhhhared-secret", algorithms: ["HS256"] }).unless({ path: ["/login"] }));

// ruleid: js-jwt-hardcoded-secret
const signed = jwt.sign(payload, Buffer.from("c2VjcmV0", "base64"));

// --- negatives -------------------------------------------------------------------------------

// ok: js-jwt-hardcoded-secret
const envToken = jwt.sign({ sub: "user-1" }, process.env.JWT_SECRET, { expiresIn: "15m" });

const settings = {
  jwt: {
    secret: process.env.JWT_SECRET,
  },
};
// ok: js-jwt-hardcoded-secret
const fromSettings = jwt.verify(token, settings.jwt.secret);

function signWith(secret, user) {
  // ok: js-jwt-hardcoded-secret
  return jwt.sign({ sub: user.id }, secret);
}

// A key read from a file at start-up is not in the source.
const privateKey = require("fs").readFileSync("keys/private.pem");
// ok: js-jwt-hardcoded-secret
const rs = jwt.sign(payload, privateKey, { algorithm: "RS256" });

// Decoding needs no secret.
// ok: js-jwt-hardcoded-secret
const claims = jwt.decode(token);

// ok: js-jwt-hardcoded-secret
const message = "call jwt.sign(payload, 'secret') only with a secret from the environment";

// ok: js-jwt-hardcoded-secret
// jwt.sign(payload, "commented-out-secret");

// Node's crypto.sign(algorithm, data, key) is not JWT signing.
// ok: js-jwt-hardcoded-secret
const sig = crypto.sign("sha256", Buffer.from("data"), privateKey);

const { sign: cryptoSign } = crypto;
// ok: js-jwt-hardcoded-secret
const raw = sign("sha256", "some data", keyObject);

// An empty string is not a secret (and jsonwebtoken rejects it).
// ok: js-jwt-hardcoded-secret
jwt.sign(payload, "");

// ok: js-jwt-hardcoded-secret
app.use(expressjwt({ secret: process.env.JWT_SECRET, algorithms: ["HS256"] }));

// A JWT_SECRET read from the environment with no fallback.
// ok: js-jwt-hardcoded-secret
const JWT_REFRESH_SECRET = process.env.JWT_REFRESH_SECRET;

// A fallback that is not a secret: the expiry.
// ok: js-jwt-hardcoded-secret
const JWT_EXPIRES_IN = process.env.JWT_EXPIRES_IN || "1h";

// Signing cookies is another rule's business.
const SESSION_SECRET = "keyboard cat";
// ok: js-jwt-hardcoded-secret
const cookieSig = require("cookie-signature").sign(value, SESSION_SECRET);

// A fallback on a generic name, recognised by the environment variable it falls back from.
// ruleid: js-jwt-hardcoded-secret
const SECRET = process.env.JWT_SECRET || "fallback-secret";

// ruleid: js-jwt-hardcoded-secret
const authConfig = {
  jwt: {
    secret: process.env.JWT_SECRET ?? "dev-jwt-secret",
    expiresIn: "1h",
  },
};

// ok: js-jwt-hardcoded-secret
const sessionConfig = { secret: process.env.SESSION_SECRET || "keyboard cat" };

// Passport's JWT strategy in CommonJS.
const { Strategy: JwtStrategy, ExtractJwt } = require("passport-jwt");
// ruleid: js-jwt-hardcoded-secret
passport.use(new JwtStrategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: JWT_SECRET }, verifyUser));
// ok: js-jwt-hardcoded-secret
passport.use(new JwtStrategy({ jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(), secretOrKey: process.env.JWT_SECRET }, verifyUser));

// --- Configuration modules ---------------------------------------------------------------------

function issue(user) {
  // ok: js-jwt-hardcoded-secret
  return jwt.sign({ sub: user.id }, appConfig.jwt.secret, { expiresIn: "1h" });
}

function verifyRefresh(token) {
  // ok: js-jwt-hardcoded-secret
  return jwt.verify(token, jwtSettings.refreshSecret);
}

const legacySettings = Object.freeze({ auth: { jwtSecret: "please-change-me" } });

function issueLegacy(user) {
  // ruleid: js-jwt-hardcoded-secret
  return jwt.sign({ sub: user.id }, legacySettings.auth.jwtSecret);
}

function authenticate(req, res, next) {
  const token = (req.headers.authorization || "").replace(/^Bearer /, "");
  // ruleid: js-jwt-hardcoded-secret
  jwt.verify(token, "shhhhh", (err, decoded) => {
    if (err) return res.sendStatus(401);
    req.user = decoded;
    next();
  });
}
