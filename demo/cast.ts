import { type Api, StepFailed, waitFor } from './client.js';
import { detail, note, short, step, table } from './print.js';

/**
 * The people of the story: member organisations made by the platform admin, each with its
 * first admin key, a few more keys, and the RIR accounts (handles) they prove they control
 * with the one-time code the registry's contact e-mail receives.
 */

export interface Org {
  readonly id: string;
  readonly name: string;
  /** The organisation's first admin key. */
  readonly admin: Api;
  /** Where the organisation's deadline e-mails go (its ops contact). */
  readonly opsEmail: string;
}

export interface Cast {
  /** Holds the space: leases /24s of it and sells two blocks (lessor and seller). */
  readonly holder: Org;
  /** An enterprise leasing a /24 for its ASN. */
  readonly lessee: Org;
  /** Buys blocks through escrow; proposes with a trader key. */
  readonly buyer: Org;
  readonly buyerTrader: Api;
  /** Brings the buyer to the deal for a commission. */
  readonly broker: Org;
  /** A finance key of the platform organisation: confirms wires and payouts. */
  readonly finance: Api;
  readonly platformOrgId: string;
  /** Who each API key of the story is, to name the actors of events ("api_key:<id>"). */
  readonly keyNames: ReadonlyMap<string, string>;
}

interface Created {
  id: string;
  name: string;
  apiKey: string;
  apiKeyId: string;
}

interface MailItem {
  to: string;
  subject: string;
  body: string;
  sentAt: string;
}

export async function makeCast(admin: Api, run: string): Promise<Cast> {
  const me = await admin.get<{ orgId: string }>('/v1/me');
  const keyNames = new Map<string, string>();
  const finance = await admin.post<{ id: string; apiKey: string }>(`/v1/orgs/${me.orgId}/api-keys`, { role: 'finance', label: `demo ${run}: platform finance` });
  step('The platform admin issues a finance key of the platform organisation ("platform finance")');

  const org = async (name: string, domain: string): Promise<Org> => {
    const made = await admin.post<Created>('/v1/orgs', { name: `${name} (demo ${run})` });
    const opsEmail = `ops@${domain}-${run}.example`;
    const api = admin.as(made.apiKey, `${name} admin`);
    keyNames.set(made.apiKeyId, `${name} admin`);
    await api.put('/v1/notification-settings', { opsEmails: [opsEmail] });
    return { id: made.id, name, admin: api, opsEmail };
  };
  const holder = await org('Northwind Networks', 'northwind');
  const lessee = await org('Acme Cloud', 'acme');
  const buyer = await org('Bluefin Telecom', 'bluefin');
  const broker = await org('Harbour Brokers', 'harbour');
  step('The platform admin creates four member organisations, each with its first admin key');
  note('a key is shown once, when it is made; the system keeps only its sha256');
  const trader = await buyer.admin.post<{ id: string; role: string; apiKey: string }>('/v1/api-keys', { role: 'trader', label: 'trading desk' });
  keyNames.set(trader.id, 'Bluefin trader');
  keyNames.set(finance.id, 'platform finance');
  step("Bluefin's admin issues a trader key for its trading desk (POST /v1/api-keys)");
  step('Each organisation names its ops contact for deadline e-mails (PUT /v1/notification-settings)');
  table(
    ['organisation', 'id', 'role in the story', 'ops contact'],
    [
      [holder.name, short(holder.id), 'holder: lessor and seller', holder.opsEmail],
      [lessee.name, short(lessee.id), 'enterprise: leases a /24', lessee.opsEmail],
      [buyer.name, short(buyer.id), 'buyer (trader key for deals)', buyer.opsEmail],
      [broker.name, short(broker.id), 'broker: 3 % commission', broker.opsEmail],
    ],
  );
  return {
    holder,
    lessee,
    buyer,
    buyerTrader: admin.as(trader.apiKey, 'Bluefin Telecom trader'),
    broker,
    finance: admin.as(finance.apiKey, 'platform finance'),
    platformOrgId: me.orgId,
    keyNames,
  };
}

/** The sandbox mailbox's mail to `address`, newest first. */
export async function mailTo(admin: Api, address: string): Promise<MailItem[]> {
  return (await admin.get<{ data: MailItem[] }>('/v1/sandbox/mailbox', { to: address, limit: 50 })).data;
}

/**
 * The organisation claims `handle` at the stand-in RIR; the code goes to the e-mail its RDAP
 * entity lists (read here from the sandbox mailbox, where the sandbox keeps mail); the
 * organisation confirms with it.
 */
export async function proveHandle(admin: Api, org: Org, rir: string, handle: string, email: string): Promise<void> {
  const before = (await mailTo(admin, email)).length;
  const claim = await org.admin.post<{ id: string; status: string }>('/v1/registry-handles', { rir, handle });
  step(`${org.name} claims the ${rir} handle ${handle}: ${claim.status}`);
  const mail = await waitFor(
    `the one-time code for ${handle} in the sandbox mailbox of ${email}`,
    async () => {
      const mails = await mailTo(admin, email);
      return mails.length > before ? mails[0] : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const code = /\b([0-9]{8})\b/.exec(mail.body)?.[1];
  if (!code) throw new StepFailed(`no 8-digit code in the mail to ${email}: ${JSON.stringify(mail.body.slice(0, 300))}`);
  detail(`the contact e-mail in its RDAP record, ${email}, receives "${mail.subject}": code ${code}`);
  const confirmed = await org.admin.post<{ status: string }>(`/v1/registry-handles/${claim.id}/confirm`, { code });
  if (confirmed.status !== 'confirmed') throw new StepFailed(`handle ${handle} is ${confirmed.status} after confirming`);
  step(`${org.name} confirms with the code: ${handle} is ${confirmed.status}`);
}
