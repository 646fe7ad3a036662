-- Accounts, sessions, sign-in limits, one-time links, and the application's
-- own database role so row-level security is enforced for every request.

-- Sessions: anonymous ones (account_id null) carry the CSRF token of sign-in
-- forms; signing in replaces the session with a new id (no fixation).
alter table sessions alter column account_id drop not null;
alter table sessions add column csrf_token text not null default '';
create index sessions_expires_idx on sessions (expires_at);

-- Every sign-in attempt, to limit guessing per account and per address.
-- Kept in the database so several app servers share one count.
create table sign_in_attempts (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    email text not null,
    address text not null,
    succeeded boolean not null
);
create index sign_in_attempts_email_idx on sign_in_attempts (lower(email), at desc);
create index sign_in_attempts_address_idx on sign_in_attempts (address, at desc);

-- One-time links: an invitation to join an organization, or a password reset
-- an admin generated. Only a hash of the token is stored.
create table account_links (
    tenant_id uuid not null references tenants (id) on delete cascade,
    id uuid not null,
    token_hash bytea not null unique,
    kind text not null check (kind in ('invite', 'reset')),
    -- invite: the person the new account will be; reset: the account
    person_id uuid,
    account_id uuid references accounts (id) on delete cascade,
    role text not null default 'member' check (role in ('admin', 'leader', 'member')),
    email text,
    created_by uuid references accounts (id) on delete set null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    used_at timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, person_id) references people (tenant_id, id) on delete cascade,
    check ((kind = 'invite' and person_id is not null) or (kind = 'reset' and account_id is not null))
);

alter table account_links enable row level security;
create policy tenant_isolation on account_links
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);

-- An account sees its own memberships in every tenant (the tenant picker),
-- before any tenant is chosen.
create policy own_memberships on memberships for select
    using (account_id = nullif(current_setting('whygo.account_id', true), '')::uuid);

-- The role the application runs as. Not the tables' owner and not a
-- superuser, so row-level security applies to it: a query that forgets its
-- tenant filter still cannot see another tenant's rows. Roles are global to a
-- cluster, hence the existence check.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'whygo_app') then
        create role whygo_app nologin;
    end if;
end;
$$;
-- The connecting user must be able to `set role whygo_app`.
do $$
begin
    execute format('grant whygo_app to %I', current_user);
exception when others then
    -- a superuser can set any role already; granting to itself may be refused
    null;
end;
$$;
grant usage on schema public to whygo_app;
grant select, insert, update, delete on all tables in schema public to whygo_app;
grant usage, select on all sequences in schema public to whygo_app;
alter default privileges in schema public grant select, insert, update, delete on tables to whygo_app;
alter default privileges in schema public grant usage, select on sequences to whygo_app;
-- The migrations' own bookkeeping is not the application's business.
revoke all on _sqlx_migrations from whygo_app;
