import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type pg from 'pg';
import { BankStatementImport, EscrowService, type FundingSource, PayoutService, releaseSplit } from '@app/escrow';
import { LedgerService } from '@app/ledger';
import { isFundingReference } from '@app/payments';
import { type EscrowTestContext, aDeal, balanceOf, entriesByKey, startEscrowContext, statementCsv } from './support/escrow-fixtures.js';

/**
 * Escrow on the real ledger: open, fund (partial, exact, over, late), release, refund,
 * payouts, the races that matter (identical fundings, release against refund), the
 * database's own guards, bank statement imports, and a property test of random operation
 * sequences against a model. The database is shared with the other test files of the run:
 * every test makes its own organisations and deals and looks at those, or at invariants
 * that hold for every row.
 */

describe('escrow (e2e)', () => {
  let t: EscrowTestContext;
  let raw: pg.Pool;
  let escrow: EscrowService;
  let payouts: PayoutService;
  let statements: BankStatementImport;
  let ledger: LedgerService;

  beforeAll(async () => {
    t = await startEscrowContext();
    raw = t.raw;
    escrow = t.ctx.get(EscrowService);
    payouts = t.ctx.get(PayoutService);
    statements = t.ctx.get(BankStatementImport);
    ledger = t.ctx.get(LedgerService);
  });
  afterAll(async () => {
    await t?.close();
  });

  const usd = (amountMinor: bigint) => ({ amountMinor, currency: 'USD' });
  const escrowBalance = (dealId: string, currency = 'USD') => balanceOf(raw, { ownerOrgId: null, purpose: 'escrow', currency, reference: dealId });
  const payable = (orgId: string, currency = 'USD') => balanceOf(raw, { ownerOrgId: orgId, purpose: 'payable', currency });
  const commission = (orgId: string, currency = 'USD') => balanceOf(raw, { ownerOrgId: orgId, purpose: 'commission', currency });
  const dealEntries = async (dealId: string) => entriesByKey(raw, `escrow:${dealId}:%`);
  /** An entry's lines as [purpose, account reference, amount], in purpose order. */
  const linesOf = async (entryId: bigint) =>
    (
      await raw.query(
        `SELECT a.purpose, a.reference, l.amount_minor FROM journal_lines l JOIN ledger_accounts a ON a.id = l.account_id WHERE l.entry_id = $1 ORDER BY a.purpose`,
        [entryId],
      )
    ).rows.map((r) => [r.purpose, r.reference, r.amount_minor]);
  const fund = (dealId: string, amountMinor: bigint, externalId: string = randomUUID(), source: FundingSource = 'manual') =>
    escrow.recordFunding({ dealId, amount: usd(amountMinor), source, externalId });

  describe('open', () => {
    it('opens an escrow awaiting the price, with a funding reference and an empty escrow account; again with the same terms it answers the same', async () => {
      const deal = await aDeal(raw);
      const opened = await escrow.open(deal);
      expect(opened.replayed).toBe(false);
      expect(opened.escrow).toEqual(
        expect.objectContaining({
          dealId: deal.dealId,
          status: 'awaiting_funds',
          expected: usd(1_000_001n),
          funded: usd(0n),
          outstanding: usd(1_000_001n),
          excess: usd(0n),
          outcome: null,
        }),
      );
      expect(isFundingReference(opened.escrow.fundingReference)).toBe(true);
      const account = await ledger.balance(opened.escrow.escrowAccountId);
      expect(account).toMatchObject({ balanceMinor: 0n, mayGoNegative: false, normalSide: 'credit' });

      const again = await escrow.open({ ...deal, dealId: deal.dealId.toUpperCase() });
      expect(again).toEqual({ escrow: opened.escrow, replayed: true });
      await expect(escrow.fundingInstructions(deal.dealId)).resolves.toEqual({
        dealId: deal.dealId,
        method: 'wire',
        reference: opened.escrow.fundingReference,
        amountDue: usd(1_000_001n),
        price: usd(1_000_001n),
        received: usd(0n),
        status: 'awaiting_funds',
      });
    });

    it('opens once under 10 concurrent identical calls', async () => {
      const deal = await aDeal(raw);
      const results = await Promise.all(Array.from({ length: 10 }, () => escrow.open(deal)));
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.escrow.fundingReference)).size).toBe(1);
    });

    it('refuses other terms for an open deal, unknown parties and bad terms', async () => {
      const deal = await aDeal(raw);
      await escrow.open(deal);
      await expect(escrow.open({ ...deal, price: usd(5n) })).rejects.toMatchObject({ code: 'ESCROW.TERMS_CONFLICT', status: 409 });
      await expect(escrow.open({ ...deal, dealId: randomUUID(), buyerOrgId: randomUUID() })).rejects.toMatchObject({ code: 'ESCROW.UNKNOWN_PARTY', status: 422 });
      await expect(escrow.open({ ...deal, dealId: 'deal-1', platformFeeBps: 10_000 })).rejects.toMatchObject({
        code: 'ESCROW.INVALID',
        status: 422,
        errors: [expect.objectContaining({ field: 'dealId' }), expect.objectContaining({ field: 'platformFeeBps' })],
      });
      await expect(escrow.get(randomUUID())).rejects.toMatchObject({ code: 'ESCROW.NOT_FOUND', status: 404 });
      await expect(escrow.release('nope')).rejects.toMatchObject({ code: 'ESCROW.NOT_FOUND' });
    });
  });

  describe('funding', () => {
    it('takes partial payments up to the price, sends an overpayment to the buyer’s payable, and records each once', async () => {
      const deal = await aDeal(raw, { price: usd(10_000n) });
      await escrow.open(deal);
      const first = await fund(deal.dealId, 4_000n, 'TX-1');
      expect(first).toMatchObject({ replayed: false, amount: usd(4_000n), toEscrow: usd(4_000n), excess: usd(0n), escrow: { status: 'awaiting_funds', outstanding: usd(6_000n) } });
      const second = await fund(deal.dealId, 7_500n, 'TX-2');
      expect(second).toMatchObject({ toEscrow: usd(6_000n), excess: usd(1_500n), escrow: { status: 'funded', funded: usd(10_000n), excess: usd(1_500n) } });
      expect(await escrowBalance(deal.dealId)).toBe(10_000n);
      expect(await payable(deal.parties.buyer)).toBe(1_500n);

      const replay = await fund(deal.dealId, 4_000n, 'TX-1');
      expect(replay).toMatchObject({ replayed: true, entryId: first.entryId, toEscrow: usd(4_000n), escrow: { status: 'funded' } });
      await expect(fund(deal.dealId, 4_001n, 'TX-1')).rejects.toMatchObject({ code: 'ESCROW.KEY_REUSED', status: 422 });
      await expect(escrow.recordFunding({ dealId: deal.dealId, amount: { amountMinor: 5n, currency: 'EUR' }, source: 'manual', externalId: 'TX-3' })).rejects.toMatchObject({
        code: 'ESCROW.CURRENCY_MISMATCH',
      });
      // The same external id from another source is another payment.
      const stripe = await fund(deal.dealId, 4_000n, 'TX-1', 'stripe');
      expect(stripe).toMatchObject({ replayed: false, toEscrow: usd(0n), excess: usd(4_000n) });
      expect(await balanceOf(raw, { ownerOrgId: null, purpose: 'clearing', currency: 'USD', reference: 'funding:stripe' })).toBeGreaterThanOrEqual(4_000n);

      const keys = await dealEntries(deal.dealId);
      expect([...keys.keys()].sort()).toEqual([`escrow:${deal.dealId}:fund:manual:TX-1`, `escrow:${deal.dealId}:fund:manual:TX-2`, `escrow:${deal.dealId}:fund:stripe:TX-1`]);
      expect([...keys.values()]).toEqual([1, 1, 1]);
      await expect(escrow.fundingInstructions(deal.dealId)).resolves.toMatchObject({ amountDue: usd(0n), received: usd(10_000n), status: 'funded' });
    });

    it('posts once under 20 concurrent identical fundings; every caller gets the same entry', async () => {
      const deal = await aDeal(raw, { price: usd(500n) });
      await escrow.open(deal);
      const results = await Promise.all(Array.from({ length: 20 }, () => fund(deal.dealId, 200n, 'WIRE-20')));
      expect(results.filter((r) => !r.replayed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.entryId)).size).toBe(1);
      expect(await escrowBalance(deal.dealId)).toBe(200n);
      expect(await dealEntries(deal.dealId)).toEqual(new Map([[`escrow:${deal.dealId}:fund:manual:WIRE-20`, 1]]));
    });

    it('sends money arriving after settlement wholly to the buyer: the escrow stays empty', async () => {
      const deal = await aDeal(raw, { price: usd(1_000n) });
      await escrow.open(deal);
      await fund(deal.dealId, 1_000n);
      await escrow.release(deal.dealId);
      const late = await fund(deal.dealId, 300n);
      expect(late).toMatchObject({ toEscrow: usd(0n), excess: usd(300n), escrow: { status: 'released', funded: usd(1_000n), excess: usd(300n) } });
      expect(await escrowBalance(deal.dealId)).toBe(0n);
      expect(await payable(deal.parties.buyer)).toBe(300n);
    });
  });

  describe('release and refund', () => {
    it('releases a funded escrow to seller, broker and platform, split exactly; the escrow account ends at zero; once', async () => {
      const deal = await aDeal(raw);
      await escrow.open(deal);
      await fund(deal.dealId, 1_000_001n);
      const feesBefore = await balanceOf(raw, { ownerOrgId: null, purpose: 'fees', currency: 'USD' });
      const released = await escrow.release(deal.dealId);
      const split = releaseSplit(usd(1_000_001n), { brokerFeeBps: 500, platformFeeBps: 250 });
      expect(released).toMatchObject({ outcome: 'released', amount: usd(1_000_001n), split, replayed: false, escrow: { status: 'released', outcome: 'released' } });
      expect(split.seller.amountMinor + split.broker.amountMinor + split.platform.amountMinor).toBe(1_000_001n);
      expect(await escrowBalance(deal.dealId)).toBe(0n);
      expect(await payable(deal.parties.seller)).toBe(split.seller.amountMinor);
      expect(await commission(deal.parties.broker)).toBe(split.broker.amountMinor);
      // Other files post fees in parallel: at least ours.
      expect((await balanceOf(raw, { ownerOrgId: null, purpose: 'fees', currency: 'USD' })) - feesBefore).toBeGreaterThanOrEqual(split.platform.amountMinor);
      const entry = await ledger.entry(released.entryId!);
      expect(entry.lines.reduce((s, l) => s + l.amountMinor, 0n)).toBe(0n);
      expect(entry.lines).toHaveLength(4);

      await expect(escrow.release(deal.dealId)).resolves.toMatchObject({ replayed: true, entryId: released.entryId, split });
      await expect(escrow.refund(deal.dealId)).rejects.toMatchObject({ code: 'ESCROW.ALREADY_SETTLED', status: 409 });
      expect(await escrowBalance(deal.dealId)).toBe(0n);
    });

    it('refuses to release an escrow that is not funded, and refunds what it holds to the buyer', async () => {
      const deal = await aDeal(raw, { brokerOrgId: null, brokerFeeBps: 0 });
      await escrow.open(deal);
      await fund(deal.dealId, 400_000n);
      await expect(escrow.release(deal.dealId)).rejects.toMatchObject({ code: 'ESCROW.NOT_FUNDED', status: 409 });
      const refunded = await escrow.refund(deal.dealId);
      expect(refunded).toMatchObject({ outcome: 'refunded', amount: usd(400_000n), split: null, escrow: { status: 'refunded', funded: usd(400_000n), outstanding: usd(0n) } });
      expect(await escrowBalance(deal.dealId)).toBe(0n);
      expect(await payable(deal.parties.buyer)).toBe(400_000n);
      await expect(escrow.refund(deal.dealId)).resolves.toMatchObject({ replayed: true, entryId: refunded.entryId });
      await expect(escrow.release(deal.dealId)).rejects.toMatchObject({ code: 'ESCROW.ALREADY_SETTLED' });
    });

    it('refunds an escrow that received nothing without posting', async () => {
      const deal = await aDeal(raw);
      await escrow.open(deal);
      await expect(escrow.refund(deal.dealId)).resolves.toMatchObject({ entryId: null, amount: usd(0n), escrow: { status: 'refunded' } });
      expect(await dealEntries(deal.dealId)).toEqual(new Map());
    });

    it('under 100 concurrent calls mixing release and refund, exactly one settles; the escrow ends at zero with one settlement entry', async () => {
      const deal = await aDeal(raw);
      await escrow.open(deal);
      await fund(deal.dealId, 1_000_001n);
      const calls = Array.from({ length: 100 }, (_, i) => (i % 2 ? escrow.refund(deal.dealId) : escrow.release(deal.dealId)));
      const results = await Promise.allSettled(calls);
      const done = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code);
      const winners = done.filter((r) => !r.replayed);
      expect(winners).toHaveLength(1);
      const outcome = winners[0]!.outcome;
      // The winner's kind answers replays; the other kind is refused.
      expect(done).toHaveLength(50);
      expect(done.every((r) => r.outcome === outcome && r.entryId === winners[0]!.entryId)).toBe(true);
      expect(refused).toEqual(Array(50).fill('ESCROW.ALREADY_SETTLED'));
      expect(await escrowBalance(deal.dealId)).toBe(0n);
      const settlements = [...(await dealEntries(deal.dealId)).entries()].filter(([k]) => !k.includes(':fund:'));
      expect(settlements).toEqual([[`escrow:${deal.dealId}:${outcome === 'released' ? 'release' : 'refund'}`, 1]]);
      const ops = await raw.query(`SELECT kind FROM escrow_operations WHERE deal_id = $1 AND kind <> 'fund'`, [deal.dealId]);
      expect(ops.rows).toHaveLength(1);
    }, 60_000);
  });

  describe('payouts', () => {
    it('instruct from the payable (never beyond it), move to payouts in transit, and leave cash when finance confirms; each once', async () => {
      const deal = await aDeal(raw, { price: usd(10_000n), brokerOrgId: null, brokerFeeBps: 0, platformFeeBps: 0 });
      await escrow.open(deal);
      await fund(deal.dealId, 10_000n);
      await escrow.release(deal.dealId);
      const seller = deal.parties.seller;
      const key = `payout-${randomUUID()}`;
      await expect(payouts.payout({ orgId: seller, amount: usd(10_001n), key })).rejects.toMatchObject({ code: 'PAYOUT.INSUFFICIENT_FUNDS', status: 409, extra: { availableMinor: '10000' } });
      const instruction = await payouts.payout({ orgId: seller, amount: usd(6_000n), key });
      expect(instruction).toMatchObject({ status: 'pending', amount: usd(6_000n), from: 'payable', replayed: false, confirmEntryId: null });
      expect(await payable(seller)).toBe(4_000n);
      await expect(payouts.payout({ orgId: seller, amount: usd(6_000n), key })).resolves.toMatchObject({ id: instruction.id, replayed: true });
      await expect(payouts.payout({ orgId: seller, amount: usd(1n), key })).rejects.toMatchObject({ code: 'PAYOUT.KEY_REUSED', status: 422 });
      await expect(payouts.list({ status: 'pending', orgId: seller }, { limit: 10 })).resolves.toMatchObject({ data: [{ id: instruction.id }], nextCursor: null });

      const confirmed = await payouts.confirmPayout(instruction.id, 'system', { bankReference: 'OUT-1' });
      expect(confirmed).toMatchObject({ status: 'confirmed', bankReference: 'OUT-1', replayed: false, confirmEntryId: expect.any(BigInt) });
      await expect(payouts.confirmPayout(instruction.id)).resolves.toMatchObject({ replayed: true, confirmEntryId: confirmed.confirmEntryId });
      // Issued: payable -> payouts in transit; confirmed: payouts in transit -> cash.
      expect(await linesOf(instruction.instructionEntryId)).toEqual([
        ['clearing', 'payouts', -6_000n],
        ['payable', null, 6_000n],
      ]);
      expect(await linesOf(confirmed.confirmEntryId!)).toEqual([
        ['cash', null, -6_000n],
        ['clearing', 'payouts', 6_000n],
      ]);
      await expect(payouts.confirmPayout(randomUUID())).rejects.toMatchObject({ code: 'PAYOUT.NOT_FOUND', status: 404 });
      const keys = await entriesByKey(raw, `payout:${key}%`);
      expect(keys).toEqual(new Map([[`payout:${key}`, 1], [`payout:${key}:confirmed`, 1]]));
    });

    it('pay out exactly what the account holds under 10 concurrent payouts, and a broker from its commission', async () => {
      const deal = await aDeal(raw, { price: usd(1_000n), brokerFeeBps: 1_000, platformFeeBps: 0 });
      await escrow.open(deal);
      await fund(deal.dealId, 1_000n);
      await escrow.release(deal.dealId);
      expect(await payable(deal.parties.seller)).toBe(900n);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => payouts.payout({ orgId: deal.parties.seller, amount: usd(250n), key: randomUUID() })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'PAYOUT.INSUFFICIENT_FUNDS' });
      expect(await payable(deal.parties.seller)).toBe(150n);
      await expect(payouts.payout({ orgId: deal.parties.broker, amount: usd(100n), key: randomUUID(), from: 'commission' })).resolves.toMatchObject({ from: 'commission' });
      expect(await commission(deal.parties.broker)).toBe(0n);
    });
  });

  describe('the database refuses, whoever writes', () => {
    it('to change an escrow’s terms or its outcome, to delete it, to record a second settlement, or to change an operation', async () => {
      const deal = await aDeal(raw, { price: usd(100n) });
      await escrow.open(deal);
      await fund(deal.dealId, 100n);
      await escrow.release(deal.dealId);
      const refused = async (sql: string, code: string) => expect(raw.query(sql, [deal.dealId])).rejects.toMatchObject({ code });
      await refused(`UPDATE escrows SET expected_minor = 1 WHERE deal_id = $1`, '23001');
      await refused(`UPDATE escrows SET outcome = 'refunded', status = 'refunded' WHERE deal_id = $1`, '23001');
      await refused(`UPDATE escrows SET funded_minor = 0 WHERE deal_id = $1`, '23001');
      await refused(`DELETE FROM escrows WHERE deal_id = $1`, '23001');
      await refused(`UPDATE escrow_operations SET amount_minor = 1 WHERE deal_id = $1`, '23001');
      await refused(`DELETE FROM escrow_operations WHERE deal_id = $1`, '23001');
      await refused(`INSERT INTO escrow_operations (deal_id, operation, kind, amount_minor, actor, created_at) VALUES ($1, 'refund', 'refund', 0, 'test', now())`, '23505');
      await refused(`UPDATE escrows SET status = 'awaiting_funds' WHERE deal_id = $1`, '23514');
    });

    it('a payout instruction changed other than pending -> confirmed', async () => {
      const deal = await aDeal(raw, { price: usd(100n), brokerOrgId: null, brokerFeeBps: 0, platformFeeBps: 0 });
      await escrow.open(deal);
      await fund(deal.dealId, 100n);
      await escrow.release(deal.dealId);
      const p = await payouts.payout({ orgId: deal.parties.seller, amount: usd(100n), key: randomUUID() });
      await expect(raw.query(`UPDATE payout_instructions SET amount_minor = 1 WHERE id = $1`, [p.id])).rejects.toMatchObject({ code: '23001' });
      await expect(raw.query(`DELETE FROM payout_instructions WHERE id = $1`, [p.id])).rejects.toMatchObject({ code: '23001' });
    });
  });

  describe('bank statement import', () => {
    const date = '2026-11-28';

    it('matches, adds up partial payments, reports over, unknown, other currencies and debits; posts the fundings; a re-import posts nothing', async () => {
      const a = await aDeal(raw, { price: usd(100_000n) });
      const b = await aDeal(raw, { price: usd(50_000n) });
      const c = await aDeal(raw, { price: { amountMinor: 7_000n, currency: 'EUR' } });
      const [ra, rb, rc] = [(await escrow.open(a)).escrow.fundingReference, (await escrow.open(b)).escrow.fundingReference, (await escrow.open(c)).escrow.fundingReference];
      const tag = randomUUID().slice(0, 8);
      const csv = statementCsv([
        [date, '1000.00', 'USD', `Payment ${ra.toLowerCase().replace(/-/g, ' ')}`, `${tag}-1`],
        [date, '200.00', 'USD', `ref ${rb}`, `${tag}-2`],
        [date, '350.00', 'USD', rb, `${tag}-3`],
        [date, '70.00', 'USD', rc, `${tag}-4`],
        [date, '12.34', 'USD', 'INVOICE 42', `${tag}-5`],
        [date, '-15.00', 'USD', 'bank fee', `${tag}-6`],
        [date, '5.00', 'USD', ra, ''],
      ]);
      const report = await statements.import(csv, { fileName: 'nov.csv' });
      const lines = (k: keyof typeof report) => (report[k] as { line: number }[]).map((l) => l.line);
      expect({
        matched: lines('matched'),
        partial: lines('partial'),
        over: lines('over'),
        unknown: lines('unknown'),
        currencyMismatch: lines('currencyMismatch'),
        duplicates: lines('duplicates'),
        notACredit: lines('notACredit'),
      }).toEqual({ matched: [2], partial: [3], over: [4, 8], unknown: [6], currencyMismatch: [5], duplicates: [], notACredit: [7] });
      expect(report.partial[0]).toMatchObject({ dealId: b.dealId, outstanding: usd(30_000n) });
      expect(report.over).toEqual([
        expect.objectContaining({ dealId: b.dealId, excess: usd(5_000n) }),
        expect.objectContaining({ dealId: a.dealId, excess: usd(500n) }),
      ]);
      expect(report.currencyMismatch[0]).toMatchObject({ dealId: c.dealId, expectedCurrency: 'EUR', entryId: null });
      expect(await escrowBalance(a.dealId)).toBe(100_000n);
      expect(await escrowBalance(b.dealId)).toBe(50_000n);
      expect(await escrowBalance(c.dealId, 'EUR')).toBe(0n);
      expect(await payable(b.parties.buyer)).toBe(5_000n);
      expect(await payable(a.parties.buyer)).toBe(500n);
      const stored = await raw.query(`SELECT line_no, outcome FROM bank_statement_lines WHERE import_id = $1 ORDER BY line_no`, [report.importId]);
      expect(stored.rows.map((r) => r.outcome)).toEqual(['matched', 'partial', 'over', 'currency_mismatch', 'unknown_reference', 'not_a_credit', 'over']);

      const before = [await dealEntries(a.dealId), await dealEntries(b.dealId)];
      const again = await statements.import(csv);
      expect(again.duplicates.map((l) => [l.line, l.duplicateOf])).toEqual([
        [2, 'imported_before'],
        [3, 'imported_before'],
        [4, 'imported_before'],
        [5, 'imported_before'],
        [6, 'imported_before'],
        [7, 'imported_before'],
        [8, 'recorded_before'],
      ]);
      expect([await dealEntries(a.dealId), await dealEntries(b.dealId)]).toEqual(before);
      expect(await escrowBalance(a.dealId)).toBe(100_000n);
    });

    it('counts a wire that finance confirmed under the bank’s reference as a duplicate', async () => {
      const deal = await aDeal(raw, { price: usd(10_000n) });
      const ref = (await escrow.open(deal)).escrow.fundingReference;
      const bankRef = `FIN-${randomUUID()}`;
      await fund(deal.dealId, 10_000n, bankRef, 'manual');
      const report = await statements.import(statementCsv([[date, '100.00', 'USD', ref, bankRef]]));
      expect(report.duplicates).toEqual([expect.objectContaining({ dealId: deal.dealId, duplicateOf: 'confirmed_by_finance', entryId: null })]);
      expect(await escrowBalance(deal.dealId)).toBe(10_000n);
      expect(await payable(deal.parties.buyer)).toBe(0n);
    });

    it('refuses a malformed file whole, every problem with its line number, and stores nothing', async () => {
      const deal = await aDeal(raw, { price: usd(10_000n) });
      const ref = (await escrow.open(deal)).escrow.fundingReference;
      const tag = randomUUID();
      const csv = statementCsv([
        [date, '100.00', 'USD', ref, `${tag}-1`],
        ['2026-02-30', '1.00', 'USD', ref, `${tag}-2`],
        [date, '1,000.00', 'USD', ref, `${tag}-3`],
        [date, '1.001', 'USD', ref, `${tag}-4`],
        [date, '1.00', 'XYZ', ref, `${tag}-5`],
        [date, '1.00', 'USD', ref, `${tag}-1`],
        [date, '1.00', 'USD', ref, 'x'.repeat(97)],
      ]);
      const err = (await statements.import(csv).catch((e: unknown) => e)) as { code: string; status: number; extra: { problems: { line: number; code: string }[] }; detail: string };
      expect(err).toMatchObject({ code: 'STATEMENT.MALFORMED', status: 422 });
      expect(err.extra.problems.map((p) => [p.line, p.code])).toEqual([
        [3, 'STATEMENT.BAD_DATE'],
        [4, 'STATEMENT.BAD_AMOUNT'],
        [5, 'STATEMENT.AMOUNT_TOO_PRECISE'],
        [6, 'STATEMENT.UNKNOWN_CURRENCY'],
        [7, 'STATEMENT.DUPLICATE_LINE'],
      ]);
      expect(err.detail).toContain('line 3 (date)');
      // The parser's problems come first; once the file parses, too long a bank reference is refused too.
      const long = statementCsv([[date, '1.00', 'USD', ref, 'x'.repeat(97)]]);
      await expect(statements.import(long)).rejects.toMatchObject({ code: 'STATEMENT.MALFORMED', extra: { problems: [expect.objectContaining({ line: 2, code: 'STATEMENT.BANK_REFERENCE_TOO_LONG' })] } });
      await expect(statements.import('date,amount\n')).rejects.toMatchObject({ code: 'STATEMENT.MALFORMED' });
      const stored = await raw.query(`SELECT count(*)::int AS n FROM bank_statement_lines WHERE bank_reference LIKE $1`, [`${tag}%`]);
      expect(stored.rows[0].n).toBe(0);
      expect(await escrowBalance(deal.dealId)).toBe(0n);
    });
  });

  describe('property: random operation sequences', () => {
    it('leave every currency netting to zero, no escrow negative, each key posted once, settled escrows empty, balances as the model says', async () => {
      const currencies = ['USD', 'EUR', 'JPY', 'KWD'] as const;
      const opArb = fc.oneof(
        { arbitrary: fc.record({ kind: fc.constant('fund' as const), mode: fc.constantFrom('exact', 'partial', 'over', 'any'), pct: fc.integer({ min: 1, max: 99 }), extra: fc.bigInt({ min: 1n, max: 10n ** 6n }), source: fc.constantFrom<FundingSource>('bank', 'manual', 'stripe') }), weight: 5 },
        { arbitrary: fc.constant({ kind: 'release' as const }), weight: 2 },
        { arbitrary: fc.constant({ kind: 'refund' as const }), weight: 1 },
        { arbitrary: fc.record({ kind: fc.constant('payout' as const), who: fc.constantFrom('buyer', 'seller', 'broker'), pct: fc.integer({ min: 1, max: 110 }) }), weight: 2 },
        { arbitrary: fc.constant({ kind: 'confirm' as const }), weight: 1 },
        { arbitrary: fc.record({ kind: fc.constant('replay' as const), index: fc.nat() }), weight: 2 },
      );
      const runArb = fc.record({
        currency: fc.constantFrom(...currencies),
        price: fc.oneof(fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max: 10n ** 12n })),
        broker: fc.boolean(),
        brokerFeeBps: fc.integer({ min: 0, max: 2_000 }),
        platformFeeBps: fc.integer({ min: 0, max: 1_000 }),
        ops: fc.array(opArb, { minLength: 1, maxLength: 6 }),
      });
      await fc.assert(
        fc.asyncProperty(runArb, async (run) => {
          const m = await runSequence(run);
          await checkRun(m);
        }),
        { numRuns: 1000 },
      );
    }, 180_000);
  });

  // The model the property test compares the services with, and the run itself.

  type Call =
    | { kind: 'fund'; externalId: string; source: FundingSource; amountMinor: bigint }
    | { kind: 'release' | 'refund' }
    | { kind: 'payout'; key: string; who: 'buyer' | 'seller' | 'broker'; amountMinor: bigint }
    | { kind: 'confirm'; key: string };

  interface Model {
    dealId: string;
    currency: string;
    parties: { buyer: string; seller: string; broker: string | null };
    expected: bigint;
    funded: bigint;
    excess: bigint;
    status: 'awaiting_funds' | 'funded' | 'released' | 'refunded';
    fees: { brokerFeeBps: number; platformFeeBps: number };
    balances: { escrow: bigint; buyer: bigint; seller: bigint; broker: bigint };
    fundings: Map<string, bigint>;
    payouts: Map<string, { id: string | null; confirmed: boolean }>;
    /** Ledger keys the model expects posted. */
    keys: Set<string>;
    operations: number;
  }

  async function runSequence(run: {
    currency: string;
    price: bigint;
    broker: boolean;
    brokerFeeBps: number;
    platformFeeBps: number;
    ops: readonly ({ kind: 'fund'; mode: string; pct: number; extra: bigint; source: FundingSource } | { kind: 'release' | 'refund' | 'confirm' } | { kind: 'payout'; who: 'buyer' | 'seller' | 'broker'; pct: number } | { kind: 'replay'; index: number })[];
  }): Promise<Model> {
    const brokerFeeBps = run.broker ? run.brokerFeeBps : 0;
    const deal = await aDeal(raw, { price: { amountMinor: run.price, currency: run.currency }, brokerFeeBps, platformFeeBps: run.platformFeeBps });
    const brokerOrgId = run.broker ? deal.parties.broker : null;
    await escrow.open({ ...deal, brokerOrgId });
    const m: Model = {
      dealId: deal.dealId,
      currency: run.currency,
      parties: { buyer: deal.parties.buyer, seller: deal.parties.seller, broker: brokerOrgId },
      expected: run.price,
      funded: 0n,
      excess: 0n,
      status: 'awaiting_funds',
      fees: { brokerFeeBps, platformFeeBps: run.platformFeeBps },
      balances: { escrow: 0n, buyer: 0n, seller: 0n, broker: 0n },
      fundings: new Map(),
      payouts: new Map(),
      keys: new Set(),
      operations: 0,
    };
    const history: Call[] = [];
    for (const [i, op] of run.ops.entries()) {
      let call: Call | undefined;
      if (op.kind === 'replay') call = history.length ? history[op.index % history.length] : undefined;
      else if (op.kind === 'fund') {
        const outstanding = m.status === 'released' || m.status === 'refunded' ? 0n : m.expected - m.funded;
        const base = outstanding > 0n ? outstanding : 1n;
        const amountMinor =
          op.mode === 'exact' ? base : op.mode === 'partial' ? max(1n, (base * BigInt(op.pct)) / 100n) : op.mode === 'over' ? base + op.extra : op.extra;
        call = { kind: 'fund', externalId: `x-${i}`, source: op.source, amountMinor };
      } else if (op.kind === 'payout') {
        if (op.who === 'broker' && !brokerOrgId) continue;
        const available = m.balances[op.who];
        call = { kind: 'payout', key: `${m.dealId}:payout:${i}`, who: op.who, amountMinor: max(1n, (available * BigInt(op.pct)) / 100n) };
      } else if (op.kind === 'confirm') {
        const last = [...m.payouts.keys()].at(-1);
        if (last) call = { kind: 'confirm', key: last };
      } else call = { kind: op.kind };
      if (!call) continue;
      history.push(call);
      await perform(m, call);
    }
    return m;
  }

  /** Performs the call and checks its answer against the model's, then moves the model. */
  async function perform(m: Model, call: Call): Promise<void> {
    const settled = m.status === 'released' || m.status === 'refunded';
    switch (call.kind) {
      case 'fund': {
        const op = `fund:${call.source}:${call.externalId}`;
        const r = await escrow.recordFunding({ dealId: m.dealId, amount: { amountMinor: call.amountMinor, currency: m.currency }, source: call.source, externalId: call.externalId });
        if (m.fundings.has(op)) {
          expect(r.replayed).toBe(true);
          return;
        }
        const toEscrow = settled ? 0n : min(call.amountMinor, m.expected - m.funded);
        expect([r.replayed, r.toEscrow.amountMinor, r.excess.amountMinor]).toEqual([false, toEscrow, call.amountMinor - toEscrow]);
        m.fundings.set(op, call.amountMinor);
        m.funded += toEscrow;
        m.excess += call.amountMinor - toEscrow;
        m.balances.escrow += toEscrow;
        m.balances.buyer += call.amountMinor - toEscrow;
        if (!settled) m.status = m.funded === m.expected ? 'funded' : 'awaiting_funds';
        m.keys.add(`escrow:${m.dealId}:${op}`);
        m.operations++;
        return;
      }
      case 'release':
      case 'refund': {
        const outcome = call.kind === 'release' ? 'released' : 'refunded';
        const attempt = escrow[call.kind](m.dealId);
        if (m.status === outcome) return void expect(await attempt).toMatchObject({ replayed: true, outcome });
        if (settled) return void (await expect(attempt).rejects.toMatchObject({ code: 'ESCROW.ALREADY_SETTLED' }));
        if (call.kind === 'release' && m.status !== 'funded') return void (await expect(attempt).rejects.toMatchObject({ code: 'ESCROW.NOT_FUNDED' }));
        const r = await attempt;
        expect(r).toMatchObject({ replayed: false, outcome, amount: { amountMinor: m.funded } });
        if (call.kind === 'release') {
          const s = releaseSplit({ amountMinor: m.funded, currency: m.currency }, m.fees);
          m.balances.seller += s.seller.amountMinor;
          m.balances.broker += s.broker.amountMinor;
        } else m.balances.buyer += m.funded;
        if (m.funded > 0n) m.keys.add(`escrow:${m.dealId}:${call.kind}`);
        m.balances.escrow = 0n;
        m.status = outcome;
        m.operations++;
        return;
      }
      case 'payout': {
        const orgId = call.who === 'broker' ? m.parties.broker! : m.parties[call.who];
        const attempt = payouts.payout({ orgId, amount: { amountMinor: call.amountMinor, currency: m.currency }, key: call.key, from: call.who === 'broker' ? 'commission' : 'payable' });
        if (m.payouts.has(call.key)) return void expect(await attempt).toMatchObject({ replayed: true });
        if (call.amountMinor > m.balances[call.who]) return void (await expect(attempt).rejects.toMatchObject({ code: 'PAYOUT.INSUFFICIENT_FUNDS' }));
        const r = await attempt;
        expect(r).toMatchObject({ replayed: false, status: 'pending' });
        m.payouts.set(call.key, { id: r.id, confirmed: false });
        m.balances[call.who] -= call.amountMinor;
        m.keys.add(`payout:${call.key}`);
        return;
      }
      case 'confirm': {
        const p = m.payouts.get(call.key)!;
        const r = await payouts.confirmPayout(p.id!);
        expect(r).toMatchObject({ replayed: p.confirmed, status: 'confirmed' });
        if (!p.confirmed) m.keys.add(`payout:${call.key}:confirmed`);
        p.confirmed = true;
      }
    }
  }

  async function checkRun(m: Model): Promise<void> {
    const [balances, row, keys, ops, negative, trial] = await Promise.all([
      raw.query(
        `SELECT a.purpose, a.owner_org_id, a.reference, b.balance_minor FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
          WHERE a.currency = $1 AND ((a.purpose = 'escrow' AND a.reference = $2) OR a.owner_org_id = ANY($3::uuid[]))`,
        [m.currency, m.dealId, [m.parties.buyer, m.parties.seller, m.parties.broker].filter(Boolean)],
      ),
      raw.query(`SELECT status, funded_minor, excess_minor, outcome FROM escrows WHERE deal_id = $1`, [m.dealId]),
      raw.query(
        `SELECT idempotency_key, count(*)::int AS n FROM journal_entries WHERE idempotency_key LIKE $1 OR idempotency_key LIKE $2 GROUP BY 1`,
        [`escrow:${m.dealId}:%`, `payout:${m.dealId}:%`],
      ),
      raw.query(`SELECT count(*)::int AS n FROM escrow_operations WHERE deal_id = $1`, [m.dealId]),
      raw.query(`SELECT count(*)::int AS n FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id WHERE a.purpose = 'escrow' AND b.balance_minor < 0`),
      ledger.trialBalance(),
    ]);
    const of = (purpose: string, owner: string | null) => (balances.rows.find((r) => r.purpose === purpose && (owner === null || r.owner_org_id === owner))?.balance_minor as bigint | undefined) ?? 0n;
    expect({
      escrow: of('escrow', null),
      buyer: of('payable', m.parties.buyer),
      seller: of('payable', m.parties.seller),
      broker: m.parties.broker ? of('commission', m.parties.broker) : 0n,
    }).toEqual(m.balances);
    expect(row.rows[0]).toEqual({ status: m.status, funded_minor: m.funded, excess_minor: m.excess, outcome: m.status === 'released' || m.status === 'refunded' ? m.status : null });
    if (m.status === 'released' || m.status === 'refunded') expect(of('escrow', null)).toBe(0n);
    expect(keys.rows.every((r) => r.n === 1)).toBe(true);
    expect(new Set(keys.rows.map((r) => r.idempotency_key as string))).toEqual(m.keys);
    expect(ops.rows[0].n).toBe(m.operations);
    // Over the whole journal (every file's entries): no escrow account below zero, every currency nets to zero.
    expect(negative.rows[0].n).toBe(0);
    for (const c of trial) expect(c.debitsMinor).toBe(c.creditsMinor);
  }
});

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);
