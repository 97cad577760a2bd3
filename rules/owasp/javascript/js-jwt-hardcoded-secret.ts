// js-jwt-hardcoded-secret in TypeScript: ES imports, jose, NestJS and passport-jwt.
import jwt from "jsonwebtoken";
import * as JWT from "jsonwebtoken";
import { sign as signJwt } from "jsonwebtoken";
import { SignJWT, jwtVerify } from "jose";
import { Injectable } from "@nestjs/common";
import { JwtModule, JwtService } from "@nestjs/jwt";
import { PassportStrategy } from "@nestjs/passport";
import { ExtractJwt, Strategy } from "passport-jwt";
import fastifyJwt from "@fastify/jwt";
import config from "./config";
import { env } from "./env";

interface TokenPayload {
  sub: string;
  email: string;
}

const TOKEN_SECRET: string = "ts-hardcoded-secret";

export function createToken(payload: TokenPayload): string {
  // ruleid: js-jwt-hardcoded-secret
  return jwt.sign(payload, TOKEN_SECRET as string, { expiresIn: "7d" });
}

export function readToken(token: string): TokenPayload {
  // ruleid: js-jwt-hardcoded-secret
  return JWT.verify(token, "namespace-import-secret") as TokenPayload;
}

// ruleid: js-jwt-hardcoded-secret
export const adminToken = signJwt({ sub: "admin" }, "renamed-import-secret");

// jose keeps the key as bytes; the usual way to get them is TextEncoder.
// ruleid: js-jwt-hardcoded-secret
const secretKey = new TextEncoder().encode("jose-hardcoded-secret");

export async function issueJose(payload: TokenPayload): Promise<string> {
  return new SignJWT({ ...payload })
    .setProtectedHeader({ alg: "HS256" })
    .setExpirationTime("2h")
    .sign(secretKey);
}

export async function verifyJose(token: string) {
  // ruleid: js-jwt-hardcoded-secret
  const { payload } = await jwtVerify(token, new TextEncoder().encode(TOKEN_SECRET));
  return payload;
}

export async function issueInline(payload: TokenPayload): Promise<string> {
  // ruleid: js-jwt-hardcoded-secret
  return await new SignJWT({ ...payload })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode("inline-jose-secret"));
}

// ruleid: js-jwt-hardcoded-secret
export const authModule = JwtModule.register({
  secret: "nest-module-secret",
  signOptions: { expiresIn: "60s" },
});

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    // ruleid: js-jwt-hardcoded-secret
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: "passport-strategy-secret",
    });
  }
}

@Injectable()
export class AuthService {
  constructor(private readonly jwtService: JwtService) {}

  async refresh(userId: string): Promise<string> {
    // ruleid: js-jwt-hardcoded-secret
    return this.jwtService.signAsync({ sub: userId }, { secret: "refresh-secret", expiresIn: "7d" });
  }

  async login(userId: string): Promise<string> {
    // The module was configured with the secret; no secret here.
    // ok: js-jwt-hardcoded-secret
    return this.jwtService.signAsync({ sub: userId });
  }

  async verifyRefresh(token: string): Promise<unknown> {
    // ok: js-jwt-hardcoded-secret
    return this.jwtService.verifyAsync(token, { secret: process.env.JWT_REFRESH_SECRET });
  }
}

export function registerPlugins(app: { register: (plugin: unknown, opts: object) => void }): void {
  // ruleid: js-jwt-hardcoded-secret
  app.register(fastifyJwt, { secret: "supersecret" });
  // ok: js-jwt-hardcoded-secret
  app.register(fastifyJwt, { secret: process.env.JWT_SECRET! });
}

// --- negatives -------------------------------------------------------------------------------

// ok: js-jwt-hardcoded-secret
const envKey = new TextEncoder().encode(process.env.JWT_SECRET);

// ok: js-jwt-hardcoded-secret
export const jwtConfigModule = JwtModule.registerAsync({
  useFactory: () => ({ secret: process.env.JWT_SECRET }),
});

export function signWithEnv(payload: TokenPayload): string {
  const secret = process.env.JWT_SECRET as string;
  // ok: js-jwt-hardcoded-secret
  return jwt.sign(payload, secret, { algorithm: "HS256" });
}

// Encoding a greeting is not a key.
// ok: js-jwt-hardcoded-secret
const greetingBytes = new TextEncoder().encode("hello world");

// ok: js-jwt-hardcoded-secret
type SignFn = (payload: object, secret: string) => string;

// ok: js-jwt-hardcoded-secret
const passportOptions = { secretOrKey: process.env.JWT_PUBLIC_KEY, algorithms: ["RS256"] };

// --- Real-world idioms --------------------------------------------------------------------------

export function issueAccessToken(userId: string): string {
  // ok: js-jwt-hardcoded-secret
  return jwt.sign({ sub: userId }, process.env.JWT_SECRET!, { expiresIn: "15m" });
}

export function issueFromConfig(payload: object): string {
  // Imported configuration is read at run time (from the environment or a secret store).
  // ok: js-jwt-hardcoded-secret
  return jwt.sign(payload, config.jwt.secret, { algorithm: "HS256" });
}

export function issueFromEnvModule(payload: object): string {
  // ok: js-jwt-hardcoded-secret
  return jwt.sign(payload, env.JWT_SECRET);
}

const localConfig = {
  jwt: { secret: "s3cr3t-change-me", expiresIn: "1h" },
};

export function issueFromLocalConfig(payload: object): string {
  // ruleid: js-jwt-hardcoded-secret
  return jwt.sign(payload, localConfig.jwt.secret, { expiresIn: localConfig.jwt.expiresIn });
}

export function verifyWithLiteral(token: string) {
  // ruleid: js-jwt-hardcoded-secret
  return jwt.verify(token, "my-super-secret-key");
}

export function verifyWithEnv(token: string) {
  // ok: js-jwt-hardcoded-secret
  return jwt.verify(token, process.env.JWT_PUBLIC_KEY as string, { algorithms: ["RS256"] });
}

export function devFallback(payload: object): string {
  // ruleid: js-jwt-hardcoded-secret
  return jwt.sign(payload, process.env.JWT_SECRET ?? "dev-secret");
}

export function decodeOnly(token: string) {
  // ok: js-jwt-hardcoded-secret
  return jwt.decode(token);
}
