-- whygo schema, version 1.
--
-- Every row that belongs to an organization carries tenant_id, and every primary
-- and foreign key leads with it: a row can never point at another tenant's row,
-- and the schema can later be distributed by tenant (Citus) without rewriting.
-- Row-level security policies back the application's own filters up: the app
-- sets `whygo.tenant_id` per transaction; a query that forgets its filter still
-- sees one tenant only (for any role that is not the tables' owner).

create table tenants (
    id uuid primary key,
    slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text not null check (length(name) between 1 and 200),
    -- first day of the fiscal year; quarters are derived from it
    fiscal_year_start date not null,
    on_pace double precision not null default 1.0,
    slightly_off double precision not null default 0.8,
    -- who may see individual WhyGOs besides the person, their managers, leaders and admins
    individuals_visible_to_all boolean not null default false,
    max_individual_whygos integer not null default 3 check (max_individual_whygos between 1 and 20),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (0 < slightly_off and slightly_off <= on_pace and on_pace <= 1)
);

-- Accounts are global: one person may sign in to several organizations.
create table accounts (
    id uuid primary key,
    email text not null,
    name text not null,
    password_hash text,
    installation_admin boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create unique index accounts_email_key on accounts (lower(email));

-- Sessions live in the database so app servers keep no state of their own.
-- The cookie carries the id and a secret; only a hash of the secret is stored.
create table sessions (
    id text primary key,
    secret_hash bytea not null,
    account_id uuid not null references accounts (id) on delete cascade,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    expires_at timestamptz not null
);
create index sessions_account_idx on sessions (account_id);

create table departments (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    key text not null,
    name text not null,
    head_id uuid,
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, key)
);

create table people (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    key text not null,
    name text not null,
    title text not null default '',
    department_id uuid,
    reports_to_id uuid,
    email text,
    -- the role this person's account gets in this organization (see memberships)
    role text not null default 'member' check (role in ('admin', 'leader', 'member')),
    active boolean not null default true,
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, key),
    foreign key (tenant_id, department_id) references departments (tenant_id, id),
    foreign key (tenant_id, reports_to_id) references people (tenant_id, id),
    check (reports_to_id is distinct from id)
);
create index people_reports_to_idx on people (tenant_id, reports_to_id);
create index people_department_idx on people (tenant_id, department_id);

alter table departments
    add foreign key (tenant_id, head_id) references people (tenant_id, id);

create table memberships (
    tenant_id uuid not null references tenants (id) on delete cascade,
    account_id uuid not null references accounts (id) on delete cascade,
    person_id uuid,
    role text not null check (role in ('admin', 'leader', 'member')),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, account_id),
    unique (tenant_id, person_id),
    foreign key (tenant_id, person_id) references people (tenant_id, id)
);
create index memberships_account_idx on memberships (account_id);

-- Suggested KPIs of a person's role (the employee reference): a starting point
-- for individual WhyGOs.
create table person_kpis (
    tenant_id uuid not null references tenants (id) on delete cascade,
    person_id uuid not null,
    position integer not null,
    grp text,
    metric text not null,
    targets text[] not null,
    primary key (tenant_id, person_id, position),
    foreign key (tenant_id, person_id) references people (tenant_id, id) on delete cascade
);

-- People who sign off department WhyGOs besides the department head.
create table signers (
    tenant_id uuid not null references tenants (id) on delete cascade,
    person_id uuid not null,
    position integer not null default 0,
    primary key (tenant_id, person_id),
    foreign key (tenant_id, person_id) references people (tenant_id, id) on delete cascade
);

-- A cycle is one fiscal year; its quarters follow from starts_on.
create table cycles (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    name text not null,
    starts_on date not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, starts_on)
);

