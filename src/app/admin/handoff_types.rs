//! Handoff types of the organization's cycles (issue 11): adding one,
//! editing its departments, trigger, opener, checklist and SLA, removing one
//! no handoff uses. A type is checked on its own ([`check`]) and then with
//! the rest of its cycle (numbers and keys once each) through the domain's
//! [`Cycle::new`], so the editor cannot store a cycle the board cannot read.
//!
//! A handoff keeps the checklist its type had when it opened, so editing a
//! checklist changes the handoffs opened afterwards, never the ticks of one
//! already running.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::{audit_json, require};
use crate::app::{Actor, FieldErrors, Refused};
use crate::db::handoff_types::{self as store, HandoffTypeRow, TypeFields};
use crate::db::{self, audit};
use crate::domain::keys::{Key, check_len, check_text};
use crate::domain::operations::{Cycle, HandoffType, KeyDate, Opener, Sla};
use crate::domain::permissions::Action;

const ACTION: Action<'static> = Action::ManageHandoffTypes;

/// The most checklist items a type may have.
pub const MAX_ITEMS: usize = 30;

/// The opener choices a form offers: (stored word, what people read). The
/// empty word means "as the SLA's words say" (the workbook's rule).
pub const OPENERS: [(&str, &str); 7] = [
    ("", "As the SLA says (e.g. \"of signature\" → SOW signed)"),
    ("sow_signed", "When the SOW is signed"),
    ("pod_started", "When the pod starts"),
    ("delivered", "When the engagement is delivered"),
    ("closed", "When the engagement closes"),
    ("previous", "When the previous handoff is accepted"),
    ("manual", "Opened by hand"),
];

/// A handoff type as typed in the form. `checklist` is one item a line.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct HandoffTypeInput {
    pub key: String,
    pub cycle: String,
    pub number: String,
    pub name: String,
    pub from: String,
    pub to: String,
    pub trigger: String,
    pub opener: String,
    pub sla: String,
    pub sla_hours: String,
    pub checklist: String,
}

impl HandoffTypeInput {
    /// The form of a stored type.
    pub fn of(r: &HandoffTypeRow) -> HandoffTypeInput {
        HandoffTypeInput {
            key: r.key.clone(),
            cycle: r.cycle_key.clone(),
            number: r.number.to_string(),
            name: r.name.clone(),
            from: r.from_department.clone(),
            to: r.to_department.clone(),
            trigger: r.trigger.clone(),
            opener: r.opener.clone().unwrap_or_default(),
            sla: r.sla.clone(),
            sla_hours: r.sla_hours.map(|h| h.to_string()).unwrap_or_default(),
            checklist: r.checklist.join("\n"),
        }
    }

