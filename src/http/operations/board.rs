//! `GET /{tenant}/engagements`: the filter form, the board's figures, the
//! board and the list.
//!
//! Filters (a GET form, so it works without JavaScript; what was chosen
//! stays chosen): status on the as-of day, vertical, producer, and a
//! department, which keeps the engagements of cycles it takes part in and
//! narrows the board to the handoff types it sends or receives. They apply
//! to the board and the list; the figures are the organization's (each
//! links to the handoffs it counts, and that list is not filtered).
//! A filter value that does not read comes back next to its field with
//! what was typed (422), and the page applies the filters that do.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::{
    Read, day, instant_of, instant_words, phase_words, read, read_as_of, standing_css,
    standing_words,
};
use crate::app::FieldErrors;
use crate::domain::calendar::{FiscalYear, Quarter};
use crate::domain::operations::{
    Cycle, Engagement, EngagementPhase, HandoffType, Instant, Period, Phase, Ratio, Records,
    Selection, compliance, first_pass_rate, onboarding_days, percent_words,
};
use crate::http::error::render;
use crate::http::params::Query;
use crate::http::view::Chrome;
use crate::http::{AppError, AppState, Tenancy};

/// The filter form as typed (every field optional).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ListQuery {
    status: String,
    vertical: String,
    producer: String,
    department: String,
    as_of: String,
}

/// The statuses an engagement has on a day, as the form offers them.
const STATUSES: [(&str, EngagementPhase); 4] = [
    ("active", EngagementPhase::Active),
    ("not-started", EngagementPhase::NotStarted),
    ("closed", EngagementPhase::Closed),
    ("lost", EngagementPhase::Lost),
];

/// The filters read; a value that does not read is left out, with its
/// message in `errors`.
#[derive(Default)]
struct Filter {
    status: Option<EngagementPhase>,
    vertical: Option<String>,
    producer: Option<String>,
    department: Option<String>,
    as_of: Option<NaiveDate>,
    errors: FieldErrors,
}

impl Filter {
    fn read(q: &ListQuery, read: &Read) -> Filter {
        let mut f = Filter::default();
        let typed = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        if let Some(s) = typed(&q.status) {
            match STATUSES.iter().find(|(k, _)| *k == s) {
                Some((_, p)) => f.status = Some(*p),
                None => f
                    .errors
                    .add("status", "Choose active, not started, closed or lost."),
            }
        }
        f.vertical = typed(&q.vertical);
        if let Some(p) = typed(&q.producer) {
            if read.people.iter().any(|(k, _)| *k == p) {
                f.producer = Some(p);
            } else {
                f.errors
                    .add("producer", format!("No one here has the key “{p}”."));
            }
        }
        if let Some(d) = typed(&q.department) {
            if read.departments.iter().any(|(k, _)| *k == d) {
                f.department = Some(d);
            } else {
                f.errors
                    .add("department", format!("There is no department “{d}”."));
            }
        }
        f
    }

    fn any(&self) -> bool {
        self.status.is_some()
            || self.vertical.is_some()
            || self.producer.is_some()
            || self.department.is_some()
    }

    /// Whether a handoff type shows on the board: all of them, or those the
    /// department sends or receives.
    fn shows_type(&self, t: &HandoffType) -> bool {
        self.department
            .as_ref()
            .is_none_or(|d| t.from == *d || t.to == *d)
    }

    /// Whether the filters keep an engagement: its status on day `on`, its
    /// row's vertical and producer, and (for a department) a cycle the
    /// department takes part in.
    fn keeps(
        &self,
        e: &Engagement,
        vertical: &str,
        producer: Option<&str>,
        cycle: Option<&Cycle>,
        on: NaiveDate,
    ) -> bool {
        self.status.is_none_or(|s| e.phase_on(on) == s)
            && self
                .vertical
                .as_ref()
                .is_none_or(|v| v.eq_ignore_ascii_case(vertical.trim()))
            && self
                .producer
                .as_ref()
                .is_none_or(|p| producer == Some(p.as_str()))
            && (self.department.is_none()
                || cycle.is_some_and(|c| c.types().iter().any(|t| self.shows_type(t))))
    }
}

// ---------------------------------------------------------------------------
// The page's parts.
// ---------------------------------------------------------------------------

struct ListRow {
    href: String,
    name: String,
    key: String,
    client: String,
    vertical: String,
    status: &'static str,
    producer: String,
    sow_signed: String,
    pod_started: String,
    /// Days from SOW signed to pod started, as the onboarding figure counts
    /// them (pods started by the as-of day).
    onboarding: String,
    delivered: String,
    closed: String,
}

