-- A check-in form carries a one-time submission token. Saving records the
-- token in the transaction that appends the actuals, so a double submit (two
-- clicks, a browser retrying the POST) saves once: the second finds the token
-- and answers what the first saved.
create table checkin_submissions (
    tenant_id uuid not null references tenants (id) on delete cascade,
    token text not null check (length(token) between 16 and 64),
    account_id uuid references accounts (id) on delete set null,
    saved integer not null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, token)
);

alter table checkin_submissions enable row level security;
create policy tenant_isolation on checkin_submissions
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on checkin_submissions to whygo_app;
