-- Company and department WhyGOs approved by the plan document itself.
--
-- A workbook declares its WhyGOs `approved` (the default) and records
-- `[[signoff]]` rows only for some of them: the Kartel plan has the signed
-- approval tables of two departments, and its other company and department
-- WhyGOs are approved because the plan they are written in was. Such a
-- WhyGO is in force as loaded: it waits for nobody's sign-off, and an edit
-- of it afterwards is an amendment that needs every sign-off, as for a
-- signed one. No sign-off row is invented for it (who signed, and when,
-- would be made up): the load records the version it approved here.
--
-- Set by `whygo load` (src/db/load.rs) for every company and department
-- WhyGO the workbook declares approved that has no sign-off of its current
-- version; read by domain::lifecycle::SignState as a signed version.
-- A column of whygos: its row-level security, grants and data-version
-- triggers (0001, 0002, 0010) cover it.
alter table whygos add column plan_approved_version integer
    check (plan_approved_version > 0 and plan_approved_version <= version);

comment on column whygos.plan_approved_version is
    'The version a workbook load declared approved with no sign-off recorded for it (company and department WhyGOs)';

-- WhyGOs already loaded: a company or department WhyGO is `approved` only
-- because a workbook said so (the app approves individual WhyGOs alone).
-- When the app has not edited it since and nobody signed its version, its
-- version is the one the workbook approved.
update whygos w set plan_approved_version = w.version
where w.level in ('company', 'department') and w.status = 'approved'
  and not exists (select 1 from signoffs s
                  where s.tenant_id = w.tenant_id and s.whygo_id = w.id and s.whygo_version = w.version)
  and not exists (select 1 from whygo_events e
                  where e.tenant_id = w.tenant_id and e.whygo_id = w.id and e.kind in ('edited', 'amended'));

-- What waits for one person, for the navigation of every page and the
-- owner's dashboard: individual WhyGOs submitted to them for approval, the
-- company and department WhyGOs whose current version waits for their
-- sign-off, and their own individual WhyGOs returned for changes (each
-- with the latest return's who, when and comment), in the plan cycle of
-- `p_today` as the pages choose it. The same rules as "My approvals"
-- (src/db/approvals.rs, domain::lifecycle::SignState), counted: a person
-- manages everyone below them through active people; a sign-off waits
-- when the person is required (a signer of the tenant, or the head of the
-- department of a department WhyGO), has not signed the current version,
-- and the current version is not the one the workbook approved.
--
-- One statement, called only when the tenant's structure version moved
-- since the app last asked (src/http/nav.rs). security definer, like
-- whygo_request: every table is filtered on p_tenant, which the app takes
-- from the request's checked membership.
create function whygo_waiting(p_tenant uuid, p_person uuid, p_today date)
    returns table (to_approve bigint, to_sign bigint, returned jsonb)
    language sql stable security definer
    set search_path = public, pg_temp
    as $$
    with recursive
    cycle as (
        select c.id from cycles c where c.tenant_id = p_tenant
        order by (c.starts_on <= p_today) desc,
                 case when c.starts_on <= p_today then c.starts_on end desc, c.starts_on
        limit 1),
    team(id) as (
        select p.id from people p
        where p.tenant_id = p_tenant and p.active and p.reports_to_id = p_person
        union
        select p.id from people p join team t on p.reports_to_id = t.id
        where p.tenant_id = p_tenant and p.active)
    select
        (select count(*) from whygos w join team t on t.id = w.person_id
         where w.tenant_id = p_tenant and w.level = 'individual' and w.status = 'submitted'
           and w.cycle_id is not distinct from (select id from cycle)),
        (select count(*) from whygos w
         left join departments d on d.tenant_id = w.tenant_id and d.id = w.department_id
         where w.tenant_id = p_tenant and w.level in ('company', 'department') and w.status <> 'archived'
           and w.cycle_id is not distinct from (select id from cycle)
           and (exists (select 1 from signers s where s.tenant_id = p_tenant and s.person_id = p_person)
                or (w.level = 'department' and d.head_id = p_person))
           and w.plan_approved_version is distinct from w.version
           and not exists (select 1 from signoffs s
                           where s.tenant_id = p_tenant and s.whygo_id = w.id
                             and s.person_id = p_person and s.whygo_version = w.version)),
        (select coalesce(jsonb_agg(jsonb_build_object(
                    'key', w.key, 'number', w.number, 'title', w.title,
                    'by', coalesce(e.actor, ''), 'comment', coalesce(e.comment, ''), 'at', e.at)
                    order by w.position, w.number, w.title), '[]'::jsonb)
         from whygos w
         left join lateral (
             select e.actor, e.comment, e.at from whygo_events e
             where e.tenant_id = w.tenant_id and e.whygo_id = w.id and e.kind = 'returned'
             order by e.seq desc limit 1) e on true
         where w.tenant_id = p_tenant and w.person_id = p_person and w.level = 'individual'
           and w.status = 'changes_requested'
           and w.cycle_id is not distinct from (select id from cycle))
    $$;
revoke all on function whygo_waiting(uuid, uuid, date) from public;
grant execute on function whygo_waiting(uuid, uuid, date) to whygo_app;
