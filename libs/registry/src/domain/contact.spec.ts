import { describe, expect, it } from '@jest/globals';
import { rdapEntitySchema } from '../rdap/rdap-types.js';
import { claimContactEmail } from './contact.js';

const card = (email?: string) => ['vcard', [['fn', {}, 'text', 'x'], ...(email ? [['email', {}, 'text', email]] : [])]];
const contact = (roles: string[], email: string) => ({ objectClassName: 'entity', roles, vcardArray: card(email) });
const org = (email: string | undefined, entities: unknown[] = []) =>
  rdapEntitySchema.parse({ objectClassName: 'entity', handle: 'EX-1', vcardArray: card(email), entities });

describe('where a claim code goes', () => {
  it("is the entity's own e-mail when it lists one", () => {
    expect(claimContactEmail(org('own@example.net', [contact(['administrative'], 'admin@example.net')]))).toBe('own@example.net');
  });

  it('else the administrative contact, then the technical one', () => {
    expect(claimContactEmail(org(undefined, [contact(['technical'], 'tech@example.net'), contact(['administrative'], 'admin@example.net')]))).toBe(
      'admin@example.net',
    );
    expect(claimContactEmail(org(undefined, [contact(['technical'], 'tech@example.net')]))).toBe('tech@example.net');
  });

  it('never the abuse contact', () => {
    expect(claimContactEmail(org(undefined, [contact(['abuse'], 'abuse@example.net')]))).toBeNull();
    expect(claimContactEmail(org(undefined))).toBeNull();
  });
});
