-- A per-tenant data version: a counter that moves, in the same transaction,
-- with every write to the rows a page is built from. The app reads it with
-- the request's tenancy check and keys its in-memory plans on it
-- (src/http/cache.rs), so a cached plan is never served after a write, even
-- by another app server sharing this database: the version it reads has
-- moved, and the old entry is simply never asked for again.
alter table tenants add column data_version bigint not null default 0;

-- Bumps the version of every tenant a statement wrote rows of, once per
-- transaction: a workbook load writes tens of thousands of rows in as many
-- statements, and updating the tenant row for each would leave as many dead
-- versions of it inside one transaction. The tenants already bumped in this
-- transaction are kept in a transaction-local setting (rolled back with a
-- savepoint, like the update itself). Statement-level, with the statement's
-- transition table: one update however many rows the statement wrote.
-- security definer: it writes tenants whatever the grants of the writer.
create or replace function whygo_bump_data_version() returns trigger
    language plpgsql security definer
    set search_path = public, pg_temp
    as $$
declare
    bumped text := coalesce(current_setting('whygo.data_version_bumped', true), '');
    todo uuid[];
begin
    if tg_op = 'DELETE' then
        select array_agg(distinct o.tenant_id) into todo from old_rows o
        where position(o.tenant_id::text in bumped) = 0;
    else
        select array_agg(distinct n.tenant_id) into todo from new_rows n
        where position(n.tenant_id::text in bumped) = 0;
    end if;
    if todo is not null then
        update tenants set data_version = data_version + 1 where id = any (todo);
        perform set_config('whygo.data_version_bumped', bumped || array_to_string(todo, ','), true);
    end if;
    return null;
end;
$$;
revoke all on function whygo_bump_data_version() from public;

-- Puts the three statement-level triggers on a tenant table. A later
-- migration that adds a table pages read calls it too:
-- `select whygo_track_data_version('new_table');`
create or replace function whygo_track_data_version(tbl regclass) returns void
    language plpgsql
    as $$
begin
    execute format(
        'create trigger data_version_insert after insert on %s referencing new table as new_rows
         for each statement execute function whygo_bump_data_version()', tbl);
    execute format(
        'create trigger data_version_update after update on %s referencing new table as new_rows
         for each statement execute function whygo_bump_data_version()', tbl);
    execute format(
        'create trigger data_version_delete after delete on %s referencing old table as old_rows
         for each statement execute function whygo_bump_data_version()', tbl);
end;
$$;
revoke all on function whygo_track_data_version(regclass) from public;

-- Every table that carries tenant_id, except those no page is built from:
-- the audit log (written beside every write anyway), one-time account links
-- and check-in submission tokens (the double-submit guard).
do $$
declare
    t text;
begin
    for t in
        select c.table_name from information_schema.columns c
        join information_schema.tables tb
          on tb.table_schema = c.table_schema and tb.table_name = c.table_name
        where c.table_schema = 'public' and c.column_name = 'tenant_id'
          and tb.table_type = 'BASE TABLE'
          and c.table_name not in ('audit_log', 'account_links', 'checkin_submissions')
        order by c.table_name
    loop
        perform whygo_track_data_version(t::regclass);
    end loop;
end;
$$;

-- The tenant's own settings (thresholds, carry days, fiscal year,
-- visibility, name) are page data too: any update of the row that does not
-- move the version itself moves it.
create or replace function whygo_bump_own_data_version() returns trigger
    language plpgsql
    as $$
begin
    if new.data_version = old.data_version then
        new.data_version := old.data_version + 1;
    end if;
    return new;
end;
$$;
create trigger data_version_settings before update on tenants
    for each row execute function whygo_bump_own_data_version();
