import { type Api, StepFailed } from './client.js';
import type { Cast } from './cast.js';
import { type Money, money, step, table, when } from './print.js';

/**
 * The money of a deal as the ledger has it: the deal's escrow account (found through the
 * journal entry that moved money between it and a party's account), every entry that touched
 * it with all its lines, and the balances of the accounts those entries touched.
 */

export interface Account {
  id: string;
  ownerOrgId: string | null;
  purpose: string;
  currency: string;
  reference: string | null;
  balance: Money;
}

interface Entry {
  id: string;
  reference: string | null;
  description: string;
  postedAt: string;
  lines: { accountId: string; amount: Money }[];
}

/** Names accounts for print: "Northwind Networks payable", "platform escrow (deal 3f2a...)". */
export function accountNamer(cast: Cast): (a: Account) => string {
  const names = new Map<string, string>([
    [cast.holder.id, cast.holder.name],
    [cast.lessee.id, cast.lessee.name],
    [cast.buyer.id, cast.buyer.name],
    [cast.broker.id, cast.broker.name],
    [cast.platformOrgId, 'platform'],
  ]);
  return (a) => {
    const owner = a.ownerOrgId === null ? 'platform' : (names.get(a.ownerOrgId) ?? `org ${a.ownerOrgId.slice(0, 8)}`);
    return `${owner} ${a.purpose}${a.purpose === 'escrow' && a.reference ? ` (deal ${a.reference.slice(0, 8)})` : ''}`;
  };
}

/**
 * The escrow account of `dealId`: among the entries of `party`'s own accounts, one about the
 * deal whose other side is an escrow account (platform finance reads any account).
 */
export async function escrowAccountOf(party: Api, finance: Api, dealId: string): Promise<Account> {
  const accounts = await party.all<Account>('/v1/ledger/accounts');
  for (const account of accounts) {
    const entries = await party.all<Entry>(`/v1/ledger/accounts/${account.id}/entries`, {}, 5);
    for (const e of entries.filter((x) => (x.reference ?? '').includes(dealId))) {
      for (const line of e.lines.filter((l) => l.accountId !== account.id)) {
        const other = await finance.get<Account>(`/v1/ledger/accounts/${line.accountId}`);
        if (other.purpose === 'escrow') return other;
      }
    }
  }
  throw new StepFailed(`no escrow account of deal ${dealId} found through ${party.who}'s ledger accounts`);
}

/** Prints the escrow's entries (oldest first, every line) and the balances of the accounts they touched. */
export async function showDealLedger(finance: Api, cast: Cast, escrow: Account): Promise<Account[]> {
  const name = accountNamer(cast);
  const entries = (await finance.all<Entry>(`/v1/ledger/accounts/${escrow.id}/entries`)).reverse();
  const ids = [...new Set(entries.flatMap((e) => e.lines.map((l) => l.accountId)))];
  const accounts = new Map<string, Account>();
  for (const id of ids) accounts.set(id, await finance.get<Account>(`/v1/ledger/accounts/${id}`));
  step(`The ledger: every journal entry of the deal's escrow account, each line debit (+) or credit (-), each entry netting to zero`);
  const rows: string[][] = [];
  for (const e of entries) {
    e.lines.forEach((l, i) => {
      rows.push([i === 0 ? when(e.postedAt) : '', i === 0 ? shortIds(e.description) : '', name(accounts.get(l.accountId)!), signed(l.amount)]);
    });
  }
  table(['posted', 'entry', 'account', 'amount'], rows);
  const touched = ids.map((id) => accounts.get(id)!);
  step('Balances now of the accounts the deal touched (in each account\'s normal direction)');
  table(
    ['account', 'balance'],
    touched.map((a) => [name(a) + (a.purpose === 'escrow' ? '' : a.ownerOrgId === null || a.ownerOrgId === cast.platformOrgId ? ' (all deals)' : ''), money(a.balance)]),
  );
  return touched;
}

const UUID = /\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const shortIds = (text: string) => text.replace(UUID, '$1');

function signed(m: Money): string {
  return m.amountMinor > 0 ? `+${money(m)}` : `-${money({ ...m, amountMinor: -m.amountMinor })}`;
}

/** Debits equal credits in every currency, over the whole journal. */
export async function showTrialBalance(finance: Api): Promise<void> {
  const tb = await finance.get<{ currencies: { currency: string; debitsMinor: number; creditsMinor: number }[] }>('/v1/ledger/trial-balance');
  const rows = tb.currencies.map((c) => [c.currency, money({ amountMinor: c.debitsMinor, currency: c.currency }), money({ amountMinor: c.creditsMinor, currency: c.currency }), c.debitsMinor === c.creditsMinor ? 'balanced' : 'NOT BALANCED']);
  step('Trial balance of the whole journal (platform finance): debits equal credits in every currency');
  table(['currency', 'debits', 'credits', ''], rows);
  const off = tb.currencies.filter((c) => c.debitsMinor !== c.creditsMinor);
  if (off.length > 0) throw new StepFailed(`the trial balance is off in ${off.map((c) => c.currency).join(', ')}`);
}
