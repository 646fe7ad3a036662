//! Who may do what, as one table. Every handler asks [`can`] before it acts;
//! the tests below walk the whole table for every role.
//!
//! Roles are per organization: admin, leader, member. "Manager" is not a role:
//! it follows from reports-to (anyone up a person's chain manages them), and
//! "department head" from the department's head.

use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Leader,
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Leader, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Leader => "leader",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Leader => "Leader",
            Role::Member => "Member",
        }
    }
}

/// The person acting: their role in the organization and, when their account
/// is linked to a person of the org chart, that person's key.
#[derive(Clone, Debug)]
pub struct Actor {
    pub role: Role,
    pub person: Option<String>,
}

/// The facts of the organization that permissions depend on.
#[derive(Clone, Debug, Default)]
pub struct Org {
    /// person key -> manager's person key
    pub reports_to: HashMap<String, String>,
    /// department key -> head's person key
    pub heads: HashMap<String, String>,
    /// The tenant setting: everyone may see individual WhyGOs.
    pub individuals_visible_to_all: bool,
    /// person key -> the key of the department they belong to (operations:
    /// who sends and who receives a handoff follows from it).
    pub member_of: HashMap<String, String>,
}

impl Org {
    /// Whether `manager` is anywhere up `person`'s reporting chain.
    pub fn manages(&self, manager: &str, person: &str) -> bool {
        let mut current = person;
        // The chain is bounded by the org's size; a cycle in bad data stops too.
        for _ in 0..=self.reports_to.len() {
            match self.reports_to.get(current) {
                Some(m) if m == manager => return true,
                Some(m) => current = m,
                None => return false,
            }
        }
        false
    }

    pub fn heads(&self, person: &str, department: &str) -> bool {
        self.heads.get(department).is_some_and(|h| h == person)
    }

