-- Operations storage (issue 11): engagements with their owners and key
-- dates, handoff cycles, the append-only steps every handoff is replayed
-- from, dependency state and owner, and the dated deliverables of a WhyGO.
-- Additive: every new column has a default or is nullable, so workbooks
-- already loaded (the demo among them) keep loading unchanged. The rules
-- these rows feed are `domain::operations` (docs/operations.md).

-- Handoff types: which cycle a type belongs to, and what opens it. Existing
-- rows join the client cycle, the only one the workbook format knows today.
-- A null opener means "read it from the SLA's words" (Opener::from_words),
-- the same rule the workbook's types follow, so a loaded workbook needs no
-- new column to behave as documented.
alter table handoff_types
    add column cycle_key text not null default 'client'
        check (cycle_key ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    add column opener text
        check (opener in ('sow_signed', 'pod_started', 'delivered', 'closed', 'previous', 'manual'));

-- Engagements: what the domain's Engagement holds, plus who owns it.
-- `started_on` (0001) was never written by the application; `sow_signed`
-- supersedes it (an engagement may exist before its SOW is signed), so it is
-- kept, filled into `sow_signed`, and no longer required.
alter table engagements
    add column name text not null default '' check (length(name) <= 200),
    add column vertical text not null default '' check (length(vertical) <= 200),
    add column cycle_key text not null default 'client',
    add column producer_id uuid,
    add column account_manager_id uuid,
    add column sow_signed date,
    add column pod_started date,
    add column delivered date,
    add column closed date,
    add foreign key (tenant_id, producer_id) references people (tenant_id, id),
    add foreign key (tenant_id, account_manager_id) references people (tenant_id, id);
update engagements set sow_signed = started_on where sow_signed is null;
alter table engagements alter column started_on drop not null;
-- Its key appears in links (/engagements/acme-rebrand), like every other key.
-- `not valid`: checked for rows written from now on, so a database holding
-- older rows (none written by the application) still migrates.
alter table engagements
    add constraint engagements_key_format check (key ~ '^[a-z0-9][a-z0-9-]{0,62}$') not valid;

-- A handoff keeps the checklist of its type as it was when it opened (the
-- type may change later; its ticks refer to positions in this list).
-- `due_at`, `completed_at` (0001) and `handoff_checks` are not maintained:
-- a handoff's state is replayed from its steps, the one source of truth.
alter table handoffs
    add column checklist text[] not null default '{}';

-- Every move on a handoff, stamped by the database when taken. Append-only:
-- the state as of any instant is replayed from these rows, so changing one
-- would rewrite history. seq orders steps taken within the same instant.
create table handoff_steps (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    seq bigint generated always as identity,
    handoff_id uuid not null,
    at timestamptz not null default now(),
    -- who: the person (when the account is one), the account, and a label
    -- that still reads after either is gone; null for a trigger that fired
    by_person_id uuid,
    by_account_id uuid references accounts (id) on delete set null,
    by_label text not null default '',
    kind text not null
        check (kind in ('opened', 'ticked', 'unticked', 'submitted', 'accepted', 'sent_back', 'needed_by')),
    -- the checklist position a tick or untick is about (0-based)
    item integer check (item >= 0),
    reason text not null default '' check (length(reason) <= 5000),
    needed_by date,
    primary key (tenant_id, id),
    foreign key (tenant_id, handoff_id) references handoffs (tenant_id, id) on delete cascade,
    foreign key (tenant_id, by_person_id) references people (tenant_id, id),
    check ((kind in ('ticked', 'unticked')) = (item is not null)),
    -- a handoff is never sent back without saying why
    check (kind <> 'sent_back' or length(btrim(reason)) > 0),
    check ((kind = 'needed_by') = (needed_by is not null))
);
create index handoff_steps_handoff_idx on handoff_steps (tenant_id, handoff_id, at, seq);

create function handoff_steps_are_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'handoff steps are append-only: take a new step instead of changing one';
end;
$$;
create trigger handoff_steps_no_update before update on handoff_steps
    for each row execute function handoff_steps_are_append_only();

-- Dependencies: the state their owners give them, and who owns them.
alter table dependencies
    add column state text not null default 'open'
        check (state in ('open', 'on_track', 'at_risk', 'done')),
    add column owner_id uuid,
    add foreign key (tenant_id, owner_id) references people (tenant_id, id);

-- Dated commitments of a WhyGO (the Generative "Q1 priorities"): the due is
-- kept as written ("End of Q1", "2026-03-31"; domain::operations::Due reads
-- it), and the day it was done makes any past day replay exactly.
create table deliverables (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    whygo_id uuid not null,
    title text not null check (length(title) between 1 and 500),
    owner_id uuid,
    due text not null default '' check (length(due) <= 200),
    done_on date,
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, whygo_id) references whygos (tenant_id, id) on delete cascade,
    foreign key (tenant_id, owner_id) references people (tenant_id, id)
);
create index deliverables_whygo_idx on deliverables (tenant_id, whygo_id);

alter table handoff_steps enable row level security;
create policy tenant_isolation on handoff_steps
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
alter table deliverables enable row level security;
create policy tenant_isolation on deliverables
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);

-- The default privileges of 0002 cover these when the same user migrates;
-- granting explicitly keeps a differently-run migration working too.
grant select, insert, update, delete on handoff_steps, deliverables to whygo_app;
grant usage, select on all sequences in schema public to whygo_app;
