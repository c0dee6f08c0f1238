// Calls the inventory service (examples/express-inventory, `GET /stock/:sku`) through HttpService:
// propagateTrace adds traceparent and x-global-trace-id, so both services log the same globalTraceId.
import { HttpService } from '@nestjs/axios';
import { Controller, Get, HttpException, Inject, Logger, Param, ServiceUnavailableException } from '@nestjs/common';
import { propagateTrace } from '@loglane/nest';
import { firstValueFrom } from 'rxjs';

/** DI token of the inventory service's base URL. */
export const INVENTORY_URL = 'INVENTORY_URL';

@Controller('inventory')
export class InventoryController {
  private readonly logger = new Logger(InventoryController.name);

  constructor(
    private readonly http: HttpService,
    @Inject(INVENTORY_URL) private readonly inventoryUrl: string,
  ) {
    propagateTrace(http);
  }

  @Get(':sku')
  async stock(@Param('sku') sku: string): Promise<{ sku: string; inventory: unknown }> {
    if (!this.inventoryUrl) throw new ServiceUnavailableException('INVENTORY_URL is not set');
    const url = `${this.inventoryUrl.replace(/\/$/, '')}/stock/${encodeURIComponent(sku)}`;
    this.logger.log('asking the inventory service', { url });
    try {
      const res = await firstValueFrom(this.http.get<unknown>(url));
      return { sku, inventory: res.data };
    } catch (error) {
      // The inventory service answered with an error status: pass it on (a 404 stays a 404).
      const answer = (error as { response?: { status?: unknown; data?: unknown } }).response;
      if (typeof answer?.status === 'number' && answer.status < 500) throw new HttpException(answer.data ?? 'inventory error', answer.status);
      throw error;
    }
  }
}
