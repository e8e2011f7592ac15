//! The domain core, natively, against the in-memory host and store.

use meetkit_plugin::Meetkit;
use meetkit_plugin::call_request::{RequestAction, RequestFilter, RequestOutcome, RequestStatus};
use meetkit_plugin::error::MeetError;
use meetkit_plugin::host::{ClosedReason, Kv, PageSignal, Presence};
use meetkit_plugin::meeting::{EntryPoint, STARTED_TEXT};
use meetkit_plugin::model::{Context, Licence, Relation, SECOND, UserKind};
use meetkit_plugin::testing::{Effect, FakeHost, MemoryKv};

fn erp() -> FakeHost {
    let mut host = FakeHost::new(Licence::X20Advanced);
    for u in ["ana", "ben", "cy"] {
        host.add_user(u, UserKind::Internal);
    }
    host.add_user("eve", UserKind::External);
    host.add_context(
        Context::Group("g".into()),
        &[
            ("ana", Relation::Member),
            ("ben", Relation::Member),
            ("cy", Relation::Member),
            ("eve", Relation::Member),
        ],
    );
    host
}

fn sel(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn start_notifies_everyone_invited_but_the_initiator() {
    let host = erp();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let g = Context::Group("g".into());
    let started = mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "ben", "eve"])).unwrap();
    assert!(started.created);
    assert!(started.ticket.moderator);
    let effects = host.take_effects();
    let comments: Vec<_> = effects.iter().filter(|e| matches!(e, Effect::Comment(..))).collect();
    assert_eq!(comments.len(), 1);
    assert!(matches!(comments[0], Effect::Comment(c, comment) if *c == g && comment.text == STARTED_TEXT));
    let notified: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notify(u, _) => Some(u.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notified, ["ben", "eve"]);
    let toasted: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Toast(u, t) => Some((u.as_str(), t.duration_ms, t.melody.is_some())),
            _ => None,
        })
        .collect();
    assert_eq!(toasted, [("ben", 10_000, true), ("eve", 10_000, true)]);
    assert!(effects.contains(&Effect::Presence("ana".into(), Presence::Busy)));
}

#[test]
fn the_initiator_must_stay_selected_and_strangers_cannot_be() {
    let host = erp();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let g = Context::Group("g".into());
    assert!(matches!(
        mk.start_meeting_from_context(&g, "ana", &sel(&["ben"])),
        Err(MeetError::InvalidInput(_))
    ));
    assert!(matches!(
        mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "ana"])),
        Err(MeetError::InvalidInput(_))
    ));
    assert!(matches!(
        mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "zz"])),
        Err(MeetError::UnknownUser(_))
    ));
    assert!(host.take_effects().is_empty(), "a refused start shows nothing");
    assert!(mk.running_meeting(&g).unwrap().is_none());
}

#[test]
fn a_second_start_returns_the_running_meeting() {
    let host = erp();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let g = Context::Group("g".into());
    let first = mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "ben"])).unwrap();
    let second = mk.start_meeting_from_context(&g, "ben", &sel(&["ben"])).unwrap();
    assert!(!second.created);
    assert_eq!(second.meeting.id, first.meeting.id);
    assert_eq!(second.meeting.present, ["ana", "ben"]);
}

#[test]
fn internal_users_moderate_on_either_licence_and_record_on_x20() {
    // JaaS lets only moderators start a recording; X20 lets every internal user record.
    let g = Context::Group("g".into());
    let everyone = sel(&["ana", "ben", "eve"]);
    let kv = MemoryKv::default();
    let host = erp();
    let mk = Meetkit::new(&host, &kv);
    let id = mk.start_meeting_from_context(&g, "ana", &everyone).unwrap().meeting.id;
    let ben = mk.join_meeting(&id, "ben", EntryPoint::Toaster).unwrap();
    assert!(ben.moderator && ben.recording_allowed);
    let eve = mk.join_meeting(&id, "eve", EntryPoint::Toaster).unwrap();
    assert!(!eve.moderator && !eve.recording_allowed, "external users neither record nor moderate");

    // On X19 nobody records; internal users still moderate.
    let kv = MemoryKv::default();
    let mut host = erp();
    host.licence = Licence::X19Basic;
    let mk = Meetkit::new(&host, &kv);
    let started = mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "ben"])).unwrap();
    assert!(started.ticket.moderator && !started.ticket.recording_allowed);
    let ben = mk.join_meeting(&started.meeting.id, "ben", EntryPoint::Toaster).unwrap();
    assert!(ben.moderator && !ben.recording_allowed);
}

