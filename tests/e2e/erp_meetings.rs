//! ERP meetings through the built component: lobbies, start, join, presence, leave and
//! end, tokens, and every refusal, on both licences.

use meetkit_host::bindings::directory::Relation;
use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::messaging::{Colour, PageSignal};
use meetkit_host::bindings::presence::PresenceState;
use meetkit_host::bindings::types::{Context, DisplayMode, Error, MeetingState};
use meetkit_host::effects::Effect;
use meetkit_host::erp::LicenceName;
use meetkit_host::views;
use meetkit_tests::{T0, World, ok, refused};
use std::time::Duration;

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn on_licence(w: &World, licence: LicenceName) {
    let mut world = w.harness.erp_world().unwrap();
    world.licence = licence;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
}

fn lobby_ids(w: &World, context: &Context, user: &str) -> Vec<String> {
    let (lobby, _) = ok(w.harness.erp().unwrap().resolve_participants(context, user).unwrap());
    lobby.candidates.into_iter().map(|c| c.user.id).collect()
}

#[test]
fn lobbies_follow_the_rules_of_each_context_on_both_licences() {
    let w = World::new();
    let case = Context::Case("CASE-1042".into());
    // X20: internal and external users.
    assert_eq!(lobby_ids(&w, &Context::Group("partners".into()), "dev"), ["dev", "ana", "erik"]);
    assert_eq!(
        lobby_ids(&w, &case, "ana"),
        ["ana", "ben", "erik"],
        "favorite, following, tagged; not 'not following'"
    );
    assert_eq!(lobby_ids(&w, &Context::Activity("ACT-7".into()), "chloe"), ["chloe", "ana", "fatima"]);
    assert_eq!(lobby_ids(&w, &Context::ServiceActivity("SA-31".into()), "ben"), ["ben", "dev"]);
    assert_eq!(lobby_ids(&w, &Context::MarketingActivity("MA-5".into()), "ana"), ["ana", "chloe"]);
    let (lobby, _) = ok(w.harness.erp().unwrap().resolve_participants(&case, "ben").unwrap());
    assert!(
        lobby.candidates[0].locked && lobby.candidates[0].selected && lobby.candidates[0].user.id == "ben"
    );
    assert!(lobby.candidates[1..].iter().all(|c| c.selected && !c.locked));
    assert_eq!(lobby.candidates[0].relation, Relation::Favorite);
    assert!(lobby.excluded_by_licence.is_empty());

    // X19: internal users only.
    on_licence(&w, LicenceName::X19);
    assert_eq!(lobby_ids(&w, &case, "ana"), ["ana", "ben"]);
    assert_eq!(lobby_ids(&w, &Context::Activity("ACT-7".into()), "chloe"), ["chloe", "ana"]);
    let (lobby, _) = ok(w.harness.erp().unwrap().resolve_participants(&case, "ana").unwrap());
    assert_eq!(lobby.excluded_by_licence, ["erik"]);
    // An activity id under another kind does not exist.
    let e = refused(
        w.harness.erp().unwrap().resolve_participants(&Context::Activity("SA-31".into()), "ben").unwrap(),
    );
    assert!(matches!(e, Error::UnknownContext(_)));
}

#[test]
fn starting_posts_the_comment_and_notifies_every_invited_user_but_the_initiator() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (started, effects) = ok(erp.start_meeting(&sales, "ana", &ids(&["ana", "ben", "chloe"])).unwrap());
    assert!(started.created);
    assert_eq!(started.meeting.state, MeetingState::Running);
    assert_eq!(started.meeting.present, ["ana"]);
    let log = w.harness.db().effects("erp").unwrap();
    let chat = views::chat(&log, &sales);
    assert_eq!(chat.len(), 1);
    assert_eq!(chat[0].item.text, "The meeting has started. Click Join meeting to participate.");
    let link = chat[0].item.link.clone().expect("a Join meeting link");
    assert_eq!(link.label, "Join meeting");
    assert!(link.url.ends_with(&started.meeting.id));
    for user in ["ben", "chloe"] {
        let bell = views::bell(&log, user, &Default::default());
        assert_eq!(bell.len(), 1, "{user} has one unread notification");
        assert!(!bell[0].item.read);
        assert_eq!(bell[0].item.notification.link.as_ref(), Some(&link));
        let toasts = views::toasts(&log, user);
        assert_eq!(toasts.len(), 1);
        assert_eq!(toasts[0].item.colour, Colour::Red);
        assert_eq!(toasts[0].item.duration_ms, 10_000);
        assert!(toasts[0].item.melody.is_some(), "a melody plays with the toaster");
        assert_eq!(toasts[0].item.link.as_ref(), Some(&link), "the toaster leads where the chat's link does");
    }
    assert!(
        views::bell(&log, "ana", &Default::default()).is_empty() && views::toasts(&log, "ana").is_empty()
    );
    assert_eq!(views::presence_of(&log, "ana"), PresenceState::Busy);
    assert!(effects.iter().all(|e| e.user() != Some("dev")), "nobody outside the selection is told");

    // The initiator's own ticket opens a new window with moderator rights.
    assert!(started.ticket.moderator);
    assert_eq!(started.ticket.display, DisplayMode::NewWindow);

    // A second start in the same context creates nothing.
    let before = w.snapshot();
    let (again, effects) = ok(erp.start_meeting(&sales, "ben", &ids(&["ben"])).unwrap());
    assert!(!again.created);
    assert_eq!(again.meeting.id, started.meeting.id);
    assert!(
        !effects.iter().any(|e| matches!(
            e,
            Effect::Comment { .. } | Effect::Notification { .. } | Effect::Toast { .. }
        ))
    );
    let after = w.snapshot();
    let meetings = |snapshot: &std::collections::BTreeMap<String, Vec<u8>>| -> Vec<String> {
        snapshot.keys().filter(|k| !k.contains("/presence/")).cloned().collect()
    };
    assert_eq!(meetings(&before), meetings(&after), "no second meeting record");
    assert!(after.contains_key("erp/meetkit/presence/ben"), "ben is in the meeting now");

    // Once the meeting has ended, its "Join meeting" notification leaves the bells.
    let (left, _) = ok(erp.leave_meeting(&started.meeting.id, "ben").unwrap());
    assert!(left.ended, "of two, one leaving ends it");
    let log = w.harness.db().effects("erp").unwrap();
    for user in ["ben", "chloe"] {
        assert!(views::bell(&log, user, &Default::default()).is_empty(), "{user}'s bell");
    }
}

