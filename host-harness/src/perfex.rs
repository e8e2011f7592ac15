//! The simulated Perfex-style CRM: staff members, client companies with contacts, and
//! the administrator's call-request settings, loaded from a TOML world file.

use crate::InputError;
use crate::bindings::config::{CallRequestConfig, StaffRule};
use crate::bindings::crm::{Client, StaffMember};
use crate::bindings::directory::ContextInfo;
use crate::bindings::types::{Context, DisplayMode, Licence, User, UserKind};
use crate::platform::Platform;
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

pub const EXAMPLE_WORLD: &str = include_str!("../../examples/perfex-world.toml");
/// The longest a call request may wait for a staff member: a week.
pub const MAX_EXPIRY_SECS: u32 = 7 * 24 * 3600;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub departments: Vec<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub id: String,
    pub company: String,
    #[serde(default)]
    pub assigned_staff: Vec<String>,
    pub contacts: Vec<ContactSpec>,
}

/// Who is notified of a new call request: one rule of the administrator's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyRule {
    AllStaff,
    AssignedStaff,
    Departments(Vec<String>),
    Roles(Vec<String>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Display {
    NewTab,
    Iframe,
}

/// The administrator's call-request settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub notify: Vec<NotifyRule>,
    pub display: Display,
    pub expiry_secs: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerfexWorld {
    pub staff: Vec<StaffSpec>,
    pub clients: Vec<ClientSpec>,
    pub settings: Settings,
}

impl PerfexWorld {
    pub fn parse(text: &str) -> Result<Self> {
        let world: PerfexWorld = crate::platform::parse_toml(text, "a CRM world")?;
        let mut ids = std::collections::HashSet::new();
        let people = world
            .staff
            .iter()
            .map(|s| &s.id)
            .chain(world.clients.iter().flat_map(|c| c.contacts.iter().map(|p| &p.id)));
        for id in people {
            if !ids.insert(id.clone()) {
                bail!(InputError::Invalid(format!("the id {id} is used twice")));
            }
        }
        // A client defined twice would leave the second out of reach, in silence.
        let mut clients = std::collections::HashSet::new();
        if let Some(c) = world.clients.iter().find(|c| !clients.insert(&c.id)) {
            bail!(InputError::Invalid(format!("client {} is defined twice", c.id)));
        }
        for s in &world.staff {
            crate::names::check_person("staff member", &s.id, &s.name, &s.email)?;
        }
        for c in &world.clients {
            crate::names::check_id("client", &c.id)?;
            crate::names::check(&format!("client {}", c.id), &c.company)?;
            for p in &c.contacts {
                crate::names::check_person("contact", &p.id, &p.name, &p.email)?;
            }
            if let Some(s) = c.assigned_staff.iter().find(|s| !world.staff.iter().any(|st| &&st.id == s)) {
                bail!(InputError::Invalid(format!(
                    "client {} is assigned to the unknown staff member {s}",
                    c.id
                )));
            }
        }
        world.settings.check(&world.staff)?;
        Ok(world)
    }
}

impl Settings {
    /// Refuses settings that would leave requests with nobody to notify: no rule, or a
    /// department or role no staff member has (a typo strands every request).
    pub fn check(&self, staff: &[StaffSpec]) -> Result<(), InputError> {
        if self.notify.is_empty() {
            return Err(InputError::Invalid("the notification settings must name at least one rule".into()));
        }
        if !(1..=MAX_EXPIRY_SECS).contains(&self.expiry_secs) {
            return Err(InputError::Invalid(format!(
                "the expiry duration must be from one second to a week ({MAX_EXPIRY_SECS} seconds)"
            )));
        }
        for rule in &self.notify {
            let (what, names, of): (_, _, fn(&StaffSpec) -> &Vec<String>) = match rule {
                NotifyRule::Departments(names) => ("department", names, |s| &s.departments),
                NotifyRule::Roles(names) => ("role", names, |s| &s.roles),
                NotifyRule::AllStaff | NotifyRule::AssignedStaff => continue,
            };
            let mut known: Vec<&String> = staff.iter().flat_map(of).collect();
            known.sort();
            known.dedup();
            // The component matches names without regard to case; so does this check.
            if let Some(unknown) = names.iter().find(|n| !known.iter().any(|k| k.eq_ignore_ascii_case(n))) {
                let known: Vec<&str> = known.iter().map(|k| k.as_str()).collect();
                return Err(InputError::Invalid(format!(
                    "no staff member has the {what} {unknown} (known: {})",
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                )));
            }
        }
        Ok(())
    }
}

impl Platform for PerfexWorld {
    fn describe_context(&self, _context: &Context) -> Option<ContextInfo> {
        None
    }

    fn user(&self, id: &str) -> Option<User> {
        if let Some(s) = self.staff.iter().find(|s| s.id == id) {
            return Some(User {
                id: s.id.clone(),
                name: s.name.clone(),
                email: s.email.clone(),
                avatar: None,
                kind: UserKind::Internal,
            });
        }
        self.clients.iter().flat_map(|c| &c.contacts).find(|c| c.id == id).map(|c| User {
            id: c.id.clone(),
            name: c.name.clone(),
            email: c.email.clone(),
            avatar: None,
            kind: UserKind::External,
        })
    }

    /// A CRM has no licence tiers: clients (external) may meet and staff may record.
    fn licence(&self) -> Licence {
        Licence::X20Advanced
    }

    fn client(&self, id: &str) -> Option<Client> {
        self.clients.iter().find(|c| c.id == id).map(|c| Client {
            id: c.id.clone(),
            company: c.company.clone(),
            contacts: c.contacts.iter().map(|p| p.id.clone()).collect(),
            assigned_staff: c.assigned_staff.clone(),
        })
    }

    fn staff(&self) -> Vec<StaffMember> {
        self.staff
            .iter()
            .map(|s| StaffMember {
                user: self.user(&s.id).expect("staff are users"),
                departments: s.departments.clone(),
                roles: s.roles.clone(),
                active: s.active,
            })
            .collect()
    }

    fn call_request_config(&self) -> CallRequestConfig {
        let s = &self.settings;
        CallRequestConfig {
            notify: s
                .notify
                .iter()
                .map(|r| match r {
                    NotifyRule::AllStaff => StaffRule::AllStaff,
                    NotifyRule::AssignedStaff => StaffRule::AssignedStaff,
                    NotifyRule::Departments(d) => StaffRule::Departments(d.clone()),
                    NotifyRule::Roles(r) => StaffRule::Roles(r.clone()),
                })
                .collect(),
            display: match s.display {
                Display::NewTab => DisplayMode::NewTab,
                Display::Iframe => DisplayMode::Iframe,
            },
            expiry_secs: s.expiry_secs,
        }
    }
}

/// Parses a notification rule written on the command line: `all-staff`,
/// `assigned-staff`, `departments:Sales,Support`, `roles:Manager`.
pub fn parse_rule(text: &str) -> Result<NotifyRule> {
    let list =
        |s: &str| s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect::<Vec<_>>();
    Ok(match text.split_once(':') {
        None if text == "all-staff" => NotifyRule::AllStaff,
        None if text == "assigned-staff" => NotifyRule::AssignedStaff,
        Some(("departments", names)) if !list(names).is_empty() => NotifyRule::Departments(list(names)),
        Some(("roles", names)) if !list(names).is_empty() => NotifyRule::Roles(list(names)),
        _ => bail!(InputError::Invalid(format!(
            "a rule is all-staff, assigned-staff, departments:A,B or roles:A,B (got {text:?})"
        ))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_world_is_valid() {
        let w = PerfexWorld::parse(EXAMPLE_WORLD).unwrap();
        assert!(w.staff.len() >= 3);
    }

    #[test]
    fn rules_parse() {
        assert_eq!(parse_rule("all-staff").unwrap(), NotifyRule::AllStaff);
        assert_eq!(
            parse_rule("departments:Sales, Support").unwrap(),
            NotifyRule::Departments(vec!["Sales".into(), "Support".into()])
        );
        assert!(parse_rule("departments:").is_err());
        assert!(parse_rule("everyone").is_err());
    }

    #[test]
    fn settings_naming_a_department_or_role_nobody_has_are_refused() {
        let w = PerfexWorld::parse(EXAMPLE_WORLD).unwrap();
        let mut s = w.settings.clone();
        s.notify = vec![parse_rule("departments:Support").unwrap(), parse_rule("roles:Nope").unwrap()];
        let e = s.check(&w.staff).unwrap_err().to_string();
        assert!(e.starts_with("no staff member has the role Nope (known: "), "{e}");
        s.notify = vec![parse_rule("departments:Suport").unwrap()];
        assert!(s.check(&w.staff).unwrap_err().to_string().contains("department Suport"));
        s.notify = vec![parse_rule("departments:support").unwrap(), NotifyRule::AssignedStaff];
        s.check(&w.staff).unwrap();
    }
}
