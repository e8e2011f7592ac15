//! Who may take part in a meeting of a group or a business record.
//!
//! Group: its members. Case: users tagged on it or following it (Following, Favorite).
//! Activity, Service Activity, Marketing Activity: users listed as participants. The
//! licence then narrows the list: X19 admits internal users only, X20 everyone.

use crate::order;
use crate::prelude::*;

use crate::Meetkit;
use crate::error::{MeetError, Result, require_id};
use crate::model::{Context, Meeting, Member, Relation, User};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub user: User,
    pub relation: Relation,
    pub selected: bool,
    pub locked: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lobby {
    pub context: Context,
    pub title: String,
    pub initiator: String,
    pub candidates: Vec<Candidate>,
    pub excluded_by_licence: Vec<String>,
    pub running: Option<Meeting>,
}

/// The admitted participants of an ERP context, in the platform's order.
pub(crate) struct Participants {
    pub title: String,
    pub admitted: Vec<Member>,
    pub excluded_by_licence: Vec<String>,
}

/// Whether `relation` makes a user a potential participant of `context`.
fn qualifies(context: &Context, relation: Relation) -> bool {
    match context {
        Context::Group(_) => relation == Relation::Member,
        Context::Case(_) => matches!(relation, Relation::Tagged | Relation::Following | Relation::Favorite),
        Context::Activity(_) | Context::ServiceActivity(_) | Context::MarketingActivity(_) => {
            relation == Relation::Listed
        }
        Context::CallRequest(_) | Context::Appointment(_) => false,
    }
}