/// "You can initiate a meeting from the following records: Case, Activity, Service
/// Activity, Marketing Activity"; "the system message is posted in the related Discuss
/// panel of the record", and each invited user but the initiator gets a bell and a red
/// toaster.
#[test]
fn starting_from_each_kind_of_record_announces_in_that_records_chat_and_tells_the_invited() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let everyone = ["ana", "ben", "chloe", "dev", "erik", "fatima"];
    let records: [(Context, &str, &[&str], &str); 4] = [
        (
            Context::Case("CASE-1042".into()),
            "ana",
            &["ana", "ben", "erik"],
            "Ana Petrova started a meeting in CASE-1042 Delayed shipment for Contoso.",
        ),
        (
            Context::Activity("ACT-7".into()),
            "chloe",
            &["chloe", "ana", "fatima"],
            "Chloé Martin started a meeting in ACT-7 Quarterly review.",
        ),
        (
            Context::ServiceActivity("SA-31".into()),
            "ben",
            &["ben", "dev"],
            "Ben Okafor started a meeting in SA-31 On-site repair visit.",
        ),
        (
            Context::MarketingActivity("MA-5".into()),
            "ana",
            &["ana", "chloe"],
            "Ana Petrova started a meeting in MA-5 Spring campaign kick-off.",
        ),
    ];
    for (record, initiator, selection, told) in &records {
        let (started, _) = ok(erp.start_meeting(record, initiator, &ids(selection)).unwrap());
        assert!(started.created, "{record:?}");
        let log = w.harness.db().effects("erp").unwrap();
        let chat = views::chat(&log, record);
        assert_eq!(chat.len(), 1, "{record:?}: {chat:?}");
        assert_eq!(chat[0].item.text, "The meeting has started. Click Join meeting to participate.");
        let link = chat[0].item.link.clone().expect("a Join meeting link");
        assert_eq!(link.label, "Join meeting");
        assert!(link.url.ends_with(&started.meeting.id), "{link:?}");
        let posted = log
            .iter()
            .filter(|l| match &l.effect {
                Effect::Comment { comment, .. } => comment.link.as_ref() == Some(&link),
                _ => false,
            })
            .count();
        assert_eq!(posted, 1, "{record:?}: posted in this record's chat only");
        for user in everyone {
            let bell: Vec<_> = views::bell(&log, user, &Default::default())
                .into_iter()
                .filter(|b| b.item.notification.context == *record)
                .collect();
            let toasts: Vec<_> = views::toasts(&log, user)
                .into_iter()
                .filter(|t| t.item.link.as_ref() == Some(&link))
                .collect();
            if user == *initiator || !selection.contains(&user) {
                assert!(bell.is_empty() && toasts.is_empty(), "{user} is not told of {record:?}");
                continue;
            }
            assert_eq!(bell.len(), 1, "{user} has one notification of {record:?}");
            assert!(!bell[0].item.read);
            assert_eq!(bell[0].item.notification.text, *told);
            assert_eq!(bell[0].item.notification.link.as_ref(), Some(&link));
            assert_eq!(toasts.len(), 1, "{user} has one toaster of {record:?}");
            assert_eq!(toasts[0].item.colour, Colour::Red);
            assert_eq!(toasts[0].item.duration_ms, 10_000);
            assert!(toasts[0].item.melody.is_some(), "a melody plays with the toaster");
        }
    }
}

#[test]
fn the_initiator_cannot_be_unchecked_and_a_refused_start_changes_nothing() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let before = w.snapshot();
    assert!(matches!(
        refused(erp.start_meeting(&sales, "ana", &ids(&["ben", "chloe"])).unwrap()),
        Error::InvalidInput(_)
    ));
    assert!(matches!(
        refused(erp.start_meeting(&sales, "ana", &ids(&["ana", "dev"])).unwrap()),
        Error::NotAParticipant(_)
    ));
    assert!(matches!(
        refused(erp.start_meeting(&sales, "ana", &ids(&["ana", "nobody"])).unwrap()),
        Error::UnknownUser(_)
    ));
    assert!(matches!(
        refused(erp.start_meeting(&sales, "dev", &ids(&["dev"])).unwrap()),
        Error::NotAParticipant(_)
    ));
    assert!(matches!(refused(erp.start_meeting(&sales, "", &ids(&[""])).unwrap()), Error::InvalidInput(_)));
    assert!(matches!(
        refused(erp.start_meeting(&Context::Group("nope".into()), "ana", &ids(&["ana"])).unwrap()),
        Error::UnknownContext(_)
    ));
    // The Meet tab of a context that does not exist says so, not "no meeting".
    assert!(matches!(
        refused(erp.meeting_in_context(&Context::Group("nope".into())).unwrap()),
        Error::UnknownContext(_)
    ));
    for own in [Context::CallRequest("r-none".into()), Context::Appointment("a-none".into())] {
        assert!(matches!(refused(erp.meeting_in_context(&own).unwrap()), Error::NotFound(_)));
    }
    assert_eq!(before, w.snapshot());
    assert!(w.harness.db().effects("erp").unwrap().is_empty());
}

