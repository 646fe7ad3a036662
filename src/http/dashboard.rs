//! The company dashboard, the weekly leadership sync, and the report as JSON:
//! the same pacing as `whygo report`, computed from the same plan snapshot.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, NaiveDate};

use super::error::render;
use super::params::{self, PageQuery, Query, When};
use super::view::{Chrome, Pace, WhyGoCard};
use super::{AppError, AppState, Tenancy};
use crate::db::plan::Scope;
use crate::domain::plan::{Level, Plan};
use crate::domain::report::{self, Attention, Report};
use crate::domain::sync::{NewActual, StatusChange, new_actuals, status_changes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/{tenant}", get(company))
        .route("/{tenant}/sync", get(sync))
        .route("/{tenant}/sync.md", get(sync_markdown))
        .route("/{tenant}/outcomes.csv", get(company_csv))
        .route("/{tenant}/escalations", get(escalations))
        .route(
            "/{tenant}/report.json",
            get(super::report_json::report_json),
        )
}

/// The as-of form every overview page shows.
pub struct WhenForm {
    pub action: String,
    pub as_of_input: String,
    pub as_of_error: Option<String>,
    pub quarter: u8,
    pub quarter_error: Option<String>,
    pub as_of_long: String,
    pub quarter_label: String,
    pub quarter_progress: String,
    pub carry: String,
    /// The page's own parameters the form sends again with the new date
    /// (a node opened, a department chosen), as hidden fields.
    pub keep: Vec<(&'static str, String)>,
}

impl WhenForm {
    pub fn new(action: String, when: &When, plan: &Plan, r: &Report) -> WhenForm {
        WhenForm {
            action,
            as_of_input: when.as_of_input.clone(),
            as_of_error: when.as_of_error.clone(),
            quarter: r.quarter.number(),
            quarter_error: when.quarter_error.clone(),
            as_of_long: when.as_of.format("%A %-d %B %Y").to_string(),
            quarter_label: format!(
                "{} {}",
                r.quarter,
                fiscal_label(plan.tenant.fiscal_year_start)
            ),
            quarter_progress: if r.quarter_judged {
                format!("{:.0}% through the quarter", r.quarter_fraction * 100.0)
            } else {
                "not started yet".to_owned()
            },
            carry: PageQuery::carry(when),
            keep: Vec::new(),
        }
    }

    /// The form with `name=value` kept when the date changes (nothing when
    /// `value` is None).
    pub fn keeping(mut self, name: &'static str, value: Option<&str>) -> WhenForm {
        if let Some(v) = value {
            self.keep.push((name, v.to_owned()));
        }
        self
    }
}

/// "FY2026", or "FY2026/27" when the fiscal year does not start in January.
pub fn fiscal_label(start: NaiveDate) -> String {
    use chrono::Datelike as _;
    if start.month() == 1 && start.day() == 1 {
        format!("FY{}", start.year())
    } else {
        format!("FY{}/{:02}", start.year(), (start.year() + 1) % 100)
    }
}

#[derive(Template)]
#[template(path = "company.html")]
struct CompanyPage {
    chrome: Chrome,
    tenant_slug: String,
    tenant_name: String,
    when: WhenForm,
    company: Pace,
    whole_plan: Pace,
    /// The figures of the first screen, beside the two paces.
    figures: Figures,
    /// "Q1" … "Q4", the column heads of the departments' quarters.
    quarters: Vec<String>,
    /// The company, then each department: pace by quarter and, for a
    /// department, its outcomes of the three lists counted, linking to the
    /// paged list (`/{tenant}/escalations`). One row each, so the page
    /// stays small however many departments and WhyGOs there are.
    department_rows: Vec<DepartmentRow>,
    company_whygos: Vec<WhyGoCard>,
    /// `company_whygos` as CSV, for the same date and quarter.
    csv_href: String,
    /// The company WhyGOs' outcomes of the three lists, in full.
    escalations: Vec<Attention>,
    needs_attention: Vec<Attention>,
    missing: Vec<Attention>,
    /// The viewer's own individual WhyGOs returned for changes (from what
    /// the navigation counts, per viewer: no statement of its own).
    returned: Vec<super::lifecycle::ReturnedRow>,
}

/// How many outcomes of the whole plan (company and departments) are off
/// pace, slightly off and missing a check-in in the quarter shown, and how
/// far the cascade of individual WhyGOs has got.
struct Figures {
    off_pace: usize,
    slightly_off: usize,
    missing: usize,
    /// People with an approved individual WhyGO, people counted (see
    /// [`crate::domain::lifecycle::cascade_completion`]).
    cascade: (usize, usize),
    cascade_percent: Option<u32>,
}

impl Figures {
    fn new(r: &Report, cascade: (usize, usize)) -> Figures {
        Figures {
            off_pace: r.escalations.len(),
            slightly_off: r.needs_attention.len(),
            missing: r.missing.len(),
            cascade,
            cascade_percent: crate::domain::lifecycle::cascade_percent(cascade.0, cascade.1),
        }
    }