    /// Whether `person` works in `department`: a member of it, or its head
    /// (a head may sit in another department of the org chart).
    pub fn works_in(&self, person: &str, department: &str) -> bool {
        self.member_of.get(person).is_some_and(|d| d == department)
            || self.heads(person, department)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action<'a> {
    ViewCompany,
    ViewDepartment,
    /// See an individual's WhyGOs (`owner` is the person key).
    ViewIndividual {
        owner: &'a str,
    },
    ManagePeople,
    ManageDepartments,
    /// Edit the handoff cycles: their types, checklists and SLAs.
    ManageHandoffTypes,
    ManageAccounts,
    ManageCycle,
    ManageSettings,
    ReadAuditLog,
    /// Download the whole organization as a workbook (people with their
    /// emails, every WhyGO and check-in note): what running it takes.
    ExportWorkbook,
    EditCompanyWhyGo,
    EditDepartmentWhyGo {
        department: &'a str,
    },
    /// Edit an individual WhyGO; only its owner, and only while a draft (or
    /// returned with changes requested).
    EditIndividualWhyGo {
        owner: &'a str,
        editable: bool,
    },
    /// Approve or return an individual's proposed WhyGOs: their managers.
    ApproveIndividual {
        owner: &'a str,
    },
    /// Enter an actual for an outcome owned by `owners`.
    EnterActual {
        owners: &'a [String],
    },
    /// Sign off a company or department WhyGO whose required signers are
    /// `required` (the tenant's signers, and a department's head): only they.
    SignOffWhyGo {
        required: &'a [String],
    },
    /// Create or edit an engagement of a cycle run by `departments` (the two
    /// ends of the cycle's first handoff: Sales and Production for the client
    /// cycle): the people of those departments, and leaders.
    ManageEngagements {
        departments: &'a [String],
    },
    /// The sender's moves on a handoff from department `from` (tick, untick,
    /// submit, resubmit, set the needed-by date): its people, leaders and
    /// admins.
    SendHandoff {
        from: &'a str,
    },
    /// The receiver's moves on a handoff to department `to` (accept, send
    /// back): its people, leaders and admins.
    ReceiveHandoff {
        to: &'a str,
    },
    /// Create or edit a dependency of department `from` on department `on`
    /// (state, owner, due, criteria): the heads of the two departments,
    /// leaders and admins.
    ManageDependency {
        from: &'a str,
        on: &'a str,
    },
    /// Add, edit, mark done or undo the deliverables of a WhyGO owned by
    /// `owner` in `department` (a department WhyGO's, or an individual's
    /// department): its owner, that department's head, leaders and admins.
    ManageDeliverables {
        owner: Option<&'a str>,
        department: Option<&'a str>,
    },
}

/// The one permission table.
pub fn can(actor: &Actor, action: Action<'_>, org: &Org) -> bool {
    let me = actor.person.as_deref();
    let is_admin = actor.role == Role::Admin;
    let is_leader = actor.role == Role::Leader;
    match action {
        Action::ViewCompany | Action::ViewDepartment => true,
        Action::ViewIndividual { owner } => {
            org.individuals_visible_to_all
                || is_admin
                || is_leader
                || me == Some(owner)
                || me.is_some_and(|m| org.manages(m, owner))
        }
        Action::ManagePeople
        | Action::ManageDepartments
        | Action::ManageHandoffTypes
        | Action::ManageAccounts
        | Action::ManageCycle
        | Action::ManageSettings
        | Action::ReadAuditLog
        | Action::ExportWorkbook => is_admin,
        Action::EditCompanyWhyGo => is_leader,
        Action::EditDepartmentWhyGo { department } => {
            is_leader || me.is_some_and(|m| org.heads(m, department))
        }
        Action::EditIndividualWhyGo { owner, editable } => editable && me == Some(owner),
        Action::ApproveIndividual { owner } => me.is_some_and(|m| org.manages(m, owner)),
        Action::EnterActual { owners } => me.is_some_and(|m| owners.iter().any(|o| o == m)),
        Action::SignOffWhyGo { required } => me.is_some_and(|m| required.iter().any(|r| r == m)),
        Action::ManageEngagements { departments } => {
            is_leader || me.is_some_and(|m| departments.iter().any(|d| org.works_in(m, d)))
        }
        Action::SendHandoff { from: department } | Action::ReceiveHandoff { to: department } => {
            is_leader || is_admin || me.is_some_and(|m| org.works_in(m, department))
        }
        Action::ManageDependency { from, on } => {
            is_leader || is_admin || me.is_some_and(|m| org.heads(m, from) || org.heads(m, on))
        }
        Action::ManageDeliverables { owner, department } => {
            is_leader
                || is_admin
                || me.is_some_and(|m| {
                    owner == Some(m) || department.is_some_and(|d| org.heads(m, d))
                })
        }
    }
}

/// Whether `viewer` may see every individual WhyGO of an organization
/// (leaders, admins, or everyone where the organization says so), whoever
/// owns it: what [`Action::ViewIndividual`] allows without looking at the
/// owner. Lets a page skip cutting a plan nobody is hidden from.
pub fn sees_every_individual(viewer: &Actor, individuals_visible_to_all: bool) -> bool {
    individuals_visible_to_all || matches!(viewer.role, Role::Admin | Role::Leader)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ceo <- head <- ic; head heads "ops"; "other" is outside the chain.
    fn org() -> Org {
        Org {
            reports_to: [("head", "ceo"), ("ic", "head"), ("other", "ceo")]
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
            heads: [("ops".to_owned(), "head".to_owned())]
                .into_iter()
                .collect(),
            individuals_visible_to_all: false,
            member_of: [
                ("ic", "ops"),
                ("other", "sales"),
                ("seller", "sales"),
                ("maker", "studio"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect(),
        }
    }

    fn actor(role: Role, person: Option<&str>) -> Actor {
        Actor {
            role,
            person: person.map(str::to_owned),
        }
    }

    #[test]
    fn who_sees_every_individual_whygo_is_who_may_view_each_one() {
        for visible in [false, true] {
            let o = Org {
                individuals_visible_to_all: visible,
                ..org()
            };
            for role in Role::ALL {
                for me in [None, Some("ceo"), Some("head"), Some("ic"), Some("other")] {
                    let viewer = actor(role, me);
                    let each = ["ceo", "head", "ic", "other"]
                        .iter()
                        .all(|owner| can(&viewer, Action::ViewIndividual { owner }, &o));
                    if sees_every_individual(&viewer, visible) {
                        assert!(each, "{role:?} {me:?} visible={visible}");
                    }
                    // A member who is not at the top of the chart is cut.
                    if role == Role::Member && !visible && me != Some("ceo") {
                        assert!(!sees_every_individual(&viewer, visible));
                        assert!(!each, "{me:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn only_admins_run_the_organization() {
        let admin_actions = [
            Action::ManagePeople,
            Action::ManageDepartments,
            Action::ManageHandoffTypes,
            Action::ManageAccounts,
            Action::ManageCycle,
            Action::ManageSettings,
            Action::ReadAuditLog,
            Action::ExportWorkbook,
        ];
        for role in Role::ALL {
            for person in [None, Some("ceo"), Some("head"), Some("ic")] {
                for a in admin_actions {
                    assert_eq!(
                        can(&actor(role, person), a, &org()),
                        role == Role::Admin,
                        "{role:?} {person:?} {a:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn everyone_sees_the_company_and_every_department() {
        for role in Role::ALL {
            assert!(can(&actor(role, None), Action::ViewCompany, &org()));
            assert!(can(
                &actor(role, Some("ic")),
                Action::ViewDepartment,
                &org()
            ));
        }
    }

    #[test]
    fn an_individuals_whygos_are_seen_by_them_their_managers_leaders_and_admins() {
        let view = Action::ViewIndividual { owner: "ic" };
        let o = org();
        assert!(
            can(&actor(Role::Member, Some("ic")), view, &o),
            "the person"
        );
        assert!(
            can(&actor(Role::Member, Some("head")), view, &o),
            "the manager"
        );
        assert!(
            can(&actor(Role::Member, Some("ceo")), view, &o),
            "up the chain"
        );
        assert!(
            can(&actor(Role::Leader, Some("other")), view, &o),
            "a leader"
        );
        assert!(can(&actor(Role::Admin, None), view, &o), "an admin");
        assert!(
            !can(&actor(Role::Member, Some("other")), view, &o),
            "a peer"
        );
        assert!(
            !can(&actor(Role::Member, None), view, &o),
            "an account with no person"
        );
        let open = Org {
            individuals_visible_to_all: true,
            ..org()
        };
        assert!(
            can(&actor(Role::Member, Some("other")), view, &open),
            "when the tenant says so"
        );
    }

    #[test]
    fn leaders_edit_company_whygos_and_heads_their_departments() {
        let o = org();
        assert!(can(
            &actor(Role::Leader, None),
            Action::EditCompanyWhyGo,
            &o
        ));
        for role in [Role::Admin, Role::Member] {
            assert!(
                !can(&actor(role, Some("head")), Action::EditCompanyWhyGo, &o),
                "{role:?}"
            );
        }
        let ops = Action::EditDepartmentWhyGo { department: "ops" };
        assert!(can(&actor(Role::Member, Some("head")), ops, &o), "the head");
        assert!(can(&actor(Role::Leader, Some("ceo")), ops, &o), "a leader");
        assert!(
            !can(&actor(Role::Member, Some("ic")), ops, &o),
            "a member of it"
        );
        assert!(
            !can(&actor(Role::Admin, Some("other")), ops, &o),
            "an admin is not a head"
        );
        assert!(!can(
            &actor(Role::Member, Some("head")),
            Action::EditDepartmentWhyGo {
                department: "sales"
            },
            &o
        ));
    }

    #[test]
    fn individuals_edit_only_their_own_drafts() {
        let o = org();
        let own_draft = Action::EditIndividualWhyGo {
            owner: "ic",
            editable: true,
        };
        let own_approved = Action::EditIndividualWhyGo {
            owner: "ic",
            editable: false,
        };
        assert!(can(&actor(Role::Member, Some("ic")), own_draft, &o));
        assert!(!can(&actor(Role::Member, Some("ic")), own_approved, &o));
        assert!(
            !can(&actor(Role::Member, Some("head")), own_draft, &o),
            "not the manager"
        );
        assert!(
            !can(&actor(Role::Admin, None), own_draft, &o),
            "not an admin"
        );
    }

    #[test]
    fn managers_up_the_chain_approve() {
        let o = org();
        let approve = Action::ApproveIndividual { owner: "ic" };
        assert!(can(&actor(Role::Member, Some("head")), approve, &o));
        assert!(can(&actor(Role::Member, Some("ceo")), approve, &o));
        assert!(
            !can(&actor(Role::Member, Some("ic")), approve, &o),
            "not oneself"
        );
        assert!(
            !can(&actor(Role::Leader, Some("other")), approve, &o),
            "not a peer, even a leader"
        );
    }

    #[test]
    fn outcome_owners_enter_actuals() {
        let o = org();
        let owners = vec!["head".to_owned(), "ic".to_owned()];
        let enter = Action::EnterActual { owners: &owners };
        assert!(can(&actor(Role::Member, Some("ic")), enter, &o));
        assert!(can(&actor(Role::Member, Some("head")), enter, &o));
        assert!(!can(&actor(Role::Admin, Some("ceo")), enter, &o));
    }

    #[test]
    fn only_the_required_signers_sign_off() {
        let o = org();
        let required = vec!["ceo".to_owned(), "head".to_owned()];
        let sign = Action::SignOffWhyGo {
            required: &required,
        };
        assert!(can(&actor(Role::Member, Some("head")), sign, &o));
        assert!(can(&actor(Role::Leader, Some("ceo")), sign, &o));
        assert!(
            !can(&actor(Role::Leader, Some("other")), sign, &o),
            "a leader who is not a signer"
        );
        assert!(!can(&actor(Role::Admin, None), sign, &o), "an admin");
        assert!(!can(
            &actor(Role::Member, Some("ceo")),
            Action::SignOffWhyGo { required: &[] },
            &o
        ));
    }

    /// Every role with every kind of person: none, a member of "ops", its
    /// head (not a member of it in this org chart), a member of "sales", of
    /// "studio", and someone in no department.
    fn everyone() -> Vec<Actor> {
        let people = [
            None,
            Some("ic"),
            Some("head"),
            Some("seller"),
            Some("maker"),
            Some("ceo"),
        ];
        Role::ALL
            .into_iter()
            .flat_map(|r| people.into_iter().map(move |p| actor(r, p)))
            .collect()
    }

    #[test]
    fn the_departments_running_a_cycle_and_leaders_manage_its_engagements() {
        let o = org();
        let runs = vec!["sales".to_owned(), "ops".to_owned()];
        let manage = Action::ManageEngagements { departments: &runs };
        for a in everyone() {
            let expected = a.role == Role::Leader
                || matches!(a.person.as_deref(), Some("ic" | "head" | "seller"));
            assert_eq!(can(&a, manage, &o), expected, "{a:?}");
        }
        // No department runs it: leaders only.
        let none = Action::ManageEngagements { departments: &[] };
        for a in everyone() {
            assert_eq!(can(&a, none, &o), a.role == Role::Leader, "{a:?}");
        }
    }

    #[test]
    fn a_handoff_is_sent_by_its_sending_department_and_received_by_the_other() {
        let o = org();
        let send = Action::SendHandoff { from: "sales" };
        let receive = Action::ReceiveHandoff { to: "ops" };
        for a in everyone() {
            let runs_it = matches!(a.role, Role::Leader | Role::Admin);
            let person = a.person.as_deref();
            assert_eq!(
                can(&a, send, &o),
                runs_it || person == Some("seller"),
                "send {a:?}"
            );
            assert_eq!(
                can(&a, receive, &o),
                runs_it || matches!(person, Some("ic" | "head")),
                "receive {a:?}"
            );
        }
        // Sending is not receiving: a member of the receiving department
        // cannot tick the sender's checklist, nor the sender accept.
        assert!(!can(
            &actor(Role::Member, Some("ic")),
            Action::SendHandoff { from: "sales" },
            &o
        ));
        assert!(!can(
            &actor(Role::Member, Some("seller")),
            Action::ReceiveHandoff { to: "ops" },
            &o
        ));
    }

    #[test]
    fn the_heads_of_both_departments_leaders_and_admins_manage_a_dependency() {
        let o = org();
        // "ops" (headed by "head") needs something from "sales" (no head).
        let manage = Action::ManageDependency {
            from: "ops",
            on: "sales",
        };
        let reverse = Action::ManageDependency {
            from: "sales",
            on: "ops",
        };
        let elsewhere = Action::ManageDependency {
            from: "sales",
            on: "studio",
        };
        for a in everyone() {
            let runs_it = matches!(a.role, Role::Leader | Role::Admin);
            let head = a.person.as_deref() == Some("head");
            assert_eq!(can(&a, manage, &o), runs_it || head, "{a:?}");
            assert_eq!(can(&a, reverse, &o), runs_it || head, "{a:?}");
            assert_eq!(can(&a, elsewhere, &o), runs_it, "{a:?}");
        }
    }

    #[test]
    fn a_whygos_owner_its_department_head_leaders_and_admins_manage_its_deliverables() {
        let o = org();
        let of_ic = Action::ManageDeliverables {
            owner: Some("ic"),
            department: Some("ops"),
        };
        let company = Action::ManageDeliverables {
            owner: Some("ceo"),
            department: None,
        };
        for a in everyone() {
            let runs_it = matches!(a.role, Role::Leader | Role::Admin);
            let person = a.person.as_deref();
            assert_eq!(
                can(&a, of_ic, &o),
                runs_it || matches!(person, Some("ic" | "head")),
                "{a:?}"
            );
            assert_eq!(
                can(&a, company, &o),
                runs_it || person == Some("ceo"),
                "{a:?}"
            );
        }
        let orphan = Action::ManageDeliverables {
            owner: None,
            department: None,
        };
        assert!(!can(&actor(Role::Member, Some("ic")), orphan, &o));
        assert!(!can(&actor(Role::Member, None), orphan, &o));
    }

    #[test]
    fn a_head_works_in_the_department_they_head() {
        let o = org();
        assert!(o.works_in("head", "ops"));
        assert!(o.works_in("ic", "ops"));
        assert!(!o.works_in("ic", "sales"));
        assert!(!o.works_in("nobody", "ops"));
    }

    #[test]
    fn a_reporting_cycle_in_bad_data_does_not_hang() {
        let mut o = org();
        o.reports_to.insert("ceo".to_owned(), "ic".to_owned());
        assert!(o.manages("head", "ic"));
        assert!(!o.manages("nobody", "ic"));
    }
}
