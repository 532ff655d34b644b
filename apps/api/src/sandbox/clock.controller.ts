import { Controller, Get, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig, ApiJsonBody, Clock, Idempotent, ProblemError, SandboxClock, Transactions, ValidBody } from '@app/platform';
import { type Actor, AuditLog, CurrentActor, PlatformOnly, Roles } from '@app/identity';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';

const advanceBody = z.strictObject({ by: z.string().max(40) });

/**
 * The sandbox's clock, like Stripe's test clocks: only with SANDBOX_TIME_TRAVEL=true. The
 * offset lives in PostgreSQL, so every API and worker process moves together.
 */
@ApiTags('sandbox')
@Controller('v1/sandbox/clock')
export class SandboxClockController {
  constructor(
    private readonly clock: Clock,
    private readonly transactions: Transactions,
    private readonly audit: AuditLog,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: "The sandbox's current time and its offset from the wall clock" })
  async get() {
    const clock = this.sandboxClock();
    const offset = await clock.offsetMs();
    return { now: (await clock.now()).toISOString(), offsetMs: Number(offset), timeTravel: true };
  }

  @Post('advance')
  @HttpCode(200)
  @PlatformOnly()
  @Roles('admin')
  @Idempotent()
  @ApiJsonBody(advanceBody)
  @ApiOperation({ summary: 'Move the sandbox clock forward by an ISO 8601 duration (platform admin)' })
  async advance(@CurrentActor() actor: Actor, @ValidBody(advanceBody) body: z.output<typeof advanceBody>, @Req() req: FastifyRequest) {
    const clock = this.sandboxClock();
    return this.transactions.tx(async () => {
      const moved = await clock.advance(body.by);
      await this.audit.record(actor, {
        action: 'sandbox.clock_advanced',
        orgId: null,
        subject: { type: 'sandbox_clock', id: 'sandbox' },
        details: { by: body.by, offsetMs: moved.offsetMs.toString() },
        requestId: req.id,
      });
      return { now: moved.now.toISOString(), offsetMs: Number(moved.offsetMs), timeTravel: true };
    });
  }

  private sandboxClock(): SandboxClock {
    if (!this.config.sandboxTimeTravel || !(this.clock instanceof SandboxClock)) {
      throw new ProblemError(404, 'SANDBOX.TIME_TRAVEL_DISABLED', 'Time travel is off', 'Start the system with SANDBOX_TIME_TRAVEL=true to move the sandbox clock');
    }
    return this.clock;
  }
}
