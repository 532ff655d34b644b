import { Injectable } from '@nestjs/common';
import { DueLeases, type DueLeasesOutcome, LeaseRegistry, type RegistryChangeJob, type RegistryCheckJob } from '@app/leases';
import { HandlesJob, type JobHandler } from '@app/platform';
import { type Job, UnrecoverableError } from 'bullmq';
import { z } from 'zod';

const changeData = z.object({ changeId: z.uuid(), round: z.number().int().min(1) });
const checkData = z.object({ leaseId: z.uuid(), phase: z.enum(['provision', 'deprovision']) });

function parse<S extends z.ZodType>(schema: S, job: Job): z.output<S> {
  const parsed = schema.safeParse(job.data);
  // A payload no retry can fix: fail the job at once (it stays visible among the failed).
  if (!parsed.success) throw new UnrecoverableError(`${job.name}: bad data: ${parsed.error.message}`);
  return parsed.data;
}

/** attemptsMade counts the attempts before this one. */
const isLastAttempt = (job: Job) => job.attemptsMade + 1 >= (job.opts.attempts ?? 1);

@Injectable()
@HandlesJob('leases.registry-change')
export class RegistryChangeHandler implements JobHandler<RegistryChangeJob> {
  constructor(private readonly registry: LeaseRegistry) {}

  handle(job: Job<RegistryChangeJob>): Promise<string> {
    return this.registry.applyChange(parse(changeData, job), isLastAttempt(job));
  }
}

@Injectable()
@HandlesJob('leases.registry-check')
export class RegistryCheckHandler implements JobHandler<RegistryCheckJob> {
  constructor(private readonly registry: LeaseRegistry) {}

  handle(job: Job<RegistryCheckJob>): Promise<string> {
    return this.registry.check(parse(checkData, job));
  }
}

@Injectable()
@HandlesJob('leases.scan-due')
export class ScanDueLeasesHandler implements JobHandler {
  constructor(private readonly due: DueLeases) {}

  handle(): Promise<DueLeasesOutcome> {
    return this.due.run();
  }
}
