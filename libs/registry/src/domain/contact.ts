import type { RdapEntity } from '../rdap/rdap-types.js';
import { entityEmails, nestedEntities } from '../rdap/rdap-read.js';

/**
 * Where a handle's one-time code goes: the e-mail of the entity's own jCard; failing that,
 * its administrative, then technical contact (ARIN lists e-mails only on the points of
 * contact nested in an org). Never the abuse contact: that mailbox is often a ticket
 * system read by other people than the account's holder.
 */
export function claimContactEmail(e: RdapEntity): string | null {
  const own = entityEmails(e)[0];
  if (own) return own;
  for (const role of ['administrative', 'technical']) {
    for (const contact of nestedEntities(e, role)) {
      const email = entityEmails(contact)[0];
      if (email) return email;
    }
  }
  return null;
}
