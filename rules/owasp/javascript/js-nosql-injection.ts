// js-nosql-injection in TypeScript: types and casts do not change what arrives at run time.
import { Request, Response } from "express";
import { Collection, ObjectId } from "mongodb";
import sanitize from "mongo-sanitize";
import { UserModel } from "../models/user";
import mongoose from "mongoose";

interface LoginBody {
  email: string;
  password: string;
}

export async function login(req: Request, res: Response): Promise<void> {
  const body = req.body as LoginBody;
  // ruleid: js-nosql-injection
  const user = await UserModel.findOne({ email: body.email, password: body.password }).exec();
  res.json(user);
}

export async function search(req: Request<{}, {}, {}, { tag?: string }>, res: Response) {
  const tag = req.query.tag as string;
  // ruleid: js-nosql-injection
  const docs = await (req.app.locals.posts as Collection).find({ tags: tag }).toArray();
  res.json(docs);
}

export class UsersService {
  constructor(private readonly users: Collection) {}

  async remove(req: Request): Promise<number> {
    // ruleid: js-nosql-injection
    const result = await this.users.deleteOne(<Record<string, unknown>>req.body.filter);
    return result.deletedCount;
  }

  async exists(req: Request): Promise<boolean> {
    // ruleid: js-nosql-injection
    return (await UserModel.exists({ username: req.params.username! })) !== null;
  }

  async byIdSafe(id: string) {
    // A parameter of a service method, not request data.
    // ok: js-nosql-injection
    return this.users.findOne({ _id: new ObjectId(id) });
  }

  async sanitized(req: Request) {
    const filter = sanitize(req.body);
    // ok: js-nosql-injection
    return this.users.find(filter).toArray();
  }

  async typedEq(req: Request) {
    // ok: js-nosql-injection
    return this.users.countDocuments({ status: { $in: [req.query.status as string] } });
  }
}

export async function prismaCount(req: Request, res: Response) {
  // Prisma options: not a MongoDB filter.
  // ok: js-nosql-injection
  const n = await prisma.user.count({ where: { email: req.body.email } });
  res.json({ n });
}

export function pick(req: Request) {
  const items: { id: string }[] = [];
  // ok: js-nosql-injection
  return items.find((item): boolean => item.id === req.params.id);
}

// --- Guards and casts ---------------------------------------------------------------------------

export async function getById(req: Request, res: Response): Promise<void> {
  // ok: js-nosql-injection
  const doc = await db.collection("orders").findOne({ _id: new ObjectId(req.params.id) });
  res.json(doc);
}

export async function searchByBody(req: Request, res: Response): Promise<void> {
  // ruleid: js-nosql-injection
  const users = await UserModel.find(req.body);
  res.json(users);
}

export async function byName(req: Request, res: Response): Promise<void> {
  const name = req.query.name;
  if (typeof name !== "string") {
    res.status(400).json({ error: "name must be a string" });
    return;
  }
  // ok: js-nosql-injection
  const users = await UserModel.find({ name });
  res.json(users);
}

export async function byNameUnchecked(req: Request, res: Response): Promise<void> {
  const name = req.query.name;
  if (!name) {
    res.status(400).json({ error: "name is required" });
    return;
  }
  // ruleid: js-nosql-injection
  const users = await UserModel.find({ name });
  res.json(users);
}

export async function byIdChecked(req: Request, res: Response): Promise<void> {
  const { id } = req.params;
  if (!mongoose.isValidObjectId(id)) {
    res.sendStatus(404);
    return;
  }
  // ok: js-nosql-injection
  res.json(await UserModel.findOne({ _id: id }));
}

export async function loginChecked(req: Request, res: Response): Promise<void> {
  const { email, password } = req.body;
  if (typeof email !== "string" || typeof password !== "string") {
    res.status(400).end();
    return;
  }
  // ok: js-nosql-injection
  const user = await UserModel.findOne({ email, password });
  res.json({ ok: Boolean(user) });
}

export async function loginHalfChecked(req: Request, res: Response): Promise<void> {
  const { email, password } = req.body;
  if (typeof email !== "string") {
    res.status(400).end();
    return;
  }
  // ruleid: js-nosql-injection
  const user = await UserModel.findOne({ email, password });
  res.json({ ok: Boolean(user) });
}

export async function status(req: Request, res: Response): Promise<void> {
  const state = req.query.state;
  // ok: js-nosql-injection
  const orders = await db.collection("orders").find({ state: { $eq: state } }).toArray();
  res.json(orders);
}

declare const db: import("mongodb").Db;
