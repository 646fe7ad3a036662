-- Outcomes computed from records (issue 11): an outcome whose `source` is
-- set takes its actuals from the operations records (or from another
-- outcome) instead of check-ins. The words are domain::operations::Source's
-- (docs/operations.md, "Computed outcomes"); null: entered by check-ins.
alter table outcomes
    add column source text check (source is null or length(source) between 1 and 200);
