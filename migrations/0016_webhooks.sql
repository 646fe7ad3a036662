-- Webhooks (issue 15): an organization's endpoints, the events whygo emits to
-- them and each delivery attempt, signed per the Standard Webhooks
-- specification (docs/webhooks.md). None of these tables is page data, so
-- none moves the tenant's data version (migration 0010).

-- An endpoint: where events go, which events, and the secret that signs
-- them. The secret is kept as issued (`whsec_` + base64 of random bytes):
-- whygo signs with it, so a hash would not do. It is shown once, when made
-- or rotated, and never written to the audit log or to logs.
create table webhook_endpoints (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    url text not null check (length(url) between 8 and 2000),
    description text not null default '' check (length(description) <= 500),
    events text[] not null check (cardinality(events) between 1 and 20),
    secret text not null check (secret like 'whsec\_%'),
    enabled boolean not null default true,
    created_by uuid references accounts (id) on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    secret_rotated_at timestamptz,
    primary key (tenant_id, id)
);

-- An event, written in the transaction of the change that caused it, with
-- one delivery job per subscribed endpoint (the jobs table): the transactional
-- outbox. Its id is the `webhook-id` of every attempt to every endpoint.
-- `unique_key` makes an event that must happen once per thing (a handoff
-- that became late) happen once, whatever the jobs table has pruned.
create table webhook_events (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    type text not null check (length(type) between 1 and 100),
    -- the whole body sent: {"type", "timestamp", "data"}
    payload jsonb not null,
    unique_key text check (length(unique_key) between 1 and 500),
    created_at timestamptz not null default now(),
    primary key (tenant_id, id)
);
create unique index webhook_events_unique_key on webhook_events (tenant_id, unique_key)
    where unique_key is not null;

-- Every attempt to deliver an event to an endpoint, for the delivery log.
-- status: the receiver's HTTP status, or null when no answer came (error
-- says why). next_retry_at: when the queue tries again (null: it will not).
create table webhook_deliveries (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    endpoint_id uuid not null,
    event_id uuid not null,
    job_id uuid,
    attempt integer not null check (attempt >= 1),
    at timestamptz not null,
    duration_ms integer not null check (duration_ms >= 0),
    status smallint,
    error text not null default '' check (length(error) <= 1000),
    delivered boolean not null,
    next_retry_at timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, endpoint_id) references webhook_endpoints (tenant_id, id) on delete cascade,
    foreign key (tenant_id, event_id) references webhook_events (tenant_id, id) on delete cascade
);
create index webhook_deliveries_endpoint_idx on webhook_deliveries (tenant_id, endpoint_id, at desc, id desc);

alter table webhook_endpoints enable row level security;
create policy tenant_isolation on webhook_endpoints
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on webhook_endpoints to whygo_app;

alter table webhook_events enable row level security;
create policy tenant_isolation on webhook_events
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on webhook_events to whygo_app;

alter table webhook_deliveries enable row level security;
create policy tenant_isolation on webhook_deliveries
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on webhook_deliveries to whygo_app;

-- The tenants with an enabled endpoint that wants `p_type`: the periodic
-- scan for late handoffs runs for the installation and looks only at those
-- organizations. security definer: it reads across tenants, and returns
-- their ids only (each is then read in a tenant transaction of its own).
create function whygo_webhook_tenants(p_type text)
    returns table (tenant_id uuid)
    language sql stable security definer
    set search_path = public, pg_temp
    as $$
    select distinct e.tenant_id from webhook_endpoints e
    where e.enabled and p_type = any(e.events)
$$;
revoke all on function whygo_webhook_tenants(text) from public;
grant execute on function whygo_webhook_tenants(text) to whygo_app;
