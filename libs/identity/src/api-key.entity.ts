import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from './domain/roles.js';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'org_id', type: 'uuid' })
  orgId!: string;

  @Column('text')
  role!: Role;

  @Column('text')
  label!: string;

  /** sha256 of the secret key; the key itself is never stored. */
  @Column({ name: 'key_hash', type: 'bytea' })
  keyHash!: Buffer;

  /** First characters of the key, to tell keys apart in listings. */
  @Column({ name: 'key_prefix', type: 'text' })
  keyPrefix!: string;

  /** Audit actor id of whoever created the key. */
  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