/// "A meeting from a Case calls participants who are Tagged at least, or have set higher
/// follow level (Following, Favorite) for the record. A meeting from an Activity/Service
/// Activity/Marketing Activity needs users explicitly listed as participants."
#[test]
fn only_those_a_record_admits_may_join_its_meeting_or_be_selected() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let activity = Context::Activity("ACT-7".into());
    let (in_case, _) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "ben"])).unwrap());
    let (in_activity, _) = ok(erp.start_meeting(&activity, "chloe", &ids(&["chloe", "ana"])).unwrap());
    let before = w.snapshot();
    let shown = w.harness.db().effects("erp").unwrap().len();

    // Dev does not follow the case; Chloé has no relation to it.
    for user in ["dev", "chloe"] {
        let e = refused(erp.join_meeting(&in_case.meeting.id, user, EntryPoint::ChatLink).unwrap());
        assert!(matches!(e, Error::NotAParticipant(_)), "{user}: {e:?}");
    }
    // Ben and Dev are not listed on the activity.
    for user in ["ben", "dev"] {
        let e = refused(erp.join_meeting(&in_activity.meeting.id, user, EntryPoint::Notification).unwrap());
        assert!(matches!(e, Error::NotAParticipant(_)), "{user}: {e:?}");
    }
    // Nor may they be selected, in a record with a meeting running or with none yet,
    // nor start one themselves.
    for (record, initiator, selection) in [
        (&case, "ana", &["ana", "ben", "dev"][..]),
        (&activity, "chloe", &["chloe", "ben"]),
        (&Context::MarketingActivity("MA-5".into()), "ana", &["ana", "chloe", "erik"]),
        (&Context::ServiceActivity("SA-31".into()), "dev", &["dev", "ana"]),
        (&case, "dev", &["dev"]),
        (&activity, "ben", &["ben"]),
    ] {
        let e = refused(erp.start_meeting(record, initiator, &ids(selection)).unwrap());
        assert!(matches!(e, Error::NotAParticipant(_)), "{initiator} selecting {selection:?}: {e:?}");
    }
    assert_eq!(before, w.snapshot());
    assert_eq!(w.harness.db().effects("erp").unwrap().len(), shown, "nobody was shown anything");
    assert_eq!(ok(erp.meeting_in_context(&Context::MarketingActivity("MA-5".into())).unwrap()).0, None);

    // Those the records admit may join though they were not selected: Erik is tagged on
    // the case, Fatima listed on the activity.
    ok(erp.join_meeting(&in_case.meeting.id, "erik", EntryPoint::ChatLink).unwrap());
    ok(erp.join_meeting(&in_activity.meeting.id, "fatima", EntryPoint::ChatLink).unwrap());
    assert_eq!(ok(erp.get_meeting(&in_case.meeting.id).unwrap()).0.present, ["ana", "erik"]);
    assert_eq!(ok(erp.get_meeting(&in_activity.meeting.id).unwrap()).0.present, ["chloe", "fatima"]);
}

#[test]
fn every_entry_point_joins_with_a_token_the_public_key_verifies() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let group = Context::Group("partners".into());
    let (started, _) = ok(erp.start_meeting(&group, "dev", &ids(&["dev", "ana", "erik"])).unwrap());
    let id = started.meeting.id.clone();
    let app_id = w.harness.config().jaas.app_id.clone();

    let initiator = w.verify(&started.ticket);
    assert_eq!(initiator["context"]["user"]["moderator"], "true");
    assert_eq!(initiator["context"]["features"]["recording"], "true");

    for (user, via) in [("ana", EntryPoint::ChatLink), ("erik", EntryPoint::Notification)] {
        let (ticket, effects) = ok(erp.join_meeting(&id, user, via).unwrap());
        let settings = "config.prejoinConfig.enabled=false&config.startWithAudioMuted=false&config.startWithVideoMuted=false";
        assert_eq!(
            ticket.address,
            format!("https://8x8.vc/{app_id}/{}#jwt={}&{settings}", started.meeting.room, ticket.token),
            "the meeting starts at once, camera and microphone on"
        );
        let overwrite: serde_json::Value = serde_json::from_str(&ticket.embed.config_overwrite).unwrap();
        assert_eq!(
            overwrite,
            serde_json::json!({
                "prejoinConfig": {"enabled": false}, "startWithAudioMuted": false, "startWithVideoMuted": false
            }),
            "an embedded meeting starts the same way"
        );
        let claims = w.verify(&ticket);
        assert_eq!(claims["room"], started.meeting.room.as_str());
        assert_eq!(claims["room"].as_str().unwrap(), claims["room"].as_str().unwrap().to_lowercase());
        assert_ne!(claims["room"], "*");
        let now = T0 / 1000;
        assert_eq!(claims["nbf"], now - 10);
        assert_eq!(claims["exp"], now + 7200, "two hours, as in 8x8's samples");
        assert!(claims["exp"].is_i64() && claims["nbf"].is_i64(), "times are JSON numbers");
        assert_eq!(claims["context"]["user"]["id"], user);
        let features = claims["context"]["features"].as_object().unwrap();
        assert_eq!(features.len(), 11, "every feature is set explicitly");
        assert!(features.values().all(|v| v == "true" || v == "false"));
        let may_record = user != "erik";
        assert_eq!(features["recording"], if may_record { "true" } else { "false" });
        assert_eq!(ticket.recording_allowed, may_record);
        // Internal users moderate (and JaaS lets only moderators record); external ones do not.
        assert_eq!(claims["context"]["user"]["moderator"], if may_record { "true" } else { "false" });
        assert_eq!(ticket.moderator, may_record);
        assert_eq!(ticket.embed.room_name, format!("{app_id}/{}", started.meeting.room));
        assert!(effects.contains(&Effect::Presence { user: user.into(), state: PresenceState::Busy }));
    }
    // The Meet tab and the toaster lead to the same meeting.
    let (running, _) = ok(erp.meeting_in_context(&group).unwrap());
    assert_eq!(running.map(|m| m.id), Some(id.clone()));
    ok(erp.join_meeting(&id, "ana", EntryPoint::Toaster).unwrap());
    ok(erp.join_meeting(&id, "ana", EntryPoint::MeetTab).unwrap());
    let (m, _) = ok(erp.get_meeting(&id).unwrap());
    assert_eq!(m.present, ["dev", "ana", "erik"], "joining twice does not count twice");

    // Someone outside the group may not join, whichever way.
    let before = w.snapshot();
    assert!(matches!(
        refused(erp.join_meeting(&id, "ben", EntryPoint::ChatLink).unwrap()),
        Error::NotAParticipant(_)
    ));
    assert!(matches!(
        refused(erp.join_meeting(&id, "ghost", EntryPoint::MeetTab).unwrap()),
        Error::UnknownUser(_)
    ));
    assert!(matches!(
        refused(erp.join_meeting("m-none", "ana", EntryPoint::MeetTab).unwrap()),
        Error::NotFound(_)
    ));
    assert_eq!(before, w.snapshot());
}

