-- What every tenant page needs before any work, in one statement: the
-- session (checked against its secret by the app), its account, and that
-- account's membership of the organization the path names, with the
-- tenant's data version (migration 0010). It replaces a session read and a
-- four-statement membership transaction per request (src/http/session.rs).
--
-- security definer: memberships are readable only under the account's own
-- setting (policy own_memberships), which a single statement cannot set
-- before it reads. The function joins exactly that: the memberships of the
-- session's own account, for the one slug asked for.
create or replace function whygo_request(p_session text, p_slug text)
    returns table (
        id text,
        secret_hash bytea,
        csrf_token text,
        account_id uuid,
        email text,
        name text,
        installation_admin boolean,
        tenant_id uuid,
        tenant_slug text,
        tenant_name text,
        fiscal_year_start date,
        on_pace double precision,
        slightly_off double precision,
        carry_days integer,
        individuals_visible_to_all boolean,
        data_version bigint,
        role text,
        person_id uuid,
        person_key text,
        person_name text
    )
    language sql stable security definer
    set search_path = public, pg_temp
    as $$
    select s.id, s.secret_hash, s.csrf_token, s.account_id, a.email, a.name, a.installation_admin,
           t.id, t.slug, t.name, t.fiscal_year_start, t.on_pace, t.slightly_off, t.carry_days,
           t.individuals_visible_to_all, t.data_version, m.role, p.id, p.key, p.name
    from sessions s
    left join accounts a on a.id = s.account_id
    left join (memberships m join tenants t on t.id = m.tenant_id)
           on m.account_id = s.account_id and t.slug = p_slug
    left join people p on p.tenant_id = m.tenant_id and p.id = m.person_id
    where s.id = p_session and s.expires_at > now()
    $$;
revoke all on function whygo_request(text, text) from public;
grant execute on function whygo_request(text, text) to whygo_app;