impl Meetkit<'_> {
    /// The admitted participants of an ERP context.
    pub(crate) fn participants(&self, context: &Context) -> Result<Participants> {
        require_id("the context id", context.id())?;
        if !context.is_group_or_record() {
            return Err(MeetError::InvalidInput(format!(
                "{context} has no lobby: its participants are fixed"
            )));
        }
        let info = self
            .host
            .describe_context(context)
            .ok_or_else(|| MeetError::UnknownContext(format!("{context} does not exist")))?;
        let licence = self.host.licence();
        // Which members count, each user once; decided over borrowed ids so that a large
        // group costs no copy of every id.
        let mut seen: Vec<&str> = Vec::with_capacity(info.members.len());
        let counted: Vec<bool> = info
            .members
            .iter()
            .map(|m| qualifies(context, m.relation) && order::insert_new(&mut seen, m.user.id.as_str()))
            .collect();
        drop(seen);
        let mut admitted = Vec::new();
        let mut excluded_by_licence = Vec::new();
        for (member, counts) in info.members.into_iter().zip(counted) {
            if !counts {
                continue;
            }
            if licence.admits(member.user.kind) {
                admitted.push(member);
            } else {
                excluded_by_licence.push(member.user.id);
            }
        }
        Ok(Participants { title: info.title, admitted, excluded_by_licence })
    }

    /// The user `user_id` as an admitted participant of `context`, or why not. Asks the
    /// platform about this one user only: a join never pays for the size of the group.
    pub(crate) fn admitted_member(&self, context: &Context, user_id: &str) -> Result<(String, User)> {
        require_id("the context id", context.id())?;
        require_id("the user id", user_id)?;
        if !context.is_group_or_record() {
            return Err(MeetError::InvalidInput(format!(
                "{context} has no lobby: its participants are fixed"
            )));
        }
        let title = self
            .host
            .context_title(context)
            .ok_or_else(|| MeetError::UnknownContext(format!("{context} does not exist")))?;
        let user = self.known_user(user_id)?;
        if !self.is_participant(context, user_id) {
            return Err(MeetError::NotAParticipant(format!("{user_id} is not a participant of {context}")));
        }
        if !self.host.licence().admits(user.kind) {
            return Err(MeetError::LicenceForbids(format!(
                "{user_id} is an external user; the X19 Basic licence admits internal users only"
            )));
        }
        Ok((title, user))
    }

    /// Whether the platform relates `user` to `context` as its participants are related:
    /// asked about this one user only.
    pub(crate) fn is_participant(&self, context: &Context, user: &str) -> bool {
        self.host.relation_of(context, user).is_some_and(|r| qualifies(context, r))
    }

    /// The lobby `initiator` sees for `context`: every potential participant, all
    /// selected, the initiator first and locked.
    pub fn resolve_participants(&self, context: &Context, initiator: &str) -> Result<Lobby> {
        let (_, initiator_user) = self.admitted_member(context, initiator)?;
        let participants = self.participants(context)?;
        let mut candidates = vec![Candidate {
            user: initiator_user,
            relation: participants
                .admitted
                .iter()
                .find(|m| m.user.id == initiator)
                .map(|m| m.relation)
                // The platform answered the two questions differently (a change in between).
                .ok_or_else(|| {
                    MeetError::NotAParticipant(format!(
                        "{initiator} is not among the participants of {context}"
                    ))
                })?,
            selected: true,
            locked: true,
        }];
        candidates.extend(
            participants.admitted.into_iter().filter(|m| m.user.id != initiator).map(|m| Candidate {
                user: m.user,
                relation: m.relation,
                selected: true,
                locked: false,
            }),
        );
        Ok(Lobby {
            context: context.clone(),
            title: participants.title,
            initiator: initiator.to_string(),
            candidates,
            excluded_by_licence: participants.excluded_by_licence,
            running: self.running_meeting(context)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Licence, UserKind};
    use crate::testing::{FakeHost, MemoryKv};

    fn world(licence: Licence) -> FakeHost {
        let mut host = FakeHost::new(licence);
        host.add_user("ana", UserKind::Internal);
        host.add_user("ben", UserKind::Internal);
        host.add_user("eve", UserKind::External);
        host.add_user("zed", UserKind::Internal);
        host.add_context(
            Context::Case("C1".into()),
            &[
                ("ana", Relation::Following),
                ("ben", Relation::Tagged),
                ("eve", Relation::Favorite),
                ("zed", Relation::NotFollowing),
            ],
        );
        host.add_context(
            Context::Group("G1".into()),
            &[("ben", Relation::Member), ("ana", Relation::Member)],
        );
        host.add_context(
            Context::Activity("A1".into()),
            &[("ana", Relation::Listed), ("ben", Relation::Member)],
        );
        host
    }

    fn ids(lobby: &Lobby) -> Vec<&str> {
        lobby.candidates.iter().map(|c| c.user.id.as_str()).collect()
    }

    #[test]
    fn case_admits_tagged_and_followers_but_not_others() {
        let host = world(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let lobby =
            Meetkit::new(&host, &kv).resolve_participants(&Context::Case("C1".into()), "ana").unwrap();
        assert_eq!(ids(&lobby), ["ana", "ben", "eve"]);
        assert!(lobby.candidates[0].locked && lobby.candidates[0].selected);
        assert!(!lobby.candidates[1].locked);
    }

    #[test]
    fn x19_leaves_external_users_out() {
        let host = world(Licence::X19Basic);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let lobby = mk.resolve_participants(&Context::Case("C1".into()), "ana").unwrap();
        assert_eq!(ids(&lobby), ["ana", "ben"]);
        assert_eq!(lobby.excluded_by_licence, ["eve"]);
        let err = mk.resolve_participants(&Context::Case("C1".into()), "eve").unwrap_err();
        assert!(matches!(err, MeetError::LicenceForbids(_)));
    }

    #[test]
    fn a_user_the_platform_relates_twice_is_listed_once_by_the_first_relation_that_counts() {
        let mut host = world(Licence::X20Advanced);
        host.add_context(
            Context::Case("C2".into()),
            &[
                ("ana", Relation::Following),
                ("zed", Relation::NotFollowing),
                ("ben", Relation::Tagged),
                ("ana", Relation::Favorite),
                ("zed", Relation::Tagged),
                ("ben", Relation::Following),
            ],
        );
        let kv = MemoryKv::default();
        let lobby =
            Meetkit::new(&host, &kv).resolve_participants(&Context::Case("C2".into()), "ana").unwrap();
        assert_eq!(ids(&lobby), ["ana", "ben", "zed"]);
        let relations: Vec<Relation> = lobby.candidates.iter().map(|c| c.relation).collect();
        assert_eq!(relations, [Relation::Following, Relation::Tagged, Relation::Tagged]);
    }

    #[test]
    fn initiator_comes_first_and_relations_must_fit_the_context() {
        let host = world(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let lobby = mk.resolve_participants(&Context::Group("G1".into()), "ana").unwrap();
        assert_eq!(ids(&lobby), ["ana", "ben"]);
        // "member" is not how an Activity lists participants.
        let err = mk.resolve_participants(&Context::Activity("A1".into()), "ben").unwrap_err();
        assert!(matches!(err, MeetError::NotAParticipant(_)));
        let err = mk.resolve_participants(&Context::Case("C1".into()), "zed").unwrap_err();
        assert!(matches!(err, MeetError::NotAParticipant(_)));
        let err = mk.resolve_participants(&Context::Case("nope".into()), "ana").unwrap_err();
        assert!(matches!(err, MeetError::UnknownContext(_)));
        let err = mk.resolve_participants(&Context::Case("C1".into()), "ghost").unwrap_err();
        assert!(matches!(err, MeetError::UnknownUser(_)));
    }
}