    /// The tile's status colour: the worst list that has something in it.
    fn lists_css(&self) -> &'static str {
        if self.off_pace > 0 {
            "off"
        } else if self.slightly_off > 0 {
            "slight"
        } else {
            "on"
        }
    }

    fn cascade_css(&self) -> &'static str {
        match self.cascade_percent {
            Some(100) => "on",
            Some(p) if p >= 50 => "slight",
            Some(_) => "off",
            None => "none",
        }
    }
}

struct DepartmentRow {
    href: String,
    name: String,
    head: String,
    quarters: Vec<Pace>,
    /// None for the company's own row.
    attention: Option<AttentionGroup>,
}

/// How many of a department's outcomes are in each list.
#[derive(Debug, PartialEq, Eq)]
pub struct AttentionGroup {
    pub key: String,
    pub name: String,
    pub off_pace: usize,
    pub slightly_off: usize,
    pub missing: usize,
}

impl AttentionGroup {
    fn total(&self) -> usize {
        self.off_pace + self.slightly_off + self.missing
    }
}

/// The report's escalations, needs-attention and missing lists counted by
/// department, in the plan's department order; departments with nothing in
/// any list are left out. Company outcomes (no department) are not counted.
pub fn attention_by_department(plan: &Plan, r: &Report) -> Vec<AttentionGroup> {
    let count = |list: &[Attention], key: &str| {
        list.iter()
            .filter(|a| a.department.as_deref() == Some(key))
            .count()
    };
    plan.departments
        .iter()
        .map(|d| AttentionGroup {
            key: d.key.clone(),
            name: d.name.clone(),
            off_pace: count(&r.escalations, &d.key),
            slightly_off: count(&r.needs_attention, &d.key),
            missing: count(&r.missing, &d.key),
        })
        .filter(|g| g.total() > 0)
        .collect()
}

fn company_only(list: &[Attention]) -> Vec<Attention> {
    list.iter()
        .filter(|a| a.department.is_none())
        .cloned()
        .collect()
}

async fn company(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Org).await?;
    let (signers, states) =
        crate::db::lifecycle::cascade_inputs(&state.pool, tenancy.tenant.id, when.as_of).await?;
    let leads: std::collections::HashSet<&str> = signers
        .iter()
        .map(String::as_str)
        .chain(plan.departments.iter().filter_map(|d| d.head.as_deref()))
        .collect();
    let cascade = crate::domain::lifecycle::cascade_completion(
        plan.people.iter().map(|p| p.key.as_str()),
        &leads,
        &states,
    );
    let page = CompanyPage::build(&tenancy, &plan, r, &when, cascade);
    Ok(render(&page)?.into_response())
}

/// `/{tenant}/outcomes.csv`: the dashboard's table of company WhyGOs and
/// their outcomes, as the dashboard shows it for the same date and quarter.
async fn company_csv(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Org).await?;
    let cards = company_cards(&plan, &r, &PageQuery::carry(&when));
    super::export::outcomes_csv(
        &cards,
        &format!("{}-company-outcomes-{}.csv", plan.tenant.slug, when.as_of),
    )
}

impl CompanyPage {
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        r: Arc<Report>,
        when: &When,
        cascade: (usize, usize),
    ) -> Self {
        let slug = &plan.tenant.slug;
        let carry = PageQuery::carry(when);
        let when_form = WhenForm::new(format!("/{slug}"), when, plan, &r);
        CompanyPage {
            returned: super::lifecycle::returned_rows(tenancy),
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            tenant_slug: slug.clone(),
            tenant_name: plan.tenant.name.clone(),
            when: when_form,
            company: Pace::of(&r.company),
            whole_plan: Pace::of(&r.whole_plan),
            figures: Figures::new(&r, cascade),
            quarters: (1..=4).map(|q| format!("Q{q}")).collect(),
            department_rows: department_rows(plan, &r, &carry),
            company_whygos: company_cards(plan, &r, &carry),
            csv_href: format!("/{slug}/outcomes.csv{carry}"),
            escalations: company_only(&r.escalations),
            needs_attention: company_only(&r.needs_attention),
            missing: company_only(&r.missing),
        }
    }
}

