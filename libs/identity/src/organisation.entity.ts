import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'organisations' })
export class OrganisationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  /** 'platform' for the operator itself (one row), 'member' for every customer. */
  @Column('text')
  kind!: 'platform' | 'member';

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