    fn trimmed(self) -> HandoffTypeInput {
        HandoffTypeInput {
            key: self.key.trim().to_owned(),
            cycle: self.cycle.trim().to_owned(),
            number: self.number.trim().trim_start_matches('#').to_owned(),
            name: self.name.trim().to_owned(),
            from: self.from.trim().to_owned(),
            to: self.to.trim().to_owned(),
            trigger: self.trigger.trim().to_owned(),
            opener: self.opener.trim().to_owned(),
            sla: self.sla.trim().to_owned(),
            sla_hours: self.sla_hours.trim().to_owned(),
            // Windows line ends and blank lines are not items.
            checklist: self
                .checklist
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// A form that passed [`check`]: the values to store and the domain's type.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub number: i32,
    pub opener: Option<String>,
    pub sla_hours: Option<i32>,
    pub checklist: Vec<String>,
    pub handoff_type: HandoffType,
}

/// Checks one type on its own: every field, the SLA read in one of its three
/// shapes, and the departments among `departments` (keys). Messages by field.
pub fn check(
    input: &HandoffTypeInput,
    creating: bool,
    departments: &[String],
) -> Result<Checked, FieldErrors> {
    let mut errors = FieldErrors::default();
    if creating {
        errors.check("key", Key::parse(&input.key).map(|_| ()));
    }
    errors.check("cycle", Key::parse(&input.cycle).map(|_| ()));
    let number = match input.number.parse::<i32>() {
        Ok(n) if (1..=99).contains(&n) => n,
        _ => {
            errors.add("number", "Enter the type's place in its cycle: 1 to 99.");
            0
        }
    };
    errors.check("name", check_text(&input.name, 200, "a name"));
    for (field, key) in [("from", &input.from), ("to", &input.to)] {
        if !departments.contains(key) {
            errors.add(field, "Choose a department from the list.");
        }
    }
    if errors.get("to").is_none() && !input.from.is_empty() && input.from == input.to {
        errors.add(
            "to",
            "A handoff goes to another department than it comes from.",
        );
    }
    errors.check("trigger", check_len(&input.trigger, 500));
    let opener = match OPENERS.iter().find(|(w, _)| *w == input.opener) {
        Some((w, _)) => Some(*w).filter(|w| !w.is_empty()).map(str::to_owned),
        None => {
            errors.add("opener", "Choose what opens it from the list.");
            None
        }
    };
    let sla_hours = if input.sla_hours.is_empty() {
        None
    } else {
        match input.sla_hours.parse::<i32>() {
            Ok(h) if (1..=100_000).contains(&h) => Some(h),
            _ => {
                errors.add(
                    "sla_hours",
                    "Enter a whole number of hours above zero, or nothing.",
                );
                None
            }
        }
    };
    errors.check("sla", check_len(&input.sla, 500));
    let sla = match Sla::from_workbook(&input.sla, sla_hours.map(i64::from)) {
        Ok(sla) => Some(sla),
        Err(e) if errors.get("sla").is_none() && errors.get("sla_hours").is_none() => {
            errors.add("sla", capitalised(&e.to_string()));
            None
        }
        Err(_) => None,
    };
    let checklist: Vec<String> = input.checklist.lines().map(str::to_owned).collect();
    if checklist.len() > MAX_ITEMS {
        errors.add(
            "checklist",
            format!(
                "Keep it to {MAX_ITEMS} items (this has {}).",
                checklist.len()
            ),
        );
    } else if let Some(e) = checklist
        .iter()
        .find_map(|i| check_text(i, 200, "an item").err())
    {
        errors.add("checklist", format!("Each item: {e}"));
    }
    let Some(sla) = sla.filter(|_| errors.is_empty()) else {
        return Err(errors);
    };
    let stored_opener = opener.as_deref();
    let handoff_type = HandoffType {
        key: input.key.clone(),
        number: number.unsigned_abs(),
        name: input.name.clone(),
        from: input.from.clone(),
        to: input.to.clone(),
        trigger: input.trigger.clone(),
        // Settled against the cycle in `fit`, where "first in cycle" is known.
        opener: opener_of(stored_opener).unwrap_or(Opener::Manual),
        checklist: checklist.clone(),
        sla,
        sla_words: input.sla.clone(),
    };
    Ok(Checked {
        number,
        opener,
        sla_hours,
        checklist,
        handoff_type,
    })
}

fn opener_of(stored: Option<&str>) -> Option<Opener> {
    match stored? {
        "previous" => Some(Opener::PreviousAccepted),
        "manual" => Some(Opener::Manual),
        k => KeyDate::parse(k).map(Opener::On),
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// Checks the type with the rest of its cycle as stored (`others`: the
/// cycle's other types), the domain's rules for a whole cycle.
fn fit(checked: &Checked, cycle: &str, others: Vec<HandoffType>, errors: &mut FieldErrors) {
    let mut types = others;
    types.push(checked.handoff_type.clone());
    if let Err(e) = Cycle::new(cycle, cycle, types) {
        let field = match e {
            crate::domain::operations::CycleError::DuplicateNumber(_) => "number",
            crate::domain::operations::CycleError::DuplicateKey(_) => "key",
            _ => "cycle",
        };
        errors.add(
            field,
            format!(
                "{}: choose another.",
                capitalised(&e.to_string()).trim_end_matches('.')
            ),
        );
    }
}

/// What saving the form did.
#[derive(Debug)]
pub enum Saved {
    /// Added, under this key.
    Created(String),
    Updated,
    Unchanged,
    /// Removed.
    Deleted,
    /// Nothing written: the form again with its messages and what was typed.
    Invalid {
        existing: Option<Box<HandoffTypeRow>>,
        input: Box<HandoffTypeInput>,
        errors: FieldErrors,
    },
}

/// The audit's picture of a type: what the form edits.
#[derive(Serialize, PartialEq)]
struct Snap<'a> {
    cycle: &'a str,
    number: &'a str,
    name: &'a str,
    from: &'a str,
    to: &'a str,
    trigger: &'a str,
    opener: &'a str,
    sla: &'a str,
    sla_hours: &'a str,
    checklist: Vec<&'a str>,
}

fn snap(i: &HandoffTypeInput) -> Snap<'_> {
    Snap {
        cycle: &i.cycle,
        number: &i.number,
        name: &i.name,
        from: &i.from,
        to: &i.to,
        trigger: &i.trigger,
        opener: &i.opener,
        sla: &i.sla,
        sla_hours: &i.sla_hours,
        checklist: i.checklist.lines().collect(),
    }
}

/// Adds a handoff type (`existing` None) or saves one (`existing` its key).
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, key = existing.unwrap_or(input.key.trim())))]
pub async fn save(
    pool: &PgPool,
    actor: &Actor,
    existing: Option<&str>,
    input: HandoffTypeInput,
) -> Result<Saved, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock(&mut tx, tenant).await?;
    let current = match existing {
        Some(key) => Some(
            store::row(&mut tx, tenant, key)
                .await?
                .ok_or(Refused::NotFound)?,
        ),
        None => None,
    };
    let mut input = input.trimmed();
    if let Some(c) = &current {
        input.key = c.key.clone();
    }
    let departments: Vec<String> = db::admin::department_choices(&mut tx, tenant)
        .await?
        .into_iter()
        .map(|c| c.key)
        .collect();
    let invalid = |input, errors| Saved::Invalid {
        existing: current.clone().map(Box::new),
        input: Box::new(input),
        errors,
    };
    let checked = match check(&input, current.is_none(), &departments) {
        Ok(c) => c,
        Err(errors) => return Ok(invalid(input, errors)),
    };
    let others: Vec<HandoffType> = db::operations::cycles(&mut tx, tenant)
        .await?
        .into_iter()
        .filter(|c| c.key == input.cycle)
        .flat_map(|c| c.types().to_vec())
        .filter(|t| t.key != input.key)
        .collect();
    let mut errors = FieldErrors::default();
    fit(&checked, &input.cycle, others, &mut errors);
    if !errors.is_empty() {
        return Ok(invalid(input, errors));
    }
    let before = current.as_ref().map(HandoffTypeInput::of);
    if before.as_ref() == Some(&input) {
        return Ok(Saved::Unchanged);
    }
    let (Some(from), Some(to)) = (
        db::admin::department_id(&mut tx, tenant, &input.from).await?,
        db::admin::department_id(&mut tx, tenant, &input.to).await?,
    ) else {
        // Checked against the list above, in this transaction.
        return Err(Refused::NotFound);
    };
    let fields = TypeFields {
        cycle_key: &input.cycle,
        number: checked.number,
        name: &input.name,
        from,
        to,
        trigger: &input.trigger,
        opener: checked.opener.as_deref(),
        sla: &input.sla,
        sla_hours: checked.sla_hours,
        checklist: &checked.checklist,
    };
    let outcome = match &current {
        Some(c) => {
            store::update(&mut tx, tenant, c.id, &fields).await?;
            Saved::Updated
        }
        None => {
            if !store::insert(&mut tx, tenant, &input.key, &fields).await? {
                let mut errors = FieldErrors::default();
                errors.add(
                    "key",
                    format!(
                        "The key “{}” is taken by another handoff type: choose another.",
                        input.key
                    ),
                );
                return Ok(invalid(input, errors));
            }
            Saved::Created(input.key.clone())
        }
    };
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        if current.is_some() {
            "update"
        } else {
            "create"
        },
        "handoff_type",
        &input.key,
        before.as_ref().map(|b| audit_json(&snap(b))).transpose()?,
        Some(audit_json(&snap(&input))?),
    )
    .await?;
    tx.commit().await?;
    tracing::info!("handoff type saved");
    Ok(outcome)
}