create table whygos (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    cycle_id uuid not null,
    key text not null,
    level text not null check (level in ('company', 'department', 'individual')),
    department_id uuid,
    person_id uuid,
    owner_id uuid,
    number integer,
    title text not null,
    why text not null default '',
    goal text not null default '',
    status text not null default 'draft'
        check (status in ('draft', 'submitted', 'approved', 'changes_requested', 'archived')),
    -- bumped on every edit; a save carrying an older version is refused (no lost updates)
    version integer not null default 1,
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, key),
    foreign key (tenant_id, cycle_id) references cycles (tenant_id, id),
    foreign key (tenant_id, department_id) references departments (tenant_id, id),
    foreign key (tenant_id, person_id) references people (tenant_id, id),
    foreign key (tenant_id, owner_id) references people (tenant_id, id),
    check (level <> 'company' or (department_id is null and person_id is null)),
    check (level <> 'department' or department_id is not null),
    check (level <> 'individual' or person_id is not null)
);
create index whygos_department_idx on whygos (tenant_id, department_id);
create index whygos_person_idx on whygos (tenant_id, person_id);

-- Ladder links: a lower WhyGO ladders to one or more higher ones.
create table whygo_links (
    tenant_id uuid not null references tenants (id) on delete cascade,
    child_id uuid not null,
    parent_id uuid not null,
    is_primary boolean not null default false,
    position integer not null default 0,
    primary key (tenant_id, child_id, parent_id),
    foreign key (tenant_id, child_id) references whygos (tenant_id, id) on delete cascade,
    foreign key (tenant_id, parent_id) references whygos (tenant_id, id) on delete cascade,
    check (child_id <> parent_id)
);
create index whygo_links_parent_idx on whygo_links (tenant_id, parent_id);

create table outcomes (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    whygo_id uuid not null,
    key text not null,
    name text not null,
    position integer not null default 0,
    -- the four quarterly targets exactly as people wrote them; parsed by the pacing module
    targets text[] not null check (array_length(targets, 1) = 4),
    direction text check (direction in ('higher', 'lower')),
    cumulative boolean,
    start_value double precision,
    weight double precision not null default 1 check (weight > 0),
    stages text[],
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, key),
    foreign key (tenant_id, whygo_id) references whygos (tenant_id, id) on delete cascade
);
create index outcomes_whygo_idx on outcomes (tenant_id, whygo_id);

create table outcome_owners (
    tenant_id uuid not null references tenants (id) on delete cascade,
    outcome_id uuid not null,
    person_id uuid not null,
    position integer not null default 0,
    primary key (tenant_id, outcome_id, person_id),
    foreign key (tenant_id, outcome_id) references outcomes (tenant_id, id) on delete cascade,
    foreign key (tenant_id, person_id) references people (tenant_id, id)
);
create index outcome_owners_person_idx on outcome_owners (tenant_id, person_id);

-- Actuals are append-only: one row per entry. The latest-dated entry of a
-- quarter counts; the history is always visible. seq orders same-day entries.
create table actuals (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    seq bigint generated always as identity,
    outcome_id uuid not null,
    quarter smallint not null check (quarter between 1 and 4),
    value text not null check (length(value) between 1 and 200),
    note text not null default '',
    entered_on date not null,
    entered_by uuid,
    source text not null default 'web' check (source in ('web', 'workbook', 'api')),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, outcome_id) references outcomes (tenant_id, id) on delete cascade,
    foreign key (tenant_id, entered_by) references people (tenant_id, id)
);
create index actuals_outcome_idx on actuals (tenant_id, outcome_id, quarter, entered_on);

create function actuals_are_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'actuals are append-only: enter a new actual instead of changing one';
end;
$$;
create trigger actuals_no_update before update on actuals
    for each row execute function actuals_are_append_only();

create table handoff_types (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    key text not null,
    number integer not null,
    name text not null,
    from_department_id uuid not null,
    to_department_id uuid not null,
    trigger text not null default '',
    sla_hours integer check (sla_hours > 0),
    sla text not null default '',
    checklist text[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, key),
    foreign key (tenant_id, from_department_id) references departments (tenant_id, id),
    foreign key (tenant_id, to_department_id) references departments (tenant_id, id)
);

