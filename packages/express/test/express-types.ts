// Compile-time check (run by `pnpm typecheck`, not by vitest): the middleware, the error handler and
// a typed userId resolver fit Express 4's and Express 5's own type definitions.

import express5, { type Request as Request5 } from 'express';
import express4, { type Request as Request4 } from 'express4';
import { loglane } from '@loglane/express';

type Authed5 = Request5 & { user?: { id: string; roles: string[] } };
type Authed4 = Request4 & { account?: { accountId: number } };

const five = loglane<Authed5>({ label: 'orders-api', userId: (req) => req.user?.id });
const app5 = express5();
app5.use(five.middleware);
app5.use(express5.json());
app5.get('/x', (_req, res) => void res.send('ok'));
app5.use(five.errorHandler);

const four = loglane<Authed4>({ userId: (req) => req.account?.accountId });
const app4 = express4();
app4.use(four.middleware);
app4.use(express4.json());
app4.use(four.errorHandler);

// Without a type argument the resolver sees loglane's own request shape.
loglane({ userId: (req) => req.user?.id ?? req.user?.sub });

void app4;
void app5;
