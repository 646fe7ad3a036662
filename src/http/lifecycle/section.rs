//! The lifecycle section of the WhyGO page: its state, what whoever is
//! looking may do with it (edit, submit, approve, return, sign off), the
//! sign-offs of the current version, an amendment's changes and its pace
//! against both the signed and the amended targets, and the history of
//! transitions (who, when, from -> to, comment).
//!
//! One statement ([`crate::db::lifecycle::lifecycle`]) besides what the page
//! already loads.

use chrono::NaiveDate;

use super::when;
use crate::db::lifecycle::{self as store, EventRow};
use crate::domain::lifecycle::{
    Change, SignOff, SignState, Snapshot, diff, required_signers, signed_outcomes, target_notes,
};
use crate::domain::pacing::{Status as Pacing, evaluate};
use crate::domain::permissions::Action;
use crate::domain::plan::{Approval, Level, Plan, WhyGo};
use crate::domain::report::Report;
use crate::domain::rollup::rollup_outcomes;
use crate::http::view::{Chip, Pace};
use crate::http::{AppError, AppState, Tenancy};

pub struct HistoryRow {
    pub when: String,
    pub who: String,
    pub what: String,
    pub from_to: String,
    pub comment: String,
}

pub struct SignerRow {
    pub name: String,
    pub state: String,
    pub signed: bool,
    /// The viewer is this signer.
    pub me: bool,
}

pub struct AmendRow {
    pub outcome: String,
    /// First row of its outcome (the name is shown once).
    pub first: bool,
    pub quarter: String,
    pub signed_target: String,
    pub amended_target: String,
    pub differs: bool,
    pub amended: Chip,
    pub signed: Option<Chip>,
    pub judged: bool,
    pub headline: bool,
}

pub struct Amendment {
    pub signed_version: i32,
    /// The version in force was approved with the plan, not signed in whygo.
    pub by_plan: bool,
    /// How the version in force is called: "signed", or "approved".
    pub word: &'static str,
    pub current: i32,
    pub changes: Vec<Change>,
    /// The signed version's text was not kept (changed outside the app).
    pub snapshot_missing: bool,
    pub pace_amended: Pace,
    pub pace_signed: Option<Pace>,
    pub rows: Vec<AmendRow>,
}

/// What the WhyGO page shows in its lifecycle section.
pub struct Section {
    pub slug: String,
    pub key: String,
    pub version: i32,
    pub status: String,
    pub status_css: &'static str,
    pub notice: Option<String>,
    pub state_line: String,
    /// The manager's comment of the latest return, while changes are requested.
    pub returned: Option<(String, String)>,
    pub can_edit: bool,
    pub edit_blocked: Option<String>,
    pub can_submit: bool,
    pub can_decide: bool,
    pub can_sign: bool,
    pub signers: Vec<SignerRow>,
    /// Why nobody's sign-off is listed: the current version is in force as
    /// the workbook approved it.
    pub plan_note: Option<String>,
    /// What waits for the viewer: "Waiting for your sign-off of version 2".
    pub for_you: Option<String>,
    pub amendment: Option<Amendment>,
    pub history: Vec<HistoryRow>,
    pub notes: Vec<String>,
}

fn notice(done: Option<&str>, version: i32) -> Option<String> {
    Some(match done? {
        "created" => {
            "Saved as a draft. Submit it when it is ready: your manager approves it.".to_owned()
        }
        "saved" => format!("Saved as version {version}."),
        "amended" => format!(
            "Amendment saved as version {version}: it needs every sign-off again. The signed version stays on record and is shown below."
        ),
        "unchanged" => "Nothing to save: nothing changed.".to_owned(),
        "submitted" => "Submitted: your manager sees it in their approvals.".to_owned(),
        "approved" => "Approved: it is in force and counts in its owner's pace.".to_owned(),
        "returned" => "Returned to its owner with your comment.".to_owned(),
        "signed" => format!("Signed off version {version}."),
        "already-signed" => format!("You had already signed version {version}."),
        _ => return None,
    })
}

