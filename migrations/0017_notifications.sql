-- Notifications (issue 15): check-in reminders that escalate, reminders of
-- returned WhyGOs and of what waits for an approver or signer, and the
-- weekly digest for leaders. The messages themselves are `email.send` jobs
-- (migration 0015) and, once sent, audit log entries; these tables hold the
-- organization's schedule and the weeks people snoozed. See docs/reminders.md.
--
-- Neither table is page data: no page of the plan reads them, so neither
-- moves the tenant's data version (migration 0010).

-- One row per organization, written by its admins; an organization without
-- a row has the defaults below (the demo's weekly rhythm: check in by Friday,
-- the digest on Monday).
create table notification_settings (
    tenant_id uuid primary key references tenants (id) on delete cascade,
    -- reminders, escalations and the reminders of returned and waiting WhyGOs
    reminders_enabled boolean not null default true,
    -- ISO weekday: 1 Monday .. 7 Sunday
    checkin_weekday smallint not null default 5 check (checkin_weekday between 1 and 7),
    -- the reminder goes this many days before the check-in day (0: on the day)
    reminder_lead_days smallint not null default 1 check (reminder_lead_days between 0 and 6),
    -- a check-in still missing this many days after the check-in day goes to
    -- the person's manager, then to their department's head
    escalate_manager_days smallint not null default 1 check (escalate_manager_days between 1 and 6),
    escalate_head_days smallint not null default 3 check (escalate_head_days between 1 and 6),
    digest_enabled boolean not null default true,
    digest_weekday smallint not null default 1 check (digest_weekday between 1 and 7),
    digest_recipients text not null default 'leaders'
        check (digest_recipients in ('leaders', 'leaders_and_heads', 'leaders_heads_and_admins')),
    -- messages of a day go out from this hour (UTC) on
    send_hour smallint not null default 8 check (send_hour between 0 and 23),
    updated_at timestamptz not null default now(),
    check (escalate_head_days > escalate_manager_days)
);
alter table notification_settings enable row level security;
create policy tenant_isolation on notification_settings
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on notification_settings to whygo_app;

-- A person's week without reminders: `week` is the check-in day of that
-- week. The reason goes to their manager instead of an escalation.
create table checkin_snoozes (
    tenant_id uuid not null references tenants (id) on delete cascade,
    person_id uuid not null,
    week date not null,
    reason text not null check (length(reason) between 1 and 500),
    created_by uuid references accounts (id) on delete set null,
    created_at timestamptz not null default now(),
    primary key (tenant_id, person_id, week),
    foreign key (tenant_id, person_id) references people (tenant_id, id) on delete cascade
);
alter table checkin_snoozes enable row level security;
create policy tenant_isolation on checkin_snoozes
    using (tenant_id = nullif(current_setting('whygo.tenant_id', true), '')::uuid);
grant select, insert, update, delete on checkin_snoozes to whygo_app;

-- The admin page lists the messages sent from the audit log.
create index audit_log_entity_idx on audit_log (tenant_id, entity, seq desc);
