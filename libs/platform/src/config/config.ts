import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * The process's settings (API.md "Running"), validated once at boot. Nothing else in the
 * code base reads process.env: everything takes an AppConfig.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL` },
  );

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/ipv4market'),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(20),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'must be 1-40 letters, digits, dots, dashes or underscores')
      .default('ipv4m'),
    PLATFORM_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    REGISTRY_MODE: z.enum(['sandbox', 'live']).default('sandbox'),
    PAYMENTS_PROVIDER: z.enum(['manual', 'stripe']).default('manual'),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    STRIPE_API_BASE: url(['http:', 'https:']).optional(),
    SANDBOX_TIME_TRAVEL: booleanFlag.default(false),
    SANDBOX_BASE_URL: url(['http:', 'https:']).optional(),
    RPKI_VRPS_URL: url(['http:', 'https:']).optional(),
    RDAP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(5000),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(10),
    OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60000).default(250),
    LEASE_SCAN_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    PAYMENTS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    TRANSFERS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    TRANSFER_DOCUMENTS_WAIT_MS: z.coerce.number().int().min(1_000).max(365 * 86_400_000).default(30 * 86_400_000),
    WORKER_LOCK_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    WORKER_SCHEDULE_CHECK_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    DEADLINES_SCAN_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
    DEADLINES_FULL_SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).max(86_400_000).default(3_600_000),
    ESCROW_FUNDING_WINDOW_MS: z.coerce.number().int().min(60_000).max(365 * 86_400_000).default(14 * 86_400_000),
    ESCROW_REGISTRY_PROGRESS_MS: z.coerce.number().int().min(60_000).max(365 * 86_400_000).default(60 * 86_400_000),
    WEBHOOKS_ALLOW_PRIVATE_URLS: booleanFlag.default(false),
    WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
    WEBHOOK_RETRY_FOR_MS: z.coerce.number().int().min(1_000).max(7 * 86_400_000).default(86_400_000),
    WEBHOOK_DISABLE_AFTER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(20),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
    WEBHOOKS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.PLATFORM_ADMIN_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['PLATFORM_ADMIN_TOKEN'], message: 'is required when NODE_ENV=production' });
    }
    if (c.PAYMENTS_PROVIDER === 'stripe') {
      for (const key of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
        if (!c[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when PAYMENTS_PROVIDER=stripe' });
      }
    }
    if (c.SANDBOX_TIME_TRAVEL && c.REGISTRY_MODE !== 'sandbox') {
      ctx.addIssue({ code: 'custom', path: ['SANDBOX_TIME_TRAVEL'], message: 'may only be true when REGISTRY_MODE=sandbox' });
    }
    if (c.SANDBOX_TIME_TRAVEL && c.NODE_ENV === 'production') {
      ctx.addIssue({ code: 'custom', path: ['SANDBOX_TIME_TRAVEL'], message: 'may not be true when NODE_ENV=production' });
    }
  });

/**
 * The VRPs read in live mode: a public rpki-client export, the output of the rpki-client
 * project's own validator run over the five RIRs' trust anchors. It is someone else's
 * validation, fetched as published; run a validator of your own and set RPKI_VRPS_URL to it
 * to depend on no one.
 */
const LIVE_VRPS_URL = 'https://console.rpki-client.org/vrps.json';

export interface AppConfig {
  readonly nodeEnv: 'development' | 'test' | 'production';
  readonly port: number;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  /** The platform admin's bearer token. */
  readonly platformAdminToken: string;
  /** True when the token was generated at start-up (and must be shown to the operator). */
  readonly platformAdminTokenGenerated: boolean;
  readonly registryMode: 'sandbox' | 'live';
  readonly paymentsProvider: 'manual' | 'stripe';
  readonly stripe: { readonly secretKey?: string; readonly webhookSecret?: string; readonly apiBase?: string };
  readonly sandboxTimeTravel: boolean;
  /**
   * Where the sandbox registry (served by the API under /sandbox) is reached, e.g. by the
   * worker's RDAP client; defaults to this machine's API port.
   */
  readonly sandboxBaseUrl: string;
  /**
   * Where the validated ROA payloads are read, in rpki-client's JSON layout: the sandbox's
   * /sandbox/rpki/vrps.json in sandbox mode, a public rpki-client export in live mode.
   */
  readonly rpkiVrpsUrl: string;
  readonly rdapTimeoutMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly workerConcurrency: number;
  readonly outboxPollMs: number;
  /** How often the worker looks for leases the clock made due (renewals, lapses, ends). */
  readonly leaseScanIntervalMs: number;
  /** How often the worker re-queues provider payouts still pending after that long. */
  readonly paymentsReconcileIntervalMs: number;
  /** How soon the worker looks again at a transfer waiting on something outside (funding, the RIR, RDAP, payouts), and how often it re-queues due ones. */
  readonly transfersReconcileIntervalMs: number;
  /** How long a transfer waits for the buyer's documents before it fails its policy check. */
  readonly transferDocumentsWaitMs: number;
  /**
   * BullMQ's job lock: a worker that dies mid-job (SIGKILL) holds its jobs this long before
   * another worker takes them back as stalled.
   */
  readonly workerLockMs: number;
  /** How often a worker checks that its job schedulers are still in Redis (and restores them). */
  readonly workerScheduleCheckMs: number;
  /** How often the deadline scan runs (it follows the sandbox clock). */
  readonly deadlinesScanIntervalMs: number;
  /** How often (real time) the scan reads the big kinds whole instead of incrementally: its safety net. */
  readonly deadlinesFullSweepIntervalMs: number;
  /** How long an escrow may wait for the buyer's funds before it is overdue. */
  readonly escrowFundingWindowMs: number;
  /** How long a funded escrow may wait for the registry to complete the transfer before it is overdue. */
  readonly escrowRegistryProgressMs: number;
  readonly webhooks: {
    /** Accept endpoint URLs that resolve to private, loopback or link-local addresses (tests, sandbox). */
    readonly allowPrivateUrls: boolean;
    /** The first retry's delay; each further one doubles it. */
    readonly retryBaseMs: number;
    /** Retries stop this long after the delivery was created. */
    readonly retryForMs: number;
    /** An endpoint is disabled after this many failed attempts in a row. */
    readonly disableAfterFailures: number;
    readonly timeoutMs: number;
    readonly reconcileIntervalMs: number;
  };
}

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError with one line naming each bad setting. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  // An empty value means "not set", as in most twelve-factor tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const got = key in cleaned ? ` (got ${JSON.stringify(redact(key, cleaned[key]))})` : '';
      return `${key} ${issue.message}${got}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const c = parsed.data;
  const sandboxBaseUrl = (c.SANDBOX_BASE_URL ?? `http://127.0.0.1:${c.PORT}`).replace(/\/+$/, '');
  return {
    nodeEnv: c.NODE_ENV,
    port: c.PORT,
    databaseUrl: c.DATABASE_URL,
    databasePoolSize: c.DATABASE_POOL_SIZE,
    redisUrl: c.REDIS_URL,
    redisKeyPrefix: c.REDIS_KEY_PREFIX,
    platformAdminToken: c.PLATFORM_ADMIN_TOKEN ?? randomBytes(32).toString('base64url'),
    platformAdminTokenGenerated: !c.PLATFORM_ADMIN_TOKEN,
    registryMode: c.REGISTRY_MODE,
    paymentsProvider: c.PAYMENTS_PROVIDER,
    stripe: { secretKey: c.STRIPE_SECRET_KEY, webhookSecret: c.STRIPE_WEBHOOK_SECRET, apiBase: c.STRIPE_API_BASE },
    sandboxTimeTravel: c.SANDBOX_TIME_TRAVEL,
    sandboxBaseUrl,
    rpkiVrpsUrl: c.RPKI_VRPS_URL ?? (c.REGISTRY_MODE === 'sandbox' ? `${sandboxBaseUrl}/sandbox/rpki/vrps.json` : LIVE_VRPS_URL),
    rdapTimeoutMs: c.RDAP_TIMEOUT_MS,
    logLevel: c.LOG_LEVEL,
    workerConcurrency: c.WORKER_CONCURRENCY,
    outboxPollMs: c.OUTBOX_POLL_MS,
    leaseScanIntervalMs: c.LEASE_SCAN_INTERVAL_MS,
    paymentsReconcileIntervalMs: c.PAYMENTS_RECONCILE_INTERVAL_MS,
    transfersReconcileIntervalMs: c.TRANSFERS_RECONCILE_INTERVAL_MS,
    transferDocumentsWaitMs: c.TRANSFER_DOCUMENTS_WAIT_MS,
    workerLockMs: c.WORKER_LOCK_MS,
    workerScheduleCheckMs: c.WORKER_SCHEDULE_CHECK_MS,
    deadlinesScanIntervalMs: c.DEADLINES_SCAN_INTERVAL_MS,
    deadlinesFullSweepIntervalMs: c.DEADLINES_FULL_SWEEP_INTERVAL_MS,
    escrowFundingWindowMs: c.ESCROW_FUNDING_WINDOW_MS,
    escrowRegistryProgressMs: c.ESCROW_REGISTRY_PROGRESS_MS,
    webhooks: {
      allowPrivateUrls: c.WEBHOOKS_ALLOW_PRIVATE_URLS,
      retryBaseMs: c.WEBHOOK_RETRY_BASE_MS,
      retryForMs: c.WEBHOOK_RETRY_FOR_MS,
      disableAfterFailures: c.WEBHOOK_DISABLE_AFTER_FAILURES,
      timeoutMs: c.WEBHOOK_TIMEOUT_MS,
      reconcileIntervalMs: c.WEBHOOKS_RECONCILE_INTERVAL_MS,
    },
  };
}

function redact(key: string, value: string | undefined): string | undefined {
  return /TOKEN|SECRET|KEY$/.test(key) && value ? '***' : value;
}

/** Loads the config or ends the process with the one-line reason: for main() functions only. */
export function loadConfigOrExit(env: Record<string, string | undefined>): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}

export const APP_CONFIG = Symbol('APP_CONFIG');
