import { Injectable, SetMetadata } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Job } from 'bullmq';
import { JOBS, type JobName } from './queue-names.js';

const JOB_HANDLER = Symbol('JOB_HANDLER');

/** A worker-side handler of one job name. Handlers must be idempotent: delivery is at least once. */
export interface JobHandler<T = unknown> {
  handle(job: Job<T>): Promise<unknown>;
}

/** Marks a provider as the handler of `name`. */
export const HandlesJob = (name: JobName): ClassDecorator => SetMetadata(JOB_HANDLER, name);

/** Finds every @HandlesJob provider and checks that each job name has exactly one. */
@Injectable()
export class JobHandlerRegistry {
  private handlers?: Map<JobName, JobHandler>;

  constructor(private readonly discovery: DiscoveryService) {}

  /** Throws, naming the job, when a name has no handler or more than one. */
  resolve(): Map<JobName, JobHandler> {
    if (this.handlers) return this.handlers;
    const found = new Map<JobName, JobHandler[]>();
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype, instance } = wrapper;
      if (!metatype || !instance) continue;
      const name = Reflect.getMetadata(JOB_HANDLER, metatype) as JobName | undefined;
      if (name) found.set(name, [...(found.get(name) ?? []), instance as JobHandler]);
    }
    this.handlers = checkHandlers(found);
    return this.handlers;
  }
}

export function checkHandlers(found: Map<string, unknown[]>): Map<JobName, JobHandler> {
  const problems: string[] = [];
  for (const name of Object.keys(JOBS)) {
    const n = found.get(name)?.length ?? 0;
    if (n !== 1) problems.push(`${name} has ${n} handlers`);
  }
  for (const name of found.keys()) if (!Object.hasOwn(JOBS, name)) problems.push(`${name} is not a known job`);
  if (problems.length) throw new Error(`Job handlers do not match queue-names.ts: ${problems.join('; ')}`);
  return new Map([...found].map(([k, v]) => [k as JobName, v[0] as JobHandler]));
}