#[test]
fn on_x19_nobody_records_and_external_users_cannot_join() {
    let w = World::new();
    on_licence(&w, LicenceName::X19);
    let erp = w.harness.erp().unwrap();
    let group = Context::Group("partners".into());
    let (started, _) = ok(erp.start_meeting(&group, "dev", &ids(&["dev", "ana"])).unwrap());
    assert_eq!(w.verify(&started.ticket)["context"]["features"]["recording"], "false");
    let (ana, _) = ok(erp.join_meeting(&started.meeting.id, "ana", EntryPoint::ChatLink).unwrap());
    assert_eq!(w.verify(&ana)["context"]["features"]["recording"], "false");
    // Moderation does not depend on the licence: with the initiator gone, an internal
    // user can still mute or end the meeting.
    assert_eq!(w.verify(&ana)["context"]["user"]["moderator"], "true");
    assert!(ana.moderator);
    let e = refused(erp.join_meeting(&started.meeting.id, "erik", EntryPoint::MeetTab).unwrap());
    assert!(matches!(e, Error::LicenceForbids(_)));
    let e = refused(
        erp.start_meeting(&Context::Case("CASE-1042".into()), "ana", &ids(&["ana", "erik"])).unwrap(),
    );
    assert!(matches!(e, Error::LicenceForbids(_)));
}

/// "X19 – Basic: Meetings are available for internal users only": an external user may
/// not open a lobby, nor start a meeting, and the refusal stores nothing.
#[test]
fn on_x19_an_external_user_can_neither_open_a_lobby_nor_start_a_meeting() {
    let w = World::new();
    on_licence(&w, LicenceName::X19);
    let erp = w.harness.erp().unwrap();
    let partners = Context::Group("partners".into());
    let before = w.snapshot();
    let e = refused(erp.resolve_participants(&partners, "erik").unwrap());
    assert!(matches!(e, Error::LicenceForbids(_)), "{e:?}");
    for selection in [&["erik"][..], &["erik", "ana", "dev"]] {
        let e = refused(erp.start_meeting(&partners, "erik", &ids(selection)).unwrap());
        assert!(matches!(e, Error::LicenceForbids(_)), "{selection:?}: {e:?}");
    }
    assert_eq!(before, w.snapshot());
    assert!(w.harness.db().effects("erp").unwrap().is_empty());
    assert_eq!(ok(erp.meeting_in_context(&partners).unwrap()).0, None);

    // The licence is what refuses: on X20 the same user opens the group's lobby.
    on_licence(&w, LicenceName::X20);
    assert_eq!(lobby_ids(&w, &partners, "erik"), ["erik", "ana", "dev"]);
}

#[test]
fn presence_and_the_end_of_a_meeting() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let (started, _) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "ben", "erik"])).unwrap());
    let id = started.meeting.id;
    ok(erp.join_meeting(&id, "ben", EntryPoint::Toaster).unwrap());
    ok(erp.join_meeting(&id, "erik", EntryPoint::ChatLink).unwrap());
    let busy = |u: &str| w.presence("erp", u) == PresenceState::Busy;
    assert!(busy("ana") && busy("ben") && busy("erik"));

    // Three become two: the meeting goes on; the leaver is available again.
    let (left, _) = ok(erp.leave_meeting(&id, "erik").unwrap());
    assert!(!left.ended);
    assert!(!busy("erik") && busy("ben"));
    assert!(matches!(refused(erp.leave_meeting(&id, "erik").unwrap()), Error::NotAParticipant(_)));
    // One the platform does not know is answered as a join answers them.
    assert!(matches!(refused(erp.leave_meeting(&id, "ghost").unwrap()), Error::UnknownUser(_)));

    // Two: either leaving ends it for both; the one still inside is told.
    let (left, effects) = ok(erp.leave_meeting(&id, "ben").unwrap());
    assert!(left.ended);
    let told: Vec<&str> = effects
        .iter()
        .filter(|e| matches!(e, Effect::Signal { signal: PageSignal::MeetingEnded(m), .. } if *m == id))
        .filter_map(|e| e.user())
        .collect();
    assert_eq!(told, ["ana"]);
    assert_eq!(left.meeting.state, MeetingState::Ended);
    assert!(left.meeting.ended_at.is_some());
    assert!(!busy("ana") && !busy("ben"));
    let chat = views::chat(&w.harness.db().effects("erp").unwrap(), &case);
    assert_eq!(chat.last().unwrap().item.text, "The meeting has ended.");

    // An ended meeting cannot be joined or left, and the Meet tab is empty again.
    let before = w.snapshot();
    assert!(matches!(
        refused(erp.join_meeting(&id, "ana", EntryPoint::ChatLink).unwrap()),
        Error::MeetingEnded(_)
    ));
    assert!(matches!(refused(erp.leave_meeting(&id, "ana").unwrap()), Error::MeetingEnded(_)));
    assert_eq!(before, w.snapshot());
    assert_eq!(ok(erp.meeting_in_context(&case).unwrap()).0, None);
    let (next, _) = ok(erp.start_meeting(&case, "ben", &ids(&["ben"])).unwrap());
    assert!(next.created && next.meeting.id != id);
}

