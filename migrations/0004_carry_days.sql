-- Pacing v2: during the first days of a quarter with no entry yet, the
-- previous quarter's latest entry stands in (marked as carried), so the first
-- morning of a quarter does not turn every outcome into "needs check-in".
alter table tenants
    add column carry_days integer not null default 14
        check (carry_days between 0 and 92);
