// A health check (not logged while it passes: loglane's default ignore list) and a route that throws.
import { Controller, Get } from '@nestjs/common';

@Controller()
export class HealthController {
  @Get('health')
  health(): { status: string } {
    return { status: 'ok' };
  }

  /** An unexpected failure: a 500 whose HttpResponse carries the error and its stack. */
  @Get('boom')
  boom(): never {
    throw new Error('the reports database is unreachable');
  }
}