#[test]
fn someone_in_two_meetings_stays_busy_until_out_of_both() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let busy = |u: &str| w.presence("erp", u) == PresenceState::Busy;
    let case = Context::Case("CASE-1042".into());
    let (in_case, _) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "ben"])).unwrap());
    ok(erp.join_meeting(&in_case.meeting.id, "ben", EntryPoint::Toaster).unwrap());
    ok(erp.join_meeting(&in_case.meeting.id, "erik", EntryPoint::ChatLink).unwrap());
    let sales = Context::Group("sales".into());
    let (in_sales, _) = ok(erp.start_meeting(&sales, "ben", &ids(&["ben", "chloe"])).unwrap());

    // Ben leaves the group's meeting (it ends) but is still in the case's.
    let (left, effects) = ok(erp.leave_meeting(&in_sales.meeting.id, "ben").unwrap());
    assert!(left.ended);
    assert!(busy("ben"), "still in the case's meeting");
    assert!(!effects.iter().any(|e| e.user() == Some("ben") && matches!(e, Effect::Presence { .. })));

    // Out of the case's meeting too: available.
    let (_, effects) = ok(erp.leave_meeting(&in_case.meeting.id, "ben").unwrap());
    assert!(!busy("ben"), "out of both: available");
    assert!(effects.contains(&Effect::Presence { user: "ben".into(), state: PresenceState::Available }));
    assert!(busy("ana"), "the case's meeting goes on with ana and erik");
}

#[test]
fn the_last_participant_leaving_ends_the_meeting() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (started, _) =
        ok(erp.start_meeting(&Context::Group("sales".into()), "chloe", &ids(&["chloe"])).unwrap());
    // A leave that names no meeting is refused as such.
    let e = refused(erp.leave_meeting("", "chloe").unwrap());
    assert!(matches!(e, Error::InvalidInput(ref m) if m.contains("meeting id")), "{e:?}");
    let (left, _) = ok(erp.leave_meeting(&started.meeting.id, "chloe").unwrap());
    assert!(left.ended);
}

#[test]
fn simultaneous_starts_in_one_context_make_one_meeting() {
    let w = World::new();
    let case = Context::Case("CASE-1042".into());
    for _round in 0..5 {
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = ["ana", "ben", "erik"]
                .into_iter()
                .map(|u| {
                    let h = &w.harness;
                    let case = case.clone();
                    s.spawn(move || ok(h.erp().unwrap().start_meeting(&case, u, &[u.to_string()]).unwrap()).0)
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results.iter().filter(|s| s.created).count(), 1, "exactly one start creates");
        assert!(results.iter().all(|s| s.meeting.id == results[0].meeting.id));
        let erp = w.harness.erp().unwrap();
        let id = &results[0].meeting.id;
        for u in ["ana", "ben", "erik"] {
            let _ = erp.leave_meeting(id, u).unwrap();
        }
        assert_eq!(ok(erp.get_meeting(id).unwrap()).0.state, MeetingState::Ended);
    }
}

/// A start pressed while the last participants leave the meeting running there starts
/// a meeting (or joins it, while it still runs): it is never refused because that meeting
/// ended under it.
#[test]
fn a_start_while_the_running_meeting_ends_is_not_refused() {
    let w = World::new();
    let sales = Context::Group("sales".into());
    let erp = w.harness.erp().unwrap();
    for round in 0..20 {
        let (ana, _) = ok(erp.start_meeting(&sales, "ana", &ids(&["ana", "ben"])).unwrap());
        ok(erp.join_meeting(&ana.meeting.id, "ben", EntryPoint::ChatLink).unwrap());
        let barrier = std::sync::Barrier::new(2);
        let (left, started) = std::thread::scope(|s| {
            let (h, barrier, id) = (&w.harness, &barrier, &ana.meeting.id);
            let leave = s.spawn(move || {
                barrier.wait();
                h.erp().unwrap().leave_meeting(id, "ben").unwrap().value
            });
            let start = s.spawn(|| {
                let erp = w.harness.erp().unwrap();
                barrier.wait();
                erp.start_meeting(&sales, "chloe", &ids(&["chloe"])).unwrap().value
            });
            (leave.join().unwrap(), start.join().unwrap())
        });
        // Ended, or not when Chloé's start joined it first (three were in it then).
        assert!(left.is_ok(), "round {round}: {left:?}");
        let started = started.unwrap_or_else(|e| panic!("round {round}: {e:?}"));
        let meeting = ok(erp.get_meeting(&started.meeting.id).unwrap()).0;
        assert!(meeting.present.contains(&"chloe".to_string()), "round {round}: {meeting:?}");
        for u in ["ana", "chloe"] {
            let _ = erp.leave_meeting(&meeting.id, u).unwrap();
        }
    }
}

/// A platform that relates the initiator to a group but leaves them out of its listing
/// (the group changed between the two questions) gets a typed refusal, not a trap, and
/// nothing is stored.
#[test]
fn a_platform_that_contradicts_itself_gets_a_typed_refusal() {
    let w = World::new();
    let platform = meetkit_tests::platform::Wayward::new(std::sync::Arc::new(w.harness.erp_world().unwrap()));
    let erp = w.harness.platform("erp", platform.clone());
    let sales = Context::Group("sales".into());
    platform.leave_out_of_listings(Some("ana"));
    let before = w.snapshot();
    match refused(erp.resolve_participants(&sales, "ana").unwrap()) {
        Error::NotAParticipant(m) => assert!(m.contains("ana") && m.contains("among"), "{m}"),
        other => panic!("expected not-a-participant, got {other:?}"),
    }
    assert_eq!(before, w.snapshot());
    platform.leave_out_of_listings(None);
    assert_eq!(lobby_ids(&w, &sales, "ana")[0], "ana");
}

/// A JaaS participant event for `user` in `room` at `at`, as a delivery the host has verified.
fn participant_joined(w: &World, room: &str, key: &str, user: &str, at: i64) -> String {
    let app = &w.harness.config().jaas.app_id;
    serde_json::json!({
        "idempotencyKey": key, "customerId": "c", "appId": app, "eventType": "PARTICIPANT_JOINED",
        "sessionId": "s", "timestamp": at, "fqn": format!("{app}/{room}"), "data": {"id": user}
    })
    .to_string()
}

/// A meeting nobody ends (the tabs were closed, the pop-up blocked, no webhook came) is
/// ended by the tick after twelve hours without a sign of life, which frees its context
/// and the people still shown in it; a participant event from JaaS is such a sign.
#[test]
fn a_meeting_nobody_ends_closes_after_twelve_quiet_hours() {
    const HOUR: Duration = Duration::from_secs(3600);
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (started, _) = ok(erp.start_meeting(&sales, "ana", &ids(&["ana", "ben"])).unwrap());
    let id = started.meeting.id.clone();
    assert_eq!(w.presence("erp", "ana"), PresenceState::Busy);

    w.clock.advance(6 * HOUR).unwrap();
    let event = participant_joined(&w, &started.meeting.room, "j-ben", "ben", w.clock.now_ms());
    assert!(ok(erp.on_jaas_webhook(&event).unwrap()).0.applied);
    w.clock.advance(6 * HOUR).unwrap();
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty(), "Ben joined six hours ago");
    w.clock.advance(6 * HOUR - Duration::from_millis(1)).unwrap();
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty(), "not before twelve quiet hours");
    w.clock.advance(Duration::from_millis(1)).unwrap();
    let (report, _) = ok(erp.tick().unwrap());
    assert_eq!(report.ended_meetings, vec![id.clone()]);
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.state, MeetingState::Ended);
    assert_eq!(w.presence("erp", "ana"), PresenceState::Available);
    assert_eq!(w.presence("erp", "ben"), PresenceState::Available);
    assert!(ok(erp.meeting_in_context(&sales).unwrap()).0.is_none());
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty(), "once");
    let (next, _) = ok(erp.start_meeting(&sales, "ana", &ids(&["ana", "ben"])).unwrap());
    assert!(next.created && next.meeting.id != id, "the group may meet again");

    // A meeting that ended as usual is not touched.
    ok(erp.leave_meeting(&next.meeting.id, "ana").unwrap());
    w.clock.advance(13 * HOUR).unwrap();
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty());
}