#[test]
fn two_participants_end_when_either_leaves_and_the_context_frees() {
    let host = erp();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let g = Context::Group("g".into());
    let m = mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "ben", "cy"])).unwrap().meeting;
    mk.join_meeting(&m.id, "ben", EntryPoint::Toaster).unwrap();
    mk.join_meeting(&m.id, "cy", EntryPoint::ChatLink).unwrap();
    assert!(!mk.leave_meeting(&m.id, "cy").unwrap().ended, "three became two: it goes on");
    host.take_effects();
    let left = mk.leave_meeting(&m.id, "ana").unwrap();
    assert!(left.ended, "two became one: it ends");
    let effects = host.take_effects();
    assert!(effects.contains(&Effect::Presence("ana".into(), Presence::Available)));
    assert!(effects.contains(&Effect::Presence("ben".into(), Presence::Available)));
    assert!(matches!(mk.join_meeting(&m.id, "ben", EntryPoint::MeetTab), Err(MeetError::MeetingEnded(_))));
    assert!(matches!(mk.leave_meeting(&m.id, "ben"), Err(MeetError::MeetingEnded(_))));
    assert!(mk.running_meeting(&g).unwrap().is_none());
    let again = mk.start_meeting_from_context(&g, "ben", &sel(&["ben"])).unwrap();
    assert!(again.created && again.meeting.id != m.id);
}

#[test]
fn recording_is_for_internal_users_on_x20_only() {
    let mut host = erp();
    let kv = MemoryKv::default();
    let g = Context::Group("g".into());
    {
        let mk = Meetkit::new(&host, &kv);
        let m = mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "eve"])).unwrap();
        assert!(m.ticket.recording_allowed);
        let eve = mk.join_meeting(&m.meeting.id, "eve", EntryPoint::Notification).unwrap();
        assert!(!eve.recording_allowed);
    }
    host.licence = Licence::X19Basic;
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let m = mk.start_meeting_from_context(&g, "ana", &sel(&["ana"])).unwrap();
    assert!(!m.ticket.recording_allowed);
    assert!(matches!(
        mk.join_meeting(&m.meeting.id, "eve", EntryPoint::MeetTab),
        Err(MeetError::LicenceForbids(_))
    ));
}

fn crm() -> FakeHost {
    let mut host = FakeHost::new(Licence::X20Advanced);
    host.add_staff("s1", &["Support"]);
    host.add_staff("s2", &["Support"]);
    host.add_staff("s3", &["Sales"]);
    host.add_client("acme", &["john"]);
    host.call_config.notify =
        vec![meetkit_plugin::call_request::StaffRule::Departments(vec!["support".into()])];
    host
}

fn request_id(o: RequestOutcome) -> String {
    match o {
        RequestOutcome::Requested(r) => r.id,
        other => panic!("expected a new request, got {other:?}"),
    }
}

/// John of Acme asks for a call: the new request's id.
fn call_from_acme(mk: &Meetkit<'_>) -> String {
    request_id(
        mk.handle_request(RequestAction::RequestCall { client: "acme".into(), contact: "john".into() })
            .unwrap(),
    )
}

#[test]
fn a_request_nobody_would_be_told_of_is_refused_and_leaves_nothing() {
    let mut host = crm();
    for s in &mut host.staff {
        s.active = s.departments != ["Support"];
    }
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let refused =
        mk.handle_request(RequestAction::RequestCall { client: "acme".into(), contact: "john".into() });
    assert!(matches!(refused, Err(MeetError::Unavailable(ref m)) if m.contains("nobody can take a call")));
    assert!(host.take_effects().is_empty());
    assert_eq!(kv.list_keys(None).unwrap().0, Vec::<String>::new(), "no request was stored");
    // Once a Support agent is back, John's request goes through.
    host.staff[0].active = true;
    let mk = Meetkit::new(&host, &kv);
    call_from_acme(&mk);
}

