import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The double-entry ledger (DESIGN.md "Escrow and money"): accounts, one balance row per
 * account, and an append-only journal of entries and their lines. The database holds every
 * invariant, whoever writes:
 *
 * - a line is a signed amount in integer minor units: positive debits, negative credits;
 * - every entry has at least two lines and nets to zero per currency: checked when its lines
 *   are inserted (all of them by one statement), and again at commit by a deferred
 *   constraint trigger on the entry (so the entry and its lines may come in two statements,
 *   and an entry whose lines never come is refused);
 * - lines are added only in the transaction that posts their entry, by one statement: a
 *   posted entry never grows, and nothing is ever updated or deleted (corrections are
 *   reversing entries);
 * - a line's currency is its account's;
 * - each account's balance row is updated by a trigger in the statement that inserts the
 *   lines, under the row's lock, and its CHECK refuses a balance below zero for an account
 *   that may not go negative (SQLSTATE 23514, constraint ledger_balances_non_negative).
 *
 * Hand-written SQL, reviewed; never generated.
 */
export class Ledger1764400006000 implements MigrationInterface {
  name = 'Ledger1764400006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- An account belongs to an organisation: the platform's own accounts (cash, clearing,
      -- fees, and escrow it holds as escrow agent) to the platform organisation (kind
      -- 'platform', made by the first migration), never to NULL, so that every account has
      -- one owner and one unique key without NULL special cases.
      CREATE TABLE ledger_accounts (
        id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_org_id    uuid NOT NULL REFERENCES organisations (id),
        -- debit-normal: cash (at a bank or Stripe), clearing (on its way in from a payment
        -- provider, not yet settled), receivable (owed to the platform);
        -- credit-normal: escrow (held for one deal until release or refund), payable (owed to
        -- an organisation: a seller's proceeds, a lessor's rent), commission (owed to a
        -- broker), fees (the platform's revenue), suspense (received, not yet identified).
        purpose         text NOT NULL CHECK (purpose IN ('cash', 'clearing', 'receivable', 'escrow', 'payable', 'commission', 'fees', 'suspense')),
        currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
        -- the side that increases the account; its balance is shown in that direction.
        normal_side     text NOT NULL CHECK (normal_side = CASE WHEN purpose IN ('cash', 'clearing', 'receivable') THEN 'debit' ELSE 'credit' END),
        may_go_negative boolean NOT NULL,
        -- what the account is for within its purpose, e.g. the deal an escrow account holds money for.
        reference       text CHECK (length(reference) BETWEEN 1 AND 200),
        created_at      timestamptz NOT NULL DEFAULT now(),
        -- DESIGN.md: an escrow account never goes negative, and each holds one deal's money.
        CHECK (purpose <> 'escrow' OR (reference IS NOT NULL AND NOT may_go_negative)),
        UNIQUE (id, currency)
      );
      CREATE UNIQUE INDEX ledger_accounts_one_per_purpose ON ledger_accounts (owner_org_id, purpose, currency, reference) NULLS NOT DISTINCT;

      -- One row per account, made with it and kept by the journal_lines trigger alone.
      -- balance_minor = sign * (sum of the account's lines), i.e. in the account's normal
      -- direction: an escrow account holding USD 10 has balance 1000, not -1000.
      -- account_id, currency, sign and may_go_negative are copies of the account's, so that
      -- the trigger finds all it needs, and the CHECK all it checks, in the one row it locks.
      CREATE TABLE ledger_balances (
        account_id      uuid PRIMARY KEY,
        currency        text NOT NULL,
        sign            smallint NOT NULL CHECK (sign IN (1, -1)),
        may_go_negative boolean NOT NULL,
        balance_minor   bigint NOT NULL DEFAULT 0,
        FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency),
        CONSTRAINT ledger_balances_non_negative CHECK (may_go_negative OR balance_minor >= 0)
      ) WITH (fillfactor = 50);
      -- fillfactor: room on each page for the new versions of hot balance rows (HOT updates).

      CREATE TABLE journal_entries (
        id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        -- the poster's key for this entry: a replay of it answers the first entry.
        idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        -- what the entry is about, for people and for reconciliation (e.g. transfer:<id>:funded).
        reference        text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
        description      text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
        -- the entry this one reverses (a correction); each entry is reversed at most once.
        reverses         bigint REFERENCES journal_entries (id),
        created_by       text NOT NULL CHECK (length(created_by) BETWEEN 1 AND 200),
        posted_at        timestamptz NOT NULL DEFAULT now(),
        -- the top-level transaction that posted the entry: lines may be added in it only.
        created_xid      xid8 NOT NULL DEFAULT pg_current_xact_id()
      );
      CREATE UNIQUE INDEX journal_entries_reversed_once ON journal_entries (reverses) WHERE reverses IS NOT NULL;

      -- No foreign key from account_id: the journal_lines_apply trigger refuses a line whose
      -- (account, currency) has no balance row, which exists for every account and only for
      -- one (FK above), and is the row the trigger updates anyway. A foreign key would add a
      -- KEY SHARE lock on the account row per line, a multixact on every busy account.
      CREATE TABLE journal_lines (
        id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        entry_id      bigint NOT NULL REFERENCES journal_entries (id),
        account_id    uuid NOT NULL,
        currency      text NOT NULL,
        -- positive: debit; negative: credit. 10^15 is MAX_AMOUNT_MINOR of libs/money.
        amount_minor  bigint NOT NULL CHECK (amount_minor <> 0 AND amount_minor BETWEEN -1000000000000000 AND 1000000000000000)
      );
      CREATE INDEX journal_lines_entry ON journal_lines (entry_id);
      CREATE INDEX journal_lines_account ON journal_lines (account_id, entry_id);

      CREATE FUNCTION ledger_accounts_open_balance() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO ledger_balances (account_id, currency, sign, may_go_negative)
        VALUES (NEW.id, NEW.currency, CASE NEW.normal_side WHEN 'debit' THEN 1 ELSE -1 END, NEW.may_go_negative);
        RETURN NULL;
      END $$;
      CREATE TRIGGER ledger_accounts_open_balance AFTER INSERT ON ledger_accounts
        FOR EACH ROW EXECUTE FUNCTION ledger_accounts_open_balance();

      -- Once per INSERT statement on journal_lines, with all its rows (the transition table):
      -- 1. the lines' entries were posted by this transaction, and none of them has lines
      --    from an earlier statement: an entry's lines are inserted together, by one
      --    statement, so they can be checked together here, and a posted entry never grows;
      -- 2. each entry has at least two lines and nets to zero per currency;
      -- 3. each account's balance row takes the net amount of the account's lines, in
      --    account order (two postings lock shared rows in the same order and cannot
      --    deadlock), one UPDATE per account, which takes the row lock and runs the CHECK.
      --    Netting per account first means the order of an entry's lines cannot make a
      --    balance dip below zero on the way.
      -- One call per statement rather than per line: this is the hot path of every posting.
      CREATE FUNCTION journal_lines_apply() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        d record;
        foreign_entries bigint;
        regrown bigint;
        short text;
        off text;
      BEGIN
        -- Per entry of the statement, its row and its lines in the table, one index probe
        -- each (LATERAL ... LIMIT and the aggregate keep the planner from joining whole tables).
        SELECT count(*) FILTER (WHERE e.created_xid IS DISTINCT FROM pg_current_xact_id()),
               count(*) FILTER (WHERE l.lines <> n.lines),
               min(format('journal entry %s has %s line(s): at least 2 are needed', n.entry_id, n.lines)) FILTER (WHERE n.lines < 2)
          INTO foreign_entries, regrown, short
          FROM (SELECT entry_id, count(*) AS lines FROM new_lines GROUP BY entry_id) n
          LEFT JOIN LATERAL (SELECT created_xid FROM journal_entries WHERE id = n.entry_id LIMIT 1) e ON true
         CROSS JOIN LATERAL (SELECT count(*) AS lines FROM journal_lines WHERE entry_id = n.entry_id) l;
        IF foreign_entries > 0 THEN
          RAISE EXCEPTION 'journal_lines: lines are added only in the transaction that posts their entry'
            USING ERRCODE = 'restrict_violation';
        END IF;
        IF regrown > 0 THEN
          RAISE EXCEPTION 'journal_lines: all the lines of an entry are inserted by one statement'
            USING ERRCODE = 'restrict_violation';
        END IF;
        IF short IS NOT NULL THEN
          RAISE EXCEPTION '%', short USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_lines';
        END IF;
        SELECT format('journal entry %s does not net to zero: %s left over', entry_id, string_agg(currency || ' ' || total, ', ' ORDER BY currency))
          INTO off
          FROM (SELECT entry_id, currency, sum(amount_minor) AS total FROM new_lines GROUP BY entry_id, currency) t
         WHERE total <> 0 GROUP BY entry_id LIMIT 1;
        IF off IS NOT NULL THEN
          RAISE EXCEPTION '%', off USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
        END IF;
        FOR d IN SELECT account_id, currency, sum(amount_minor)::bigint AS delta
                   FROM new_lines GROUP BY account_id, currency ORDER BY account_id, currency LOOP
          UPDATE ledger_balances SET balance_minor = balance_minor + sign * d.delta
           WHERE account_id = d.account_id AND currency = d.currency;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'journal_lines: there is no account % in %', d.account_id, d.currency
              USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'journal_lines_account';
          END IF;
        END LOOP;
        RETURN NULL;
      END $$;
      CREATE TRIGGER journal_lines_apply AFTER INSERT ON journal_lines REFERENCING NEW TABLE AS new_lines
        FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_apply();

      -- At commit, each entry again, from the table: this is what refuses an entry whose
      -- lines never came (none at all), and it holds whatever the statement trigger let by.
      -- Deferred, so that the entry and its lines may be inserted by two statements.
      CREATE FUNCTION journal_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        lines bigint;
        off text;
      BEGIN
        SELECT coalesce(sum(n), 0), string_agg(currency || ' ' || total, ', ' ORDER BY currency) FILTER (WHERE total <> 0)
          INTO lines, off
          FROM (SELECT currency, sum(amount_minor) AS total, count(*) AS n FROM journal_lines WHERE entry_id = NEW.id GROUP BY currency) t;
        IF lines < 2 THEN
          RAISE EXCEPTION 'journal entry % has % line(s): at least 2 are needed', NEW.id, lines
            USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_lines';
        END IF;
        IF off IS NOT NULL THEN
          RAISE EXCEPTION 'journal entry % does not net to zero: % left over', NEW.id, off
            USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
        END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entries_balanced();

      -- Append-only (refuse_change is the foundation's: SQLSTATE 23001 restrict_violation).
      -- Accounts have no column that may change: a closed account, if ever needed, is a new column and a new rule here.
      CREATE TRIGGER ledger_accounts_append_only BEFORE UPDATE OR DELETE ON ledger_accounts
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE ON journal_entries
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER journal_lines_append_only BEFORE UPDATE OR DELETE ON journal_lines
        FOR EACH ROW EXECUTE FUNCTION refuse_change();
      CREATE TRIGGER journal_lines_no_truncate BEFORE TRUNCATE ON journal_lines
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

      -- Balance rows are written by the two triggers above only (they run at trigger depth
      -- 1 and more; a statement from a client runs at depth 0), and never deleted.
      CREATE FUNCTION ledger_balances_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'ledger_balances is kept by the ledger triggers: % refused', TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$;
      CREATE TRIGGER ledger_balances_by_triggers_only BEFORE INSERT OR UPDATE ON ledger_balances
        FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION ledger_balances_guard();
      CREATE TRIGGER ledger_balances_no_delete BEFORE DELETE ON ledger_balances
        FOR EACH ROW EXECUTE FUNCTION ledger_balances_guard();
      CREATE TRIGGER ledger_balances_no_truncate BEFORE TRUNCATE ON ledger_balances
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_balances_guard();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE journal_lines, journal_entries, ledger_balances, ledger_accounts;
      DROP FUNCTION journal_lines_apply(), journal_entries_balanced(), ledger_accounts_open_balance(), ledger_balances_guard();
    `);
  }
}