/// A second Start in a context joins the meeting running there and invites whom it
/// selected: the newly selected hear of it as from a first Start; nobody hears twice.
#[test]
fn a_second_start_invites_whom_it_selected() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let (first, _) = ok(erp.start_meeting(&case, "ben", &ids(&["ben"])).unwrap());
    let (second, effects) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "erik", "ben"])).unwrap());
    assert!(!second.created);
    assert_eq!(second.meeting.id, first.meeting.id);
    assert!(second.meeting.invited.contains(&"erik".to_string()), "{:?}", second.meeting.invited);
    let told = |effects: &[Effect]| -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Toast { user, toast } if toast.melody.is_some() => Some(user.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(told(&effects), ["erik"], "Ben is in it already, and Ana pressed Start");
    let log = w.harness.db().effects("erp").unwrap();
    let bell = views::bell(&log, "erik", &Default::default());
    assert_eq!(bell.len(), 1);
    assert!(bell[0].item.notification.text.starts_with("Ana"), "{:?}", bell[0].item.notification);
    // The invited may join; and pressing Start again invites nobody twice.
    ok(erp
        .join_meeting(&first.meeting.id, "erik", meetkit_host::bindings::meetings::EntryPoint::Notification)
        .unwrap());
    let (_, effects) = ok(erp.start_meeting(&case, "erik", &ids(&["erik", "ana"])).unwrap());
    assert!(told(&effects).is_empty());
    // The notifications leave the bells when the meeting ends.
    let m = ok(erp.get_meeting(&first.meeting.id).unwrap()).0;
    for user in &m.present {
        if ok(erp.leave_meeting(&m.id, user).unwrap()).0.ended {
            break;
        }
    }
    let log = w.harness.db().effects("erp").unwrap();
    assert!(views::bell(&log, "erik", &Default::default()).is_empty());

    // Someone who joined from the chat is in the meeting: selecting them invites them
    // to nothing.
    let sales = Context::Group("sales".into());
    let (started, _) = ok(erp.start_meeting(&sales, "ana", &ids(&["ana"])).unwrap());
    ok(erp
        .join_meeting(&started.meeting.id, "chloe", meetkit_host::bindings::meetings::EntryPoint::ChatLink)
        .unwrap());
    let (_, effects) = ok(erp.start_meeting(&sales, "ben", &ids(&["ben", "chloe"])).unwrap());
    assert!(told(&effects).is_empty(), "{effects:?}");
}

/// Ana starts the sales group's meeting with ben while the platform refuses bells: the
/// start fails after storing the meeting. Answers the context and the selection.
fn start_while_the_platform_refuses_bells(w: &World) -> (Context, Vec<String>) {
    let sales = Context::Group("sales".into());
    let selection: Vec<String> = ["ana", "ben"].iter().map(|s| s.to_string()).collect();
    w.platform_refuses(Some("notification"));
    assert!(w.harness.erp().unwrap().start_meeting(&sales, "ana", &selection).is_err(), "the start fails");
    w.platform_refuses(None);
    (sales, selection)
}

/// How many bell entries `user` has on the ERP platform.
fn bells(w: &World, user: &str) -> usize {
    let log = w.harness.db().effects("erp").unwrap();
    views::bell(&log, user, &Default::default()).len()
}

