import type { Rir } from '../domain/rir.js';
import type {
  RegistryChangeKind,
  RegistryChangeSpec,
  RegistryGateway,
  RegistryWriteOutcome,
  TransferRequest,
  TransferStatus,
  TransferSubmission,
} from './registry-gateway.js';

/**
 * Where each RIR takes the changes a lease makes: the API a live integration would call, or
 * the member portal where they are made by hand. None is integrated yet: this table only
 * names them, for the operator who must act.
 */
export const RIR_CHANGE_API: Readonly<Record<Rir, string>> = {
  ARIN: 'ARIN Reg-RWS (reassignments, ROA requests, ARIN IRR route objects) or ARIN Online',
  RIPE: 'the RIPE Database REST API (inetnum, route objects) and the RIPE NCC RPKI management API (ROAs)',
  APNIC: 'MyAPNIC (inetnum, route objects and ROAs)',
  LACNIC: 'MiLACNIC (reassignments, ROAs and IRR route objects)',
  AFRINIC: 'MyAFRINIC (inetnum, route objects and ROAs)',
};

/** Where each RIR takes transfer requests today: by hand, in its member portal. */
export const RIR_TRANSFER_PROCESS: Readonly<Record<Rir, string>> = {
  ARIN: 'ARIN Online (an NRPM 8.3 or 8.4 transfer request)',
  RIPE: "the RIPE NCC LIR Portal's transfer request",
  APNIC: "MyAPNIC's transfer request",
  LACNIC: "MiLACNIC's transfer request",
  AFRINIC: "MyAFRINIC's transfer request",
};

const OBJECT_NAME: Readonly<Record<RegistryChangeKind, string>> = {
  roa: 'ROA',
  route: 'IRR route object',
  assignment: 'sub-assignment',
};

/**
 * The gateway of REGISTRY_MODE=live. There is no integration with the RIRs' write APIs yet, so
 * it makes no change at all: every write answers `rejected` with the reason that the change
 * must be made by hand at the RIR, and isInPlace answers false because it does not look (it
 * does not query the RIR's whois, RPKI repository or IRR either). Callers therefore treat a
 * live lease's registry changes as failed and surface them to an operator, never as done.
 *
 * Transfers likewise: live RIR transfer APIs are not integrated, so submitTransfer answers
 * `rejected` (for good: the transfer is then refunded, never left waiting) and files nothing,
 * and since it issues no ticket, transferStatus and provideTransferInformation answer
 * `rejected` with the same reason for any ticket (one issued by the sandbox before a switch
 * to live mode included). An operator makes the transfer by hand at the RIR.
 */
export class LiveRegistryGateway implements RegistryGateway {
  constructor(readonly rir: Rir) {}

  isInPlace(_change: RegistryChangeSpec): Promise<boolean> {
    return Promise.resolve(false);
  }

  create(change: RegistryChangeSpec): Promise<RegistryWriteOutcome> {
    return Promise.resolve(this.byHand('create', change));
  }

  remove(change: RegistryChangeSpec): Promise<RegistryWriteOutcome> {
    return Promise.resolve(this.byHand('delete', change));
  }

  submitTransfer(request: TransferRequest): Promise<TransferSubmission> {
    const reason =
      `live RIR transfer APIs are not integrated: request the transfer of ${request.prefix} from ${request.fromHandle} (${request.sourceRir}) ` +
      `to ${request.toHandle} (${request.destinationRir}) by hand, through ${RIR_TRANSFER_PROCESS[request.sourceRir]}`;
    return Promise.resolve({ kind: 'rejected', reason, evidence: { registry: 'live', rir: this.rir, reference: request.reference, prefix: request.prefix, integrated: false } });
  }

  transferStatus(ticket: string): Promise<TransferStatus> {
    return Promise.resolve(this.noTransfer(ticket));
  }

  provideTransferInformation(ticket: string, _note: string): Promise<TransferStatus> {
    return Promise.resolve(this.noTransfer(ticket));
  }

  private noTransfer(ticket: string): TransferStatus {
    return {
      status: 'rejected',
      reason: `live RIR transfer APIs are not integrated: the ${this.rir} registry holds no request under ticket ${JSON.stringify(ticket.slice(0, 80))} for this system; follow it up by hand through ${RIR_TRANSFER_PROCESS[this.rir]}`,
      evidence: { registry: 'live', rir: this.rir, ticket: ticket.slice(0, 80), integrated: false },
    };
  }

  private byHand(operation: 'create' | 'delete', change: RegistryChangeSpec): RegistryWriteOutcome {
    const object = OBJECT_NAME[change.kind];
    const verb = operation === 'create' ? 'create' : 'remove';
    return {
      kind: 'rejected',
      reason:
        `no integration with ${this.rir}'s registry yet: ${verb} the ${object} for ${change.prefix} (AS${change.asn}) by hand at ${this.rir}, ` +
        `through ${RIR_CHANGE_API[this.rir]}`,
      evidence: { registry: 'live', rir: this.rir, operation, object: change.kind, prefix: change.prefix, asn: change.asn, integrated: false },
    };
  }
}
