import { Module } from '@nestjs/common';
import { AuditLog } from './audit/audit.service.js';
import { AuthGuard } from './auth.guard.js';
import { IdentityService } from './identity.service.js';

@Module({
  providers: [IdentityService, AuditLog, AuthGuard],
  exports: [IdentityService, AuditLog, AuthGuard],
})
export class IdentityModule {}