/// A start that stopped before announcing, and that nobody repeats after the lease (the
/// one repeat came at once, and was taken for the same moment), is announced by the
/// tick once the lease has run out: the invitees are told once.
#[test]
fn a_start_the_platform_could_not_show_is_announced_by_the_tick() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (sales, selection) = start_while_the_platform_refuses_bells(&w);
    let bell = |user: &str| bells(&w, user);
    ok(erp.start_meeting(&sales, "ana", &selection).unwrap());
    ok(erp.tick().unwrap());
    assert_eq!(bell("ben"), 0, "left to the start that claimed it, for the lease");

    w.clock.advance(Duration::from_secs(10)).unwrap();
    ok(erp.tick().unwrap());
    assert_eq!(bell("ben"), 1, "the tick told ben");
    // The whole announcement is made again: the chat's comment, which the platform kept
    // before it failed the bells, is posted a second time (a claim does not note which
    // parts were shown, and a comment twice is better than invitees never told).
    let log = w.harness.db().effects("erp").unwrap();
    let comments = log.iter().filter(|e| matches!(&e.effect, Effect::Comment { .. })).count();
    assert_eq!(comments, 2);

    w.clock.advance(Duration::from_secs(60)).unwrap();
    ok(erp.tick().unwrap());
    ok(erp.start_meeting(&sales, "ana", &selection).unwrap());
    assert_eq!(bell("ben"), 1, "told once");
}

/// The platform still down when the tick first tries: the tick's own claim fails with
/// it, and a tick within that claim's lease leaves it, to come back when it runs out.
#[test]
fn a_start_the_tick_could_not_announce_either_is_announced_by_a_later_tick() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    start_while_the_platform_refuses_bells(&w);
    w.clock.advance(Duration::from_secs(10)).unwrap();
    w.platform_refuses(Some("notification"));
    assert!(erp.tick().is_err(), "the tick's announcement fails as the start's did");
    w.platform_refuses(None);
    w.clock.advance(Duration::from_secs(5)).unwrap();
    ok(erp.tick().unwrap());
    assert_eq!(bells(&w, "ben"), 0, "left to the failed tick's claim, for the lease");
    w.clock.advance(Duration::from_secs(5)).unwrap();
    ok(erp.tick().unwrap());
    assert_eq!(bells(&w, "ben"), 1, "told when that claim ran out");
}

/// A start whose announcement the platform could not keep (its database down) fails;
/// the meeting it stored is running. A start at once after is taken for one at the same
/// moment as the first (which announces), and announces nothing; one after the lease
/// announces it: the invitees are told once.
#[test]
fn a_start_the_platform_could_not_show_is_announced_by_a_later_start() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (sales, selection) = start_while_the_platform_refuses_bells(&w);
    let bell = |user: &str| bells(&w, user);
    assert_eq!(bell("ben"), 0, "ben was not told");

    let (again, _) = ok(erp.start_meeting(&sales, "ana", &selection).unwrap());
    assert!(!again.created, "the meeting stored by the failed start is the one");
    assert_eq!(bell("ben"), 0, "left to the start that claimed it, for the lease");
    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (_, effects) = ok(erp.start_meeting(&sales, "ana", &selection).unwrap());
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Notification { user, .. } if user == "ben")),
        "{effects:?}"
    );
    assert_eq!(bell("ben"), 1);
    w.clock.advance(Duration::from_secs(60)).unwrap();
    ok(erp.start_meeting(&sales, "ana", &selection).unwrap());
    assert_eq!(bell("ben"), 1, "told once");
}

/// Ana starts a meeting with Ben in each of `n` groups of the two, added to the world.
fn meetings_of_ana_and_ben(w: &World, n: usize) {
    let mut world = w.harness.erp_world().unwrap();
    let pair: Vec<String> = vec!["ana".into(), "ben".into()];
    for i in 0..n {
        let (id, name) = (format!("g{i}"), format!("Group {i}"));
        world.groups.push(meetkit_host::erp::Group { id, name, members: pair.clone() });
    }
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let erp = w.harness.erp().unwrap();
    for i in 0..n {
        ok(erp.start_meeting(&Context::Group(format!("g{i}")), "ana", &pair).unwrap());
    }
}

/// Meetings nobody ended close twenty a tick (each end is many writes); the cap counts
/// endings only, so that a start cut short in the same tick is still announced.
#[test]
fn quiet_meetings_end_twenty_a_tick_without_holding_back_other_work() {
    let w = World::new();
    meetings_of_ana_and_ben(&w, 21);
    let erp = w.harness.erp().unwrap();
    w.clock.advance(Duration::from_secs(13 * 3600)).unwrap();
    start_while_the_platform_refuses_bells(&w);
    let told_of_sales = || {
        let log = w.harness.db().effects("erp").unwrap();
        let bell = views::bell(&log, "ben", &Default::default());
        bell.iter().filter(|b| b.item.notification.context == Context::Group("sales".into())).count()
    };
    assert_eq!(told_of_sales(), 0);
    w.clock.advance(Duration::from_secs(10)).unwrap();
    assert_eq!(ok(erp.tick().unwrap()).0.ended_meetings.len(), 20);
    assert_eq!(told_of_sales(), 1, "the cut-short start is announced in the same tick");
    assert_eq!(ok(erp.tick().unwrap()).0.ended_meetings.len(), 1);
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty());
}

/// Someone in a hundred and fifty meetings nobody ended (tabs closed, no webhooks) is
/// freed twenty meetings a tick, each tick within its budget, and is Busy until the last.
#[test]
fn someone_in_many_meetings_nobody_ended_is_freed_twenty_a_tick() {
    const MEETINGS: usize = 150;
    let w = World::new();
    meetings_of_ana_and_ben(&w, MEETINGS);
    let erp = w.harness.erp().unwrap();
    w.clock.advance(Duration::from_secs(13 * 3600)).unwrap();
    let mut ended = 0;
    while ended < MEETINGS {
        let now_ended = ok(erp.tick().unwrap()).0.ended_meetings.len();
        assert!(now_ended > 0 && now_ended <= 20, "{now_ended} ended in one tick");
        ended += now_ended;
        let expected = if ended < MEETINGS { PresenceState::Busy } else { PresenceState::Available };
        assert_eq!(w.presence("erp", "ana"), expected, "after {ended} ended");
    }
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty());
}

/// The texts of the case's chat on the ERP platform, oldest first.
fn chat_texts(w: &World, context: &Context) -> Vec<String> {
    let log = w.harness.db().effects("erp").unwrap();
    views::chat(&log, context).into_iter().map(|c| c.item.text).collect()
}

