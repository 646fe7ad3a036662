-- Credentials out of the application role's reach. whygo_app may write a
-- password hash (setting a password) but not read one back: sign-in asks
-- whygo_credentials for the hash of the one account signing in, so a query
-- gone wrong in the application cannot list every account's hash.
revoke select on accounts from whygo_app;
grant select (id, email, name, installation_admin, created_at, updated_at) on accounts to whygo_app;

create or replace function whygo_credentials(p_account uuid) returns text
    language sql stable security definer
    set search_path = public, pg_temp
    as $$ select password_hash from accounts where id = p_account $$;
revoke all on function whygo_credentials(uuid) from public;
grant execute on function whygo_credentials(uuid) to whygo_app;

-- The application logs in as whygo_app itself, so no connection of the web
-- process is a superuser that `reset role` would give back. Altering a role
-- needs CREATEROLE: a migrator without it (an external server) leaves this
-- to its administrator (docs/security.md).
do $$
begin
    execute 'alter role whygo_app login';
exception when insufficient_privilege then
    raise notice 'whygo_app could not be made a login role; connect the application with a role of its own';
end;
$$;
