import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type MailStatus = 'pending' | 'kept' | 'sent' | 'failed';

@Entity({ name: 'outgoing_mail' })
export class OutgoingMailEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'to_address', type: 'text' })
  to!: string;

  @Column('text')
  subject!: string;

  @Column('text')
  body!: string;

  /** pending -> kept (sandbox mailbox) | sent (SMTP) | failed (failedReason says why). */
  @Column('text')
  status!: MailStatus;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  /** When it was delivered (kept or sent), by the system's clock. */
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'failed_reason', type: 'text', nullable: true })
  failedReason!: string | null;
}
