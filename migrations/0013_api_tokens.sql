-- The machine API (issue 14): tokens, and the answers kept for idempotent
-- writes. Neither table is page data, so neither moves the tenant's data
-- version (migration 0010 tracked the tables of its time only): creating a
-- token or using one changes no plan. A write through the API moves it as a
-- page write does, through the tables it writes (actuals, comments, steps).

-- A token is `whygo_` and 64 hex characters (32 random bytes); only its
-- SHA-256 is kept, like session secrets, so reading the table opens nothing.
--
-- kind 'personal': acts as its account, with the role and person of that
-- account's membership as they are at each use (a removed member's tokens
-- stop working at once). Made by the person only, so nobody, an admin
-- included, can act as someone else through a token.
-- kind 'service': made by an admin for an integration; acts with `role` and
-- as no person (the permission table then allows what that role allows
-- without a person: no check-ins or comments, which are signed by a
-- person). `account_id` is the admin who made it, accountable for it.
create table api_tokens (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    token_hash bytea not null unique,
    -- the first characters after `whygo_`, so a person can tell tokens apart
    prefix text not null check (length(prefix) between 4 and 16),
    name text not null check (length(name) between 1 and 100),
    kind text not null check (kind in ('personal', 'service')),
    account_id uuid not null references accounts (id) on delete cascade,
    role text check (role in ('admin', 'leader', 'member')),
    scope text not null check (scope in ('read', 'read-write')),
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    revoked_at timestamptz,
    revoked_by uuid references accounts (id) on delete set null,
    last_used_at timestamptz,
    uses bigint not null default 0,
    -- the rate limit's fixed window: when it started and how many requests
    -- it has seen, kept here so every app server counts against one limit
    window_start timestamptz,
    window_count integer not null default 0,
    primary key (tenant_id, id),
    check ((kind = 'personal') = (role is null))
);
create index api_tokens_account_idx on api_tokens (tenant_id, account_id);

alter table api_tokens enable row level security;
create policy tenant_isolation on api_tokens
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on api_tokens to whygo_app;

-- An API write sent with an `Idempotency-Key` header: the key is claimed in
-- the transaction that writes, with a hash of the request, and the answer is
-- kept, so a retried push answers the first answer again and writes nothing
-- more; the same key with another request is refused. Keys are per token.
create table api_idempotency (
    tenant_id uuid not null references tenants (id) on delete cascade,
    token_id uuid not null,
    key text not null check (length(key) between 1 and 200),
    request_hash bytea not null,
    status smallint not null default 0,
    response jsonb,
    created_at timestamptz not null default now(),
    primary key (tenant_id, token_id, key),
    foreign key (tenant_id, token_id) references api_tokens (tenant_id, id) on delete cascade
);
alter table api_idempotency enable row level security;
create policy tenant_isolation on api_idempotency
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on api_idempotency to whygo_app;

-- Every API request's one statement before its own work, as whygo_request
-- is for pages: finds the token by its hash, counts the use (last used,
-- uses, the rate window) when it is live, and returns it with its tenant,
-- the membership of a personal token's account and the versions a plan
-- cache reads (migration 0011). The token's tenant is returned whatever the
-- path names: the caller answers 404 when they differ, as a page does for
-- an organization one is not a member of.
--
-- security definer: the token is looked up before any tenant is known, and
-- memberships are readable only under the account's own setting.
create function whygo_api_request(p_hash bytea, p_as_of date, p_window_seconds integer)
    returns table (
        token_id uuid,
        token_name text,
        kind text,
        scope text,
        token_role text,
        account_id uuid,
        email text,
        account_name text,
        installation_admin boolean,
        expires_at timestamptz,
        revoked_at timestamptz,
        window_start timestamptz,
        window_count integer,
        tenant_id uuid,
        tenant_slug text,
        tenant_name text,
        fiscal_year_start date,
        on_pace double precision,
        slightly_off double precision,
        carry_days integer,
        individuals_visible_to_all boolean,
        data_version bigint,
        structure_version bigint,
        actuals_version bigint,
        member_role text,
        person_id uuid,
        person_key text,
        person_name text
    )
    language plpgsql volatile security definer
    set search_path = public, pg_temp
    as $$
begin
    -- A live token's use is counted; a revoked or expired one is only
    -- read, so its refusal can say why.
    update api_tokens k
    set last_used_at = now(),
        uses = k.uses + 1,
        window_count = case when k.window_start > now() - make_interval(secs => p_window_seconds)
                            then k.window_count + 1 else 1 end,
        window_start = case when k.window_start > now() - make_interval(secs => p_window_seconds)
                            then k.window_start else now() end
    where k.token_hash = p_hash and k.revoked_at is null
      and (k.expires_at is null or k.expires_at > now());
    return query
    select k.id, k.name, k.kind, k.scope, k.role, k.account_id, a.email, a.name, a.installation_admin,
           k.expires_at, k.revoked_at, k.window_start, k.window_count,
           t.id, t.slug, t.name, t.fiscal_year_start, t.on_pace, t.slightly_off, t.carry_days,
           t.individuals_visible_to_all, t.data_version, t.structure_version,
           (select coalesce(max(av.data_version), 0) from actual_versions av
            where av.tenant_id = t.id and av.entered_on <= p_as_of),
           m.role, p.id, p.key, p.name
    from api_tokens k
    join tenants t on t.id = k.tenant_id
    join accounts a on a.id = k.account_id
    left join memberships m on m.tenant_id = k.tenant_id and m.account_id = k.account_id
    left join people p on p.tenant_id = m.tenant_id and p.id = m.person_id
    where k.token_hash = p_hash;
end;
$$;
revoke all on function whygo_api_request(bytea, date, integer) from public;
grant execute on function whygo_api_request(bytea, date, integer) to whygo_app;
