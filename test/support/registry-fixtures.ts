import { randomBytes, randomInt } from 'node:crypto';
import { expect } from '@jest/globals';
import type { MailboxItem } from '@app/registry';
export type { MailboxItem };
import type { TestApp } from './app.js';
import { bearer } from './identity-fixtures.js';
import { waitFor } from './queues.js';

/**
 * Sandbox registry data for end-to-end tests. The database is shared by every test file of
 * the run, so each file works in a /16 of its own, picked at random from RIPE NCC space, and
 * uses handles and e-mail addresses no one else uses.
 */
const RIPE_FIRST_OCTETS = [109, 151, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217];

/** 'a.b' of a random /16 in RIPE NCC space. */
export function aRipeSlash16(): string {
  return `${RIPE_FIRST_OCTETS[randomInt(RIPE_FIRST_OCTETS.length)]}.${randomInt(256)}`;
}

export function aHandle(suffix = 'RIPE'): string {
  return `T${randomBytes(5).toString('hex')}-${suffix}`.toUpperCase();
}

export function anEmail(local = 'noc'): string {
  return `${local}-${randomBytes(5).toString('hex')}@example.net`;
}

export interface SandboxEntity {
  rir: string;
  handle: string;
  name: string;
  email: string;
}

/** The sandbox's scripting endpoints, called as the platform admin; each call must succeed. */
export class Sandbox {
  constructor(private readonly t: TestApp) {}

  async entity(overrides: Partial<SandboxEntity> = {}): Promise<SandboxEntity> {
    const body = { rir: 'RIPE', handle: aHandle(), name: 'Example Networks B.V.', email: anEmail(), ...overrides };
    const res = await this.t.http.put('/v1/sandbox/registry/entities').set(bearer(this.t.adminToken)).send(body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return body;
  }

  async resource(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.t.http.put('/v1/sandbox/registry/resources').set(bearer(this.t.adminToken)).send(body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return res.body;
  }

  async behaviour(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const res = await this.t.http.put('/v1/sandbox/registry/behaviour').set(bearer(this.t.adminToken)).send(body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return res.body;
  }

  /** Every RIR's RDAP back up (tests that script an outage call this in finally). */
  async allUp(): Promise<void> {
    for (const rir of ['ARIN', 'RIPE', 'APNIC', 'LACNIC', 'AFRINIC']) await this.behaviour({ rir, rdap: 'up' });
  }

  /** The transfer requests the stand-in RIRs received under `reference` (GET /v1/sandbox/registry/transfers). */
  async transfers(reference: string): Promise<Record<string, unknown>[]> {
    const res = await this.t.http.get('/v1/sandbox/registry/transfers').query({ reference }).set(bearer(this.t.adminToken));
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return res.body.data;
  }

  /** The sandbox clock's time now. */
  async now(): Promise<Date> {
    const res = await this.t.http.get('/v1/sandbox/clock').set(bearer(this.t.adminToken));
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return new Date(res.body.now);
  }

  /**
   * Moves the sandbox clock forward by an ISO 8601 duration ('PT2H'); returns the new time.
   * Every test file of the run shares the clock: keep moves small, and never expect it still.
   */
  async advanceClock(by: string): Promise<Date> {
    const res = await this.t.http.post('/v1/sandbox/clock/advance').set(bearer(this.t.adminToken)).send({ by });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 200 });
    return new Date(res.body.now);
  }
}


/** The sandbox mailbox's mail to `address`, newest first. */
export async function mailboxOf(t: TestApp, address: string): Promise<MailboxItem[]> {
  const res = await t.http.get('/v1/sandbox/mailbox').query({ to: address, limit: 500 }).set(bearer(t.adminToken));
  expect(res.status).toBe(200);
  return res.body.data;
}

/** Waits (bounded) until the sandbox mailbox holds `count` mails to `address`; returns them, newest first. */
export function waitForMail(t: TestApp, address: string, count = 1, timeoutMs = 10_000): Promise<MailboxItem[]> {
  return waitFor(
    `${count} mail(s) to ${address} in the sandbox mailbox`,
    async () => {
      const mails = await mailboxOf(t, address);
      return mails.length >= count ? mails : undefined;
    },
    { timeoutMs },
  );
}

/** The one-time code of a handle-claim mail. */
export function codeIn(mail: MailboxItem): string {
  const m = /one-time code is: ([0-9]{8})\b/.exec(mail.body);
  if (!m) throw new Error(`no code in mail ${JSON.stringify(mail.body)}`);
  return m[1]!;
}

export interface RdapHttpAnswer {
  status: number;
  contentType: string | null;
  body: Record<string, unknown>;
}

/** A plain HTTP GET of the sandbox's RDAP service, with no credentials, as any RDAP client does it. */
export async function rdapGet(baseUrl: string, path: string): Promise<RdapHttpAnswer> {
  const res = await fetch(`${baseUrl}/sandbox/rdap/${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

/**
 * First octets of /8s the IANA bootstrap gives each RIR, clear of special-purpose space, so
 * that the sandbox's RDAP answers for a network's space as that RIR even where no row covers it.
 */
const RIR_FIRST_OCTETS: Readonly<Record<string, readonly number[]>> = {
  ARIN: [104, 107, 108, 142, 162, 173, 174, 184, 199, 204, 205, 206, 207, 208, 209, 216],
  RIPE: RIPE_FIRST_OCTETS,
  APNIC: [1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125],
  LACNIC: [177, 179, 181, 186, 187, 189, 190, 191, 200, 201],
  AFRINIC: [41, 102, 105, 154, 196, 197],
};

/**
 * 'a.b' of a /16 in `rir`'s space where the sandbox registry has no network yet. The database
 * is shared by every test file of the run: a random pick is checked against what is there,
 * which leaves only the rare race with a file that picks the same /16 at the same moment.
 */
export async function anUnusedSlash16(db: { query(sql: string, params?: unknown[]): Promise<unknown> }, rir = 'RIPE'): Promise<string> {
  const octets = RIR_FIRST_OCTETS[rir];
  if (!octets) throw new Error(`no address space listed for ${rir}`);
  for (let attempt = 0; attempt < 50; attempt++) {
    const s = `${octets[randomInt(octets.length)]}.${randomInt(256)}`;
    const [row] = (await db.query('SELECT EXISTS (SELECT 1 FROM sandbox_rir_resources WHERE prefix && $1::cidr) AS taken', [`${s}.0.0/16`])) as { taken: boolean }[];
    if (!row?.taken) return s;
  }
  throw new Error(`anUnusedSlash16: no free /16 found in ${rir} space`);
}