/// Removes a type no handoff uses; one in use comes back with a message.
#[tracing::instrument(skip_all, fields(tenant = %actor.tenant.slug, actor = %actor.email, %key))]
pub async fn delete(pool: &PgPool, actor: &Actor, key: &str) -> Result<Saved, Refused> {
    require(actor, ACTION)?;
    let tenant = actor.tenant.id;
    let mut tx = db::begin_tenant(pool, tenant).await?;
    store::lock(&mut tx, tenant).await?;
    let row = store::row(&mut tx, tenant, key)
        .await?
        .ok_or(Refused::NotFound)?;
    if !store::delete_unused(&mut tx, tenant, row.id).await? {
        let mut errors = FieldErrors::default();
        errors.add(
            "delete",
            "Engagements have handoffs of this type, so it stays: their history needs it. \
             Change it instead, or move it to a cycle of its own.",
        );
        return Ok(Saved::Invalid {
            input: Box::new(HandoffTypeInput::of(&row)),
            existing: Some(Box::new(row)),
            errors,
        });
    }
    let before = HandoffTypeInput::of(&row);
    audit::record(
        &mut *tx,
        tenant,
        actor.who(),
        "delete",
        "handoff_type",
        key,
        Some(audit_json(&snap(&before))?),
        None,
    )
    .await?;
    tx.commit().await?;
    tracing::info!("handoff type removed");
    Ok(Saved::Deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departments() -> Vec<String> {
        vec!["sales".into(), "production".into()]
    }

    fn form() -> HandoffTypeInput {
        HandoffTypeInput {
            key: "sales-to-production".into(),
            cycle: "client".into(),
            number: "1".into(),
            name: "Sales → Production".into(),
            from: "sales".into(),
            to: "production".into(),
            trigger: "SOW signed".into(),
            opener: String::new(),
            sla: "SOW package within 48 hrs of signature".into(),
            sla_hours: String::new(),
            checklist: "Milestones\n\n  Budget \r\n".into(),
        }
        .trimmed()
    }

    #[test]
    fn a_good_form_gives_the_domain_type_with_its_sla_and_checklist() {
        let c = check(&form(), true, &departments()).unwrap();
        assert_eq!(c.number, 1);
        assert_eq!(c.checklist, vec!["Milestones", "Budget"]);
        assert_eq!(c.handoff_type.sla, Sla::within_hours(48));
        assert_eq!(c.opener, None);
        let mut f = form();
        f.opener = "previous".into();
        f.sla = String::new();
        f.sla_hours = "24".into();
        let c = check(&f, true, &departments()).unwrap();
        assert_eq!(c.opener.as_deref(), Some("previous"));
        assert_eq!(c.handoff_type.sla, Sla::within_hours(24));
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let f = HandoffTypeInput {
            key: "Bad Key".into(),
            cycle: "".into(),
            number: "0".into(),
            name: " ".into(),
            from: "sales".into(),
            to: "sales".into(),
            trigger: "x".repeat(501),
            opener: "whenever".into(),
            sla: "soon".into(),
            sla_hours: "-3".into(),
            checklist: "a\n".repeat(31),
        }
        .trimmed();
        let e = check(&f, true, &departments()).unwrap_err();
        for field in [
            "key",
            "cycle",
            "number",
            "name",
            "to",
            "trigger",
            "opener",
            "sla_hours",
            "checklist",
        ] {
            assert!(e.has(field), "{field}");
        }
        // No department of that name.
        let mut f = form();
        f.from = "marketing".into();
        assert!(check(&f, true, &departments()).unwrap_err().has("from"));
    }

    #[test]
    fn sla_words_without_a_duration_are_refused_with_the_three_shapes() {
        let mut f = form();
        f.sla = "as fast as possible".into();
        let e = check(&f, true, &departments()).unwrap_err();
        let m = e.get("sla").unwrap();
        assert!(
            m.contains("within 48 hours") && m.contains("lead time"),
            "{m}"
        );
    }

    #[test]
    fn a_number_taken_in_the_cycle_is_refused_on_the_number() {
        let c = check(&form(), true, &departments()).unwrap();
        let mut other = c.handoff_type.clone();
        other.key = "another".into();
        let mut errors = FieldErrors::default();
        fit(&c, "client", vec![other], &mut errors);
        assert!(errors.get("number").unwrap().contains("#1"), "{errors:?}");
        let mut errors = FieldErrors::default();
        fit(&c, "client", Vec::new(), &mut errors);
        assert!(errors.is_empty());
    }
}