-- A client engagement runs through the four-handoff cycle.
create table engagements (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    key text not null,
    client text not null,
    status text not null default 'active' check (status in ('active', 'closed', 'lost')),
    started_on date not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, key)
);

create table handoffs (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    engagement_id uuid not null,
    handoff_type_id uuid not null,
    started_at timestamptz not null,
    due_at timestamptz,
    completed_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, engagement_id, handoff_type_id),
    foreign key (tenant_id, engagement_id) references engagements (tenant_id, id) on delete cascade,
    foreign key (tenant_id, handoff_type_id) references handoff_types (tenant_id, id)
);

create table handoff_checks (
    tenant_id uuid not null references tenants (id) on delete cascade,
    handoff_id uuid not null,
    position integer not null,
    item text not null,
    done_at timestamptz,
    done_by uuid,
    primary key (tenant_id, handoff_id, position),
    foreign key (tenant_id, handoff_id) references handoffs (tenant_id, id) on delete cascade,
    foreign key (tenant_id, done_by) references people (tenant_id, id)
);

create table dependencies (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    -- the department that needs something, and the one that delivers it
    from_department_id uuid not null,
    on_department_id uuid not null,
    need text not null,
    deliverable text not null default '',
    -- an outside party involved, e.g. a certification partner
    partner text,
    due text not null default '',
    criteria text not null default '',
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, from_department_id, on_department_id, need),
    foreign key (tenant_id, from_department_id) references departments (tenant_id, id),
    foreign key (tenant_id, on_department_id) references departments (tenant_id, id)
);

-- A sign-off approves one version of a WhyGO; an amendment (a later version)
-- needs the sign-offs again.
create table signoffs (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    whygo_id uuid not null,
    person_id uuid not null,
    whygo_version integer not null,
    signed_on date not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, whygo_id, person_id, whygo_version),
    foreign key (tenant_id, whygo_id) references whygos (tenant_id, id) on delete cascade,
    foreign key (tenant_id, person_id) references people (tenant_id, id)
);

create table comments (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    whygo_id uuid not null,
    outcome_id uuid,
    author_id uuid,
    body text not null check (length(body) between 1 and 10000),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, whygo_id) references whygos (tenant_id, id) on delete cascade,
    foreign key (tenant_id, outcome_id) references outcomes (tenant_id, id) on delete cascade,
    foreign key (tenant_id, author_id) references people (tenant_id, id)
);
create index comments_whygo_idx on comments (tenant_id, whygo_id);

-- Every change: who, when, what it was before and after.
create table audit_log (
    tenant_id uuid not null references tenants (id) on delete cascade,
    seq bigint generated always as identity,
    at timestamptz not null default now(),
    actor_account_id uuid references accounts (id) on delete set null,
    -- free text for changes that no account made, e.g. "workbook kartel-2026.toml"
    actor text not null,
    action text not null,
    entity text not null,
    entity_key text not null,
    before jsonb,
    after jsonb,
    primary key (tenant_id, seq)
);
create index audit_log_at_idx on audit_log (tenant_id, at desc);

-- Row-level security: one policy per tenant table, keyed on the per-transaction
-- setting `whygo.tenant_id`. Unset, it matches no row.
do $$
declare
    t text;
begin
    foreach t in array array[
        'departments', 'people', 'memberships', 'person_kpis', 'signers', 'cycles',
        'whygos', 'whygo_links', 'outcomes', 'outcome_owners', 'actuals',
        'handoff_types', 'engagements', 'handoffs', 'handoff_checks', 'dependencies',
        'signoffs', 'comments', 'audit_log'
    ] loop
        execute format('alter table %I enable row level security', t);
        execute format(
            'create policy tenant_isolation on %I using '
            '(tenant_id = nullif(current_setting(''whygo.tenant_id'', true), '''')::uuid)',
            t);
    end loop;
end;
$$;
-- tenants itself has no policy: it is looked up by slug before a tenant is
-- known (routing), and holds only the organization's name and settings.
