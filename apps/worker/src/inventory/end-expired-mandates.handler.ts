import { Injectable } from '@nestjs/common';
import { HandlesJob, type JobHandler } from '@app/platform';
import { MandatesService } from '@app/inventory';

@Injectable()
@HandlesJob('inventory.end-expired-mandates')
export class EndExpiredMandatesHandler implements JobHandler {
  constructor(private readonly mandates: MandatesService) {}

  async handle(): Promise<{ ended: number }> {
    let ended = 0;
    // Batches of 500 until none is left, so a backlog clears in one run.
    for (let n = await this.mandates.endExpired(); n > 0; n = await this.mandates.endExpired()) ended += n;
    return { ended };
  }
}
