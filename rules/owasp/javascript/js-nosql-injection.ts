// js-nosql-injection in TypeScript: types and casts do not change what arrives at run time.
import { Request, Response } from "express";
import { Collection, ObjectId } from "mongodb";
import sanitize from "mongo-sanitize";
import { UserModel } from "../models/user";

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
