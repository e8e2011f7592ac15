//! The simulated ERP.net-style platform: users, groups, Cases, Activities, Service and
//! Marketing Activities, and the licence tier, loaded from a TOML world file.

use crate::InputError;
use crate::bindings::directory::{ContextInfo, Member, Relation};
use crate::bindings::types::{Context, Licence, User, UserKind};
use crate::platform::Platform;
use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

/// The example world the harness uses until another is loaded.
pub const EXAMPLE_WORLD: &str = include_str!("../../examples/erp-world.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LicenceName {
    X19,
    X20,
}

impl From<LicenceName> for Licence {
    fn from(l: LicenceName) -> Self {
        match l {
            LicenceName::X19 => Licence::X19Basic,
            LicenceName::X20 => Licence::X20Advanced,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub avatar: Option<String>,
    #[serde(default)]
    pub external: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub subject: String,
    #[serde(default)]
    pub tagged: Vec<String>,
    #[serde(default)]
    pub following: Vec<String>,
    #[serde(default)]
    pub favorite: Vec<String>,
    /// Users who set the record to "not following": related, but not participants.
    #[serde(default)]
    pub not_following: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivityKind {
    Activity,
    ServiceActivity,
    MarketingActivity,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activity {
    pub id: String,
    pub kind: ActivityKind,
    pub subject: String,
    pub participants: Vec<String>,
    /// When it takes place (RFC 3339, e.g. `2026-11-26T13:30:00+01:00`), if it is in the
    /// calendar: its participants' calendars are blocked from `start` until `end`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "time_text")]
    pub start: Option<String>,
    /// When it ends (RFC 3339), after `start`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "time_text")]
    pub end: Option<String>,
    /// `start` and `end` in milliseconds since the epoch (built by `parse`).
    #[serde(skip)]
    pub span: Option<(i64, i64)>,
}

/// A time as text: TOML's own date-time (`start = 2026-11-26T13:30:00+01:00`) is read
/// as its RFC 3339 text, as a quoted one is.
fn time_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Time {
        Text(String),
        Toml(toml::value::Datetime),
    }
    Ok(Option::<Time>::deserialize(d)?.map(|t| match t {
        Time::Text(text) => text,
        Time::Toml(datetime) => datetime.to_string(),
    }))
}

impl Activity {
    /// Reads `start` and `end`: both or neither, the end after the start.
    fn read_span(&mut self) -> Result<(), InputError> {
        let at = |t: &str| {
            t.parse::<jiff::Timestamp>().map(|t| t.as_millisecond()).map_err(|e| {
                InputError::Invalid(format!("activity {}: {t} is not an RFC 3339 time: {e}", self.id))
            })
        };
        self.span = match (&self.start, &self.end) {
            (None, None) => None,
            (Some(start), Some(end)) => {
                let (start, end) = (at(start)?, at(end)?);
                if end <= start {
                    return Err(InputError::Invalid(format!(
                        "activity {} does not end after it starts",
                        self.id
                    )));
                }
                Some((start, end))
            }
            _ => {
                return Err(InputError::Invalid(format!(
                    "activity {} needs both a start and an end",
                    self.id
                )));
            }
        };
        Ok(())
    }
}

/// The administrator's recording settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingSettings {
    /// Keep a copy of each recording in the platform's own storage.
    pub keep_copies: bool,
    /// How long to keep it, in hours.
    pub retention_hours: u32,
    /// The company's IANA time zone: recordings are named, and their deletion times
    /// written, in it.
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn utc() -> String {
    "UTC".into()
}

impl Default for RecordingSettings {
    fn default() -> Self {
        RecordingSettings { keep_copies: false, retention_hours: 24 * 30, time_zone: utc() }
    }
}

/// An ERP world: what its database holds that meetings need.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErpWorld {
    pub licence: LicenceName,
    #[serde(default)]
    pub recordings: RecordingSettings,
    pub users: Vec<UserSpec>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub cases: Vec<Case>,
    #[serde(default)]
    pub activities: Vec<Activity>,
    /// Where each user is in `users` (built by `parse`).
    #[serde(skip)]
    pub index: std::collections::HashMap<String, usize>,
}

/// The longest retention of recording copies the administrator may choose: ten years.
pub const MAX_RETENTION_HOURS: u32 = 10 * 366 * 24;

impl ErpWorld {
    /// Parses and checks a world: every id unique, every reference to a known user.
    pub fn parse(text: &str) -> Result<Self> {
        let mut world: ErpWorld = crate::platform::parse_toml(text, "an ERP world")?;
        for (i, u) in world.users.iter().enumerate() {
            if world.index.insert(u.id.clone(), i).is_some() {
                bail!(InputError::Invalid(format!("user {} is defined twice", u.id)));
            }
            crate::names::check_person("user", &u.id, &u.name, &u.email)?;
        }
        // A record defined twice would leave the second out of reach, in silence.
        let records = [
            ("group", world.groups.iter().map(|g| &g.id).collect::<Vec<_>>()),
            ("case", world.cases.iter().map(|c| &c.id).collect()),
            ("activity", world.activities.iter().map(|a| &a.id).collect()),
        ];
        for (kind, ids) in records {
            let mut seen = std::collections::HashSet::new();
            if let Some(id) = ids.into_iter().find(|id| !seen.insert(*id)) {
                bail!(InputError::Invalid(format!("{kind} {id} is defined twice")));
            }
        }
        let known = |id: &String| world.index.contains_key(id);
        let mut refs: Vec<(&str, &String)> = Vec::new();
        for g in &world.groups {
            refs.extend(g.members.iter().map(|m| (g.id.as_str(), m)));
        }
        for c in &world.cases {
            for list in [&c.tagged, &c.following, &c.favorite, &c.not_following] {
                refs.extend(list.iter().map(|m| (c.id.as_str(), m)));
            }
        }
        for a in &world.activities {
            refs.extend(a.participants.iter().map(|m| (a.id.as_str(), m)));
        }
        if let Some((record, user)) = refs.into_iter().find(|(_, u)| !known(u)) {
            bail!(InputError::Invalid(format!("{record} names the unknown user {user}")));
        }
        for a in &mut world.activities {
            a.read_span()?;
        }
        crate::zones::check(&world.recordings.time_zone).map_err(InputError::Invalid)?;
        let hours = world.recordings.retention_hours;
        if world.recordings.keep_copies && !(25..=MAX_RETENTION_HOURS).contains(&hours) {
            bail!(InputError::Invalid(format!(
                "a copy is kept beyond JaaS's 24 hours and at most ten years: the retention of \
                 {hours} hours must be 25 to {MAX_RETENTION_HOURS}"
            )));
        }
        Ok(world)
    }

    /// Checks a retention when it is set, whether or not copies are kept now: a value
    /// kept for later is still one. (A world loaded with copies off is not held to it.)
    pub fn check_retention(hours: u32) -> Result<(), InputError> {
        if (25..=MAX_RETENTION_HOURS).contains(&hours) {
            return Ok(());
        }
        Err(InputError::Invalid(format!(
            "a copy is kept beyond JaaS's 24 hours and at most ten years: the retention of \
             {hours} hours must be 25 to {MAX_RETENTION_HOURS}"
        )))
    }

    fn user_spec(&self, id: &str) -> Option<&UserSpec> {
        self.index.get(id).and_then(|i| self.users.get(*i))
    }

    fn members(&self, title: String, related: Vec<(&String, Relation)>) -> ContextInfo {
        let members = related
            .into_iter()
            .filter_map(|(id, relation)| Some(Member { user: self.user(id)?, relation }))
            .collect();
        ContextInfo { title, members }
    }

    /// Every context of the world, for listings.
    pub fn contexts(&self) -> Vec<(Context, String)> {
        let mut out: Vec<(Context, String)> =
            self.groups.iter().map(|g| (Context::Group(g.id.clone()), g.name.clone())).collect();
        out.extend(self.cases.iter().map(|c| (Context::Case(c.id.clone()), c.subject.clone())));
        out.extend(self.activities.iter().map(|a| (activity_context(a.kind, &a.id), a.subject.clone())));
        out
    }
}

fn activity_context(kind: ActivityKind, id: &str) -> Context {
    match kind {
        ActivityKind::Activity => Context::Activity(id.into()),
        ActivityKind::ServiceActivity => Context::ServiceActivity(id.into()),
        ActivityKind::MarketingActivity => Context::MarketingActivity(id.into()),
    }
}

impl Platform for ErpWorld {
    fn describe_context(&self, context: &Context) -> Option<ContextInfo> {
        match context {
            Context::Group(id) => {
                let g = self.groups.iter().find(|g| &g.id == id)?;
                Some(self.members(g.name.clone(), g.members.iter().map(|m| (m, Relation::Member)).collect()))
            }
            Context::Case(id) => {
                let c = self.cases.iter().find(|c| &c.id == id)?;
                let mut related = Vec::new();
                for (list, relation) in [
                    (&c.favorite, Relation::Favorite),
                    (&c.following, Relation::Following),
                    (&c.tagged, Relation::Tagged),
                    (&c.not_following, Relation::NotFollowing),
                ] {
                    related.extend(list.iter().map(|u| (u, relation)));
                }
                Some(self.members(format!("{} {}", c.id, c.subject), related))
            }
            Context::Activity(id) | Context::ServiceActivity(id) | Context::MarketingActivity(id) => {
                let a = self
                    .activities
                    .iter()
                    .find(|a| &a.id == id && activity_context(a.kind, id) == *context)?;
                Some(self.members(
                    format!("{} {}", a.id, a.subject),
                    a.participants.iter().map(|p| (p, Relation::Listed)).collect(),
                ))
            }
            Context::CallRequest(_) | Context::Appointment(_) => None,
        }
    }

    fn user(&self, id: &str) -> Option<User> {
        self.user_spec(id).map(|u| User {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            avatar: u.avatar.clone(),
            kind: if u.external { UserKind::External } else { UserKind::Internal },
        })
    }

    fn licence(&self) -> Licence {
        self.licence.into()
    }

    fn context_title(&self, context: &Context) -> Option<String> {
        match context {
            Context::Group(id) => self.groups.iter().find(|g| &g.id == id).map(|g| g.name.clone()),
            Context::Case(id) => {
                self.cases.iter().find(|c| &c.id == id).map(|c| format!("{} {}", c.id, c.subject))
            }
            Context::Activity(id) | Context::ServiceActivity(id) | Context::MarketingActivity(id) => self
                .activities
                .iter()
                .find(|a| &a.id == id && activity_context(a.kind, id) == *context)
                .map(|a| format!("{} {}", a.id, a.subject)),
            Context::CallRequest(_) | Context::Appointment(_) => None,
        }
    }

    fn relation_of(&self, context: &Context, user: &str) -> Option<Relation> {
        let user = &user.to_string();
        match context {
            Context::Group(id) => {
                self.groups.iter().find(|g| &g.id == id)?.members.contains(user).then_some(Relation::Member)
            }
            Context::Case(id) => {
                let c = self.cases.iter().find(|c| &c.id == id)?;
                [
                    (&c.favorite, Relation::Favorite),
                    (&c.following, Relation::Following),
                    (&c.tagged, Relation::Tagged),
                    (&c.not_following, Relation::NotFollowing),
                ]
                .into_iter()
                .find(|(list, _)| list.contains(user))
                .map(|(_, r)| r)
            }
            Context::Activity(id) | Context::ServiceActivity(id) | Context::MarketingActivity(id) => self
                .activities
                .iter()
                .find(|a| &a.id == id && activity_context(a.kind, id) == *context)?
                .participants
                .contains(user)
                .then_some(Relation::Listed),
            Context::CallRequest(_) | Context::Appointment(_) => None,
        }
    }

    fn group_members(&self, group: &str) -> Vec<String> {
        self.groups.iter().find(|g| g.id == group).map(|g| g.members.clone()).unwrap_or_default()
    }

    fn groups_of(&self, user: &str) -> Vec<String> {
        self.groups.iter().filter(|g| g.members.iter().any(|m| m == user)).map(|g| g.id.clone()).collect()
    }

    fn calendar_blocked(&self, user: &str, start: i64, end: i64) -> bool {
        self.activities.iter().any(|a| {
            matches!(a.span, Some((from, to)) if from < end && start < to)
                && a.participants.iter().any(|p| p == user)
        })
    }

    fn recording_config(&self) -> crate::bindings::config::RecordingConfig {
        crate::bindings::config::RecordingConfig {
            keep_copies: self.recordings.keep_copies,
            retention_hours: self.recordings.retention_hours,
            time_zone: self.recordings.time_zone.clone(),
        }
    }
}

/// Parses `kind:id` (`group:sales`, `case:CASE-1042`, `activity:ACT-7`, ...).
pub fn parse_context(text: &str) -> Result<Context> {
    let Some((kind, id)) = text.split_once(':') else {
        bail!(InputError::Invalid("a context is written kind:id, e.g. group:sales or case:CASE-1042".into()));
    };
    let id = id.to_string();
    Ok(match kind {
        "group" => Context::Group(id),
        "case" => Context::Case(id),
        "activity" => Context::Activity(id),
        "service-activity" => Context::ServiceActivity(id),
        "marketing-activity" => Context::MarketingActivity(id),
        "call-request" => Context::CallRequest(id),
        "appointment" => Context::Appointment(id),
        other => bail!(InputError::Invalid(format!(
            "unknown context kind {other:?}: use group, case, activity, service-activity, marketing-activity, call-request or appointment"
        ))),
    })
}

/// `kind:id` of a context.
pub fn context_label(context: &Context) -> String {
    let (kind, id) = match context {
        Context::Group(id) => ("group", id),
        Context::Case(id) => ("case", id),
        Context::Activity(id) => ("activity", id),
        Context::ServiceActivity(id) => ("service-activity", id),
        Context::MarketingActivity(id) => ("marketing-activity", id),
        Context::CallRequest(id) => ("call-request", id),
        Context::Appointment(id) => ("appointment", id),
    };
    format!("{kind}:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_world_is_valid() {
        let world = ErpWorld::parse(EXAMPLE_WORLD).unwrap();
        assert!(!world.groups.is_empty() && !world.cases.is_empty());
    }

    #[test]
    fn recordings_are_in_utc_unless_the_world_names_a_zone() {
        let world = ErpWorld::parse("licence = \"X20\"\nusers = []\n").unwrap();
        assert_eq!(world.recordings.time_zone, "UTC");
    }

    #[test]
    fn a_world_naming_an_unknown_user_is_refused() {
        let err = ErpWorld::parse(
            "licence = \"X20\"\n[[users]]\nid = \"a\"\nname = \"A\"\n[[groups]]\nid = \"g\"\nname = \"G\"\nmembers = [\"zz\"]\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown user zz"));
    }

    #[test]
    fn an_activity_in_the_calendar_blocks_its_participants_for_its_time() {
        let world = |times: &str| {
            ErpWorld::parse(&format!(
                "licence = \"X20\"\n[[users]]\nid = \"a\"\nname = \"A\"\n[[users]]\nid = \"b\"\nname = \"B\"\n\
                 [[activities]]\nid = \"ACT-1\"\nkind = \"activity\"\nsubject = \"Visit\"\n\
                 participants = [\"a\"]\n{times}"
            ))
        };
        let w =
            world("start = \"2026-11-26T13:30:00+01:00\"\nend = \"2026-11-26T15:00:00+01:00\"\n").unwrap();
        let at = |t: &str| t.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let blocked = |user: &str, from: &str, to: &str| w.calendar_blocked(user, at(from), at(to));
        assert!(blocked("a", "2026-11-26T12:00:00Z", "2026-11-26T12:31:00Z"));
        assert!(!blocked("b", "2026-11-26T12:00:00Z", "2026-11-26T12:31:00Z"), "not a participant");
        assert!(!blocked("a", "2026-11-26T12:00:00Z", "2026-11-26T12:30:00Z"), "ends as it starts");
        assert!(!blocked("a", "2026-11-26T14:00:00Z", "2026-11-26T15:00:00Z"), "starts as it ends");
        assert!(!world("").unwrap().calendar_blocked("a", 0, i64::MAX), "not in the calendar");
        // TOML's own date-times need no quotes.
        let unquoted = world("start = 2026-11-26T13:30:00+01:00\nend = 2026-11-26T15:00:00+01:00\n").unwrap();
        assert_eq!(unquoted.activities[0].span, w.activities[0].span);
        for (times, why) in [
            ("start = \"2026-11-26T13:30:00+01:00\"\n", "both a start and an end"),
            (
                "start = \"2026-11-26T13:30:00+01:00\"\nend = \"2026-11-26T13:30:00+01:00\"\n",
                "does not end after",
            ),
            ("start = \"2026-11-26 13:30\"\nend = \"2026-11-26T15:00:00Z\"\n", "not an RFC 3339 time"),
            ("start = 2026-11-26T13:30:00\nend = 2026-11-26T15:00:00Z\n", "not an RFC 3339 time"),
        ] {
            let err = world(times).unwrap_err().to_string();
            assert!(err.contains(why), "{times}: {err}");
        }
    }

    #[test]
    fn contexts_parse_and_print() {
        let c = parse_context("service-activity:SA-1").unwrap();
        assert_eq!(c, Context::ServiceActivity("SA-1".into()));
        assert_eq!(context_label(&c), "service-activity:SA-1");
        assert!(parse_context("nope").is_err());
        assert!(parse_context("ticket:1").is_err());
    }
}