#[test]
fn a_request_notifies_eligible_staff_and_is_accepted_once() {
    let host = crm();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let id = request_id(
        mk.handle_request(RequestAction::RequestCall { client: "acme".into(), contact: "john".into() })
            .unwrap(),
    );
    let added: Vec<_> = host
        .take_effects()
        .into_iter()
        .filter_map(|e| match e {
            Effect::Signal(u, PageSignal::RequestAdded(_)) => Some(u),
            _ => None,
        })
        .collect();
    assert_eq!(added, ["s1", "s2"], "departments match case-insensitively; Sales is not told");
    let again = mk
        .handle_request(RequestAction::RequestCall { client: "acme".into(), contact: "john".into() })
        .unwrap();
    assert!(matches!(again, RequestOutcome::Existing(r) if r.id == id));

    let won = mk.handle_request(RequestAction::Accept { request: id.clone(), staff: "s2".into() }).unwrap();
    assert!(
        matches!(won, RequestOutcome::Accepted(ref r, ref t) if r.accepted_by.as_deref() == Some("s2") && t.moderator)
    );
    match mk.handle_request(RequestAction::Accept { request: id.clone(), staff: "s1".into() }) {
        Err(MeetError::AlreadyTaken(t)) => assert_eq!(t.by, "s2"),
        other => panic!("expected already taken, got {other:?}"),
    }
    assert!(matches!(
        mk.handle_request(RequestAction::Accept { request: id.clone(), staff: "s3".into() }),
        Err(MeetError::NotAParticipant(_))
    ));
    assert!(matches!(
        mk.handle_request(RequestAction::Cancel { request: id.clone(), contact: "john".into() }),
        Err(MeetError::InvalidTransition(_))
    ));
}

#[test]
fn completion_frees_the_client_and_expiry_happens_at_the_deadline() {
    let host = crm();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let id = request_id(
        mk.handle_request(RequestAction::RequestCall { client: "acme".into(), contact: "john".into() })
            .unwrap(),
    );
    assert!(matches!(
        mk.handle_request(RequestAction::Complete { request: id.clone(), staff: "s1".into() }),
        Err(MeetError::InvalidTransition(_))
    ));
    mk.handle_request(RequestAction::Accept { request: id.clone(), staff: "s1".into() }).unwrap();
    let done =
        mk.handle_request(RequestAction::Complete { request: id.clone(), staff: "s1".into() }).unwrap();
    assert!(matches!(done, RequestOutcome::Completed(r) if r.status == RequestStatus::Completed));
    assert!(mk.list_requests(&RequestFilter::Active, 0, 50).unwrap().items.is_empty());

    let id2 = request_id(
        mk.handle_request(RequestAction::RequestCall { client: "acme".into(), contact: "john".into() })
            .unwrap(),
    );
    host.advance(300 * SECOND - 1);
    assert!(mk.tick().unwrap().expired_requests.is_empty(), "one millisecond before the deadline");
    host.take_effects();
    host.advance(1);
    assert_eq!(mk.tick().unwrap().expired_requests, vec![id2.clone()]);
    assert!(host.take_effects().contains(&Effect::Signal(
        "john".into(),
        PageSignal::RequestClosed(id2.clone(), ClosedReason::Expired)
    )));
    assert!(mk.tick().unwrap().expired_requests.is_empty(), "a second tick does nothing");
    let history: Vec<_> = mk.get_request(&id2).unwrap().history.into_iter().map(|h| h.action).collect();
    assert_eq!(history, ["requested", "expired"]);
}

#[test]
fn a_start_the_host_cannot_sign_leaves_no_meeting_behind() {
    let host = erp();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let g = Context::Group("g".into());
    host.fail_signing.set(true);
    assert!(matches!(
        mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "ben"])),
        Err(MeetError::HostFailure(_))
    ));
    assert!(mk.running_meeting(&g).unwrap().is_none());
    assert!(host.take_effects().is_empty());
    host.fail_signing.set(false);
    let again = mk.start_meeting_from_context(&g, "ana", &sel(&["ana", "ben"])).unwrap();
    assert!(again.created, "the retry is announced like a first start");
    assert!(host.take_effects().iter().any(|e| matches!(e, Effect::Notify(u, _) if u == "ben")));
}

