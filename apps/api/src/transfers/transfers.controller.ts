import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor, PlatformOnly, Roles } from '@app/identity';
import { toMoneyJson } from '@app/money';
import { ApiIdParam, ApiJsonBody, IdParam, Idempotent, ValidBody, ValidQuery } from '@app/platform';
import { type TransferDetail, type TransferView, TransfersService } from '@app/transfers';
import type { z } from 'zod';
import { confirmFundingBody, documentBody, listTransfersQuery, optionalReasonBody, proposeBody, reasonBody, registryAnswerBody, resolveBody } from './transfers.dto.js';

function summaryView(v: TransferView) {
  return { ...v, pricePerIp: toMoneyJson(v.pricePerIp), price: toMoneyJson(v.price) };
}

function detailView(d: TransferDetail) {
  const { escrow, ...rest } = d;
  return {
    ...summaryView(rest),
    escrow: escrow && {
      status: escrow.status,
      expected: toMoneyJson(escrow.expected),
      funded: toMoneyJson(escrow.funded),
      outstanding: toMoneyJson(escrow.outstanding),
      fundingReference: escrow.fundingReference,
      frozen: escrow.frozen ? { reason: escrow.frozen.reason, at: escrow.frozen.at.toISOString() } : null,
    },
  };
}

/** Sales of blocks (API.md "Transfers"): the buyer proposes, the seller accepts, and the worker moves the deal through its stages. */
@ApiTags('transfers')
@Controller('v1')
export class TransfersController {
  constructor(private readonly transfers: TransfersService) {}

  @Post('transfers')
  @HttpCode(201)
  @Roles('admin', 'trader')
  @Idempotent({ required: true })
  @ApiJsonBody(proposeBody)
  @ApiOperation({
    summary: 'Propose to buy the block of a sale listing (the buyer; Idempotency-Key required)',
    description: 'price is pricePerIp times the block\'s addresses. 422 TRANSFER.NO_BUYER_HANDLE until the buyer has a confirmed handle at the destination RIR.',
  })
  async propose(@CurrentActor() actor: Actor, @ValidBody(proposeBody) body: z.output<typeof proposeBody>) {
    return detailView(await this.transfers.propose(actor, body));
  }

  @Get('transfers')
  @ApiQuery({ name: 'stage', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOperation({ summary: 'Transfers your organisation is a party to (the platform: all), newest first' })
  async list(@CurrentActor() actor: Actor, @ValidQuery(listTransfersQuery) q: z.output<typeof listTransfersQuery>) {
    const page = await this.transfers.list(actor, q);
    return { data: page.data.map(summaryView), nextCursor: page.nextCursor };
  }

  @Get('transfers/:id')
  @ApiIdParam()
  @ApiOperation({ summary: 'A transfer: its stage, escrow, events (each with the risk placement it set) and the risk placement now' })
  async get(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return detailView(await this.transfers.get(actor, id));
  }

  @Post('transfers/:id/accept')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @Idempotent()
  @ApiIdParam()
  @ApiOperation({ summary: 'The seller accepts: the block is committed to the deal (409 TRANSFER.BLOCK_LEASED, TRANSFER.SPACE_UNAVAILABLE) and the worker takes it on' })
  async accept(@CurrentActor() actor: Actor, @IdParam() id: string) {
    return detailView(await this.transfers.accept(actor, id));
  }

  @Post('transfers/:id/cancel')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @Idempotent()
  @ApiIdParam()
  @ApiJsonBody(optionalReasonBody)
  @ApiOperation({ summary: 'Either party calls the deal off before it is funded (a partial payment is refunded)' })
  async cancel(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(optionalReasonBody) body: z.output<typeof optionalReasonBody>) {
    return detailView(await this.transfers.cancel(actor, id, body.reason));
  }

  @Post('transfers/:id/dispute')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @Idempotent()
  @ApiIdParam()
  @ApiJsonBody(reasonBody)
  @ApiOperation({ summary: 'Either party disputes the deal: it is frozen, escrow included, until the platform resolves it' })
  async dispute(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(reasonBody) body: z.output<typeof reasonBody>) {
    return detailView(await this.transfers.dispute(actor, id, body.reason));
  }

  @Post('transfers/:id/resolve')
  @HttpCode(200)
  @PlatformOnly()
  @Roles('admin')
  @Idempotent()
  @ApiIdParam()
  @ApiJsonBody(resolveBody)
  @ApiOperation({ summary: 'The platform admin resolves a dispute: release (the seller is paid) or refund (the buyer is)' })
  async resolve(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(resolveBody) body: z.output<typeof resolveBody>) {
    return detailView(await this.transfers.resolve(actor, id, body.outcome, body.note));
  }

  @Post('transfers/:id/documents')
  @HttpCode(201)
  @Roles('admin', 'trader')
  @Idempotent()
  @ApiIdParam()
  @ApiJsonBody(documentBody)
  @ApiOperation({ summary: "The buyer attaches a needs justification or an RIR pre-approval; a transfer waiting for documents is checked again" })
  async attach(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(documentBody) body: z.output<typeof documentBody>) {
    return detailView(await this.transfers.attachDocument(actor, id, body));
  }

  @Post('transfers/:id/registry-information')
  @HttpCode(200)
  @Roles('admin', 'trader')
  @Idempotent()
  @ApiIdParam()
  @ApiJsonBody(registryAnswerBody)
  @ApiOperation({ summary: "Answer the RIR's request for information on the transfer (409 TRANSFER.REGISTRY_NOT_ASKING when it asks nothing)" })
  async answerRegistry(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(registryAnswerBody) body: z.output<typeof registryAnswerBody>) {
    return detailView(await this.transfers.answerRegistry(actor, id, body.note));
  }

  @Post('transfers/:id/escrow/confirm-funding')
  @HttpCode(200)
  @PlatformOnly()
  @Roles('admin', 'finance')
  @Idempotent({ required: true })
  @ApiIdParam()
  @ApiJsonBody(confirmFundingBody)
  @ApiOperation({ summary: "Platform finance confirms the buyer's wire (manual provider; Idempotency-Key required); the whole price moves the transfer to funded" })
  async confirmFunding(@CurrentActor() actor: Actor, @IdParam() id: string, @ValidBody(confirmFundingBody) body: z.output<typeof confirmFundingBody>) {
    return detailView(await this.transfers.confirmFunding(actor, id, body.amount, body.reference));
  }

  @Get('risk/exposure')
  @ApiOperation({ summary: 'Money at risk per party and risk type across open transfers: your organisation\'s deals (the platform: all)' })
  async exposure(@CurrentActor() actor: Actor) {
    const lines = await this.transfers.exposure(actor);
    return { data: lines.map((l) => ({ party: l.party, risk: l.risk, exposure: toMoneyJson({ amountMinor: l.amountMinor, currency: l.currency }), placements: l.placements })) };
  }
}
