import { Injectable } from '@nestjs/common';
import { formatAddress, parsePrefix } from '@app/ipam';
import { IRR_SOURCE, asnText } from '../domain/registry-objects.js';
import { RdapNotFoundError } from '../rdap/errors.js';
import { RdapClient } from '../rdap/rdap-client.js';
import type { RdapIpNetwork } from '../rdap/rdap-types.js';
import { VrpClient } from '../rpki/vrp-client.js';
import { assignmentSeen, observationEvidence, roaExpiry, roaSeen } from './observation.js';
import type { RegistryChangeSpec, RegistryObservation } from './registry-gateway.js';
import { RegistryGateways } from './registry-gateways.js';

/** A lease's registry changes, whichever kind: the observer looks at all three. */
export type ObservedChanges = Pick<RegistryChangeSpec, 'rir' | 'prefix' | 'asn' | 'customer'>;

/**
 * Looks at a lease's registry changes from outside, as a network operator would: RDAP over
 * HTTP (through RdapClient) for the sub-assignment, the published VRPs (through VrpClient)
 * for the ROA. IRR route objects are asked of the RIR's gateway: the sandbox's IRR has no
 * public query service, and the live gateway does not query the IRRs yet (it answers false).
 * Lookup failures propagate (RdapUnavailableError, RpkiUnavailableError...): "could not look"
 * is not "not there". Only RDAP's "no such network" counts as an answer (not assigned).
 */
@Injectable()
export class RegistryObserver {
  constructor(
    private readonly rdap: RdapClient,
    private readonly vrpClient: VrpClient,
    private readonly gateways: RegistryGateways,
  ) {}

  async observe(spec: ObservedChanges): Promise<RegistryObservation> {
    const parsed = parsePrefix(spec.prefix);
    if (!parsed.ok) throw new TypeError(`${parsed.error.code}: ${parsed.error.message}`);
    const unit = parsed.value;
    const [network, vrps, route] = await Promise.all([
      this.network(formatAddress(unit.first)),
      this.vrpClient.vrps(),
      this.gateways.gatewayFor(spec.rir).isInPlace({ ...spec, kind: 'route' }),
    ]);
    return {
      assignment: assignmentSeen(network, unit, spec.customer.handle),
      roa: roaSeen(vrps, unit, spec.asn),
      roaExpiresAt: roaExpiry(vrps, unit, spec.asn),
      route,
      evidence: {
        ...observationEvidence(network, vrps, unit),
        route: { route: spec.prefix, origin: asnText(spec.asn), source: IRR_SOURCE[spec.rir], inPlace: route },
      },
    };
  }

  private async network(address: string): Promise<RdapIpNetwork | null> {
    try {
      return await this.rdap.ipNetwork(address);
    } catch (err) {
      if (err instanceof RdapNotFoundError) return null;
      throw err;
    }
  }
}