/// Listings leave each request's history in the store, and every other field is as a
/// full read gives it.
#[test]
fn listings_read_every_field_but_the_history() {
    let host = crm();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let id = call_from_acme(&mk);
    mk.handle_request(RequestAction::Accept { request: id.clone(), staff: "s1".into() }).unwrap();
    let full = mk.get_request(&id).unwrap();
    assert_eq!(full.history.len(), 2);
    for filter in [RequestFilter::Active, RequestFilter::All, RequestFilter::Client("acme".into())] {
        let listed = mk.list_requests(&filter, 0, 50).unwrap().items;
        assert_eq!(listed.len(), 1);
        let l = listed[0].clone();
        assert_eq!(
            (l.id, l.client_id, l.client_name, l.contact, l.contact_name, l.status),
            (
                full.id.clone(),
                full.client_id.clone(),
                full.client_name.clone(),
                full.contact.clone(),
                full.contact_name.clone(),
                full.status
            )
        );
        assert_eq!(
            (l.requested_at, l.expires_at, l.notified, l.ignored_by, l.accepted_by, l.meeting, l.closed_at),
            (
                full.requested_at,
                full.expires_at,
                full.notified.clone(),
                full.ignored_by.clone(),
                full.accepted_by.clone(),
                full.meeting.clone(),
                full.closed_at
            )
        );
    }
}

/// The listing pages through every request, newest first, for all clients or one;
/// a store written before the listing index existed is listed from its records.
#[test]
fn listings_page_through_every_request() {
    let mut host = crm();
    for i in 0..7 {
        host.add_client(&format!("client{i}"), &[&format!("contact{i}")]);
    }
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let mut ids = Vec::new();
    for i in 0..7 {
        host.advance(SECOND);
        let action =
            RequestAction::RequestCall { client: format!("client{i}"), contact: format!("contact{i}") };
        ids.push(request_id(mk.handle_request(action).unwrap()));
    }
    ids.reverse();
    let page = |filter: &RequestFilter, n: u32| {
        let p = mk.list_requests(filter, n, 3).unwrap();
        (p.items.into_iter().map(|r| r.id).collect::<Vec<_>>(), p.total)
    };
    assert_eq!(page(&RequestFilter::All, 0), (ids[0..3].to_vec(), 7));
    assert_eq!(page(&RequestFilter::All, 2), (ids[6..7].to_vec(), 7));
    assert_eq!(page(&RequestFilter::All, 3), (vec![], 7));
    assert_eq!(page(&RequestFilter::Client("client2".into()), 0), (vec![ids[4].clone()], 1));
    assert_eq!(page(&RequestFilter::Active, 1), (ids[3..6].to_vec(), 7));
    assert!(matches!(mk.list_requests(&RequestFilter::All, 0, 0), Err(MeetError::InvalidInput(_))));
    assert!(matches!(mk.list_requests(&RequestFilter::All, 0, 201), Err(MeetError::InvalidInput(_))));

    // Without its index (as a store written before there was one), the same pages.
    for key in ["index/requests", "index/request-chunks", "index/request-chunks/0"] {
        kv.delete(key).unwrap();
    }
    assert_eq!(page(&RequestFilter::All, 0), (ids[0..3].to_vec(), 7));
    host.advance(SECOND);
    let action = RequestAction::RequestCall { client: "client0".into(), contact: "contact0".into() };
    mk.handle_request(RequestAction::Cancel { request: ids[6].clone(), contact: "contact0".into() }).unwrap();
    let newest = request_id(mk.handle_request(action).unwrap());
    assert_eq!(page(&RequestFilter::All, 0).1, 8, "the index was rebuilt with the earlier requests");
    assert_eq!(page(&RequestFilter::All, 0).0[0], newest);
}

#[test]
fn completing_again_ends_a_meeting_a_crash_left_running() {
    let host = crm();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let id = call_from_acme(&mk);
    let RequestOutcome::Accepted(accepted, _) =
        mk.handle_request(RequestAction::Accept { request: id.clone(), staff: "s1".into() }).unwrap()
    else {
        panic!("not accepted")
    };
    let meeting = accepted.meeting.unwrap();
    // The request is completed in s1's name, then the process dies before the meeting ends.
    kv.fail_cas_on.set(Some("meeting/"));
    let complete = || mk.handle_request(RequestAction::Complete { request: id.clone(), staff: "s1".into() });
    assert!(matches!(complete(), Err(MeetError::StoreFailure(_))));
    assert!(mk.get_meeting(&meeting).unwrap().is_running());
    kv.fail_cas_on.set(None);
    // Completing again ends it; after that a third completion is refused.
    assert!(
        matches!(complete().unwrap(), RequestOutcome::Completed(ref r) if r.status == RequestStatus::Completed)
    );
    assert!(!mk.get_meeting(&meeting).unwrap().is_running());
    assert!(matches!(complete(), Err(MeetError::InvalidTransition(_))));
    let history = mk.get_request(&id).unwrap().history;
    let completed: Vec<_> = history.iter().filter(|h| h.action == "completed").collect();
    assert_eq!(completed.len(), 1, "completed once");
    assert_eq!(completed[0].actor.as_deref(), Some("s1"));
}