/// Ana's meeting in the case with Ben invited, which `leaver`'s leave ended while the
/// store failed every write of a context: the meeting is ended, nothing after that is
/// done. Answers the meeting.
fn end_cut_short(w: &World, store: &meetkit_tests::faulty::Faulty, leaver: &str) -> String {
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let (started, _) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "ben"])).unwrap());
    let id = started.meeting.id;
    if leaver != "ana" {
        ok(erp.join_meeting(&id, leaver, EntryPoint::Toaster).unwrap());
    }
    store.fail_writes_under(Some("context/"));
    let e = erp.leave_meeting(&id, leaver).unwrap().value.unwrap_err();
    assert!(matches!(e, Error::StoreFailure(_)), "{e:?}");
    store.fail_writes_under(None);
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.state, MeetingState::Ended);
    id
}

/// A leave that ended the meeting but failed before what follows the end (the store
/// went away): the meeting is over, yet Ana still shows Busy and the chat does not say
/// so. The tick finishes the end once its lease has run out, once.
#[test]
fn an_end_a_failure_cut_short_is_finished_by_the_tick() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let id = end_cut_short(&w, &store, "ben");
    assert_eq!(w.presence("erp", "ana"), PresenceState::Busy, "the end stopped before her");
    assert_ne!(chat_texts(&w, &case).last().unwrap(), "The meeting has ended.");
    assert!(matches!(refused(erp.leave_meeting(&id, "ben").unwrap()), Error::MeetingEnded(_)));

    assert!(ok(erp.tick().unwrap()).0.finished_ends.is_empty(), "left to the leave for its lease");
    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (report, effects) = ok(erp.tick().unwrap());
    assert_eq!(report.finished_ends, std::slice::from_ref(&id));
    assert_eq!(w.presence("erp", "ana"), PresenceState::Available);
    assert_eq!(w.presence("erp", "ben"), PresenceState::Available);
    assert!(
        effects
            .contains(&Effect::Signal { user: "ana".into(), signal: PageSignal::MeetingEnded(id.clone()) })
    );
    assert_eq!(bells(&w, "ben"), 0, "the start's bell no longer asks ben to join");
    assert_eq!(ok(erp.meeting_in_context(&case).unwrap()).0, None);

    w.clock.advance(Duration::from_secs(60)).unwrap();
    assert!(ok(erp.tick().unwrap()).0.finished_ends.is_empty(), "once");
    let ended = chat_texts(&w, &case).iter().filter(|t| *t == "The meeting has ended.").count();
    assert_eq!(ended, 1);
}

/// An end the store stopped before the case was freed, and a new meeting started in the
/// case, with Ben invited again, before the tick finished the old end: finishing it
/// leaves the new meeting's bell, chat and people alone.
#[test]
fn finishing_an_end_leaves_a_meeting_started_since_alone() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let first = end_cut_short(&w, &store, "ana");

    let (second, _) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "ben"])).unwrap());
    assert!(second.created);
    let second = second.meeting.id;
    assert_eq!(bells(&w, "ben"), 1, "invited to the new meeting");
    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (report, _) = ok(erp.tick().unwrap());
    assert_eq!(report.finished_ends, [first]);
    assert_eq!(bells(&w, "ben"), 1, "the new meeting's bell stays");
    assert_eq!(w.presence("erp", "ana"), PresenceState::Busy, "in the new meeting");
    assert_eq!(ok(erp.meeting_in_context(&case).unwrap()).0.unwrap().id, second);
    assert_ne!(
        chat_texts(&w, &case).last().unwrap(),
        "The meeting has ended.",
        "the chat is about the new one"
    );
}

/// An end cut short before anything followed it (the store could not read the case's
/// meeting), and a new meeting started in the case with Ben invited again before the
/// tick finished the old end: Ben's bell ends up asking him to join the new meeting
/// only. The old meeting's bell does not outlive it, and the new one's is not taken
/// with it.
#[test]
fn a_late_end_takes_back_its_own_bell_and_no_other() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let (first, _) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "ben"])).unwrap());
    let first = first.meeting.id;
    store.fail_reads_under(Some("context/"));
    let e = erp.leave_meeting(&first, "ana").unwrap().value.unwrap_err();
    assert!(matches!(e, Error::StoreFailure(_)), "{e:?}");
    store.fail_reads_under(None);
    assert_eq!(ok(erp.get_meeting(&first).unwrap()).0.state, MeetingState::Ended);

    let (second, _) = ok(erp.start_meeting(&case, "ana", &ids(&["ana", "ben"])).unwrap());
    assert!(second.created);
    let second = second.meeting.id;
    let links = || {
        let log = w.harness.db().effects("erp").unwrap();
        let bell = views::bell(&log, "ben", &Default::default());
        bell.into_iter().map(|b| b.item.notification.link.unwrap().url).collect::<Vec<_>>()
    };
    assert_eq!(links(), [format!("meet/{second}")]);
    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (report, _) = ok(erp.tick().unwrap());
    assert_eq!(report.finished_ends, [first]);
    assert_eq!(links(), [format!("meet/{second}")], "the new meeting's bell stays");
    ok(erp.leave_meeting(&second, "ana").unwrap());
    assert!(links().is_empty(), "and goes with its meeting");
}

/// The list of ends under way unreadable: the tick does the rest of its work and
/// reports it (the host acts on its report), and finishes the end once it can.
#[test]
fn a_store_failing_the_ends_under_way_fails_no_tick() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let id = end_cut_short(&w, &store, "ana");
    w.clock.advance(Duration::from_secs(10)).unwrap();
    store.fail_reads_under(Some("index/ending-meetings"));
    assert!(ok(erp.tick().unwrap()).0.finished_ends.is_empty());
    store.fail_reads_under(None);
    assert_eq!(ok(erp.tick().unwrap()).0.finished_ends, [id]);
}