/// The company and each department: pace by quarter, and the department's
/// outcomes to look at counted (every department, zeros included).
fn department_rows(plan: &Plan, r: &Report, carry: &str) -> Vec<DepartmentRow> {
    let slug = &plan.tenant.slug;
    let mut groups: std::collections::HashMap<String, AttentionGroup> =
        attention_by_department(plan, r)
            .into_iter()
            .map(|g| (g.key.clone(), g))
            .collect();
    let heads: std::collections::HashMap<&str, &str> = plan
        .departments
        .iter()
        .filter_map(|d| Some((d.key.as_str(), d.head.as_deref()?)))
        .collect();
    r.heatmap(plan)
        .into_iter()
        .map(|row| {
            let company = row.key.is_empty();
            DepartmentRow {
                href: if company {
                    format!("/{slug}{carry}")
                } else {
                    format!("/{slug}/departments/{}{carry}", row.key)
                },
                head: heads
                    .get(row.key.as_str())
                    .map(|k| plan.person_name(k).to_owned())
                    .unwrap_or_default(),
                attention: (!company).then(|| {
                    groups.remove(&row.key).unwrap_or(AttentionGroup {
                        key: row.key.clone(),
                        name: row.name.clone(),
                        off_pace: 0,
                        slightly_off: 0,
                        missing: 0,
                    })
                }),
                name: row.name,
                quarters: row
                    .quarters
                    .iter()
                    .map(|q| Pace::new(q.status, q.credit, q.counts))
                    .collect(),
            }
        })
        .collect()
}

fn company_cards(plan: &Plan, r: &Report, carry: &str) -> Vec<WhyGoCard> {
    r.whygos
        .iter()
        .filter(|w| w.level == Level::Company)
        .map(|w| WhyGoCard::new(plan, r, w, carry))
        .collect()
}

/// Lines a page of the escalations list shows.
pub const ESCALATIONS_PER_PAGE: usize = 50;

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    department: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "escalations.html")]
struct EscalationsPage {
    chrome: Chrome,
    tenant_slug: String,
    tenant_name: String,
    when: WhenForm,
    /// The department's key and name; `None`: every department.
    department: Option<(String, String)>,
    items: Vec<Attention>,
    total: usize,
    page: usize,
    pages: usize,
    first: usize,
    previous: Option<String>,
    next: Option<String>,
}

/// The outcomes of a department's WhyGOs (or of every department's) that
/// are off pace, slightly off pace or missing a check-in, in that order,
/// 50 a page: what the company dashboard counts by department.
async fn escalations(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
    Query(list): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = params::page_number(list.page.as_deref())?;
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Org).await?;
    let department = match list.department.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(key) => {
            let d = plan
                .departments
                .iter()
                .find(|d| d.key == key)
                .ok_or(AppError::NotFound)?;
            Some((d.key.clone(), d.name.clone()))
        }
    };
    let wanted = |a: &Attention| match &department {
        None => a.department.is_some(),
        Some((key, _)) => a.department.as_deref() == Some(key.as_str()),
    };
    let all: Vec<Attention> = r
        .escalations
        .iter()
        .chain(&r.needs_attention)
        .chain(&r.missing)
        .filter(|a| wanted(a))
        .cloned()
        .collect();
    let total = all.len();
    let pages = total.div_ceil(ESCALATIONS_PER_PAGE).max(1);
    if page > pages {
        return Err(AppError::NotFound);
    }
    let first = (page - 1) * ESCALATIONS_PER_PAGE;
    let items: Vec<Attention> = all
        .into_iter()
        .skip(first)
        .take(ESCALATIONS_PER_PAGE)
        .collect();
    let slug = &plan.tenant.slug;
    let link = |n: usize| {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some((key, _)) = &department {
            pairs.push(("department", key.clone()));
        }
        pairs.push(("as_of", when.as_of.to_string()));
        if let Some(quarter) = when.quarter {
            pairs.push(("quarter", quarter.number().to_string()));
        }
        pairs.push(("page", n.to_string()));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("/{slug}/escalations?{query}")
    };
    let when_form = WhenForm::new(format!("/{slug}/escalations"), &when, &plan, &r);
    let page = EscalationsPage {
        chrome: tenancy.chrome_for(&when_form.quarter_label),
        tenant_slug: slug.clone(),
        tenant_name: plan.tenant.name.clone(),
        when: when_form,
        previous: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        department,
        items,
        total,
        page,
        pages,
        first: first + 1,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "sync.html")]
