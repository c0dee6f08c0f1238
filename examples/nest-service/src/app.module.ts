// The service's root module: LoglaneModule once, the users feature, health, a failing route and
// the inventory call. `register()` takes loglane options so that tests can hand in their own logger.
import { HttpModule } from '@nestjs/axios';
import { type DynamicModule, type INestApplication, Module, ValidationPipe } from '@nestjs/common';
import { LoglaneModule, type LoglaneModuleOptions } from '@loglane/nest';
import { HealthController } from './health.controller';
import { INVENTORY_URL, InventoryController } from './inventory.controller';
import { AuthGuard } from './users/auth.guard';
import { UsersController } from './users/users.controller';
import { UsersService } from './users/users.service';

/** What `AppModule.register` accepts. */
export interface AppOptions {
  /** Options of LoglaneModule (a test passes `logger`). */
  loglane?: LoglaneModuleOptions;
  /** Base URL of the inventory service. Default: the INVENTORY_URL environment variable. */
  inventoryUrl?: string;
}

@Module({})
export class AppModule {
  static register(options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoglaneModule.forRoot({
          label: process.env.LOGLANE_LABEL ?? 'nest-service',
          version: process.env.LOGLANE_VERSION ?? '1.0.0',
          ...options.loglane,
        }),
        HttpModule.register({ timeout: 5000 }),
      ],
      controllers: [UsersController, HealthController, InventoryController],
      providers: [
        UsersService,
        AuthGuard,
        { provide: INVENTORY_URL, useValue: options.inventoryUrl ?? process.env.INVENTORY_URL ?? '' },
      ],
    };
  }
}

/** App-wide settings main.ts applies (tests apply the same). */
export function configureApp(app: INestApplication): void {
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true }));
}
