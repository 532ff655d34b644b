export * from './registry.module.js';
export * from './domain/rir.js';
export { CODE_TTL_MS, MAX_WRONG_CODES, type ClaimStatus } from './domain/handle-claim.js';
export { CODE_PATTERN } from './domain/one-time-code.js';
export * from './rdap/errors.js';
export type { RdapEntity, RdapEvent, RdapIpNetwork } from './rdap/rdap-types.js';
export { answeringRir, entityEmails, entityName, lastTransferDate, networkRange, receiptDate, registrantHandles, registrationDate } from './rdap/rdap-read.js';
export { IANA_IPV4_BOOTSTRAP, type Ipv4Bootstrap, rdapServiceFor, rdapServiceOf, rirFor, rirOfRdapService } from './rdap/bootstrap.js';
export { RdapClient } from './rdap/rdap-client.js';
export { Mailer, type MailDeliverJob, type MailboxItem, type OutgoingMail, type DeliveryOutcome, NO_TRANSPORT_REASON } from './mail/mailer.js';
export { RDAP_CONTENT_TYPE, renderEntity, renderError, renderNetwork } from './sandbox/rdap-render.js';
export { renderVrps, type SandboxRoaRow, type VrpExport, type VrpExportEntry } from './sandbox/vrps-render.js';
export * from './sandbox/sandbox-registry.js';
export { SandboxTransfers, type SandboxTransferView } from './sandbox/sandbox-transfers.js';
export { MAX_TRANSFER_DELAY_MS, TRANSFER_ANSWERS, nextTransferStep, scriptedReason, transferScript, type SandboxTransferState, type TransferAnswer, type TransferScript, type TransferStep } from './domain/transfer-script.js';
export type {
  SandboxBehaviourInput,
  SandboxBehaviourView,
  SandboxEntityInput,
  SandboxEntityView,
  SandboxResourceInput,
  SandboxResourceView,
  TransferBehaviour,
  ChangesBehaviour,
} from './sandbox/sandbox-types.js';
export { CHANGES_BEHAVIOURS, MAX_CHANGE_DELAY_MS } from './sandbox/sandbox-types.js';
export * from './domain/registry-objects.js';
export * from './gateway/registry-gateway.js';
export { SandboxRegistryGateway, type SandboxRequestOutcome } from './gateway/sandbox-gateway.js';
export { LiveRegistryGateway, RIR_CHANGE_API, RIR_TRANSFER_PROCESS } from './gateway/live-gateway.js';
export { RegistryGateways } from './gateway/registry-gateways.js';
export { RegistryObserver, type ObservedChanges } from './gateway/registry-observer.js';
export { assignmentSeen, observationEvidence, roaExpiry, roaSeen, vrpsFor } from './gateway/observation.js';
export * from './rpki/errors.js';
export { parseVrpExport, vrpExportSchema, type Vrp, type VrpParse } from './rpki/vrps.js';
export { VrpClient } from './rpki/vrp-client.js';
export { RegistryHandles, type HandleClaimView } from './handles/registry-handles.js';

import { HandleClaimEntity } from './handles/handle-claim.entity.js';
import { OutgoingMailEntity } from './mail/outgoing-mail.entity.js';
/** The TypeORM entities of this context, for the processes' data source. */
export const REGISTRY_ENTITIES: Function[] = [HandleClaimEntity, OutgoingMailEntity];
