/**
 * Every queue and job name in the system, in one place.
 *
 * WARNING: these names are stored in Redis (waiting and delayed jobs) and in the outbox
 * table. Renaming one strands the work already queued under the old name: add the new
 * name, drain the old one, then remove it, in that order, over two releases.
 *
 * BullMQ refuses job ids that are integers or contain ':' other than exactly twice; ids here
 * are 'outbox-<row id>' or '<kind>:<id>:<step>'.
 */
export const QUEUES = {
  maintenance: 'maintenance',
  mail: 'mail',
  inventory: 'inventory',
  listings: 'listings',
  leases: 'leases',
  /** Changes at the RIRs (ROAs, route objects, sub-assignments) and the checks that they took. */
  registryChanges: 'registry-changes',
  /** Calls to payment providers (Stripe transfers and refunds) and their reconciler. */
  payments: 'payments',
  /** The transfer pipeline: one job per stage step, and its reconciler. */
  transfers: 'transfers',
  /** The deadline scan (notifications). */
  deadlines: 'deadlines',
  /** Outgoing webhooks: fan-out of domain events to endpoints, deliveries, their reconciler. */
  webhooks: 'webhooks',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Job name -> the queue it runs on. Each job name has exactly one handler in the worker. */
export const JOBS = {
  /** Re-computes the audit log's hash chain and records the result. */
  'audit.verify-chain': QUEUES.maintenance,
  /** Delivers one outgoing e-mail (the sandbox keeps it in its mailbox); data { mailId }. */
  'mail.deliver': QUEUES.mail,
  /** Checks a block's holdership against the registry's RDAP record; data { blockId, round }. */
  'inventory.verify-block': QUEUES.inventory,
  /** Scheduled: ends mandates whose expiry passed by the (sandbox) clock. */
  'inventory.end-expired-mandates': QUEUES.inventory,
  /** Withdraws the open listings made under a mandate that ended; data { mandateId, blockId, brokerOrgId }. */
  'listings.mandate-ended': QUEUES.listings,
  /** Makes or undoes one registry change of a lease; data { changeId, round }. */
  'leases.registry-change': QUEUES.registryChanges,
  /** Checks through RDAP, VRPs and the IRR that a lease's changes are there (or gone); data { leaseId, phase }. */
  'leases.registry-check': QUEUES.registryChanges,
  /** Scheduled: renewals, lapses and ends made due by the (sandbox) clock, and the reconciler. */
  'leases.scan-due': QUEUES.leases,
  /** Pays one payout instruction through Stripe (a transfer or a refund), once; data { payoutId }. */
  'payments.execute-payout': QUEUES.payments,
  /** Scheduled: re-queues Stripe payouts still pending (lost jobs, crashes between Stripe's answer and our commit). */
  'payments.reconcile': QUEUES.payments,
  /** Advances one transfer by one step from a stage; data { transferId, stage, round }; job id 'transfer:<id>:<stage>-<round>'. */
  'transfers.advance': QUEUES.transfers,
  /** Scheduled: queues every transfer whose next step is due (lost jobs, Redis flushed, polls). */
  'transfers.reconcile': QUEUES.transfers,
  /** Scheduled: records one notification per deadline and threshold crossed (by the sandbox clock), once. */
  'deadlines.scan': QUEUES.deadlines,
  /** Creates one delivery per subscribed endpoint for a domain event; data { eventId }; job id 'event:<id>:fan-out'. */
  'webhooks.fan-out': QUEUES.webhooks,
  /** Sends one webhook delivery attempt; data { deliveryId, attempt }; job id 'delivery:<id>:<attempt>'. */
  'webhooks.deliver': QUEUES.webhooks,
  /** Scheduled: fans out events without deliveries and re-queues deliveries whose attempt is overdue (lost jobs). */
  'webhooks.reconcile': QUEUES.webhooks,
} as const satisfies Record<string, QueueName>;
export type JobName = keyof typeof JOBS;

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(JOBS, name);
}
