-- Workbook format 2 (issue 11): a workbook carries engagements with their
-- handoff histories. The Kartel demo's engagements are invented; this flag
-- marks such rows so pages and people can tell them from real records.
-- Additive, with a default: rows written before stay real (false).
alter table engagements
    add column demo boolean not null default false;