struct SyncPage {
    chrome: Chrome,
    tenant_slug: String,
    tenant_name: String,
    when: WhenForm,
    since: String,
    company: Pace,
    whole_plan: Pace,
    company_whygos: Vec<WhyGoCard>,
    departments: Vec<(String, Pace)>,
    escalations: Vec<Attention>,
    needs_attention: Vec<Attention>,
    missing: Vec<Attention>,
    /// The first [`SYNC_LIST`] of each, and how many more there are: a
    /// large organization changes hundreds of outcomes a week, more than a
    /// meeting reads (each WhyGO's page has its whole history).
    changes: Vec<StatusChange>,
    more_changes: usize,
    new_actuals: Vec<NewActual>,
    more_actuals: usize,
    commitments: super::commitments::SyncCommitments,
    /// The report as `whygo report --format markdown` prints it: `sync.md`
    /// with this page's date and quarter. Not in the page itself: it is the
    /// whole plan's report (individual WhyGOs' cascade paces), which would
    /// double the statements of this page (tests/app/pages.rs).
    markdown_href: String,
}

/// How many status changes and new actuals the sync lists.
pub const SYNC_LIST: usize = 50;

/// The first `n` of `items`, and how many were left out.
fn first<T>(mut items: Vec<T>, n: usize) -> (Vec<T>, usize) {
    let more = items.len().saturating_sub(n);
    items.truncate(n);
    (items, more)
}

/// The weekly leadership sync: what is off pace, what changed in the seven
/// days before the as-of date, and who has not checked in.
async fn sync(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::Org).await?;
    let commitments =
        super::commitments::sync_section(&state, &tenancy, &plan, when.as_of, r.quarter).await?;
    let page = SyncPage {
        commitments,
        ..SyncPage::build(&tenancy, &plan, r, &when)
    };
    Ok(render(&page)?.into_response())
}

/// `/{tenant}/sync.md`: the weekly report as markdown, to download: the
/// text `whygo report --format markdown` prints for the same date (from
/// the viewer's plan with every individual WhyGO they may see: a leader's is
/// the whole one, as the CLI's).
async fn sync_markdown(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (plan, r, when) = params::load(&state, &tenancy, &q, Scope::All).await?;
    let filename = format!("{}-weekly-report-{}.md", plan.tenant.slug, when.as_of);
    Ok(super::export::download(
        "text/markdown; charset=utf-8",
        &filename,
        r.to_markdown(),
    ))
}

impl SyncPage {
    fn build(tenancy: &Tenancy, plan: &Plan, r: Arc<Report>, when: &When) -> Self {
        let slug = &plan.tenant.slug;
        let week_ago = when.as_of - Duration::days(7);
        let before = report::build_for(plan, week_ago, r.quarter);
        let when_form = WhenForm::new(format!("/{slug}/sync"), when, plan, &r);
        let (changes, more_changes) = first(status_changes(&r, &before), SYNC_LIST);
        let (new_actuals, more_actuals) = first(new_actuals(plan, week_ago, when.as_of), SYNC_LIST);
        SyncPage {
            chrome: tenancy.chrome_for(&when_form.quarter_label),
            tenant_slug: slug.clone(),
            tenant_name: plan.tenant.name.clone(),
            when: when_form,
            since: week_ago.format("%A %-d %B").to_string(),
            company: Pace::of(&r.company),
            whole_plan: Pace::of(&r.whole_plan),
            company_whygos: company_cards(plan, &r, &PageQuery::carry(when)),
            departments: r
                .departments
                .iter()
                .map(|d| (d.name.clone(), Pace::new(d.status, d.credit, d.counts)))
                .collect(),
            changes,
            more_changes,
            new_actuals,
            more_actuals,
            escalations: r.escalations.clone(),
            needs_attention: r.needs_attention.clone(),
            missing: r.missing.clone(),
            // Read by the caller (`commitments::sync_section`).
            commitments: Default::default(),
            markdown_href: format!("/{slug}/sync.md{}", PageQuery::carry(when)),
        }
    }
}
