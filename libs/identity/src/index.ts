export * from './domain/roles.js';
export * from './domain/api-key.js';
export * from './audit/audit-chain.js';
export * from './audit/audit.service.js';
export * from './audit/audit-sealer.js';
export * from './auth.guard.js';
export * from './identity.service.js';
export * from './identity.module.js';
export { OrganisationEntity } from './organisation.entity.js';
export { ApiKeyEntity } from './api-key.entity.js';

import { ApiKeyEntity } from './api-key.entity.js';
import { OrganisationEntity } from './organisation.entity.js';
/** The TypeORM entities of this context, for the processes' data source. */
export const IDENTITY_ENTITIES = [OrganisationEntity, ApiKeyEntity];
