import { describe, expect, it } from '@jest/globals';
import { RIRS } from '../domain/rir.js';
import { LiveRegistryGateway, RIR_TRANSFER_PROCESS } from './live-gateway.js';
import { REGISTRY_CHANGE_KINDS } from './registry-gateway.js';

const spec = (rir: (typeof RIRS)[number], kind: (typeof REGISTRY_CHANGE_KINDS)[number]) => ({
  rir,
  kind,
  prefix: '45.91.20.0/24',
  asn: 64500,
  customer: { handle: 'CUST-1', name: 'Lessee' },
});

describe('the live gateway (no RIR integration yet)', () => {
  it.each(RIRS.flatMap((rir) => REGISTRY_CHANGE_KINDS.map((kind) => [rir, kind] as const)))(
    '%s %s: never claims a change, and says where to make it by hand',
    async (rir, kind) => {
      const gateway = new LiveRegistryGateway(rir);
      await expect(gateway.isInPlace(spec(rir, kind))).resolves.toBe(false);
      for (const outcome of [await gateway.create(spec(rir, kind)), await gateway.remove(spec(rir, kind))]) {
        expect(outcome).toMatchObject({ kind: 'rejected', evidence: { registry: 'live', rir, integrated: false } });
        if (outcome.kind !== 'rejected') throw new Error('expected a rejection');
        expect(outcome.reason).toContain(`by hand at ${rir}`);
        expect(outcome.reason).toContain('45.91.20.0/24');
      }
    },
  );

  it.each(RIRS)('%s: rejects every transfer request (not integrated) and answers rejected for any ticket, filing nothing', async (rir) => {
    const gateway = new LiveRegistryGateway(rir);
    const request = { reference: 'deal-1', prefix: '45.91.20.0/22', sourceRir: rir, destinationRir: 'RIPE' as const, fromHandle: 'SELLER-1', toHandle: 'BUYER-1' };
    const submitted = await gateway.submitTransfer(request);
    expect(submitted).toMatchObject({ kind: 'rejected', evidence: { registry: 'live', rir, reference: 'deal-1', integrated: false } });
    if (submitted.kind !== 'rejected') throw new Error('expected a rejection');
    expect(submitted.reason).toContain('live RIR transfer APIs are not integrated');
    expect(submitted.reason).toContain('45.91.20.0/22 from SELLER-1');
    expect(submitted.reason).toContain(RIR_TRANSFER_PROCESS[rir]);
    for (const status of [await gateway.transferStatus('T-1'), await gateway.provideTransferInformation('T-1', 'documents attached')]) {
      expect(status).toMatchObject({ status: 'rejected', reason: expect.stringContaining('not integrated'), evidence: { registry: 'live', rir, ticket: 'T-1', integrated: false } });
    }
  });

  it('names the API a live integration would use', async () => {
    const arin = await new LiveRegistryGateway('ARIN').create(spec('ARIN', 'assignment'));
    const ripe = await new LiveRegistryGateway('RIPE').create(spec('RIPE', 'route'));
    expect(arin).toMatchObject({ reason: expect.stringContaining('ARIN Reg-RWS') });
    expect(ripe).toMatchObject({ reason: expect.stringContaining('RIPE Database REST API') });
  });
});
