import { Controller, Get, HttpCode, Post, Put, Req } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ConnectedAccounts, EscrowError, type PayoutInstruction, PayoutService } from '@app/escrow';
import { type Actor, CurrentActor, PlatformOnly, Roles, orgScope } from '@app/identity';
import { toMoneyJson } from '@app/money';
import { ApiIdParam, ApiJsonBody, IdParam, Idempotent, ProblemError, ValidBody, ValidQuery, sha256Hex } from '@app/platform';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { type CreatePayoutBody, confirmPayoutBody, connectedAccountBody, createPayoutBody, listPayoutsQuery } from './payouts.dto.js';

function payoutView(p: PayoutInstruction) {
  return {
    id: p.id,
    key: p.key,
    orgId: p.orgId,
    amount: toMoneyJson(p.amount),
    from: p.from,
    method: p.method,
    destination: p.destination,
    dealId: p.dealId,
    status: p.status,
    providerReference: p.providerReference,
    bankReference: p.bankReference,
    failure: p.failure,
    createdBy: p.createdBy,
    createdAt: p.createdAt.toISOString(),
    confirmedBy: p.confirmedBy,
    confirmedAt: p.confirmedAt?.toISOString() ?? null,
  };
}

const notFound = (id: string) => new EscrowError('PAYOUT.NOT_FOUND', `There is no payout instruction ${id}`);

/**
 * Money out (issue 5): platform finance issues payouts from an organisation's payable or
 * commission account; manual ones wait for finance to confirm the wire, Stripe ones are paid
 * by the worker (a transfer to the connected account, or a refund onto the buyer's payment).
 * An organisation's finance sees its own payouts.
 */
@ApiTags('money')
@Controller('v1')
export class PayoutsController {
  constructor(
    private readonly payouts: PayoutService,
    private readonly connected: ConnectedAccounts,
  ) {}

  @Post('payouts')
  @HttpCode(201)
  @PlatformOnly()
  @Roles('admin', 'finance')
  @Idempotent({ required: true })
  @ApiJsonBody(createPayoutBody)
  @ApiOperation({
    summary: "Pay an organisation from its payable or commission account (platform finance; Idempotency-Key required)",
    description:
      'method: manual (finance wires and confirms), stripe_transfer (to the connected account) or stripe_refund (onto the buyer\'s Stripe payment for dealId). ' +
      'Default: stripe_transfer when Stripe is the provider and the organisation has a connected account, else manual. ' +
      '409 PAYOUT.INSUFFICIENT_FUNDS beyond the balance; PAYOUT.NO_CONNECTED_ACCOUNT; PAYOUT.REFUND_EXCEEDS_PAYMENT.',
  })
  async create(@CurrentActor() actor: Actor, @ValidBody(createPayoutBody) body: CreatePayoutBody, @Req() req: FastifyRequest) {
    // The caller's key, scoped to its organisation, as the payout's own key (concurrent retries meet there).
    const key = `api:${sha256Hex(`${actor.orgId}:${String(req.headers['idempotency-key'])}`).slice(0, 40)}`;
    const created = await this.payouts.payout({ ...body, key }, actor);
    return payoutView(created);
  }

  @Get('payouts')
  @Roles('admin', 'finance')
  @ApiQuery({ name: 'status', required: false, description: 'pending, confirmed or failed' })
  @ApiQuery({ name: 'orgId', required: false, description: 'platform only: one organisation' })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: "Payouts, oldest first (finance's work queue with status=pending): your organisation's, or all for the platform" })
  async list(@CurrentActor() actor: Actor, @ValidQuery(listPayoutsQuery) q: z.output<typeof listPayoutsQuery>) {
    const scope = orgScope(actor);
    if (scope !== null && q.filter.orgId !== undefined && q.filter.orgId !== scope) return { data: [], nextCursor: null };
    const page = await this.payouts.list({ ...q.filter, orgId: scope ?? q.filter.orgId }, q.page);
    return { data: page.data.map(payoutView), nextCursor: page.nextCursor };
  }

  @Get('payouts/:id')
  @Roles('admin', 'finance')
  @ApiIdParam()
  @ApiOperation({ summary: 'One payout' })
  async get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return payoutView(await this.visible(actor, id));
  }

  @Post('payouts/:id/confirm')
  @HttpCode(200)
  @PlatformOnly()
  @Roles('admin', 'finance')
  @Idempotent()
  @ApiIdParam()
  @ApiJsonBody(confirmPayoutBody)
  @ApiOperation({ summary: 'Finance sent the wire of a manual payout (platform finance); 409 PAYOUT.PAID_BY_PROVIDER for Stripe payouts' })
  async confirm(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(confirmPayoutBody) body: z.output<typeof confirmPayoutBody>) {
    return payoutView(await this.payouts.confirmPayout(id, actor, body));
  }

  @Put('payments/stripe/connected-accounts/:orgId')
  @PlatformOnly()
  @Roles('admin', 'finance')
  @ApiIdParam('orgId')
  @ApiJsonBody(connectedAccountBody)
  @ApiOperation({ summary: "Set the Stripe connected account an organisation's payouts are transferred to (platform admin or finance)" })
  async setConnected(@CurrentActor() actor: Actor, @IdParam('orgId') orgId: string, @ValidBody(connectedAccountBody) body: z.output<typeof connectedAccountBody>) {
    const a = await this.connected.set(orgId, body.accountId, actor);
    return { orgId: a.orgId, accountId: a.accountId, updatedBy: a.updatedBy, updatedAt: a.updatedAt.toISOString() };
  }

  @Get('payments/stripe/connected-accounts/:orgId')
  @Roles('admin', 'finance')
  @ApiIdParam('orgId')
  @ApiOperation({ summary: "An organisation's Stripe connected account (its own; the platform: any)" })
  async getConnected(@CurrentActor() actor: Actor, @IdParam('orgId') orgId: string) {
    const scope = orgScope(actor);
    const a = scope === null || scope === orgId ? await this.connected.get(orgId) : null;
    if (!a) throw new ProblemError(404, 'PAYMENTS.NO_CONNECTED_ACCOUNT', 'No connected account', `Organisation ${orgId} has no Stripe connected account`);
    return { orgId: a.orgId, accountId: a.accountId, updatedBy: a.updatedBy, updatedAt: a.updatedAt.toISOString() };
  }

  private async visible(actor: Actor, id: string): Promise<PayoutInstruction> {
    const p = await this.payouts.get(id);
    const scope = orgScope(actor);
    if (scope !== null && p.orgId !== scope) throw notFound(id);
    return p;
  }
}