struct BoardCell {
    href: String,
    css: &'static str,
    words: String,
    checklist: String,
}

struct BoardRow {
    href: String,
    name: String,
    client: String,
    cells: Vec<BoardCell>,
    /// The engagement's compliance, all its handoffs to date.
    compliance: Figure,
}

struct BoardColumn {
    heading: String,
    name: String,
    sla: String,
}

struct Board {
    cycle: String,
    columns: Vec<BoardColumn>,
    rows: Vec<BoardRow>,
}

/// One figure: its value, the sentence that explains it, a short form of
/// its counts for tables ("14 of 16 · 2 pending"), and the records it counts.
pub(super) struct Figure {
    pub value: String,
    pub sentence: String,
    pub counts: String,
    pub href: String,
    /// In the as-of day's quarter's column (shaded, as its heading is).
    pub current: bool,
}

/// A row of the figures' tables: compliance in each quarter of the fiscal
/// year and to date, and the as-of quarter's first-pass rate.
struct FigureRow {
    heading: String,
    cells: Vec<Figure>,
}

struct FigureTable {
    caption: &'static str,
    /// The first column's heading.
    first: &'static str,
    rows: Vec<FigureRow>,
}

struct Figures {
    /// "Q4": the as-of day's quarter.
    quarter: String,
    /// The value columns' headings, and whether each is the as-of quarter's.
    columns: Vec<(String, bool)>,
    /// By handoff type, by department pair.
    tables: [FigureTable; 2],
    onboarding_quarter: Figure,
    onboarding_to_date: Figure,
    first_pass_quarter: Figure,
}

struct Choice {
    value: String,
    label: String,
}