fn what(e: &EventRow) -> String {
    match e.kind.as_str() {
        "created" => format!("Created as a draft (version {})", e.version),
        "edited" => format!("Edited: version {}", e.version),
        "amended" => format!(
            "Amended: version {} (needs every sign-off again)",
            e.version
        ),
        "submitted" => "Submitted for approval".to_owned(),
        "approved" => "Approved".to_owned(),
        "returned" => "Returned for changes".to_owned(),
        "signed" => format!("Signed off version {}", e.version),
        other => other.to_owned(),
    }
}

fn label(status: &str) -> String {
    Approval::parse(status).map_or_else(|| status.replace('_', " "), |s| s.label().to_owned())
}

/// "A", "A and B", "A, B and C".
fn list(names: impl Iterator<Item = String>) -> String {
    joined(names, "and")
}

/// "A", "A or B", "A, B or C".
fn or_list(names: impl Iterator<Item = String>) -> String {
    joined(names, "or")
}

fn joined(names: impl Iterator<Item = String>, last: &str) -> String {
    let names: Vec<String> = names.collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., end] => format!("{} {last} {end}", rest.join(", ")),
    }
}

fn heading(w: &WhyGo) -> String {
    match w.number {
        Some(n) => format!("#{n} {}", w.title),
        None => w.title.clone(),
    }
}

/// The lifecycle section of `w`: one statement, then [`Section::build`].
#[allow(clippy::too_many_arguments)]
pub async fn section(
    state: &AppState,
    tenancy: &Tenancy,
    plan: &Plan,
    report: &Report,
    w: &WhyGo,
    as_of: NaiveDate,
    done: Option<&str>,
) -> Result<Section, AppError> {
    let data = store::lifecycle(&state.pool, tenancy.tenant.id, &w.key)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Section::build(tenancy, plan, report, w, as_of, done, &data))
}

impl Section {
    /// What `tenancy` sees of `w`'s lifecycle (`data`) and may do with it.
    fn build(
        tenancy: &Tenancy,
        plan: &Plan,
        report: &Report,
        w: &WhyGo,
        as_of: NaiveDate,
        done: Option<&str>,
        data: &store::Lifecycle,
    ) -> Self {
        let org = plan.org();
        let me = tenancy.person.as_ref().map(|p| p.key.as_str());
        let mut s = Section::new(plan, w, data, done);
        match (w.level, w.person.as_deref()) {
            (Level::Individual, Some(owner)) => {
                approval(&mut s, tenancy, &org, plan, data, owner, me);
            }
            _ => {
                s.can_edit = match (w.level, w.department.as_deref()) {
                    (Level::Company, _) => tenancy.can(Action::EditCompanyWhyGo, &org),
                    (Level::Department, Some(department)) => {
                        tenancy.can(Action::EditDepartmentWhyGo { department }, &org)
                    }
                    _ => false,
                };
                sign_off(&mut s, tenancy, &org, plan, report, w, data, as_of, me);
            }
        }
        if s.can_edit {
            s.notes = w
                .outcomes
                .iter()
                .flat_map(|o| {
                    target_notes(&o.targets)
                        .into_iter()
                        .map(move |n| format!("“{}”: {n}", o.name))
                })
                .collect();
        }
        s
    }

