// The app the shared suites exercise: a users controller behind an auth guard, a validated DTO
// with a password, routes that throw, a health check, and a probe that notes which trace ids
// the controller, service, guard, interceptor and filter see.
import {
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  Catch,
  Body,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  Param,
  Post,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { IsEmail, IsString, MinLength } from 'class-validator';
import type { Observable } from 'rxjs';
import { getTraceContext, setUserId } from '@loglane/core';

/** What one component saw of the trace context. */
export interface Sighting {
  where: string;
  traceId: string | undefined;
  globalTraceId: string | undefined;
}

/** Collects sightings, per app. */
@Injectable()
export class Probe {
  readonly seen: Sighting[] = [];
  see(where: string): void {
    const context = getTraceContext();
    this.seen.push({ where, traceId: context?.traceId, globalTraceId: context?.globalTraceId });
  }
}

export class CreateUserDto {
  @IsString()
  name!: string;

  @IsEmail()
  email!: string;

  @IsString()
  @MinLength(8)
  password!: string;
}

/** Thrown by the route whose error the app's own filter answers. */
export class TeapotError extends Error {
  override name = 'TeapotError';
}

@Injectable()
export class UserService {
  private readonly logger = new Logger('UserService');

  constructor(@Inject(Probe) private readonly probe: Probe) {}

  async find(id: string): Promise<{ id: string; name: string }> {
    this.probe.see('service');
    // An await between the request and the log line: the context must survive it.
    await new Promise((r) => setTimeout(r, 1));
    this.logger.log(`found user ${id}`, { userIdLookedUp: id });
    return { id, name: `user ${id}` };
  }
}

/** Lets `Bearer good` in as user u-42; `Bearer boom` makes the guard itself fail. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(@Inject(Probe) private readonly probe: Probe) {}

  canActivate(context: ExecutionContext): boolean {
    this.probe.see('guard');
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const auth = req.headers.authorization;
    if (auth === 'Bearer boom') throw new Error('auth backend unreachable');
    if (auth !== 'Bearer good') return false;
    req.user = { id: 'u-42' };
    return true;
  }
}

@Injectable()
export class ProbeInterceptor implements NestInterceptor {
  constructor(@Inject(Probe) private readonly probe: Probe) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    this.probe.see('interceptor');
    return next.handle();
  }
}

/** The app's own filter for TeapotError: answers 418 itself. */
@Catch(TeapotError)
export class TeapotFilter implements ExceptionFilter {
  constructor(@Inject(Probe) private readonly probe: Probe) {}

  catch(exception: TeapotError, host: ArgumentsHost): void {
    this.probe.see('filter');
    new Logger('TeapotFilter').warn(`answered ${exception.message}`);
    const res = host.switchToHttp().getResponse<{ status?: unknown; code?: unknown; send?: unknown; json?: unknown }>();
    const body = { statusCode: 418, message: exception.message };
    // Express: res.status().json(); Fastify: reply.code().send().
    if (typeof res.code === 'function') (res as unknown as { code(n: number): { send(b: unknown): void } }).code(418).send(body);
    else (res as unknown as { status(n: number): { json(b: unknown): void } }).status(418).json(body);
  }
}

@Controller('users')
@UseGuards(AuthGuard)
@UseInterceptors(ProbeInterceptor)
export class UserController {
  private readonly logger = new Logger(UserController.name);

  constructor(
    @Inject(UserService) private readonly users: UserService,
    @Inject(Probe) private readonly probe: Probe,
  ) {}

  @Get(':id')
  async findOne(@Param('id') id: string): Promise<{ id: string; name: string }> {
    this.probe.see('controller');
    this.logger.log('looking up a user');
    return this.users.find(id);
  }

  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateUserDto): { id: string; name: string } {
    this.probe.see('controller');
    this.logger.log(`creating ${dto.name}`);
    return { id: 'u-1', name: dto.name };
  }

  @Get(':id/crash')
  crash(): never {
    this.probe.see('controller');
    throw new Error('database is down');
  }

  @Get(':id/teapot')
  teapot(): never {
    throw new HttpException({ message: 'short and stout', reason: 'tea' }, 418);
  }

  @Get(':id/filtered')
  @UseFilters(TeapotFilter)
  async filtered(@Param('id') id: string): Promise<never> {
    this.probe.see('controller');
    await this.users.find(id);
    throw new TeapotError('brewing');
  }
}

@Controller()
export class HealthController {
  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }

  @Get('ready')
  ready(): never {
    throw new Error('not ready: database unreachable');
  }

  /** A public route that names its user itself, without any guard. */
  @Get('whoami')
  whoami(): { ok: boolean } {
    setUserId(7);
    new Logger('WhoAmI').log('after setUserId');
    return { ok: true };
  }
}

/** The app's modules metadata, for createTestApp. */
export const FIXTURE = {
  controllers: [UserController, HealthController],
  providers: [Probe, UserService, AuthGuard, ProbeInterceptor, TeapotFilter],
};
