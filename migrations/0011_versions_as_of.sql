-- What a page as of a date depends on, as two numbers the request reads in
-- its one statement (whygo_request):
--
-- * tenants.structure_version: the data version of the last transaction
--   that wrote anything but new actuals (people, WhyGOs, outcomes, links,
--   sign-offs, engagements...);
-- * the actuals version as of a date: the data version of the last
--   transaction that added an actual dated on or before it, from
--   actual_versions (one row per tenant and date, the latest version that
--   added an actual of that date).
--
-- A page as of D built from the plan is a function of max(structure
-- version, actuals version as of D): a check-in dated today does not move
-- the pages of last week, so their readers keep their cached copies while
-- people check in (src/http/cache.rs, src/http/page_cache.rs).
alter table tenants add column structure_version bigint not null default 0;

create table actual_versions (
    tenant_id uuid not null references tenants (id) on delete cascade,
    entered_on date not null,
    data_version bigint not null,
    primary key (tenant_id, entered_on)
);
alter table actual_versions enable row level security;
create policy tenant_isolation on actual_versions
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
-- Written by the trigger below only; the app reads it (which days changed
-- since the plan it holds, src/http/cache.rs).
revoke all on actual_versions from whygo_app;
grant select on actual_versions to whygo_app;
-- A day's entries, read when a cached plan is brought up to date.
create index actuals_date_idx on actuals (tenant_id, entered_on);

-- The trigger of migration 0010, now also keeping the two numbers above.
-- Each number moves once per transaction and tenant; the version this
-- transaction bumped to is kept in a transaction-local setting per tenant
-- (`whygo.v_<tenant id without dashes>`) so later statements of the same
-- transaction stamp their actuals with it. The tenants row stays locked by
-- the bump until commit, so no other transaction of the tenant can take a
-- version in between: the stamp is the version the transaction commits as.
create or replace function whygo_bump_data_version() returns trigger
    language plpgsql security definer
    set search_path = public, pg_temp
    as $$
declare
    bumped text := coalesce(current_setting('whygo.data_version_bumped', true), '');
    structured text := coalesce(current_setting('whygo.structure_bumped', true), '');
    new_actuals boolean := tg_table_name = 'actuals' and tg_op = 'INSERT';
    todo uuid[];
    r record;
begin
    if tg_op = 'DELETE' then
        select array_agg(distinct o.tenant_id) into todo from old_rows o;
    else
        select array_agg(distinct n.tenant_id) into todo from new_rows n;
    end if;
    if todo is null then
        return null;
    end if;
    -- The first write of the transaction to the tenant moves its data
    -- version, and its structure version along unless it adds actuals.
    for r in
        update tenants set data_version = data_version + 1,
               structure_version = case when new_actuals then structure_version
                                        else data_version + 1 end
        where id = any (todo) and position(id::text in bumped) = 0
        returning id, data_version
    loop
        perform set_config('whygo.v_' || replace(r.id::text, '-', ''), r.data_version::text, true);
        bumped := bumped || r.id::text || ',';
        if not new_actuals then
            structured := structured || r.id::text || ',';
        end if;
    end loop;
    perform set_config('whygo.data_version_bumped', bumped, true);
    if not new_actuals then
        -- A transaction that added actuals first: its version stands, and
        -- is now that of a change of structure too.
        for r in
            update tenants set structure_version = data_version
            where id = any (todo) and position(id::text in structured) = 0
            returning id
        loop
            structured := structured || r.id::text || ',';
        end loop;
        perform set_config('whygo.structure_bumped', structured, true);
    else
        insert into actual_versions (tenant_id, entered_on, data_version)
        select n.tenant_id, n.entered_on,
               current_setting('whygo.v_' || replace(n.tenant_id::text, '-', ''))::bigint
        from new_rows n
        group by n.tenant_id, n.entered_on
        on conflict (tenant_id, entered_on) do update set data_version = excluded.data_version;
    end if;
    return null;
end;
$$;
revoke all on function whygo_bump_data_version() from public;

-- The tenant's own settings (migration 0010) are structure: an update of
-- the row that moves neither number moves both. The trigger above moves
-- them itself, so this one leaves its updates alone.
create or replace function whygo_bump_own_data_version() returns trigger
    language plpgsql
    as $$
begin
    if new.data_version = old.data_version and new.structure_version = old.structure_version then
        new.data_version := old.data_version + 1;
        new.structure_version := new.data_version;
    end if;
    return new;
end;
$$;

-- Actuals already stored count as of their dates, at the version now.
insert into actual_versions (tenant_id, entered_on, data_version)
select a.tenant_id, a.entered_on, t.data_version
from actuals a join tenants t on t.id = a.tenant_id
group by a.tenant_id, a.entered_on, t.data_version;
update tenants set structure_version = data_version;

-- What every tenant page needs before any work, in one statement: the
-- session (checked against its secret by the app), its account, and that
-- account's membership of the organization the path names, with the
-- tenant's data version (migration 0010) and the two numbers above for the
-- date the request shows. It replaces a session read and a
-- four-statement membership transaction per request (src/http/session.rs).
--
-- security definer: memberships are readable only under the account's own
-- setting (policy own_memberships), which a single statement cannot set
-- before it reads. The function joins exactly that: the memberships of the
-- session's own account, for the one slug asked for.
create function whygo_request(p_session text, p_slug text, p_as_of date)
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
        structure_version bigint,
        actuals_version bigint,
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
           t.individuals_visible_to_all, t.data_version, t.structure_version,
           (select coalesce(max(av.data_version), 0) from actual_versions av
            where av.tenant_id = t.id and av.entered_on <= p_as_of),
           m.role, p.id, p.key, p.name
    from sessions s
    left join accounts a on a.id = s.account_id
    left join (memberships m join tenants t on t.id = m.tenant_id)
           on m.account_id = s.account_id and t.slug = p_slug
    left join people p on p.tenant_id = m.tenant_id and p.id = m.person_id
    where s.id = p_session and s.expires_at > now()
    $$;
revoke all on function whygo_request(text, text, date) from public;
grant execute on function whygo_request(text, text, date) to whygo_app;

-- `whygo load` refreshes the planner's statistics after a bulk load
-- (src/db/load.rs). The app's role does not own the tables, and ANALYZE of
-- a table needs its owner: this runs it as the owner, on these tables only.
create or replace function whygo_refresh_statistics() returns void
    language plpgsql security definer
    set search_path = public, pg_temp
    as $$
begin
    analyze people, departments, whygos, whygo_links, outcomes, outcome_owners, actuals,
            actual_versions;
end;
$$;
revoke all on function whygo_refresh_statistics() from public;
grant execute on function whygo_refresh_statistics() to whygo_app;