    /// The state, notice and history, before what the viewer may do.
    fn new(plan: &Plan, w: &WhyGo, data: &store::Lifecycle, done: Option<&str>) -> Self {
        let status = data.status;
        Section {
            slug: plan.tenant.slug.clone(),
            key: w.key.clone(),
            version: data.version,
            status: status.label().to_owned(),
            status_css: match status {
                Approval::Approved => "approved",
                Approval::Submitted => "submitted",
                Approval::ChangesRequested => "changes",
                Approval::Draft => "draft",
                Approval::Archived => "none",
            },
            notice: notice(done, data.version),
            state_line: String::new(),
            returned: None,
            can_edit: false,
            edit_blocked: None,
            can_submit: false,
            can_decide: false,
            can_sign: false,
            signers: Vec::new(),
            plan_note: None,
            for_you: None,
            amendment: None,
            history: data
                .events
                .0
                .iter()
                .rev()
                .map(|e| HistoryRow {
                    when: when(e.at),
                    who: e.actor.clone(),
                    what: what(e),
                    from_to: if e.from == e.to {
                        label(&e.to)
                    } else if e.from.is_empty() {
                        format!("→ {}", label(&e.to))
                    } else {
                        format!("{} → {}", label(&e.from), label(&e.to))
                    },
                    comment: e.comment.clone(),
                })
                .collect(),
            notes: Vec::new(),
        }
    }
}

/// The approval part of an individual WhyGO owned by `owner`: who may edit,
/// submit or decide, the state in words, and the comment of a return.
fn approval(
    s: &mut Section,
    tenancy: &Tenancy,
    org: &crate::domain::permissions::Org,
    plan: &Plan,
    data: &store::Lifecycle,
    owner: &str,
    me: Option<&str>,
) {
    let status = data.status;
    let owner_name = plan.person_name(owner).to_owned();
    let mine = me == Some(owner);
    s.can_edit = tenancy.can(
        Action::EditIndividualWhyGo {
            owner,
            editable: status.editable(),
        },
        org,
    );
    s.can_submit = mine && status.editable();
    s.can_decide =
        status == Approval::Submitted && tenancy.can(Action::ApproveIndividual { owner }, org);
    let manager = plan
        .person(owner)
        .and_then(|p| p.reports_to.as_deref())
        .map(|m| plan.person_name(m).to_owned());
    s.state_line = match status {
        Approval::Draft => format!(
            "Draft: {owner_name} is still writing it. It counts in no pace until a manager approves it."
        ),
        Approval::Submitted => format!(
            "Submitted: waiting for approval by {}.",
            manager.as_deref().unwrap_or("a manager up the chain")
        ),
        Approval::ChangesRequested => {
            format!("Returned for changes: {owner_name} revises it and submits it again.")
        }
        Approval::Approved => {
            format!("Approved: in force, and counts in {owner_name}'s pace.")
        }
        Approval::Archived => "Archived.".to_owned(),
    };
    if status == Approval::ChangesRequested {
        s.returned = data
            .events
            .0
            .iter()
            .rev()
            .find(|e| e.kind == "returned")
            .map(|e| (e.actor.clone(), e.comment.clone()));
    }
    if mine && !s.can_edit {
        s.edit_blocked = Some(match status {
            Approval::Submitted => {
                "It is submitted: it can be edited again if your manager returns it.".to_owned()
            }
            Approval::Approved => "It is approved and in force: no more edits.".to_owned(),
            _ => String::new(),
        })
        .filter(|m| !m.is_empty());
    }
}

