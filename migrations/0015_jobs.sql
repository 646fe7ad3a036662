-- The job queue (issue 15): reminders, digests and webhook deliveries run
-- from this table, so several app servers share the work and none is lost
-- when a server stops.
--
-- A worker claims due jobs with `for update skip locked` and holds each for a
-- lease (`locked_until`); a server that stops mid-job leaves the lease to run
-- out, and the next worker claims the job again. `unique_key` makes enqueueing
-- idempotent: "one reminder for this person this week" is a key, and a second
-- server (or a second scan) enqueueing it again adds nothing.
--
-- Unlike every other table, a job may belong to no tenant: the periodic scans
-- are the installation's (they then look at each tenant). Hence the primary
-- key is the job's id alone, and there is no row-level security: the worker
-- reads across tenants, and each handler opens a tenant transaction of its
-- own for the tenant's data. Jobs hold no page data, so they do not move the
-- tenants' data version.
create table jobs (
    id uuid primary key,
    tenant_id uuid references tenants (id) on delete cascade,
    kind text not null check (length(kind) between 1 and 100),
    payload jsonb not null default '{}',
    unique_key text check (length(unique_key) between 1 and 500),
    run_at timestamptz not null,
    -- attempts started; the one running now included
    attempt integer not null default 0,
    max_attempts integer not null default 5 check (max_attempts between 1 and 100),
    state text not null default 'queued'
        check (state in ('queued', 'running', 'done', 'failed')),
    locked_by text,
    locked_until timestamptz,
    last_error text,
    created_at timestamptz not null default now(),
    finished_at timestamptz
);
create unique index jobs_unique_key on jobs (kind, unique_key) where unique_key is not null;
-- The claim's scan: only unfinished jobs are indexed.
create index jobs_due_idx on jobs (run_at) where state in ('queued', 'running');
create index jobs_tenant_idx on jobs (tenant_id, created_at desc);
grant select, insert, update, delete on jobs to whygo_app;
