import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Transactions } from '@app/platform';
import {
  RdapClient,
  type RdapIpNetwork,
  RegistryGateways,
  type Rir,
  type TransferRequest,
  UnknownTransferTicketError,
  answeringRir,
  lastTransferDate,
  receiptDate,
  registrantHandles,
  registrationDate,
} from '@app/registry';
import { DataSource } from 'typeorm';
import { type TestApp, startApi } from './support/app.js';
import { aKey, anOrg, bearer } from './support/identity-fixtures.js';
import { type ListeningApi, startListeningApi } from './support/listening.js';
import { expectProblem } from './support/problem.js';
import { Sandbox, aHandle, anEmail, anUnusedSlash16, rdapGet } from './support/registry-fixtures.js';

/**
 * Transfers at the sandbox RIRs, through their gateways as the transfer worker calls them,
 * checked from outside as a buyer would: RDAP over real HTTP from a listening API. Answers
 * are scripted with PUT /v1/sandbox/registry/behaviour on APNIC (and LACNIC as the
 * destination of inter-RIR moves) and put back, since every test file of the run shares the
 * sandbox RIRs; likewise the sandbox clock, which this file only moves forward, and a little.
 */
const REGISTERED_AT = '2014-03-04T00:00:00.000Z';
const HOUR = 3_600_000;