/// The sign-off part: who must sign, who did, whether it is in force, and
/// an amendment's changes and paces.
#[allow(clippy::too_many_arguments)]
fn sign_off(
    s: &mut Section,
    tenancy: &Tenancy,
    org: &crate::domain::permissions::Org,
    plan: &Plan,
    report: &Report,
    w: &WhyGo,
    data: &store::Lifecycle,
    as_of: NaiveDate,
    me: Option<&str>,
) {
    let head = w
        .department
        .as_deref()
        .and_then(|d| plan.department(d))
        .and_then(|d| d.head.as_deref());
    let required = required_signers(w.level, head, &data.signers);
    let offs: Vec<SignOff> = data
        .signoffs
        .0
        .iter()
        .map(|x| SignOff {
            person: x.person.clone(),
            version: x.version,
        })
        .collect();
    let st = SignState::new(&required, &offs, data.plan_approved, data.version);
    s.can_sign = tenancy.can(
        Action::SignOffWhyGo {
            required: &required,
        },
        org,
    ) && me.is_some_and(|m| st.waits_for(m));
    let names = |keys: &[String]| list(keys.iter().map(|k| plan.person_name(k).to_owned()));
    // In force as the workbook approved it: nobody's sign-off is listed as
    // missing, and nobody's is made up.
    let by_plan_now = st.frozen() && st.by_plan;
    s.signers = required
        .iter()
        .filter_map(|k| {
            let mine: Vec<_> = data.signoffs.0.iter().filter(|x| &x.person == k).collect();
            let current = mine.iter().find(|x| x.version == data.version);
            let latest = mine.iter().max_by_key(|x| x.version);
            let yours = me == Some(k.as_str());
            let (state, signed) = match (current, latest) {
                (Some(x), _) => (
                    format!(
                        "signed version {} on {}",
                        x.version,
                        x.signed_on.format("%-d %b %Y")
                    ),
                    true,
                ),
                _ if by_plan_now => return None,
                (None, Some(x)) => (
                    format!(
                        "signed version {} on {}; not yet version {}",
                        x.version,
                        x.signed_on.format("%-d %b %Y"),
                        data.version
                    ),
                    false,
                ),
                (None, None) => (
                    format!("has not signed version {} yet", data.version),
                    false,
                ),
            };
            Some(SignerRow {
                name: plan.person_name(k).to_owned(),
                state,
                signed,
                me: yours,
            })
        })
        .collect();
    if by_plan_now {
        let unsigned: Vec<String> = required
            .iter()
            .filter(|k| {
                !data
                    .signoffs
                    .0
                    .iter()
                    .any(|x| &x.person == *k && x.version == data.version)
            })
            .cloned()
            .collect();
        s.plan_note = Some(format!(
            "Version {} was approved with the plan loaded from the workbook. No sign-off by {} is recorded in whygo, and none is needed while this version is in force.",
            data.version,
            or_list(unsigned.iter().map(|k| plan.person_name(k).to_owned()))
        ));
    }
    // What the signed version is, in words.
    let signed_words = |v: i32| {
        if st.by_plan {
            format!(
                "version {v}, in force since the plan was loaded (approved in the workbook; no sign-off recorded in whygo)"
            )
        } else {
            format!("the signed version {v}")
        }
    };
    s.state_line = if required.is_empty() {
        "This organization has no signers: nobody signs its WhyGOs off.".to_owned()
    } else if by_plan_now {
        format!(
            "Version {} is in force since the plan was loaded (approved in the workbook; no sign-off recorded in whygo). An edit now is an amendment that needs the sign-off of {}.",
            data.version,
            names(&required)
        )
    } else if st.frozen() {
        format!(
            "Signed off: version {} is in force. An edit now is an amendment that needs every sign-off again.",
            data.version
        )
    } else if let Some(signed) = st.signed.filter(|_| st.amendment_pending()) {
        format!(
            "Amendment pending: version {} changes {}, and waits for sign-off by {}. Until then version {signed} is what was agreed.",
            data.version,
            signed_words(signed),
            names(&st.waiting_for)
        )
    } else {
        format!(
            "Waiting for sign-off of version {} by {}.",
            data.version,
            names(&st.waiting_for)
        )
    };
    if let Some(m) = me.filter(|m| st.waits_for(m)) {
        let others: Vec<String> = st
            .waiting_for
            .iter()
            .filter(|k| k.as_str() != m)
            .cloned()
            .collect();
        // Who made this version (an edit in whygo), from the history.
        let made_by_me = data
            .events
            .0
            .iter()
            .rev()
            .find(|e| e.version == data.version && matches!(e.kind.as_str(), "edited" | "amended"))
            .is_some_and(|e| e.person.as_deref() == Some(m));
        let mut line = format!("Waiting for your sign-off of version {}.", data.version);
        if made_by_me {
            line.push_str(if st.amendment_pending() {
                " You made this amendment: your own edit still needs your signature."
            } else {
                " You made this version: your own edit still needs your signature."
            });
        }
        if others.is_empty() {
            line.push_str(" Yours is the last one it waits for.");
        } else {
            line.push_str(" It also waits for ");
            line.push_str(&names(&others));
            line.push('.');
        }
        s.for_you = Some(line);
    }

    let Some(signed) = st.signed.filter(|_| st.amendment_pending()) else {
        return;
    };
    let kept: Option<&Snapshot> = data
        .versions
        .0
        .iter()
        .find(|v| v.version == signed)
        .map(|v| &v.snapshot);
    let Some(wr) = report.whygos.iter().find(|x| x.key == w.key) else {
        return;
    };
    let pace_amended = Pace::new(wr.status, wr.credit, wr.counts);
    let Some(snapshot) = kept else {
        s.amendment = Some(Amendment {
            signed_version: signed,
            by_plan: st.by_plan,
            word: if st.by_plan { "approved" } else { "signed" },
            current: data.version,
            changes: Vec::new(),
            snapshot_missing: true,
            pace_amended,
            pace_signed: None,
            rows: Vec::new(),
        });
        return;
    };
    let name_of = |k: &str| {
        plan.whygo(k)
            .map_or_else(|| plan.person_name(k).to_owned(), heading)
    };
    let changes = diff(
        snapshot,
        &crate::domain::lifecycle::Snapshot::of(w),
        &name_of,
    );

    // Pace against the signed targets: the same actuals, the signed targets.
    let fy = plan.tenant.fiscal_year();
    let th = &plan.tenant.thresholds;
    let signed_outs = signed_outcomes(&w.outcomes, snapshot);
    let signed_evals: Vec<(String, crate::domain::pacing::OutcomeEval, f64)> = signed_outs
        .iter()
        .map(|o| {
            (
                o.key.clone(),
                evaluate(&o.spec(), &o.entries(), &fy, as_of, &plan.tenant.rules()),
                o.weight,
            )
        })
        .collect();
    let r = rollup_outcomes(
        signed_evals
            .iter()
            .map(|(_, e, wt)| (e.quarter(report.quarter), *wt)),
        th,
    );
    let pace_signed = Some(Pace::new(r.status, r.credit, r.counts));

    let mut rows = Vec::new();
    let mut keys: Vec<(String, String)> = wr
        .outcomes
        .iter()
        .map(|o| (o.key.clone(), o.name.clone()))
        .collect();
    for o in &snapshot.outcomes {
        if !keys.iter().any(|(k, _)| *k == o.key) {
            keys.push((o.key.clone(), o.name.clone()));
        }
    }
    for (key, name) in keys {
        let amended = wr.outcomes.iter().find(|o| o.key == key);
        let signed_o = snapshot.outcome(&key);
        let signed_e = signed_evals.iter().find(|(k, _, _)| *k == key);
        for (i, q) in ["Q1", "Q2", "Q3", "Q4"].iter().enumerate() {
            let aq = amended.and_then(|o| o.quarters.get(i));
            let sq = signed_e.map(|(_, e, _)| &e.quarters[i]);
            let signed_target = signed_o
                .and_then(|o| o.targets.get(i).cloned())
                .unwrap_or_else(|| "(not in the signed version)".to_owned());
            let amended_target = aq.map_or_else(|| "(removed)".to_owned(), |x| x.target.clone());
            rows.push(AmendRow {
                outcome: name.clone(),
                first: i == 0,
                quarter: (*q).to_owned(),
                differs: signed_o.is_none() || amended.is_none() || signed_target != amended_target,
                signed_target,
                amended_target,
                amended: aq.map_or(Pacing::NotScored, |x| x.status).into(),
                signed: sq.map(|x| x.status.into()),
                judged: aq.or(sq).is_some_and(|x| x.judged),
                headline: i == report.quarter.index(),
            });
        }
    }
    s.amendment = Some(Amendment {
        signed_version: signed,
        by_plan: st.by_plan,
        word: if st.by_plan { "approved" } else { "signed" },
        current: data.version,
        changes,
        snapshot_missing: false,
        pace_amended,
        pace_signed,
        rows,
    });
}
