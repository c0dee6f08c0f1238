// A stand-in for real authentication: `Authorization: Bearer demo-token` is user-1. It sets
// `req.user`, which loglane reads for `userId` on every record written after it.
import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';

const TOKENS: Readonly<Record<string, string>> = { 'demo-token': 'user-1', 'admin-token': 'admin' };

@Injectable()
export class AuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: { id: string } }>();
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const userId = token === undefined ? undefined : TOKENS[token];
    if (userId === undefined) throw new UnauthorizedException('missing or unknown credentials');
    req.user = { id: userId };
    return true;
  }
}