fn choices(pairs: &[(String, String)]) -> Vec<Choice> {
    pairs
        .iter()
        .map(|(k, n)| Choice {
            value: k.clone(),
            label: n.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "operations/list.html")]
struct ListPage {
    chrome: Chrome,
    list_href: String,
    as_of: String,
    typed: ListQuery,
    errors: FieldErrors,
    filtered: bool,
    statuses: Vec<Choice>,
    verticals: Vec<String>,
    people: Vec<Choice>,
    departments: Vec<Choice>,
    new_href: Option<String>,
    figures: Figures,
    boards: Vec<Board>,
    rows: Vec<ListRow>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    tenancy: Tenancy,
    Query(typed): Query<ListQuery>,
) -> Result<Response, AppError> {
    let day_asked = read_as_of(&typed.as_of);
    let as_of = instant_of(day_asked.clone().ok().flatten());
    let read = read(&state, &tenancy, as_of).await?;
    let mut filter = Filter::read(&typed, &read);
    match day_asked {
        Ok(d) => filter.as_of = d,
        Err(why) => filter
            .errors
            .add("as_of", format!("{why} Showing now instead.")),
    }
    let status = if filter.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = list_page(&tenancy, &read, filter, typed);
    Ok((status, render(&page)?).into_response())
}

fn list_page(tenancy: &Tenancy, read: &Read, filter: Filter, typed: ListQuery) -> ListPage {
    let slug = &tenancy.tenant.slug;
    ListPage {
        chrome: tenancy.chrome(),
        list_href: format!("/{slug}/engagements"),
        as_of: as_of_words(filter.as_of, read.loaded.as_of),
        figures: figures(read, tenancy, filter.as_of),
        boards: boards(read, slug, &filter),
        rows: rows(read, slug, &filter),
        new_href: super::forms::may_create(read, tenancy)
            .then(|| format!("/{slug}/engagements/new")),
        filtered: filter.any(),
        statuses: STATUSES
            .iter()
            .map(|(k, p)| Choice {
                value: (*k).to_owned(),
                label: phase_words(*p).to_owned(),
            })
            .collect(),
        verticals: verticals(read),
        people: choices(&read.people),
        departments: choices(&read.departments),
        errors: filter.errors,
        typed,
    }
}

/// "the end of 31 Mar 2026" or "30 Nov 2026, 10:12 UTC" (now).
pub(super) fn as_of_words(day_asked: Option<NaiveDate>, as_of: Instant) -> String {
    match day_asked {
        Some(d) => format!("the end of {}", super::day(Some(d))),
        None => instant_words(as_of),
    }
}

/// The verticals in use, each once, in alphabetical order.
fn verticals(read: &Read) -> Vec<String> {
    let mut v: Vec<String> = read
        .loaded
        .rows
        .iter()
        .map(|r| r.vertical.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    v.sort_by_key(|s| s.to_lowercase());
    v.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    v
}

fn rows(read: &Read, slug: &str, filter: &Filter) -> Vec<ListRow> {
    let loaded = &read.loaded;
    let today = loaded.as_of.date_naive();
    loaded
        .rows
        .iter()
        .zip(&loaded.engagements)
        .filter(|(r, e)| {
            let cycle = loaded.cycles.iter().find(|c| c.key == e.cycle);
            filter.keeps(e, &r.vertical, r.producer.as_deref(), cycle, today)
        })
        .map(|(r, e)| ListRow {
            href: format!("/{slug}/engagements/{}", r.key),
            name: r.name.clone(),
            key: r.key.clone(),
            client: r.client_words(),
            vertical: r.vertical.clone(),
            status: phase_words(e.phase_on(today)),
            producer: r
                .producer
                .as_deref()
                .map(|k| read.person(k))
                .unwrap_or_default(),
            sow_signed: day(r.sow_signed),
            pod_started: day(r.pod_started),
            onboarding: onboarding(e, today),
            delivered: day(r.delivered),
            closed: day(r.closed),
        })
        .collect()
}

/// "21 days", "—" before the pod starts, or the data error the figure skips.
fn onboarding(e: &Engagement, today: NaiveDate) -> String {
    match e.onboarding_days() {
        Some(d) if e.pod_started.is_some_and(|p| p <= today) => match d {
            1 => "1 day".to_owned(),
            d if d < 0 => "pod started before the SOW: not counted".to_owned(),
            d => format!("{d} days"),
        },
        _ => "—".to_owned(),
    }
}

fn boards(read: &Read, slug: &str, filter: &Filter) -> Vec<Board> {
    let loaded = &read.loaded;
    let records = loaded.records();
    let as_of = loaded.as_of;
    let today = as_of.date_naive();
    let mut boards = Vec::new();
    for cycle in &loaded.cycles {
        let rows: Vec<BoardRow> = loaded
            .rows
            .iter()
            .zip(&loaded.engagements)
            .filter(|(r, e)| {
                e.cycle == cycle.key
                    && e.phase_on(today) == EngagementPhase::Active
                    && filter.keeps(e, &r.vertical, r.producer.as_deref(), Some(cycle), today)
            })
            .map(|(_, e)| board_row(&records, e, slug, filter, as_of))
            .collect();
        if rows.is_empty() {
            continue;
        }
        boards.push(Board {
            cycle: cycle.name.clone(),
            columns: cycle
                .types()
                .iter()
                .filter(|t| filter.shows_type(t))
                .map(|t| BoardColumn {
                    heading: read.type_heading(t),
                    name: match read.type_name(t) {
                        n if n.is_empty() => n,
                        n => format!("{n} · "),
                    },
                    sla: t.sla.short(),
                })
                .collect(),
            rows,
        });
    }
    boards
}

fn board_row(
    records: &Records<'_>,
    e: &Engagement,
    slug: &str,
    filter: &Filter,
    as_of: Instant,
) -> BoardRow {
    let href = format!("/{slug}/engagements/{}", e.key);
    let carry = filter
        .as_of
        .map(|d| format!("&as_of={d}"))
        .unwrap_or_default();
    let ratio = compliance(records, &Selection::engagement(&e.key), as_of);
    let replay = filter
        .as_of
        .map(|d| format!("?as_of={d}"))
        .unwrap_or_default();
    BoardRow {
        compliance: Links {
            base: format!("/{slug}/engagements"),
            as_of: carry,
        }
        .ratio(ratio, &format!("engagement={}", e.key), None, "compliance"),
        cells: records
            .board_row(e, as_of)
            .into_iter()
            .filter(|(t, _)| filter.shows_type(t))
            .map(|(t, s)| BoardCell {
                href: format!("{href}{replay}#handoff-{}", t.key),
                css: standing_css(s.as_ref()),
                words: standing_words(s.as_ref()),
                checklist: s
                    .as_ref()
                    .filter(|s| {
                        !s.ticked.is_empty()
                            && matches!(s.phase, Phase::Preparing | Phase::SentBack)
                    })
                    .map(|s| {
                        let (done, all) = s.checklist_progress();
                        format!("{done} of {all} ticked")
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        href: format!("{href}{replay}"),
        name: e.name.clone(),
        client: e.client.clone(),
    }
}

fn percent(r: &Ratio) -> String {
    r.percent.map_or_else(|| "—".to_owned(), percent_words)
}

/// The board's figures, for the organization as of the page's instant:
/// per handoff type and department pair, compliance in each quarter of the
/// fiscal year and to date, and the first-pass rate of the as-of day's
/// quarter (the one a report headlines); onboarding time; first pass.
fn figures(read: &Read, tenancy: &Tenancy, day_asked: Option<NaiveDate>) -> Figures {
    let loaded = &read.loaded;
    let records = loaded.records();
    let as_of = loaded.as_of;
    let year = FiscalYear::new(tenancy.tenant.fiscal_year_start);
    let quarter = year.headline_quarter(as_of.date_naive());
    let links = Links {
        base: format!("/{}/engagements", tenancy.tenant.slug),
        as_of: day_asked.map(|d| format!("&as_of={d}")).unwrap_or_default(),
    };
    let row = |heading: String, sel: Selection, what: &str| {
        let mut cells: Vec<Figure> = Quarter::ALL
            .into_iter()
            .map(|q| {
                let r = compliance(&records, &sel.clone().due_in(year, q), as_of);
                Figure {
                    current: q == quarter,
                    ..links.ratio(r, what, Some(q), "compliance")
                }
            })
            .collect();
        cells.push(links.ratio(compliance(&records, &sel, as_of), what, None, "compliance"));
        let first = first_pass_rate(&records, &sel.clone().due_in(year, quarter), as_of);
        cells.push(links.ratio(first, what, Some(quarter), "first-pass"));
        FigureRow { heading, cells }
    };
    let mut by_type = Vec::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for t in loaded.cycles.iter().flat_map(Cycle::types) {
        let what = format!("type={}", t.key);
        by_type.push(row(
            read.type_heading(t),
            Selection::handoff_type(&t.key),
            &what,
        ));
        if !pairs.contains(&(t.from.clone(), t.to.clone())) {
            pairs.push((t.from.clone(), t.to.clone()));
        }
    }
    let by_pair = pairs
        .into_iter()
        .map(|(from, to)| {
            let heading = format!("{} → {}", read.department(&from), read.department(&to));
            let what = format!("from={from}&to={to}");
            row(heading, Selection::departments(from, to), &what)
        })
        .collect();
    let onboarding = |period| {
        let a = onboarding_days(&records, period, as_of);
        Figure {
            value: a.value.map_or_else(
                || "—".to_owned(),
                |v| format!("{v:.1} days").replace(".0 days", " days"),
            ),
            counts: String::new(),
            current: false,
            sentence: a.sentence,
            href: match day_asked {
                Some(d) => format!("{}?as_of={d}", links.base),
                None => links.base.clone(),
            },
        }
    };
    let first_all = first_pass_rate(&records, &Selection::all().due_in(year, quarter), as_of);
    let mut columns: Vec<(String, bool)> = Quarter::ALL
        .into_iter()
        .map(|q| (format!("Compliance {q}"), q == quarter))
        .collect();
    columns.push(("Compliance to date".to_owned(), false));
    columns.push((format!("First pass {quarter}"), false));
    Figures {
        quarter: quarter.to_string(),
        columns,
        tables: [
            FigureTable {
                caption: "By handoff type",
                first: "Handoff type",
                rows: by_type,
            },
            FigureTable {
                caption: "By department pair",
                first: "From → to",
                rows: by_pair,
            },
        ],
        onboarding_quarter: onboarding(Some(Period::new(year, quarter))),
        onboarding_to_date: onboarding(None),
        first_pass_quarter: links.ratio(first_all, "", Some(quarter), "first-pass"),
    }
}

/// Where the figures link: the handoff list with the figure's selection.
struct Links {
    base: String,
    /// "&as_of=…" when the page has one.
    as_of: String,
}

impl Links {
    fn ratio(&self, r: Ratio, what: &str, quarter: Option<Quarter>, figure: &str) -> Figure {
        let mut query = vec![];
        if !what.is_empty() {
            query.push(what.to_owned());
        }
        if let Some(q) = quarter {
            query.push(format!("quarter={}", q.number()));
        }
        query.push(format!("figure={figure}"));
        let counted = if r.counted.is_empty() {
            "none counted".to_owned()
        } else {
            format!("{} of {}", r.met.len(), r.counted.len())
        };
        let counts = match r.pending.len() {
            0 => counted,
            n => format!("{counted} · {n} pending"),
        };
        Figure {
            value: percent(&r),
            href: format!("{}/handoffs?{}{}", self.base, query.join("&"), self.as_of),
            counts,
            current: false,
            sentence: r.sentence,
        }
    }
}
