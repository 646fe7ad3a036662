-- The WhyGO lifecycle: the history of every WhyGO's transitions, and a
-- snapshot of each version so a signed version is kept when an amendment
-- changes the WhyGO.

-- Every transition of a WhyGO, oldest first by seq: created, edited,
-- submitted, approved, returned (with the manager's comment), signed (a
-- sign-off of one version) and amended (an edit of a version every required
-- signer had signed). Shown on the WhyGO page; the audit log has the same
-- change with its before and after.
create table whygo_events (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    seq bigint generated always as identity,
    whygo_id uuid not null,
    at timestamptz not null default now(),
    kind text not null
        check (kind in ('created', 'edited', 'submitted', 'approved', 'returned', 'signed', 'amended')),
    from_status text not null,
    to_status text not null,
    -- the WhyGO's version after the event (for a sign-off: the version signed)
    version integer not null,
    actor_person_id uuid,
    actor_account_id uuid references accounts (id) on delete set null,
    -- who, as text, so the history still reads after an account is gone
    actor text not null,
    comment text not null default '' check (length(comment) <= 5000),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, whygo_id) references whygos (tenant_id, id) on delete cascade,
    foreign key (tenant_id, actor_person_id) references people (tenant_id, id),
    -- a WhyGO is never returned without saying why
    check (kind <> 'returned' or length(btrim(comment)) > 0)
);
create index whygo_events_whygo_idx on whygo_events (tenant_id, whygo_id, seq);

-- What a WhyGO said at each version: title, why, goal, ladder links and
-- outcomes with their targets and owners (JSON, see domain::lifecycle::Snapshot).
-- Written for the version before and the version after every edit made in
-- the app, so the version every required signer signed stays readable after
-- an amendment, and a refused concurrent save can say what changed.
create table whygo_versions (
    tenant_id uuid not null references tenants (id) on delete cascade,
    whygo_id uuid not null,
    version integer not null,
    snapshot jsonb not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, whygo_id, version),
    foreign key (tenant_id, whygo_id) references whygos (tenant_id, id) on delete cascade
);

alter table whygo_events enable row level security;
create policy tenant_isolation on whygo_events
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
alter table whygo_versions enable row level security;
create policy tenant_isolation on whygo_versions
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);

-- The default privileges of 0002 cover these when the same user migrates;
-- granting explicitly keeps a differently-run migration working too.
grant select, insert, update, delete on whygo_events, whygo_versions to whygo_app;
grant usage, select on all sequences in schema public to whygo_app;