#[test]
fn listing_for_someone_the_platform_does_not_know_is_refused() {
    let host = crm();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    call_from_acme(&mk);
    let panel = |staff: &str| mk.list_requests(&RequestFilter::Panel(staff.into()), 0, 20);
    assert!(matches!(panel("nobody"), Err(MeetError::UnknownUser(_))));
    assert_eq!(panel("s3").unwrap().total, 0, "a known staff member's empty panel is just empty");
    assert_eq!(panel("s1").unwrap().total, 1);
    let client = |id: &str| mk.list_requests(&RequestFilter::Client(id.into()), 0, 20);
    assert!(matches!(client("nope"), Err(MeetError::UnknownContext(_))));
    assert_eq!(client("acme").unwrap().total, 1);
}

#[test]
fn on_x19_a_client_cannot_request_a_call_nobody_could_join() {
    let mut host = crm();
    host.licence = Licence::X19Basic;
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let refused =
        mk.handle_request(RequestAction::RequestCall { client: "acme".into(), contact: "john".into() });
    assert!(matches!(refused, Err(MeetError::LicenceForbids(_))), "{refused:?}");
    assert!(host.take_effects().is_empty());
    assert_eq!(kv.list_keys(None).unwrap().0, Vec::<String>::new());
}

#[test]
fn a_call_made_before_the_licence_was_lowered_to_x19_is_not_taken_up_or_joined_by_the_client() {
    let mut host = crm();
    host.add_client("globex", &["gina"]);
    let kv = MemoryKv::default();
    let (pending, accepted, meeting) = {
        let mk = Meetkit::new(&host, &kv);
        let accepted = call_from_acme(&mk);
        let meeting = match mk
            .handle_request(RequestAction::Accept { request: accepted.clone(), staff: "s1".into() })
            .unwrap()
        {
            RequestOutcome::Accepted(r, _) => r.meeting.unwrap(),
            other => panic!("expected an acceptance, got {other:?}"),
        };
        let pending = request_id(
            mk.handle_request(RequestAction::RequestCall { client: "globex".into(), contact: "gina".into() })
                .unwrap(),
        );
        (pending, accepted, meeting)
    };
    host.licence = Licence::X19Basic;
    host.take_effects();
    let mk = Meetkit::new(&host, &kv);
    let before = kv.list_keys(None).unwrap();
    let accept = mk.handle_request(RequestAction::Accept { request: pending.clone(), staff: "s2".into() });
    assert!(matches!(accept, Err(MeetError::LicenceForbids(_))), "{accept:?}");
    let join = mk.join_meeting(&meeting, "john", EntryPoint::ClientArea);
    assert!(matches!(join, Err(MeetError::LicenceForbids(_))), "{join:?}");
    // The staff member who accepted may still go in, and end the call.
    mk.join_meeting(&meeting, "s1", EntryPoint::ClientArea).unwrap();
    assert_eq!(mk.get_request(&pending).unwrap().status, RequestStatus::Pending);
    assert_eq!(mk.get_request(&accepted).unwrap().status, RequestStatus::Accepted);
    assert_eq!(kv.list_keys(None).unwrap().0.len(), before.0.len());
}

#[test]
fn someone_the_platform_does_not_know_is_an_unknown_user_whatever_the_action() {
    let host = crm();
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let id = call_from_acme(&mk);
    let unknown = |action: RequestAction| matches!(mk.handle_request(action), Err(MeetError::UnknownUser(_)));
    assert!(unknown(RequestAction::Cancel { request: id.clone(), contact: "nobody".into() }));
    mk.handle_request(RequestAction::Accept { request: id.clone(), staff: "s1".into() }).unwrap();
    assert!(unknown(RequestAction::Complete { request: id.clone(), staff: "nobody".into() }));
    let meeting = mk.get_request(&id).unwrap().meeting.unwrap();
    assert!(matches!(
        mk.join_meeting(&meeting, "nobody", EntryPoint::ClientArea),
        Err(MeetError::UnknownUser(_))
    ));
    // Someone the platform knows but who is not a party stays not-a-participant.
    assert!(matches!(
        mk.join_meeting(&meeting, "s2", EntryPoint::ClientArea),
        Err(MeetError::NotAParticipant(_))
    ));
}
