// Users in memory. Its log lines carry the request's traceId, globalTraceId and userId without
// being passed anything: loglane keeps them in the request's context.
import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { CreateUserDto } from './create-user.dto';

export interface User {
  id: string;
  name: string;
  email: string;
}

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);
  private readonly users = new Map<string, User>([['user-1', { id: 'user-1', name: 'Ada', email: 'ada@example.com' }]]);

  findOne(id: string): User {
    const user = this.users.get(id);
    if (!user) throw new NotFoundException(`no user ${id}`);
    this.logger.log('user found', { foundId: id });
    return user;
  }

  create(dto: CreateUserDto): User {
    const user: User = { id: `user-${this.users.size + 1}`, name: dto.name, email: dto.email };
    this.users.set(user.id, user);
    this.logger.log('user created', { createdId: user.id });
    return user;
  }
}
