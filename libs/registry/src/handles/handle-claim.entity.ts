import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { StoredClaimStatus } from '../domain/handle-claim.js';
import type { Rir } from '../domain/rir.js';

/** An organisation's claim of an RIR handle, proved by a one-time code. */
@Entity({ name: 'registry_handle_claims' })
export class HandleClaimEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId!: string;

  @Column('text')
  rir!: Rir;

  /** Upper-case, as the API normalises it. */
  @Column('text')
  handle!: string;

  @Column('text')
  status!: StoredClaimStatus;

  /** The registry's contact e-mail the code went to. */
  @Column({ name: 'sent_to', type: 'text' })
  sentTo!: string;

  /** scrypt(code, codeSalt); null once the code was used. */
  @Column({ name: 'code_hash', type: 'bytea', nullable: true })
  codeHash!: Buffer | null;

  @Column({ name: 'code_salt', type: 'bytea' })
  codeSalt!: Buffer;

  @Column({ name: 'code_expires_at', type: 'timestamptz' })
  codeExpiresAt!: Date;

  @Column({ name: 'failed_attempts', type: 'integer' })
  failedAttempts!: number;

  /** Audit actor id of whoever claimed. */
  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;
}