describe('transfers at the sandbox RIRs (e2e)', () => {
  let registry: ListeningApi;
  let t: TestApp;
  let db: DataSource;
  let sandbox: Sandbox;
  let gateways: RegistryGateways;
  let rdap: RdapClient;

  beforeAll(async () => {
    registry = await startListeningApi();
    t = await startApi({ SANDBOX_BASE_URL: registry.baseUrl });
    db = t.app.get(DataSource);
    sandbox = new Sandbox(t);
    gateways = t.app.get(RegistryGateways);
    rdap = t.app.get(RdapClient);
  });
  afterAll(async () => {
    for (const rir of ['APNIC', 'LACNIC']) await sandbox?.behaviour({ rir, transfer: 'approve', delayMs: 0 });
    await t?.close();
    await registry?.close();
  });

  interface Deal {
    /** The /16 ('a.b') of this deal. */
    readonly s: string;
    /** The seller's /22 at APNIC. */
    readonly allocation: string;
    readonly seller: string;
    readonly buyer: string;
    request(o?: Partial<TransferRequest>): TransferRequest;
  }

  /** A seller holding a /22 at APNIC (registered in 2014) in a /16 of its own, and a buyer with an account at `buyerRir`. */
  async function aDeal(buyerRir: Rir = 'APNIC'): Promise<Deal> {
    const s = await anUnusedSlash16(db, 'APNIC');
    const seller = aHandle('AP');
    const allocation = `${s}.20.0/22`;
    await sandbox.resource({ prefix: allocation, rir: 'APNIC', holderHandle: seller, holderName: `Seller of ${s}`, holderEmail: anEmail(), registeredAt: REGISTERED_AT, country: 'SG' });
    const buyer = (await sandbox.entity({ rir: buyerRir, handle: aHandle(buyerRir), name: 'Buyer Networks', email: anEmail() })).handle;
    return {
      s,
      allocation,
      seller,
      buyer,
      request: (o = {}) => ({ reference: randomUUID(), prefix: allocation, sourceRir: 'APNIC', destinationRir: buyerRir, fromHandle: seller, toHandle: buyer, ...o }),
    };
  }

  const apnic = () => gateways.gatewayFor('APNIC');

  async function submitted(request: TransferRequest, rir: Rir = 'APNIC'): Promise<string> {
    const outcome = await gateways.gatewayFor(rir).submitTransfer(request);
    expect(outcome).toMatchObject({ kind: 'submitted', alreadySubmitted: false, ticket: expect.any(String) });
    if (outcome.kind !== 'submitted') throw new Error('expected a submission');
    return outcome.ticket;
  }

  async function network(address: string): Promise<RdapIpNetwork> {
    return rdap.ipNetwork(address);
  }

  it('approves after the scripted delay by the sandbox clock, then completes: RDAP shows the buyer and a transfer event', async () => {
    const d = await aDeal();
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: HOUR });
    const request = d.request();
    const ticket = await submitted(request);

    const [filed] = await sandbox.transfers(request.reference);
    expect(filed).toMatchObject({ ticket, status: 'submitted', answer: 'approve', answeredBy: 'APNIC', prefix: d.allocation, fromHandle: d.seller, toHandle: d.buyer });
    expect(Date.parse(filed!.decideAfter as string) - Date.parse(filed!.requestedAt as string)).toBe(HOUR);

    const waiting = await apnic().transferStatus(ticket);
    expect(waiting).toMatchObject({ status: 'pending', evidence: { registry: 'sandbox', ticket, reference: request.reference, state: 'submitted', decideAfter: filed!.decideAfter } });
    expect(waiting).not.toHaveProperty('reason');

    await sandbox.advanceClock('PT61M');
    const approved = await apnic().transferStatus(ticket);
    expect(approved).toMatchObject({ status: 'approved', evidence: { decidedAt: expect.any(String), completedAt: null } });
    // Approved, not yet in the registry: RDAP still shows the seller.
    expect(registrantHandles(await network(`${d.s}.21.7`))).toEqual([d.seller]);

    const completed = await apnic().transferStatus(ticket);
    expect(completed).toMatchObject({
      status: 'completed',
      evidence: { network: { handle: `NET-${d.s.replace('.', '-')}-20-0-22`, prefix: d.allocation, rir: 'APNIC', registrant: d.buyer } },
    });
    const completedAt = (completed.evidence as { completedAt: string }).completedAt;
    expect(Date.parse(completedAt)).toBeGreaterThanOrEqual(Date.parse(filed!.decideAfter as string));

    // The real RDAP client, over HTTP: the buyer is the registrant of the whole /22 now.
    const n = await network(`${d.s}.21.7`);
    expect(n).toMatchObject({ handle: `NET-${d.s.replace('.', '-')}-20-0-22`, startAddress: `${d.s}.20.0`, endAddress: `${d.s}.23.255`, name: `${d.buyer}-NET` });
    expect(registrantHandles(n)).toEqual([d.buyer]);
    expect(registrationDate(n)).toEqual(new Date(REGISTERED_AT));
    expect(lastTransferDate(n)).toEqual(new Date(completedAt));
    expect(receiptDate(n)).toEqual(new Date(completedAt));
    // And as plain JSON: the registration event is the original one, then the transfer.
    const raw = await rdapGet(registry.baseUrl, `ip/${d.s}.20.0/22`);
    expect(raw.status).toBe(200);
    const events = raw.body.events as { eventAction: string; eventDate: string }[];
    expect(events.filter((e) => e.eventAction !== 'last changed')).toEqual([
      { eventAction: 'registration', eventDate: REGISTERED_AT },
      { eventAction: 'transfer', eventDate: completedAt },
    ]);

    // Final: a later read changes nothing.
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'completed', evidence: { completedAt } });
    expect(await sandbox.transfers(request.reference)).toEqual([expect.objectContaining({ status: 'completed', completedAt })]);
  });

  it('rejects with the reason when scripted to, leaving the space with the seller and free for another request', async () => {
    const d = await aDeal();
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'reject', delayMs: 0 });
    const ticket = await submitted(d.request());
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });

    const rejected = await apnic().transferStatus(ticket);
    expect(rejected).toMatchObject({ status: 'rejected', reason: `the APNIC registry rejected the transfer of ${d.allocation} (scripted)`, evidence: { state: 'rejected' } });
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'rejected' });

    const n = await network(`${d.s}.20.1`);
    expect(registrantHandles(n)).toEqual([d.seller]);
    expect(n.events!.map((e) => e.eventAction)).not.toContain('transfer');
    // A rejected request no longer holds the space: a new request (another reference) is received.
    await submitted(d.request());
  });

  it('asks for information, waits for it, then gives the answer scripted at that time', async () => {
    const d = await aDeal();
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'request_info', delayMs: 0 });
    const request = d.request();
    const ticket = await submitted(request);

    const asked = await apnic().transferStatus(ticket);
    expect(asked).toMatchObject({ status: 'info_requested', reason: expect.stringContaining(`more information about the transfer of ${d.allocation}`) });
    // It waits for the requester, whatever the time.
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'info_requested' });

    await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
    const provided = await apnic().provideTransferInformation(ticket, 'Signed transfer agreement and needs justification attached.');
    expect(provided).toMatchObject({ status: 'pending', evidence: { infoProvidedAt: expect.any(String) } });
    expect(provided).not.toHaveProperty('reason');
    expect(await sandbox.transfers(request.reference)).toEqual([expect.objectContaining({ status: 'submitted', answer: 'approve', infoProvidedAt: expect.any(String) })]);

    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'approved' });
    // Information given outside a request for it changes nothing.
    await expect(apnic().provideTransferInformation(ticket, 'again')).resolves.toMatchObject({ status: 'approved' });
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'completed' });
    expect(registrantHandles(await network(`${d.s}.23.255`))).toEqual([d.buyer]);
  });

  it('asks again when still scripted to ask after the information came', async () => {
    const d = await aDeal();
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'request_info', delayMs: 0 });
    const ticket = await submitted(d.request());
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'info_requested' });
    await expect(apnic().provideTransferInformation(ticket, 'Here it is.')).resolves.toMatchObject({ status: 'pending' });
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'info_requested' });
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
  });

  describe('submission, idempotent by reference', () => {
    it('answers the same ticket to a second submission, and files one request however many arrive at once', async () => {
      const d = await aDeal();
      await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
      const request = d.request();
      const ticket = await submitted(request);
      await expect(apnic().submitTransfer(request)).resolves.toMatchObject({ kind: 'submitted', ticket, alreadySubmitted: true });
      // The same request with its handles in another case is the same request.
      await expect(apnic().submitTransfer({ ...request, toHandle: request.toHandle.toLowerCase() })).resolves.toMatchObject({ kind: 'submitted', ticket, alreadySubmitted: true });
      expect(await sandbox.transfers(request.reference)).toHaveLength(1);

      const burst = d.request({ prefix: `${d.s}.40.0/24` });
      await sandbox.resource({ prefix: burst.prefix, rir: 'APNIC', holderHandle: d.seller });
      const answers = await Promise.all(Array.from({ length: 6 }, () => apnic().submitTransfer(burst)));
      const tickets = new Set(answers.map((a) => (a.kind === 'submitted' ? a.ticket : a.reason)));
      expect(tickets.size).toBe(1);
      expect(answers.filter((a) => a.kind === 'submitted' && !a.alreadySubmitted)).toHaveLength(1);
      expect(await sandbox.transfers(burst.reference)).toHaveLength(1);
    });

    it('answers a request refused on receipt with the same refusal again, still one request', async () => {
      const d = await aDeal();
      const request = d.request({ fromHandle: aHandle('AP') });
      const first = await apnic().submitTransfer(request);
      expect(first).toMatchObject({ kind: 'rejected', reason: `${request.fromHandle} is not the registrant of ${d.allocation} at APNIC` });
      await expect(apnic().submitTransfer(request)).resolves.toEqual(first);
      expect(await sandbox.transfers(request.reference)).toEqual([expect.objectContaining({ status: 'rejected', answeredBy: 'APNIC' })]);
    });

    it('refuses a reference reused for another request (a caller bug), filing nothing', async () => {
      const d = await aDeal();
      const request = d.request();
      await submitted(request);
      await expect(apnic().submitTransfer({ ...request, prefix: `${d.s}.20.0/24` })).rejects.toThrow(/was used for another request/);
      expect(await sandbox.transfers(request.reference)).toEqual([expect.objectContaining({ prefix: d.allocation })]);
    });

    it.each([
      ['space the seller does not hold', (d: Deal) => d.request({ fromHandle: d.buyer }), (d: Deal) => `${d.buyer} is not the registrant`],
      ['space no registry record covers', (d: Deal) => d.request({ prefix: `${d.s}.100.0/24` }), (d: Deal) => `no record of a network covering ${d.s}.100.0/24`],
      ['space registered at another RIR', (d: Deal) => d.request({ sourceRir: 'LACNIC', destinationRir: 'APNIC' }), (d: Deal) => `${d.allocation} is registered at APNIC (in ${d.allocation}), not at LACNIC`],
      ['a buyer without an account at the destination', (d: Deal) => d.request({ toHandle: aHandle('NOBODY') }), () => 'the APNIC registry has no account'],
      ['a buyer whose account is at another RIR', (d: Deal) => d.request({ destinationRir: 'LACNIC' }), (d: Deal) => `${d.buyer} is an account at APNIC, not at LACNIC`],
    ])('refuses on receipt a transfer of %s', async (_what, request, reason) => {
      const d = await aDeal();
      const r = request(d);
      const outcome = await gateways.gatewayFor(r.sourceRir).submitTransfer(r);
      expect(outcome).toMatchObject({ kind: 'rejected', reason: expect.stringContaining(reason(d)), evidence: { registry: 'sandbox', state: 'rejected' } });
    });

    it('refuses a second open transfer of overlapping space', async () => {
      const d = await aDeal();
      await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: HOUR });
      await submitted(d.request());
      await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
      const inner = await apnic().submitTransfer(d.request({ prefix: `${d.s}.22.0/24` }));
      expect(inner).toMatchObject({ kind: 'rejected', reason: `a transfer of ${d.allocation} is already in progress at the registry` });
    });

    it('refuses unknown tickets with UnknownTransferTicketError, without spoiling the caller transaction', async () => {
      const tx = t.app.get(Transactions);
      await tx.tx(async (em) => {
        await expect(apnic().transferStatus('not-a-ticket')).rejects.toBeInstanceOf(UnknownTransferTicketError);
        await expect(apnic().transferStatus(randomUUID())).rejects.toBeInstanceOf(UnknownTransferTicketError);
        await expect(apnic().provideTransferInformation(randomUUID(), 'x')).rejects.toBeInstanceOf(UnknownTransferTicketError);
        await expect(em.query('SELECT 1 AS ok')).resolves.toEqual([{ ok: 1 }]);
      });
      // A ticket is known to the registries of its transfer only.
      const d = await aDeal();
      const ticket = await submitted(d.request());
      await expect(gateways.gatewayFor('ARIN').transferStatus(ticket)).rejects.toBeInstanceOf(UnknownTransferTicketError);
    });
  });

  it("joins the caller's transaction: rolled back, the registry never received the request nor decided", async () => {
    const d = await aDeal();
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
    const tx = t.app.get(Transactions);
    const lost = d.request();
    await expect(
      tx.tx(async () => {
        await submitted(lost);
        throw new Error('the caller crashed');
      }),
    ).rejects.toThrow('the caller crashed');
    expect(await sandbox.transfers(lost.reference)).toEqual([]);

    const request = d.request();
    const ticket = await submitted(request);
    await expect(
      tx.tx(async () => {
        await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'approved' });
        throw new Error('the caller crashed');
      }),
    ).rejects.toThrow('the caller crashed');
    expect(await sandbox.transfers(request.reference)).toEqual([expect.objectContaining({ status: 'submitted', decidedAt: null })]);
  });

  describe('inter-RIR', () => {
    it('moves the network to the destination RIR, whose RDAP then answers for it', async () => {
      const d = await aDeal('LACNIC');
      await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
      await sandbox.behaviour({ rir: 'LACNIC', transfer: 'approve', delayMs: 0 });
      const request = d.request();
      const ticket = await submitted(request);
      // Either registry of the transfer answers about it.
      await expect(gateways.gatewayFor('LACNIC').transferStatus(ticket)).resolves.toMatchObject({ status: 'approved' });
      await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'completed', evidence: { network: { rir: 'LACNIC', registrant: d.buyer } } });

      const n = await network(`${d.s}.22.9`);
      expect(answeringRir(n)).toBe('LACNIC');
      expect(registrantHandles(n)).toEqual([d.buyer]);
      expect(n).toMatchObject({ country: 'BR', type: 'ALLOCATED', startAddress: `${d.s}.20.0`, endAddress: `${d.s}.23.255` });
      expect(registrationDate(n)).toEqual(new Date(REGISTERED_AT));
      expect(lastTransferDate(n)).not.toBeNull();
      // APNIC no longer holds it: the seller cannot transfer it again from there.
      await expect(apnic().submitTransfer(d.request({ destinationRir: 'APNIC', toHandle: d.seller, fromHandle: d.buyer }))).resolves.toMatchObject({
        kind: 'rejected',
        reason: `${d.allocation} is registered at LACNIC (in ${d.allocation}), not at APNIC`,
      });
    });

    it('needs both registries: the destination scripted to reject rejects it, after the longer delay', async () => {
      const d = await aDeal('LACNIC');
      await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
      await sandbox.behaviour({ rir: 'LACNIC', transfer: 'reject', delayMs: 60_000 });
      const request = d.request();
      const ticket = await submitted(request);
      await sandbox.behaviour({ rir: 'LACNIC', transfer: 'approve', delayMs: 0 });
      const [filed] = await sandbox.transfers(request.reference);
      expect(filed).toMatchObject({ answer: 'reject', answeredBy: 'LACNIC' });
      expect(Date.parse(filed!.decideAfter as string) - Date.parse(filed!.requestedAt as string)).toBe(60_000);
      await sandbox.advanceClock('PT2M');
      await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'rejected', reason: expect.stringContaining('the LACNIC registry rejected') });
      expect(answeringRir(await network(`${d.s}.20.0`))).toBe('APNIC');
    });
  });

  it('carves a more specific prefix out of the network: the buyer gets it, the rest stays with the seller', async () => {
    const d = await aDeal();
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
    const part = `${d.s}.22.0/24`;
    const ticket = await submitted(d.request({ prefix: part }));
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'approved' });
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'completed' });

    const bought = await network(`${d.s}.22.200`);
    expect(bought).toMatchObject({ startAddress: `${d.s}.22.0`, endAddress: `${d.s}.22.255`, parentHandle: `NET-${d.s.replace('.', '-')}-20-0-22`, country: 'SG' });
    expect(registrantHandles(bought)).toEqual([d.buyer]);
    expect(registrationDate(bought)).toEqual(new Date(REGISTERED_AT));
    expect(lastTransferDate(bought)).not.toBeNull();

    for (const address of [`${d.s}.20.1`, `${d.s}.21.255`, `${d.s}.23.0`]) {
      const rest = await network(address);
      expect(rest).toMatchObject({ startAddress: `${d.s}.20.0`, endAddress: `${d.s}.23.255` });
      expect(registrantHandles(rest)).toEqual([d.seller]);
      expect(lastTransferDate(rest)).toBeNull();
    }
    // The seller no longer holds the whole /22, so cannot sell it whole; what it kept, it can.
    await expect(apnic().submitTransfer(d.request())).resolves.toMatchObject({
      kind: 'rejected',
      reason: `part of ${d.allocation} (${part}) is not registered to ${d.seller} at APNIC`,
    });
    await submitted(d.request({ prefix: `${d.s}.20.0/23` }));
  });

  it("moves the seller's sub-assignments in the transferred space with it", async () => {
    const d = await aDeal();
    await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
    const customer = { handle: aHandle('CUST'), name: 'Lessee Networks' };
    await expect(
      apnic().create({ rir: 'APNIC', kind: 'assignment', prefix: `${d.s}.21.0/24`, asn: 4_200_000_001, customer }),
    ).resolves.toMatchObject({ kind: 'done' });
    const ticket = await submitted(d.request());
    await apnic().transferStatus(ticket);
    await expect(apnic().transferStatus(ticket)).resolves.toMatchObject({ status: 'completed' });
    const [row] = await db.query('SELECT holder_handle, customer_handle, rir FROM sandbox_rir_resources WHERE prefix = $1::cidr', [`${d.s}.21.0/24`]);
    expect(row).toEqual({ holder_handle: d.buyer, customer_handle: customer.handle, rir: 'APNIC' });
    const sub = await rdapGet(registry.baseUrl, `ip/${d.s}.21.5`);
    expect(sub.body.entities).toEqual([
      expect.objectContaining({ handle: customer.handle, roles: ['registrant'] }),
      expect.objectContaining({ handle: d.buyer, roles: ['administrative'] }),
    ]);
  });

  describe('over the API', () => {
    it('scripts transfers with { rir, transfer, delayMs } and keeps the lease-change fields', async () => {
      const res = await t.http.put('/v1/sandbox/registry/behaviour').set(bearer(t.adminToken)).send({ rir: 'APNIC', transfer: 'request_info', delayMs: 1234 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ rir: 'APNIC', transfer: 'request_info', delayMs: 1234, changes: 'apply', changeDelayMs: 0 });
      await sandbox.behaviour({ rir: 'APNIC', transfer: 'approve', delayMs: 0 });
      for (const body of [{ rir: 'APNIC', transfer: 'maybe' }, { rir: 'APNIC', delayMs: -1 }, { rir: 'APNIC', delayMs: 8 * 86_400_000 }]) {
        expectProblem(await t.http.put('/v1/sandbox/registry/behaviour').set(bearer(t.adminToken)).send(body), 422);
      }
    });

    it('declares a network received by transfer (transferredAt): RDAP lists the transfer event', async () => {
      const s = await anUnusedSlash16(db, 'APNIC');
      const declared = await sandbox.resource({
        prefix: `${s}.0.0/24`,
        rir: 'APNIC',
        holderHandle: aHandle('AP'),
        holderName: 'Holder',
        holderEmail: anEmail(),
        registeredAt: REGISTERED_AT,
        transferredAt: '2025-06-07T08:09:10Z',
      });
      expect(declared).toMatchObject({ registeredAt: REGISTERED_AT, transferredAt: '2025-06-07T08:09:10.000Z' });
      const n = await network(`${s}.0.1`);
      expect(registrationDate(n)).toEqual(new Date(REGISTERED_AT));
      expect(receiptDate(n)).toEqual(new Date('2025-06-07T08:09:10Z'));
    });

    it('lists the requests the stand-in RIRs received to the platform admin only', async () => {
      const d = await aDeal();
      const request = d.request();
      const ticket = await submitted(request);
      const res = await t.http.get('/v1/sandbox/registry/transfers').query({ limit: 1 }).set(bearer(t.adminToken));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ data: [expect.objectContaining({ ticket: expect.any(String) })], nextCursor: expect.any(String) });
      expect(await sandbox.transfers(request.reference)).toEqual([expect.objectContaining({ ticket, reference: request.reference })]);
      const org = await anOrg(t);
      const viewer = await aKey(t, org.id, 'viewer');
      expectProblem(await t.http.get('/v1/sandbox/registry/transfers').set(bearer(org.apiKey)), 403, 'AUTH.FORBIDDEN');
      expectProblem(await t.http.get('/v1/sandbox/registry/transfers').set(bearer(viewer.apiKey)), 403, 'AUTH.FORBIDDEN');
      expectProblem(await t.http.get('/v1/sandbox/registry/transfers'), 401, 'AUTH.UNAUTHENTICATED');
    });
  });
});
