-- Single sign-on through OpenID Connect, per organization (issue 15).
-- Neither table is plan data, so neither moves the data version.

-- An organization's provider, as its admin set it. The client secret must be
-- sent to the provider, so it is kept as is (not hashed); the application role
-- cannot read it back (the columns it may select leave it out): the sign-in
-- asks whygo_sso_client_secret for the one organization signing in, as
-- password hashes are read (migration 0006). A row exists only once a secret
-- was given.
create table sso_settings (
    tenant_id uuid primary key references tenants (id) on delete cascade,
    enabled boolean not null default false,
    -- the words of the sign-in button ("Okta", "Google Workspace"); '' for none
    provider_name text not null default '' check (length(provider_name) <= 100),
    issuer text not null check (length(issuer) between 1 and 500),
    client_id text not null check (length(client_id) between 1 and 255),
    client_secret text not null check (length(client_secret) between 1 and 1024),
    -- members who belong to this organization alone must sign in with SSO
    sso_only boolean not null default false,
    -- a verified email with no account becomes a member (role member)
    jit_membership boolean not null default false,
    secret_changed_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    check (enabled or not sso_only)
);
alter table sso_settings enable row level security;
create policy tenant_isolation on sso_settings
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
revoke all on sso_settings from whygo_app;
grant select (tenant_id, enabled, provider_name, issuer, client_id, sso_only, jit_membership,
              secret_changed_at, created_at, updated_at)
    on sso_settings to whygo_app;
grant insert, update, delete on sso_settings to whygo_app;

-- The secret of the organization the transaction is for (whygo.tenant_id),
-- and of no other.
create function whygo_sso_client_secret(p_tenant uuid) returns text
    language sql stable security definer
    set search_path = public, pg_temp
    as $$
        select client_secret from sso_settings
        where tenant_id = p_tenant
          and p_tenant = nullif(current_setting('whygo.tenant_id', true), '')::uuid
    $$;
revoke all on function whygo_sso_client_secret(uuid) from public;
grant execute on function whygo_sso_client_secret(uuid) to whygo_app;

-- A sign-in on its way through the provider: made when the person leaves for
-- the provider, taken (deleted) when they come back, so each is used once.
-- `state` travels in the URLs, so only its SHA-256 is kept; the attempt is
-- also bound to the browser that started it (`browser_hash`: the SHA-256 of a
-- cookie of its own), so a callback address sent to someone else signs
-- nobody in. The nonce and the PKCE verifier never leave the server until
-- the code is exchanged.
create table sso_attempts (
    tenant_id uuid not null references tenants (id) on delete cascade,
    state_hash bytea not null,
    browser_hash bytea not null,
    nonce text not null,
    pkce_verifier text not null,
    redirect_uri text not null,
    next text not null default '/',
    -- where it was started from: a bound on the attempts one address may
    -- leave pending (each costs a row and a request to the provider)
    address text not null default '',
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    primary key (tenant_id, state_hash)
);
create index sso_attempts_address_idx on sso_attempts (tenant_id, address, expires_at);
alter table sso_attempts enable row level security;
create policy tenant_isolation on sso_attempts
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on sso_attempts to whygo_app;

-- The organizations the sign-in page offers a "Sign in with …" button for,
-- before anyone is signed in (no tenant is known yet).
create function whygo_sso_choices() returns table (slug text, name text, provider_name text)
    language sql stable security definer
    set search_path = public, pg_temp
    as $$
        select t.slug, t.name, s.provider_name
        from sso_settings s join tenants t on t.id = s.tenant_id
        where s.enabled
        order by t.name, t.slug
    $$;
revoke all on function whygo_sso_choices() from public;
grant execute on function whygo_sso_choices() to whygo_app;

-- The SSO-only organization whose single sign-on an account must use instead
-- of its password: one it belongs to alone (an organization's provider never
-- signs in an account that reaches further, see src/domain/sso.rs), and never
-- for an installation admin, who always keeps the password.
create function whygo_sso_only_for(p_account uuid) returns table (slug text, name text, provider_name text)
    language sql stable security definer
    set search_path = public, pg_temp
    as $$
        select t.slug, t.name, s.provider_name
        from memberships m
        join accounts a on a.id = m.account_id
        join tenants t on t.id = m.tenant_id
        join sso_settings s on s.tenant_id = m.tenant_id and s.enabled and s.sso_only
        where m.account_id = p_account
          and not a.installation_admin
          and (select count(*) from memberships m2 where m2.account_id = p_account) = 1
    $$;
revoke all on function whygo_sso_only_for(uuid) from public;
grant execute on function whygo_sso_only_for(uuid) to whygo_app;
