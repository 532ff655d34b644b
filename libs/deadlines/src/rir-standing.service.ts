import { Injectable } from '@nestjs/common';
import type { Actor } from '@app/identity';
import { type BlockView, BlocksService } from '@app/inventory';
import { LeaseHistory } from '@app/leases';
import { Clock, DomainEvents, ProblemError, Transactions } from '@app/platform';

/** The latest paid-until date accepted: far enough for any prepaid term, near enough to catch typos. */
const MAX_YEARS_AHEAD = 10;

/**
 * The holder's RIR standing for a block: until when its RIR fees are paid. Setting it moves
 * the continuity risk of the block's lessees at once (a lease event each), and the deadline
 * scan then walks the fee, services-stop and revocation dates.
 */
@Injectable()
export class RirStanding {
  constructor(
    private readonly tx: Transactions,
    private readonly clock: Clock,
    private readonly blocks: BlocksService,
    private readonly leases: LeaseHistory,
    private readonly events: DomainEvents,
  ) {}

  async set(actor: Actor, blockId: string, paidUntil: Date): Promise<BlockView> {
    const now = await this.clock.now();
    const latest = new Date(now.getTime());
    latest.setUTCFullYear(latest.getUTCFullYear() + MAX_YEARS_AHEAD);
    if (paidUntil.getTime() > latest.getTime()) {
      throw new ProblemError(422, 'BLOCK.INVALID_PAID_UNTIL', 'Invalid paid-until date', `paidUntil must be within ${MAX_YEARS_AHEAD} years`, [
        { field: 'body.paidUntil', code: 'BLOCK.INVALID_PAID_UNTIL', message: `must be within ${MAX_YEARS_AHEAD} years` },
      ]);
    }
    return this.tx.tx(async (em) => {
      const { before, after } = await this.blocks.setRirPaidUntil(actor, blockId, paidUntil);
      if (before.rirPaidUntil !== after.rirPaidUntil) {
        const noted = await this.leases.noteBlockStanding(blockId, 'rir_standing_changed', { paidUntil: after.rirPaidUntil, previous: before.rirPaidUntil });
        await this.events.publish(em, {
          type: 'block.rir_standing_changed',
          orgIds: [after.holderOrgId, ...noted.map((n) => n.lesseeOrgId)],
          subject: { type: 'block', id: blockId },
          data: { blockId, prefix: after.prefix, rir: after.rir, paidUntil: after.rirPaidUntil, previous: before.rirPaidUntil, leases: noted.map((n) => n.leaseId) },
          occurredAt: now,
        });
      }
      return after;
    });
  }
}
