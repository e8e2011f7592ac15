//! Call requests in the simulated Perfex-style CRM, through the built component.

use meetkit_host::bindings::call_requests::{
    CallRequest, RequestAction, RequestFilter, RequestOutcome, RequestStatus,
};
use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::messaging::{ClosedReason, PageSignal};
use meetkit_host::bindings::recordings::{RecordingEvent, RecordingUpload};
use meetkit_host::bindings::types::{DisplayMode, Error};
use meetkit_host::effects::Effect;
use meetkit_host::perfex::{Display, NotifyRule};
use meetkit_host::{PlatformHost, views};
use meetkit_tests::faulty::Faulty;
use meetkit_tests::{T0, World, ok, refused};
use std::collections::BTreeSet;
use std::time::Duration;

fn act(crm: &PlatformHost<'_>, action: RequestAction) -> RequestOutcome {
    ok(crm.handle_request(&action).unwrap()).0
}

fn request(crm: &PlatformHost<'_>, client: &str, contact: &str) -> CallRequest {
    match act(crm, RequestAction::RequestCall((client.into(), contact.into()))) {
        RequestOutcome::Requested(r) => r,
        other => panic!("expected a new request, got {other:?}"),
    }
}

/// John of Acme asks for a call and Maria accepts it: the request and its meeting.
fn john_calls_maria(crm: &PlatformHost<'_>) -> (CallRequest, String) {
    let r = request(crm, "acme", "john");
    let (accepted, _) = accept(crm, &r.id, "maria");
    (r, accepted.meeting.unwrap())
}

fn accept(
    crm: &PlatformHost<'_>,
    id: &str,
    staff: &str,
) -> (CallRequest, meetkit_host::bindings::types::JoinTicket) {
    match act(crm, RequestAction::Accept((id.into(), staff.into()))) {
        RequestOutcome::Accepted((r, t)) => (r, t),
        other => panic!("expected accepted, got {other:?}"),
    }
}

fn added_to(effects: &[Effect]) -> BTreeSet<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Signal { user, signal: PageSignal::RequestAdded(_) } => Some(user.clone()),
            _ => None,
        })
        .collect()
}

fn removed_from(effects: &[Effect], id: &str) -> BTreeSet<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Signal { user, signal: PageSignal::RequestRemoved(r) } if r == id => Some(user.clone()),
            _ => None,
        })
        .collect()
}

/// What `action` is refused with while the store fails every write of a meeting record
/// (its connection dropped in the middle of the call); writes work again after.
fn refused_while_meeting_writes_fail(crm: &PlatformHost<'_>, store: &Faulty, action: RequestAction) -> Error {
    store.fail_writes_under(Some("meeting/"));
    let e = refused(crm.handle_request(&action).unwrap());
    store.fail_writes_under(None);
    e
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The ids on page `page` of a listing, and the listing's total.
fn listed(crm: &PlatformHost<'_>, filter: &RequestFilter, page: u32, size: u32) -> (Vec<String>, u32) {
    let p = ok(crm.list_requests(filter, page, size).unwrap()).0;
    assert_eq!((p.page, p.page_size), (page, size));
    (p.items.into_iter().map(|r| r.id).collect(), p.total)
}

/// The titles in a user's bell in the CRM, newest first.
fn bell(w: &World, user: &str) -> Vec<String> {
    let log = w.harness.db().effects("perfex").unwrap();
    views::bell(&log, user, &Default::default()).into_iter().map(|b| b.item.notification.title).collect()
}

fn panel(crm: &PlatformHost<'_>, staff: &str) -> Vec<String> {
    listed(crm, &RequestFilter::Panel(staff.into()), 0, 200).0
}

/// The last ignore, answered with `outcome` and `effects`, closed request `id` of john's
/// at once: it is expired, and john's page and bell say so.
fn closed_at_once(w: &World, id: &str, outcome: &RequestOutcome, effects: &[Effect]) {
    assert!(
        matches!(outcome, RequestOutcome::Ignored(i) if i.status == RequestStatus::Expired),
        "{outcome:?}"
    );
    assert!(effects.contains(&Effect::Signal {
        user: "john".into(),
        signal: PageSignal::RequestClosed((id.into(), ClosedReason::Expired))
    }));
    assert_eq!(bell(w, "john"), ["Call request expired"]);
}

/// Why an accept of the request `id`, closed, is refused to `staff`.
fn why_expired(crm: &PlatformHost<'_>, id: &str, staff: &str) -> String {
    let Error::Expired(why) =
        refused(crm.handle_request(&RequestAction::Accept((id.into(), staff.into()))).unwrap())
    else {
        panic!("not refused as expired")
    };
    why
}

/// Makes staff member `staff` active or not, as the CRM's administrator would.
/// John leaves Acme for Globex, in the CRM.
fn move_john_to_globex(w: &World) {
    let mut world = w.harness.perfex_world().unwrap();
    let acme = world.clients.iter_mut().find(|c| c.id == "acme").unwrap();
    let at = acme.contacts.iter().position(|c| c.id == "john").unwrap();
    let john = acme.contacts.remove(at);
    world.clients.iter_mut().find(|c| c.id == "globex").unwrap().contacts.push(john);
    w.harness.load_perfex_world(&toml::to_string(&world).unwrap()).unwrap();
}

fn set_active(w: &World, staff: &str, active: bool) {
    let mut world = w.harness.perfex_world().unwrap();
    world.staff.iter_mut().filter(|s| s.id == staff).for_each(|s| s.active = active);
    w.harness.load_perfex_world(&toml::to_string(&world).unwrap()).unwrap();
}

#[test]
fn a_request_reaches_the_eligible_staff_at_once_and_only_once_per_client() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::RequestCall(("acme".into(), "john".into()))).unwrap());
    let RequestOutcome::Requested(r) = outcome else { panic!("not requested") };
    assert_eq!(r.status, RequestStatus::Pending);
    assert_eq!(r.meeting, None);
    // Support (maria, tom) and Acme's assigned staff (lena); not Finance (omar), not the inactive ivy.
    assert_eq!(added_to(&effects), set(&["maria", "tom", "lena"]));
    let bells: BTreeSet<String> = effects
        .iter()
        .filter(|&e| matches!(e, Effect::Notification { .. }))
        .map(|e| e.user().unwrap().to_string())
        .collect();
    assert_eq!(bells, set(&["maria", "tom", "lena"]));
    assert_eq!(bell(&w, "maria"), ["Call request"]);
    assert_eq!(r.expires_at, T0 + 300_000);

    // Asking again, from the same or another contact of the client, returns the open request.
    for contact in ["john", "sara"] {
        let before = w.snapshot();
        let (again, effects) =
            ok(crm.handle_request(&RequestAction::RequestCall(("acme".into(), contact.into()))).unwrap());
        assert!(matches!(again, RequestOutcome::Existing(ref e) if e.id == r.id));
        assert!(effects.is_empty());
        assert_eq!(before, w.snapshot());
    }
    // Globex is another client: its request is its own, and Lena (Acme's) is not told.
    let (_, effects) =
        ok(crm.handle_request(&RequestAction::RequestCall(("globex".into(), "hank".into()))).unwrap());
    assert_eq!(added_to(&effects), set(&["maria", "tom"]));
}

#[test]
fn accepting_locks_the_request_opens_the_meeting_and_shows_join_to_the_client() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), "tom".into()))).unwrap());
    let RequestOutcome::Accepted((accepted, ticket)) = outcome else { panic!("not accepted") };
    assert_eq!(accepted.status, RequestStatus::Accepted);
    assert_eq!(accepted.accepted_by.as_deref(), Some("tom"));
    let meeting = accepted.meeting.clone().expect("a meeting");
    assert_eq!(ticket.display, DisplayMode::NewTab);
    let claims = w.verify(&ticket);
    assert_eq!(claims["context"]["user"]["id"], "tom");
    assert_eq!(claims["context"]["user"]["moderator"], "true");
    assert!(
        effects.contains(&Effect::Signal {
            user: "tom".into(),
            signal: PageSignal::OpenMeeting(ticket.clone())
        })
    );
    // Every contact of the client sees Join Meeting: Sara, too, follows the company's call.
    for contact in ["john", "sara"] {
        assert!(
            effects.contains(&Effect::Signal {
                user: contact.into(),
                signal: PageSignal::ShowJoin(meeting.clone())
            }),
            "{contact}: {effects:?}"
        );
    }
    assert_eq!(removed_from(&effects, &r.id), set(&["maria", "tom", "lena"]), "it leaves every panel");
    assert!(panel(&crm, "maria").is_empty());
    for staff in ["maria", "tom", "lena"] {
        assert!(bell(&w, staff).is_empty(), "{staff}'s bell no longer asks to answer it");
    }

    // The client joins from the client area; the contact is not a moderator and cannot record.
    let (john, _) = ok(crm.join_meeting(&meeting, "john", EntryPoint::ClientArea).unwrap());
    let claims = w.verify(&john);
    assert_eq!(claims["room"], ticket.room.as_str());
    assert_eq!(claims["context"]["user"]["moderator"], "false");
    assert_eq!(claims["context"]["features"]["recording"], "false");
    // The call is Acme's: Sara, whose own request was answered with John's, may join it
    // (as she may cancel it). Staff who did not accept, and other clients, may not.
    let (sara, _) = ok(crm.join_meeting(&meeting, "sara", EntryPoint::ClientArea).unwrap());
    assert_eq!(w.verify(&sara)["context"]["user"]["moderator"], "false");
    for outsider in ["maria", "hank"] {
        assert!(matches!(
            refused(crm.join_meeting(&meeting, outsider, EntryPoint::ClientArea).unwrap()),
            Error::NotAParticipant(_)
        ));
    }

    // The loser of the race learns who took it; nothing changes.
    let before = w.snapshot();
    match refused(crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap()) {
        Error::AlreadyTaken(t) => {
            assert_eq!((t.by.as_str(), t.by_name.as_str()), ("tom", "Tom Becker"));
            assert!(t.message.contains("Tom Becker"));
        }
        other => panic!("expected already-taken, got {other:?}"),
    }
    assert_eq!(before, w.snapshot());
    // Tom's second click opens the same meeting again, and changes nothing either.
    let (again, effects) =
        ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), "tom".into()))).unwrap());
    let RequestOutcome::Accepted((again, ticket_again)) = again else { panic!("not accepted again") };
    assert_eq!(
        (again.meeting.as_deref(), ticket_again.room.as_str()),
        (Some(meeting.as_str()), ticket.room.as_str())
    );
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Signal { user, signal: PageSignal::OpenMeeting(_) } if user == "tom")
        )
    );
    assert_eq!(before, w.snapshot());
}

/// An accept the store cut short after the request was locked is finished by the same
/// staff member accepting again: the meeting opens then, and the client sees Join.
#[test]
fn accepting_again_finishes_an_accept_a_failure_cut_short() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    store.fail_writes_under(Some("context/"));
    let accept_call = || crm.handle_request(&RequestAction::Accept((r.id.clone(), "tom".into()))).unwrap();
    assert!(matches!(refused(accept_call()), Error::StoreFailure(_)));
    store.fail_writes_under(None);
    // Locked for Tom: Maria cannot take it, and it does not expire.
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap()),
        Error::AlreadyTaken(_)
    ));
    let (outcome, effects) = ok(accept_call());
    let RequestOutcome::Accepted((accepted, ticket)) = outcome else { panic!("not accepted") };
    let meeting = accepted.meeting.unwrap();
    assert_eq!(ticket.meeting_id, meeting);
    assert!(
        effects
            .contains(&Effect::Signal { user: "john".into(), signal: PageSignal::ShowJoin(meeting.clone()) })
    );
    let (john, _) = ok(crm.join_meeting(&meeting, "john", EntryPoint::ClientArea).unwrap());
    assert_eq!(john.room, ticket.room);
    w.clock.advance(Duration::from_secs(3600)).unwrap();
    ok(crm.tick().unwrap());
    assert_eq!(
        ok(crm.list_requests(&RequestFilter::Active, 0, 20).unwrap()).0.items[0].status,
        RequestStatus::Accepted
    );
}

#[test]
fn the_meeting_opens_in_an_iframe_when_the_administrator_says_so() {
    let w = World::new();
    let mut settings = w.harness.perfex_world().unwrap().settings;
    settings.display = Display::Iframe;
    settings.notify = vec![NotifyRule::AllStaff];
    w.harness.set_perfex_settings(&settings).unwrap();
    let crm = w.harness.perfex().unwrap();
    let (r, effects) =
        ok(crm.handle_request(&RequestAction::RequestCall(("globex".into(), "hank".into()))).unwrap());
    assert_eq!(added_to(&effects), set(&["maria", "tom", "lena", "omar"]), "all active staff");
    let RequestOutcome::Requested(r) = r else { panic!() };
    let (_, ticket) = accept(&crm, &r.id, "omar");
    assert_eq!(ticket.display, DisplayMode::Iframe);
    let app_id = &w.harness.config().jaas.app_id;
    assert_eq!(ticket.embed.domain, "8x8.vc");
    assert_eq!(ticket.embed.room_name, format!("{app_id}/{}", ticket.room));
    assert_eq!(ticket.embed.script_url, format!("https://8x8.vc/{app_id}/external_api.js"));
}

#[test]
fn the_administrator_can_notify_by_role() {
    let w = World::new();
    let mut settings = w.harness.perfex_world().unwrap().settings;
    settings.notify = vec![NotifyRule::Roles(vec!["Accountant".into(), "Account manager".into()])];
    w.harness.set_perfex_settings(&settings).unwrap();
    let crm = w.harness.perfex().unwrap();
    let (r, effects) =
        ok(crm.handle_request(&RequestAction::RequestCall(("acme".into(), "john".into()))).unwrap());
    assert_eq!(added_to(&effects), set(&["lena", "omar"]), "the accountant and the account manager");
    let RequestOutcome::Requested(r) = r else { panic!("not requested") };
    // Only those told may take it.
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap()),
        Error::NotAParticipant(_)
    ));
    accept(&crm, &r.id, "omar");
}

#[test]
fn ignoring_removes_the_request_from_one_panel_only() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::Ignore((r.id.clone(), "maria".into()))).unwrap());
    assert!(
        matches!(outcome, RequestOutcome::Ignored(ref i) if i.status == RequestStatus::Pending && i.ignored_by == ["maria"])
    );
    assert_eq!(removed_from(&effects, &r.id), set(&["maria"]));
    assert!(panel(&crm, "maria").is_empty());
    assert!(bell(&w, "maria").is_empty());
    assert_eq!(bell(&w, "tom"), ["Call request"]);
    // Ignoring again (a retry, say) changes nothing: her panel and bell stay without it.
    let before = w.snapshot();
    let (again, _) = ok(crm.handle_request(&RequestAction::Ignore((r.id.clone(), "maria".into()))).unwrap());
    assert!(matches!(again, RequestOutcome::Ignored(ref i) if i.ignored_by == ["maria"]));
    assert_eq!(before, w.snapshot());
    assert!(panel(&crm, "maria").is_empty() && bell(&w, "maria").is_empty());
    assert_eq!(panel(&crm, "tom"), vec![r.id.clone()]);
    assert_eq!(panel(&crm, "lena"), vec![r.id.clone()]);
    // The others can still take it.
    accept(&crm, &r.id, "lena");
}

/// Ignoring is not refusing for good: while the request is pending, the one who ignored
/// it may take it after all, and is then no longer listed among those who ignored it.
#[test]
fn a_staff_member_who_ignored_a_request_may_still_accept_it() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    ok(crm.handle_request(&RequestAction::Ignore((r.id.clone(), "maria".into()))).unwrap());
    let (outcome, _) =
        ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap());
    let RequestOutcome::Accepted((taken, _)) = outcome else { panic!("not accepted: {outcome:?}") };
    assert_eq!(taken.accepted_by.as_deref(), Some("maria"));
    assert!(taken.ignored_by.is_empty(), "{:?}", taken.ignored_by);
    let history = ok(crm.request_history(&r.id).unwrap()).0;
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["requested", "ignored", "accepted"]);
}

/// When every staff member notified has ignored a request, nobody's panel shows it:
/// the client is told at once, as of an expired request, and may ask again.
#[test]
fn a_request_everyone_ignored_closes_at_once_and_the_client_is_told() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    act(&crm, RequestAction::Ignore((r.id.clone(), "maria".into())));
    act(&crm, RequestAction::Ignore((r.id.clone(), "tom".into())));
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::Ignore((r.id.clone(), "lena".into()))).unwrap());
    closed_at_once(&w, &r.id, &outcome, &effects);
    let told = effects.iter().find_map(|e| match e {
        Effect::Notification { user, notification } if user == "john" => Some(notification.text.clone()),
        _ => None,
    });
    assert_eq!(told.as_deref(), Some("No staff member can take your call now. Please try again later."));
    assert!(listed(&crm, &RequestFilter::Active, 0, 200).0.is_empty());
    let history = ok(crm.request_history(&r.id).unwrap()).0;
    assert!(history.iter().any(|h| h.detail.contains("ignored it") && h.actor.is_none()), "{history:?}");
    // A staff member who tries to take it after all is told why it closed.
    let why = why_expired(&crm, &r.id, "tom");
    assert!(why.contains("every staff member notified ignored it"), "{why}");
    // Ignoring again (a retry) is answered as the first was, changing nothing more; and
    // the client may ask again.
    let before = w.snapshot();
    let again = act(&crm, RequestAction::Ignore((r.id.clone(), "lena".into())));
    assert!(
        matches!(again, RequestOutcome::Ignored(ref i) if i.status == RequestStatus::Expired),
        "{again:?}"
    );
    assert_eq!(before, w.snapshot());
    request(&crm, "acme", "john");
}

/// A process stopped after writing a new request and before naming it the client's
/// open one leaves a request nobody was told of: no panel offers it and nobody takes
/// it, so that the client, asking again, never has two calls at once.
#[test]
fn a_request_its_process_never_finished_is_not_taken() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let orphan = request(&crm, "acme", "john");
    // As if the process had stopped before the client's pointer named it.
    w.harness.store().delete("perfex/meetkit", "client-request/acme").unwrap();
    assert!(panel(&crm, "maria").is_empty());
    assert!(listed(&crm, &RequestFilter::Active, 0, 200).0.is_empty());
    let before = w.snapshot();
    let e = refused(crm.handle_request(&RequestAction::Accept((orphan.id.clone(), "maria".into()))).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("never completed")), "{e:?}");
    assert_eq!(before, w.snapshot());
    // The client asks again: that request is the one taken.
    let again = request(&crm, "acme", "john");
    assert_eq!(panel(&crm, "maria"), vec![again.id.clone()]);
    let (accepted, _) = accept(&crm, &again.id, "maria");
    ok(crm.join_meeting(accepted.meeting.as_ref().unwrap(), "john", EntryPoint::ClientArea).unwrap());
    // At its deadline the one nobody was told of expires, without a bell asking John,
    // in his call, to request again.
    w.clock.advance(Duration::from_millis((orphan.expires_at - w.clock.now_ms()) as u64)).unwrap();
    let (report, effects) = ok(crm.tick().unwrap());
    assert_eq!(report.expired_requests, vec![orphan.id.clone()]);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notification { .. })), "{effects:?}");
    assert!(bell(&w, "john").is_empty(), "{:?}", bell(&w, "john"));
}

#[test]
fn a_cancelled_request_leaves_every_panel_and_never_gets_a_link() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    act(&crm, RequestAction::Ignore((r.id.clone(), "tom".into())));
    // Only the client may cancel: a contact of another client may not.
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Cancel((r.id.clone(), "hank".into()))).unwrap()),
        Error::Forbidden(_)
    ));
    // Any of the client's contacts may: Sara cancels John's request, and John hears of it.
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::Cancel((r.id.clone(), "sara".into()))).unwrap());
    let RequestOutcome::Cancelled(c) = outcome else { panic!("not cancelled") };
    assert_eq!(c.status, RequestStatus::Cancelled);
    assert_eq!(c.meeting, None);
    assert_eq!(removed_from(&effects, &r.id), set(&["maria", "lena"]), "tom had ignored it already");
    for contact in ["john", "sara"] {
        assert!(effects.contains(&Effect::Signal {
            user: contact.into(),
            signal: PageSignal::RequestClosed((r.id.clone(), ClosedReason::Cancelled))
        }));
    }
    let told = effects.iter().find_map(|e| match e {
        Effect::Notification { user, notification } if user == "john" => Some(notification.text.clone()),
        _ => None,
    });
    assert_eq!(told.as_deref(), Some("Sara Lee cancelled your call request."), "John is told who cancelled");
    assert!(!effects.iter().any(|e| matches!(
        e,
        Effect::Signal { signal: PageSignal::OpenMeeting(_) | PageSignal::ShowJoin(_), .. }
    )));
    for staff in ["maria", "tom", "lena"] {
        assert!(panel(&crm, staff).is_empty());
        assert!(bell(&w, staff).is_empty(), "the request leaves {staff}'s bell too");
    }
    assert!(ok(crm.list_requests(&RequestFilter::Active, 0, 200).unwrap()).0.items.is_empty());
    // Nothing can revive it.
    let before = w.snapshot();
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap()),
        Error::InvalidTransition(_)
    ));
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Cancel((r.id.clone(), "john".into()))).unwrap()),
        Error::InvalidTransition(_)
    ));
    assert_eq!(before, w.snapshot());
    // The client may ask again.
    let again = request(&crm, "acme", "john");
    assert_ne!(again.id, r.id);
}

/// The store fails once the request is written cancelled, as the client is freed: the
/// cancel stands and says so, every panel and page is told, and the client may ask
/// again. The tick then takes the request off the active list, telling the panels and
/// pages again (which shows nothing new) but not John's bell.
#[test]
fn a_cancel_whose_last_writes_failed_stands_and_the_tick_finishes_it() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    store.fail_writes_under(Some("client-request/"));
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::Cancel((r.id.clone(), "john".into()))).unwrap());
    store.fail_writes_under(None);
    assert!(matches!(outcome, RequestOutcome::Cancelled(ref c) if c.status == RequestStatus::Cancelled));
    assert_eq!(removed_from(&effects, &r.id), set(&["maria", "tom", "lena"]));
    let closed = Effect::Signal {
        user: "john".into(),
        signal: PageSignal::RequestClosed((r.id.clone(), ClosedReason::Cancelled)),
    };
    assert!(effects.contains(&closed), "{effects:?}");
    for staff in ["maria", "tom", "lena"] {
        assert!(panel(&crm, staff).is_empty());
        assert!(bell(&w, staff).is_empty(), "the request leaves {staff}'s bell too");
    }
    // Its entry on the active list is due when the request would have expired.
    w.clock.advance(Duration::from_secs(300)).unwrap();
    let (_, effects) = ok(crm.tick().unwrap());
    assert_eq!(removed_from(&effects, &r.id), set(&["maria", "tom", "lena"]));
    assert!(effects.contains(&closed), "{effects:?}");
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notification { .. })), "{effects:?}");
    assert_eq!(last_entry(&crm, &r.id).0, "cancelled");
    // Finished: the next tick has nothing of it left.
    w.clock.advance(Duration::from_secs(300)).unwrap();
    assert!(ok(crm.tick().unwrap()).1.is_empty());
    assert_ne!(request(&crm, "acme", "sara").id, r.id, "the client may call again");
}

#[test]
fn a_cancel_after_acceptance_is_refused() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    accept(&crm, &r.id, "maria");
    let before = w.snapshot();
    let e = refused(crm.handle_request(&RequestAction::Cancel((r.id.clone(), "john".into()))).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("already accepted")), "{e:?}");
    assert_eq!(before, w.snapshot());
}

#[test]
fn the_end_of_the_meeting_completes_the_request_and_frees_the_client() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (r, meeting) = john_calls_maria(&crm);
    ok(crm.join_meeting(&meeting, "john", EntryPoint::ClientArea).unwrap());
    // A second request while the call runs returns the running one.
    assert!(matches!(
        act(&crm, RequestAction::RequestCall(("acme".into(), "sara".into()))),
        RequestOutcome::Existing(_)
    ));
    // Two participants: the client hanging up ends the meeting, which completes the request.
    let (left, effects) = ok(crm.leave_meeting(&meeting, "john").unwrap());
    assert!(left.ended);
    let ended: BTreeSet<String> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Signal { user, signal: PageSignal::MeetingEnded(m) } if *m == meeting => {
                Some(user.clone())
            }
            _ => None,
        })
        .collect();
    // Sara was shown Join Meeting too, as every contact of Acme: it goes from her page.
    assert_eq!(
        ended,
        set(&["john", "maria", "sara"]),
        "the staff's meeting page and every contact's Join Meeting"
    );
    let all = ok(crm.list_requests(&RequestFilter::All, 0, 200).unwrap()).0.items;
    assert_eq!(all[0].status, RequestStatus::Completed);
    assert!(all[0].closed_at.is_some());
    assert!(ok(crm.list_requests(&RequestFilter::Active, 0, 200).unwrap()).0.items.is_empty());
    assert_eq!(w.presence("perfex", "maria"), meetkit_host::bindings::presence::PresenceState::Available);
    // Ready for the next one.
    let next = request(&crm, "acme", "sara");
    // Completing explicitly ends the meeting too.
    let (accepted, _) = accept(&crm, &next.id, "tom");
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Complete((next.id.clone(), "maria".into()))).unwrap()),
        Error::Forbidden(_)
    ));
    let done = act(&crm, RequestAction::Complete((next.id.clone(), "tom".into())));
    assert!(matches!(done, RequestOutcome::Completed(ref c) if c.status == RequestStatus::Completed));
    let m = ok(crm.get_meeting(accepted.meeting.as_ref().unwrap()).unwrap()).0;
    assert_eq!(m.state, meetkit_host::bindings::types::MeetingState::Ended);
    let history = ok(crm.request_history(&next.id).unwrap()).0;
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, ["requested", "accepted", "completed"]);
    assert_eq!(history[2].actor.as_deref(), Some("tom"), "completed in Tom's name");
    assert!(history[2].detail.contains("completed it"), "{:?}", history[2]);
    // A second completion is refused: the meeting has ended.
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Complete((next.id.clone(), "tom".into()))).unwrap()),
        Error::InvalidTransition(_)
    ));
    // The first request ended when its meeting emptied: nobody's name on it.
    let first = ok(crm.request_history(&r.id).unwrap()).0;
    assert_eq!((first[2].action.as_str(), first[2].actor.as_deref()), ("completed", None));
    assert_eq!(first[2].detail, "the meeting ended", "John was in the call");

    // Sara came to John's call in his place: the client was in the call.
    let fourth = request(&crm, "acme", "john");
    let (accepted, _) = accept(&crm, &fourth.id, "maria");
    let call = accepted.meeting.unwrap();
    ok(crm.join_meeting(&call, "sara", EntryPoint::ClientArea).unwrap());
    assert!(ok(crm.leave_meeting(&call, "sara").unwrap()).0.ended);
    assert_eq!(ok(crm.request_history(&fourth.id).unwrap()).0[2].detail, "the meeting ended");

    // A meeting the client never joined completes too; its history says they never came.
    let third = request(&crm, "acme", "sara");
    let (accepted, _) = accept(&crm, &third.id, "maria");
    let (left, _) = ok(crm.leave_meeting(accepted.meeting.as_ref().unwrap(), "maria").unwrap());
    assert!(left.ended);
    let history = ok(crm.request_history(&third.id).unwrap()).0;
    assert_eq!(history[2].action, "completed");
    assert!(
        history[2].detail.starts_with("the meeting ended before ") && history[2].detail.ends_with(" joined"),
        "{:?}",
        history[2]
    );
}

/// A completion that stopped half way (the store went away after the request was
/// marked completed, before its meeting ended) is finished by completing again.
#[test]
fn completing_again_ends_a_meeting_a_failure_left_running() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let (r, meeting) = john_calls_maria(&crm);
    let complete = || crm.handle_request(&RequestAction::Complete((r.id.clone(), "maria".into()))).unwrap();
    let e = refused_while_meeting_writes_fail(
        &crm,
        &store,
        RequestAction::Complete((r.id.clone(), "maria".into())),
    );
    assert!(matches!(e, Error::StoreFailure(ref m) if m.contains("went away")), "{e:?}");
    let running = ok(crm.get_meeting(&meeting).unwrap()).0;
    assert_eq!(running.state, meetkit_host::bindings::types::MeetingState::Running);

    let (done, effects) = ok(complete());
    assert!(matches!(done, RequestOutcome::Completed(ref c) if c.status == RequestStatus::Completed));
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::Signal { signal: PageSignal::MeetingEnded(m), .. } if *m == meeting)
        ),
        "{effects:?}"
    );
    let ended = ok(crm.get_meeting(&meeting).unwrap()).0;
    assert_eq!(ended.state, meetkit_host::bindings::types::MeetingState::Ended);
    assert_eq!(w.presence("perfex", "maria"), meetkit_host::bindings::presence::PresenceState::Available);
    assert!(matches!(refused(complete()), Error::InvalidTransition(_)));
    let history = ok(crm.request_history(&r.id).unwrap()).0;
    let completed: Vec<_> = history.iter().filter(|h| h.action == "completed").collect();
    assert_eq!(completed.len(), 1, "completed once: {history:?}");
    assert_eq!(completed[0].actor.as_deref(), Some("maria"));
}

/// A complete a failure stopped after the request was completed, and that nobody
/// repeats, does not leave the call running for ever: the tick ends it when it would
/// have ended a call nobody ended, and the staff member is Available again.
#[test]
fn a_call_its_complete_left_running_is_ended_by_the_tick() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let (r, meeting) = john_calls_maria(&crm);
    let e = refused_while_meeting_writes_fail(
        &crm,
        &store,
        RequestAction::Complete((r.id.clone(), "maria".into())),
    );
    assert!(matches!(e, Error::StoreFailure(_)), "{e:?}");
    assert_eq!(w.presence("perfex", "maria"), meetkit_host::bindings::presence::PresenceState::Busy);
    // The client is free at once: the request is completed.
    assert_ne!(request(&crm, "acme", "sara").id, r.id);

    w.clock.advance(Duration::from_secs(12 * 3600)).unwrap();
    let (report, _) = ok(crm.tick().unwrap());
    assert_eq!(report.ended_meetings, vec![meeting.clone()]);
    let ended = ok(crm.get_meeting(&meeting).unwrap()).0;
    assert_eq!(ended.state, meetkit_host::bindings::types::MeetingState::Ended);
    assert_eq!(w.presence("perfex", "maria"), meetkit_host::bindings::presence::PresenceState::Available);
    let history = ok(crm.request_history(&r.id).unwrap()).0;
    let completed: Vec<_> = history.iter().filter(|h| h.action == "completed").collect();
    assert_eq!(completed.len(), 1, "completed once, by maria: {history:?}");
    assert_eq!(completed[0].actor.as_deref(), Some("maria"));
    // Done: the next tick has nothing more to end.
    assert!(ok(crm.tick().unwrap()).0.ended_meetings.is_empty());
}

/// Completing a request whose accept stopped before its meeting was stored completes
/// it (there is no meeting to end), instead of answering that the meeting is not found
/// after completing it; a second complete is refused as one.
#[test]
fn completing_an_accept_cut_short_completes_the_request() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    let e = refused_while_meeting_writes_fail(
        &crm,
        &store,
        RequestAction::Accept((r.id.clone(), "maria".into())),
    );
    assert!(matches!(e, Error::StoreFailure(_)), "{e:?}");
    let done = act(&crm, RequestAction::Complete((r.id.clone(), "maria".into())));
    assert!(
        matches!(done, RequestOutcome::Completed(ref c) if c.status == RequestStatus::Completed),
        "{done:?}"
    );
    let before = w.snapshot();
    let again =
        refused(crm.handle_request(&RequestAction::Complete((r.id.clone(), "maria".into()))).unwrap());
    assert!(matches!(again, Error::InvalidTransition(_)), "{again:?}");
    assert_eq!(before, w.snapshot());
    assert_ne!(request(&crm, "acme", "john").id, r.id, "the client may call again");
}

/// John's call with Maria, which his leave ended while the store failed every write of
/// a request: the meeting is ended and shown so, the request still accepted. Answers
/// the request and the meeting.
fn call_ended_uncompleted(crm: &PlatformHost<'_>, store: &Faulty) -> (String, String) {
    let (r, meeting) = john_calls_maria(crm);
    ok(crm.join_meeting(&meeting, "john", EntryPoint::ClientArea).unwrap());
    store.fail_writes_under(Some("request/"));
    let failed = crm.leave_meeting(&meeting, "john").unwrap();
    assert!(matches!(failed.value, Err(Error::StoreFailure(_))), "{:?}", failed.value);
    store.fail_writes_under(None);
    let ended = ok(crm.get_meeting(&meeting).unwrap()).0;
    assert_eq!(ended.state, meetkit_host::bindings::types::MeetingState::Ended);
    assert_eq!(last_entry(crm, &r.id).0, "accepted");
    (r.id, meeting)
}

/// The action and detail of the last entry of a request's history.
fn last_entry(crm: &PlatformHost<'_>, id: &str) -> (String, String) {
    let last = ok(crm.request_history(id).unwrap()).0.pop().unwrap();
    (last.action, last.detail)
}

/// A call whose end a failure stopped before the request was completed does not lock
/// its client out until the tick: the client's next request completes it and is taken.
#[test]
fn a_call_that_ended_uncompleted_does_not_block_the_clients_next_request() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let (old, _) = call_ended_uncompleted(&crm, &store);
    assert_ne!(request(&crm, "acme", "john").id, old);
    assert_eq!(last_entry(&crm, &old), ("completed".into(), "the meeting ended".into()));
}

/// The same end cut short, with no next request: the tick finishes it once the end's
/// lease has run out: the request is completed, and its client may call again.
#[test]
fn a_call_whose_end_was_cut_short_is_completed_by_the_tick() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let (old, meeting) = call_ended_uncompleted(&crm, &store);
    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (report, effects) = ok(crm.tick().unwrap());
    assert_eq!(report.finished_ends, std::slice::from_ref(&meeting));
    assert_eq!(last_entry(&crm, &old), ("completed".into(), "the meeting ended".into()));
    assert_eq!(w.presence("perfex", "maria"), meetkit_host::bindings::presence::PresenceState::Available);
    assert!(
        effects.contains(&Effect::Signal { user: "maria".into(), signal: PageSignal::MeetingEnded(meeting) })
    );
    assert_ne!(request(&crm, "acme", "john").id, old, "the client may call again");
}

/// A CRM whose licence was lowered to X19 Basic under its calls (a vendor selling
/// tiers): a call its client asked for before cannot be accepted, the client's contacts
/// can neither join an accepted call nor fetch its recordings, and nobody may ask for a
/// new one. Each refusal is `licence-forbids` and changes nothing; the staff member who
/// accepted may still go in and end the call.
#[test]
fn calls_made_before_the_licence_was_lowered_to_x19_keep_the_client_out() {
    let w = World::new();
    let platform =
        meetkit_tests::platform::Wayward::new(std::sync::Arc::new(w.harness.perfex_world().unwrap()));
    let crm = w.harness.platform("perfex", platform.clone());
    let (accepted, meeting) = john_calls_maria(&crm);
    ok(crm.join_meeting(&meeting, "john", EntryPoint::ClientArea).unwrap());
    let upload = RecordingEvent::Uploaded(RecordingUpload {
        room: ok(crm.get_meeting(&meeting).unwrap()).0.room,
        link: "https://rec.example/call.mp4".into(),
        initiator: Some("maria".into()),
        session_id: "s-x19".into(),
        duration_secs: 600,
        started_at: T0 - 600_000,
        ended_at: T0,
        uploaded_at: T0,
    });
    let file = ok(crm.on_recording(&upload).unwrap()).0.file.unwrap();
    let pending = request(&crm, "globex", "hank");

    platform.set_licence(Some(meetkit_host::bindings::types::Licence::X19Basic));
    let before = w.snapshot();
    let forbids = |e: Error| assert!(matches!(e, Error::LicenceForbids(_)), "{e:?}");
    forbids(refused(crm.handle_request(&RequestAction::Accept((pending.id.clone(), "tom".into()))).unwrap()));
    forbids(refused(crm.join_meeting(&meeting, "sara", EntryPoint::ClientArea).unwrap()));
    forbids(refused(crm.download_recording(&file.id, "john").unwrap()));
    forbids(refused(
        crm.handle_request(&RequestAction::RequestCall(("acme".into(), "sara".into()))).unwrap(),
    ));
    assert_eq!(before, w.snapshot());
    assert_eq!(ok(crm.download_recording(&file.id, "maria").unwrap()).0, "https://rec.example/call.mp4");
    ok(crm.join_meeting(&meeting, "maria", EntryPoint::ClientArea).unwrap());
    act(&crm, RequestAction::Complete((accepted.id.clone(), "maria".into())));
    assert_eq!(last_entry(&crm, &accepted.id).0, "completed");
}

/// A panel is a queue of what expires first: a request made before the administrator
/// shortened the expiry comes after one made since that expires sooner.
#[test]
fn a_panel_lists_first_what_expires_first() {
    let w = World::new();
    let mut settings = w.harness.perfex_world().unwrap().settings;
    settings.expiry_secs = 3600;
    w.harness.set_perfex_settings(&settings).unwrap();
    let early = request(&w.harness.perfex().unwrap(), "acme", "john");
    w.clock.advance(Duration::from_secs(60)).unwrap();
    settings.expiry_secs = 120;
    w.harness.set_perfex_settings(&settings).unwrap();
    let crm = w.harness.perfex().unwrap();
    let late = request(&crm, "globex", "hank");
    assert!(late.expires_at < early.expires_at);
    assert_eq!(panel(&crm, "maria"), vec![late.id.clone(), early.id.clone()]);
    w.clock.advance(Duration::from_secs(120)).unwrap();
    assert_eq!(panel(&crm, "maria"), vec![early.id]);
}

#[test]
fn transitions_outside_the_lifecycle_are_refused_and_change_nothing() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    let before = w.snapshot();
    type Expected = fn(&Error) -> bool;
    let cases: Vec<(RequestAction, Expected)> = vec![
        (RequestAction::Complete((r.id.clone(), "maria".into())), |e| {
            matches!(e, Error::InvalidTransition(_))
        }),
        (RequestAction::Accept((r.id.clone(), "omar".into())), |e| matches!(e, Error::NotAParticipant(_))),
        (RequestAction::Accept((r.id.clone(), "ivy".into())), |e| matches!(e, Error::UnknownUser(_))),
        (RequestAction::Accept(("r-none".into(), "maria".into())), |e| matches!(e, Error::NotFound(_))),
        (RequestAction::Ignore((r.id.clone(), "omar".into())), |e| matches!(e, Error::NotAParticipant(_))),
        (RequestAction::RequestCall(("nope".into(), "john".into())), |e| {
            matches!(e, Error::UnknownContext(_))
        }),
        (RequestAction::RequestCall(("globex".into(), "john".into())), |e| {
            matches!(e, Error::NotAParticipant(_))
        }),
        (RequestAction::RequestCall(("acme".into(), "ghost".into())), |e| matches!(e, Error::UnknownUser(_))),
        (RequestAction::RequestCall(("".into(), "john".into())), |e| matches!(e, Error::InvalidInput(_))),
        (RequestAction::Cancel(("".into(), "john".into())), |e| matches!(e, Error::InvalidInput(_))),
    ];
    for (action, expected) in cases {
        let e = refused(crm.handle_request(&action).unwrap());
        assert!(expected(&e), "{action:?} gave {e:?}");
    }
    assert_eq!(before, w.snapshot());
    // After acceptance: no ignore, no cancel.
    accept(&crm, &r.id, "maria");
    let before = w.snapshot();
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Ignore((r.id.clone(), "tom".into()))).unwrap()),
        Error::InvalidTransition(_)
    ));
    assert_eq!(before, w.snapshot());
}

/// An expiry that no tick found at the deadline (the scheduler stopped, or the clock
/// jumped) is dated at the deadline, not when it was found, in the history and the
/// listing alike; the staff member who finds it is told it was not accepted in time.
#[test]
fn a_request_found_expired_late_is_dated_at_its_deadline() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    w.clock.advance(Duration::from_secs(15 * 60)).unwrap();
    // Listed before any tick: expired, and dated its deadline already.
    let listed = ok(crm.list_requests(&RequestFilter::All, 0, 200).unwrap()).0.items;
    assert_eq!((listed[0].status, listed[0].closed_at), (RequestStatus::Expired, Some(r.expires_at)));
    let Error::Expired(why) =
        refused(crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap())
    else {
        panic!("not refused as expired")
    };
    assert!(why.contains("not accepted in time"), "{why}");
    let (report, _) = ok(crm.tick().unwrap());
    assert_eq!(report.expired_requests, vec![r.id.clone()]);
    let history = ok(crm.request_history(&r.id).unwrap()).0;
    let expired = history.iter().find(|h| h.action == "expired").expect("the expiry is in the history");
    assert_eq!(expired.at, r.expires_at);
    let all = ok(crm.list_requests(&RequestFilter::All, 0, 200).unwrap()).0.items;
    assert_eq!(all[0].closed_at, Some(r.expires_at));
}

#[test]
fn a_request_nobody_accepts_expires_at_its_deadline() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    w.clock.advance(Duration::from_millis(300_000 - 1)).unwrap();
    let (report, effects) = ok(crm.tick().unwrap());
    assert!(report.expired_requests.is_empty(), "just before the deadline nothing expires");
    assert!(effects.is_empty());
    assert_eq!(panel(&crm, "maria"), vec![r.id.clone()]);

    w.clock.advance(Duration::from_millis(1)).unwrap();
    // At the deadline the request is expired for everyone even before the tick runs: no
    // panel offers it, and accepting, ignoring and cancelling all say so, changing nothing.
    assert!(panel(&crm, "maria").is_empty());
    assert!(listed(&crm, &RequestFilter::Active, 0, 200).0.is_empty());
    let before = w.snapshot();
    for action in [
        RequestAction::Accept((r.id.clone(), "maria".into())),
        RequestAction::Ignore((r.id.clone(), "tom".into())),
        RequestAction::Cancel((r.id.clone(), "john".into())),
    ] {
        assert!(matches!(refused(crm.handle_request(&action).unwrap()), Error::Expired(_)), "{action:?}");
    }
    assert_eq!(before, w.snapshot());
    let (report, effects) = ok(crm.tick().unwrap());
    assert_eq!(report.expired_requests, vec![r.id.clone()]);
    assert_eq!(removed_from(&effects, &r.id), set(&["maria", "tom", "lena"]));
    assert!(effects.contains(&Effect::Signal {
        user: "john".into(),
        signal: PageSignal::RequestClosed((r.id.clone(), ClosedReason::Expired))
    }));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Notification { user, .. } if user == "john")),
        "the client is told"
    );
    for staff in ["maria", "tom", "lena"] {
        assert!(bell(&w, staff).is_empty(), "the request leaves {staff}'s bell");
    }
    assert_eq!(bell(&w, "john"), ["Call request expired"], "a later notification of the request stays");
    let all = ok(crm.list_requests(&RequestFilter::All, 0, 200).unwrap()).0.items;
    assert_eq!(all[0].status, RequestStatus::Expired);
    assert_eq!(all[0].meeting, None);
    let (again, effects) = ok(crm.tick().unwrap());
    assert!(again.expired_requests.is_empty() && effects.is_empty(), "ticking twice does nothing more");
    // After the tick too, an accept says the request expired.
    assert!(matches!(
        refused(crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap()),
        Error::Expired(_)
    ));
    let history: Vec<String> =
        ok(crm.request_history(&r.id).unwrap()).0.into_iter().map(|h| h.action).collect();
    assert_eq!(history, ["requested", "expired"]);
    request(&crm, "acme", "john");
}

#[test]
fn an_overdue_request_does_not_block_a_new_one_before_the_tick() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let old = request(&crm, "acme", "john");
    w.clock.advance(Duration::from_secs(301)).unwrap();
    // Listed as what it is, though no tick has said so yet.
    for filter in [RequestFilter::All, RequestFilter::Client("acme".into())] {
        let listed = ok(crm.list_requests(&filter, 0, 200).unwrap()).0.items;
        assert_eq!(listed[0].status, RequestStatus::Expired, "{filter:?}");
    }
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::RequestCall(("acme".into(), "john".into()))).unwrap());
    let RequestOutcome::Requested(new) = outcome else { panic!("not requested: {outcome:?}") };
    assert_ne!(new.id, old.id);
    let all = ok(crm.list_requests(&RequestFilter::All, 0, 200).unwrap()).0.items;
    assert_eq!(all.iter().find(|r| r.id == old.id).unwrap().status, RequestStatus::Expired);
    // John's page learns the old one closed; his bell does not ask him to request again
    // the moment he does.
    assert!(effects.contains(&Effect::Signal {
        user: "john".into(),
        signal: PageSignal::RequestClosed((old.id.clone(), ClosedReason::Expired))
    }));
    assert!(bell(&w, "john").is_empty(), "{:?}", bell(&w, "john"));
    // When another contact of the client asks after John's has lapsed, John is told on
    // his bell: it was his request.
    w.clock.advance(Duration::from_secs(301)).unwrap();
    request(&crm, "acme", "sara");
    assert_eq!(bell(&w, "john"), ["Call request expired"]);
}

#[test]
fn simultaneous_accepts_have_exactly_one_winner_on_the_embedded_store() {
    meetkit_tests::accept_race(&World::new(), 25);
}

/// One staff member's two clicks at the same moment both open the one meeting: its
/// record stays, its room is known, and the client can join it.
#[test]
fn a_double_click_on_accept_opens_one_meeting() {
    let w = World::new();
    for round in 0..15 {
        let crm = w.harness.perfex().unwrap();
        let r = request(&crm, "acme", "john");
        let barrier = std::sync::Barrier::new(2);
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let clicks: Vec<_> = (0..2)
                .map(|_| {
                    let (h, id, barrier) = (&w.harness, r.id.clone(), &barrier);
                    s.spawn(move || {
                        let crm = h.perfex().unwrap();
                        barrier.wait();
                        crm.handle_request(&RequestAction::Accept((id, "tom".into()))).unwrap().value
                    })
                })
                .collect();
            clicks.into_iter().map(|c| c.join().unwrap()).collect()
        });
        let meetings: Vec<(String, String)> = outcomes
            .iter()
            .map(|o| match o {
                Ok(RequestOutcome::Accepted((r, t))) => (r.meeting.clone().unwrap(), t.room.clone()),
                other => panic!("round {round}: {other:?}"),
            })
            .collect();
        assert_eq!(meetings[0], meetings[1], "round {round}: one meeting, one room");
        let (john, _) = ok(crm.join_meeting(&meetings[0].0, "john", EntryPoint::ClientArea).unwrap());
        assert_eq!(john.room, meetings[0].1);
        ok(crm.handle_request(&RequestAction::Complete((r.id.clone(), "tom".into()))).unwrap());
    }
}

/// Every request, or a client's, newest first and a page at a time, and a staff
/// member's panel longest waiting first; a page size out of range, or the panel of
/// someone who is no staff member, is refused and changes nothing.
#[test]
fn listings_page_through_every_request_newest_first() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let first = request(&crm, "acme", "john");
    act(&crm, RequestAction::Cancel((first.id.clone(), "john".into())));
    w.clock.advance(Duration::from_secs(1)).unwrap();
    let globex = request(&crm, "globex", "hank");
    w.clock.advance(Duration::from_secs(1)).unwrap();
    let second = request(&crm, "acme", "sara");

    let page = |filter: RequestFilter, n: u32| listed(&crm, &filter, n, 2);
    assert_eq!(page(RequestFilter::All, 0), (vec![second.id.clone(), globex.id.clone()], 3));
    assert_eq!(page(RequestFilter::All, 1), (vec![first.id.clone()], 3));
    assert_eq!(page(RequestFilter::All, 2), (vec![], 3));
    assert_eq!(page(RequestFilter::Client("acme".into()), 0), (vec![second.id.clone(), first.id.clone()], 2));
    assert_eq!(page(RequestFilter::Active, 0), (vec![second.id.clone(), globex.id.clone()], 2));
    // A panel is a queue: who has waited longest, and expires first, comes first.
    assert_eq!(
        page(RequestFilter::Panel("maria".into()), 0),
        (vec![globex.id.clone(), second.id.clone()], 2)
    );

    let before = w.snapshot();
    for size in [0, 201] {
        let e = refused(crm.list_requests(&RequestFilter::All, 0, size).unwrap());
        assert!(matches!(e, Error::InvalidInput(_)), "{e:?}");
    }
    // The panel of someone who is no staff member (a client's contact) is a mistaken id.
    let e = refused(crm.list_requests(&RequestFilter::Panel("hank".into()), 0, 20).unwrap());
    assert!(matches!(e, Error::UnknownUser(_)), "{e:?}");
    assert_eq!(before, w.snapshot());
}

#[test]
fn a_store_written_before_the_listing_index_still_lists_every_request() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let first = request(&crm, "acme", "john");
    w.clock.advance(Duration::from_secs(1)).unwrap();
    let second = request(&crm, "globex", "hank");
    let all = |crm: &PlatformHost<'_>| listed(crm, &RequestFilter::All, 0, 200);
    assert_eq!(all(&crm), (vec![second.id.clone(), first.id.clone()], 2));

    // As a store written before the listing index existed: the listing reads the records.
    let (kv, bucket) = (w.harness.store(), "perfex/meetkit");
    let index = ["index/requests", "index/request-chunks", "index/request-chunks/0"];
    for key in index {
        kv.delete(bucket, key).unwrap();
    }
    assert_eq!(all(&crm), (vec![second.id.clone(), first.id.clone()], 2));
    assert_eq!(listed(&crm, &RequestFilter::Client("acme".into()), 0, 200), (vec![first.id.clone()], 1));

    // The next request writes the index again, from the records and the new one, each once.
    act(&crm, RequestAction::Cancel((first.id.clone(), "john".into())));
    w.clock.advance(Duration::from_secs(1)).unwrap();
    let third = request(&crm, "acme", "sara");
    for key in index {
        assert!(kv.get(bucket, key).unwrap().is_some(), "{key} is written again");
    }
    assert_eq!(all(&crm), (vec![third.id, second.id, first.id], 3));
}

/// `n` requests of one client, a second apart, each cancelled to free the client for
/// the next: newest first.
fn history(w: &World, crm: &PlatformHost<'_>, n: usize) -> Vec<CallRequest> {
    let mut made = Vec::new();
    for _ in 0..n {
        let r = request(crm, "acme", "john");
        act(crm, RequestAction::Cancel((r.id.clone(), "john".into())));
        made.insert(0, r);
        w.clock.advance(Duration::from_secs(1)).unwrap();
    }
    made
}

fn ids(requests: &[CallRequest]) -> Vec<String> {
    requests.iter().map(|r| r.id.clone()).collect()
}

#[test]
fn the_listing_grows_in_bounded_chunks_and_keeps_an_earlier_versions_record() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (kv, bucket) = (w.harness.store(), "perfex/meetkit");
    let history = history(&w, &crm, 130);
    let mut made = ids(&history);
    let count = |n: u32| {
        kv.get(bucket, &format!("index/request-chunks/{n}"))
            .unwrap()
            .map(|c| u16::from_le_bytes([c[1], c[2]]))
    };
    assert_eq!((count(0), count(1), count(2)), (Some(128), Some(2), None), "no chunk above 128 entries");
    let every = |crm: &PlatformHost<'_>| {
        let (mut ids, mut total) = (Vec::new(), 0);
        for page in 0..3 {
            let (page, t) = listed(crm, &RequestFilter::All, page, 50);
            ids.extend(page);
            total = t;
        }
        (ids, total)
    };
    assert_eq!(every(&crm), (made.clone(), 130), "newest first, each once, across chunks");

    // An earlier version kept the whole listing in one record: each request's id, client
    // and time (postcard), oldest first, behind a layout byte. It is read as it is.
    let mut whole = vec![1];
    for r in history.iter().rev() {
        whole.extend(postcard::to_allocvec(&(&r.id, &r.client_id, r.requested_at)).unwrap());
    }
    for key in ["index/request-chunks", "index/request-chunks/0", "index/request-chunks/1"] {
        kv.delete(bucket, key).unwrap();
    }
    kv.set(bucket, "index/requests", &whole).unwrap();
    assert_eq!(every(&crm), (made.clone(), 130));

    // The next request opens a chunk beside it and leaves it unchanged.
    let newest = request(&crm, "globex", "hank");
    assert_eq!(kv.get(bucket, "index/requests").unwrap().unwrap(), whole);
    assert_eq!(count(0), Some(1));
    made.insert(0, newest.id);
    assert_eq!(listed(&crm, &RequestFilter::All, 0, 200), (made, 131));
}

#[test]
fn first_pages_cost_the_same_however_long_the_history() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let first_page = |crm: &PlatformHost<'_>, filter: RequestFilter| {
        let call = crm.list_requests(&filter, 0, 20).unwrap();
        let fuel = call.fuel;
        let page = ok(call).0;
        ((page.items.into_iter().map(|r| r.id).collect::<Vec<_>>(), page.total), fuel)
    };
    let globex = request(&w.harness.perfex().unwrap(), "globex", "hank").id;
    w.clock.advance(Duration::from_secs(1)).unwrap();
    // 260 and then 520 requests of another client: both times the page of every request
    // reads three chunks of 128 and the same twenty records, and Globex's page its own
    // listing, where reading the whole listing would cost about twice as much.
    let mut made = ids(&history(&w, &crm, 260));
    let (page, all_shorter) = first_page(&crm, RequestFilter::All);
    assert_eq!(page, (made[..20].to_vec(), 261));
    let (page, client_shorter) = first_page(&crm, RequestFilter::Client("globex".into()));
    assert_eq!(page, (vec![globex.clone()], 1));

    made.splice(0..0, ids(&history(&w, &crm, 260)));
    let (page, all_longer) = first_page(&crm, RequestFilter::All);
    assert_eq!(page, (made[..20].to_vec(), 521));
    let (page, client_longer) = first_page(&crm, RequestFilter::Client("globex".into()));
    assert_eq!(page, (vec![globex], 1));
    for (what, shorter, longer) in
        [("every request", all_shorter, all_longer), ("a client", client_shorter, client_longer)]
    {
        let ratio = longer as f64 / shorter as f64;
        assert!(
            ratio < 1.05,
            "twice the history made the first page of {what} cost {ratio:.2} times as much"
        );
    }
}

#[test]
fn a_request_nobody_would_be_told_of_is_refused_and_changes_nothing() {
    let w = World::new();
    // Finance alone is notified, and Omar, its one member, is away.
    let mut world = w.harness.perfex_world().unwrap();
    world.settings.notify = vec![NotifyRule::Departments(vec!["Finance".into()])];
    world.staff.iter_mut().filter(|s| s.id == "omar").for_each(|s| s.active = false);
    w.harness.load_perfex_world(&toml::to_string(&world).unwrap()).unwrap();
    let crm = w.harness.perfex().unwrap();
    let before = w.snapshot();
    let call = crm.handle_request(&RequestAction::RequestCall(("acme".into(), "john".into()))).unwrap();
    assert!(call.effects.is_empty(), "nobody is told: {:?}", call.effects);
    let e = refused(call);
    assert!(matches!(e, Error::Unavailable(ref m) if m.contains("nobody can take a call")), "{e:?}");
    assert_eq!(before, w.snapshot());

    // Settings that name a department no staff member has are refused before they strand anyone.
    let mut settings = world.settings.clone();
    settings.notify = vec![NotifyRule::Departments(vec!["Suport".into()])];
    let e = w.harness.set_perfex_settings(&settings).unwrap_err();
    assert!(e.to_string().contains("no staff member has the department Suport"), "{e}");
}

/// A contact who asks while the client's request is open is answered with it, even once
/// nobody is left whom a new request would reach.
#[test]
fn an_open_request_is_the_answer_whoever_is_left_to_take_a_new_one() {
    let w = World::new();
    let r = request(&w.harness.perfex().unwrap(), "acme", "john");
    // Finance alone is notified from now on, and Omar, its one member, is away.
    let mut world = w.harness.perfex_world().unwrap();
    world.settings.notify = vec![NotifyRule::Departments(vec!["Finance".into()])];
    world.staff.iter_mut().filter(|s| s.id == "omar").for_each(|s| s.active = false);
    w.harness.load_perfex_world(&toml::to_string(&world).unwrap()).unwrap();
    let crm = w.harness.perfex().unwrap();
    let outcome = act(&crm, RequestAction::RequestCall(("acme".into(), "sara".into())));
    assert!(matches!(outcome, RequestOutcome::Existing(ref e) if e.id == r.id), "{outcome:?}");
}

/// A call nobody ends (the staff member's tab crashed, no webhook came) is ended by the
/// tick after twelve quiet hours: the request completes and the client may call again.
#[test]
fn a_call_nobody_ends_frees_the_client_after_twelve_quiet_hours() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (r, meeting) = john_calls_maria(&crm);
    w.clock.advance(Duration::from_secs(12 * 3600) - Duration::from_millis(1)).unwrap();
    assert!(matches!(
        act(&crm, RequestAction::RequestCall(("acme".into(), "john".into()))),
        RequestOutcome::Existing(_)
    ));
    assert!(ok(crm.tick().unwrap()).0.ended_meetings.is_empty());
    w.clock.advance(Duration::from_millis(1)).unwrap();
    assert_eq!(ok(crm.tick().unwrap()).0.ended_meetings, vec![meeting]);
    let history = ok(crm.request_history(&r.id).unwrap()).0;
    assert_eq!(history.last().unwrap().action, "completed");
    assert_eq!(w.presence("perfex", "maria"), meetkit_host::bindings::presence::PresenceState::Available);
    let again = request(&crm, "acme", "john");
    assert_ne!(again.id, r.id);
}

/// An accept a failure stopped before its meeting was stored leaves the request accepted
/// without a meeting. Accepting again would open it; if nobody does, the tick closes the
/// request twelve hours later, so that the client is not locked out for ever.
#[test]
fn an_accept_cut_short_before_its_meeting_is_closed_after_twelve_hours() {
    let (w, store) = World::faulty();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    store.fail_writes_under(Some("meeting/"));
    let failed = crm.handle_request(&RequestAction::Accept((r.id.clone(), "maria".into()))).unwrap();
    assert!(matches!(failed.value, Err(Error::StoreFailure(_))), "{:?}", failed.value);
    store.fail_writes_under(None);
    // Past the request's deadline the tick finds it accepted, not expired, and waits.
    w.clock.advance(Duration::from_secs(600)).unwrap();
    let (report, _) = ok(crm.tick().unwrap());
    assert!(report.expired_requests.is_empty() && report.ended_meetings.is_empty(), "{report:?}");
    assert!(matches!(
        act(&crm, RequestAction::RequestCall(("acme".into(), "john".into()))),
        RequestOutcome::Existing(_)
    ));
    w.clock.advance(Duration::from_secs(12 * 3600)).unwrap();
    ok(crm.tick().unwrap());
    let history = ok(crm.request_history(&r.id).unwrap()).0;
    let last = history.last().unwrap();
    assert_eq!((last.action.as_str(), last.detail.as_str()), ("completed", "no meeting was opened for it"));
    assert_ne!(request(&crm, "acme", "john").id, r.id, "the client may call again");
}

/// Ending a call is many writes: a backlog of quiet calls is ended twenty a tick.
#[test]
fn quiet_calls_end_twenty_a_tick() {
    let w = World::new();
    w.harness.load_perfex_world(&toml::to_string(&meetkit_host::bench::perfex_world(21)).unwrap()).unwrap();
    let crm = w.harness.perfex().unwrap();
    for i in 0..21 {
        let r = request(&crm, &format!("c{i}"), &format!("k{i}"));
        accept(&crm, &r.id, "s0");
    }
    w.clock.advance(Duration::from_secs(12 * 3600)).unwrap();
    assert_eq!(ok(crm.tick().unwrap()).0.ended_meetings.len(), 20);
    assert_eq!(ok(crm.tick().unwrap()).0.ended_meetings.len(), 1);
    assert!(ok(crm.tick().unwrap()).0.ended_meetings.is_empty());
    assert!(listed(&crm, &RequestFilter::Active, 0, 200).0.is_empty());
}

/// A world whose people would show as nobody, or break a panel's line, is refused, and
/// the world loaded before stays.
#[test]
fn a_world_with_unreadable_names_is_refused() {
    let w = World::new();
    let example = toml::to_string(&meetkit_host::bench::perfex_world(2)).unwrap();
    for (from, to) in [
        ("name = \"Contact 1\"", "name = \"\""),
        ("name = \"Staff 3\"", "name = \"Staff\\n3\""),
        ("company = \"Client 0\"", "company = \"  \""),
    ] {
        assert!(example.contains(from), "{from} in {example}");
        let e = w.harness.load_perfex_world(&example.replace(from, to)).unwrap_err();
        let e = e.downcast::<meetkit_host::InputError>().expect("refused as input");
        assert!(e.to_string().starts_with("the name of "), "{e}");
    }
    let crm = w.harness.perfex().unwrap();
    assert_eq!(request(&crm, "acme", "john").contact_name, "John Carter", "the example world stays");
}

/// Expiring a request tells its client and clears every panel: after ticks stopped for
/// a day, a backlog of overdue requests expires twenty a tick, each tick within a call's
/// budget, and none is left behind.
#[test]
fn a_backlog_of_overdue_requests_expires_twenty_a_tick() {
    let w = World::new();
    w.harness.load_perfex_world(&toml::to_string(&meetkit_host::bench::perfex_world(210)).unwrap()).unwrap();
    let crm = w.harness.perfex().unwrap();
    let mut asked: Vec<String> =
        (0..210).map(|i| request(&crm, &format!("c{i}"), &format!("k{i}")).id).collect();
    w.clock.advance(Duration::from_secs(24 * 3600)).unwrap();
    let mut expired = Vec::new();
    for _ in 0..10 {
        let tick = ok(crm.tick().unwrap()).0.expired_requests;
        assert_eq!(tick.len(), 20, "twenty a tick");
        expired.extend(tick);
    }
    expired.extend(ok(crm.tick().unwrap()).0.expired_requests);
    assert!(ok(crm.tick().unwrap()).0.expired_requests.is_empty());
    expired.sort();
    asked.sort();
    assert_eq!(expired, asked, "every request expired once");
    assert!(listed(&crm, &RequestFilter::Active, 0, 200).0.is_empty());
}

/// John of Acme asks for a call while the platform refuses bells: the request fails after
/// storing the request as Acme's open one. Answers the action, to ask again.
fn ask_while_the_platform_refuses_bells(w: &World) -> RequestAction {
    w.platform_refuses(Some("notification"));
    let asked = RequestAction::RequestCall(("acme".into(), "john".into()));
    assert!(w.harness.perfex().unwrap().handle_request(&asked).is_err(), "the request fails");
    w.platform_refuses(None);
    asked
}

/// A request that stopped before telling the staff, and that the client does not repeat
/// after the lease, reaches them with the tick once the lease has run out: once.
#[test]
fn a_request_the_platform_could_not_show_reaches_the_staff_with_the_tick() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let asked = ask_while_the_platform_refuses_bells(&w);
    ok(crm.tick().unwrap());
    assert!(bell(&w, "maria").is_empty(), "left to the request that claimed it, for the lease");

    w.clock.advance(Duration::from_secs(10)).unwrap();
    assert!(ok(crm.tick().unwrap()).0.expired_requests.is_empty());
    assert_eq!(bell(&w, "maria"), ["Call request"], "the tick told maria");
    let (outcome, _) = ok(crm.handle_request(&asked).unwrap());
    let RequestOutcome::Existing(r) = outcome else { panic!("not the stored request: {outcome:?}") };
    assert_eq!(panel(&crm, "maria"), vec![r.id.clone()]);

    w.clock.advance(Duration::from_secs(60)).unwrap();
    ok(crm.tick().unwrap());
    assert_eq!(bell(&w, "maria"), ["Call request"], "told once");
    // Still expired at its deadline, the first tick having moved it on.
    w.clock.advance(Duration::from_secs(3600)).unwrap();
    assert_eq!(ok(crm.tick().unwrap()).0.expired_requests, vec![r.id]);
}

/// The platform still down when the tick first tries: a tick within the lease of the
/// tick's own failed claim leaves it, and one after tells the staff.
#[test]
fn a_request_the_tick_could_not_announce_either_reaches_the_staff_with_a_later_tick() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    ask_while_the_platform_refuses_bells(&w);
    w.clock.advance(Duration::from_secs(10)).unwrap();
    w.platform_refuses(Some("notification"));
    assert!(crm.tick().is_err(), "the tick's announcement fails as the request's did");
    w.platform_refuses(None);
    w.clock.advance(Duration::from_secs(5)).unwrap();
    ok(crm.tick().unwrap());
    assert!(bell(&w, "maria").is_empty(), "left to the failed tick's claim, for the lease");
    w.clock.advance(Duration::from_secs(5)).unwrap();
    ok(crm.tick().unwrap());
    assert_eq!(bell(&w, "maria"), ["Call request"], "told when that claim ran out");
}

/// A request whose notifications the platform could not keep (its database down) fails;
/// the request it stored is the client's open one. Asking again at once is taken for
/// asking at the same moment as the first, which tells the staff; asking after the
/// lease tells them: once.
#[test]
fn a_request_the_platform_could_not_show_reaches_the_staff_with_a_later_one() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let asked = ask_while_the_platform_refuses_bells(&w);
    assert!(bell(&w, "maria").is_empty());
    ok(crm.handle_request(&asked).unwrap());
    assert!(bell(&w, "maria").is_empty(), "left to the request that claimed it, for the lease");

    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (outcome, _) = ok(crm.handle_request(&asked).unwrap());
    let RequestOutcome::Existing(r) = outcome else { panic!("not the stored request: {outcome:?}") };
    assert_eq!(bell(&w, "maria"), ["Call request"]);
    assert_eq!(panel(&crm, "maria"), vec![r.id.clone()]);
    w.clock.advance(Duration::from_secs(10)).unwrap();
    ok(crm.handle_request(&asked).unwrap());
    assert_eq!(bell(&w, "maria"), ["Call request"], "told once");
}

/// A staff member who has left (made inactive after a request reached their panel) will
/// never answer it: once everyone else notified has ignored it, the request closes at
/// once instead of keeping its client waiting until it expires, and says why.
#[test]
fn a_request_closes_at_once_when_only_staff_no_longer_active_have_not_ignored_it() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let r = request(&crm, "acme", "john");
    set_active(&w, "lena", false);
    let crm = w.harness.perfex().unwrap();
    act(&crm, RequestAction::Ignore((r.id.clone(), "maria".into())));
    let (outcome, effects) =
        ok(crm.handle_request(&RequestAction::Ignore((r.id.clone(), "tom".into()))).unwrap());
    closed_at_once(&w, &r.id, &outcome, &effects);
    // Back at work, Lena is told why it closed.
    set_active(&w, "lena", true);
    let crm = w.harness.perfex().unwrap();
    let why = why_expired(&crm, &r.id, "lena");
    assert!(why.contains("every staff member notified ignored it or is no longer active"), "{why}");
}

/// A call's parties are those the CRM has now: the staff member who took it while still
/// active, and the client's contacts. An account made inactive or a contact moved to
/// another client no longer gets in; a client the CRM no longer has is not called.
#[test]
fn a_call_admits_the_parties_the_crm_has_now() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (_, meeting) = john_calls_maria(&crm);
    let hanks = request(&crm, "globex", "hank");
    move_john_to_globex(&w);
    set_active(&w, "maria", false);
    let crm = w.harness.perfex().unwrap();
    let before = w.snapshot();
    let e = refused(crm.join_meeting(&meeting, "john", EntryPoint::ClientArea).unwrap());
    assert!(matches!(e, Error::NotAParticipant(_)), "{e:?}");
    let e = refused(crm.join_meeting(&meeting, "maria", EntryPoint::Notification).unwrap());
    assert!(matches!(e, Error::UnknownUser(_)), "{e:?}");
    assert_eq!(before, w.snapshot());
    // Sara, still of Acme, joins.
    ok(crm.join_meeting(&meeting, "sara", EntryPoint::ClientArea).unwrap());

    // Globex leaves the CRM with Hank's request open: nobody accepts a call to no one.
    let mut world = w.harness.perfex_world().unwrap();
    world.clients.retain(|c| c.id != "globex");
    w.harness.load_perfex_world(&toml::to_string(&world).unwrap()).unwrap();
    let crm = w.harness.perfex().unwrap();
    let call = crm.handle_request(&RequestAction::Accept((hanks.id.clone(), "tom".into()))).unwrap();
    let (e, effects) = (call.value.unwrap_err(), call.effects);
    assert!(matches!(e, Error::UnknownContext(ref m) if m.contains("globex")), "{e:?}");
    // Nor is it offered on any panel until it expires: it closes at once, saying why,
    // with no bell for a client that is gone.
    assert_eq!(removed_from(&effects, &hanks.id), set(&["maria", "tom"]));
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Notification { user, .. } if user == "hank")),
        "{effects:?}"
    );
    let history = ok(crm.request_history(&hanks.id).unwrap()).0;
    assert!(history.last().unwrap().detail.contains("no longer in the CRM"), "{history:?}");
    let e = refused(crm.handle_request(&RequestAction::Accept((hanks.id.clone(), "tom".into()))).unwrap());
    assert!(matches!(e, Error::Expired(_)), "{e:?}");
}

/// The client cancels through the contacts the CRM gives it now: one moved to another
/// client no longer speaks for it, even for the request they made, and speaks for the
/// new one.
#[test]
fn a_contact_moved_to_another_client_cannot_cancel_for_the_first() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let johns = request(&crm, "acme", "john");
    let hanks = request(&crm, "globex", "hank");
    move_john_to_globex(&w);
    let crm = w.harness.perfex().unwrap();
    let before = w.snapshot();
    let e = refused(crm.handle_request(&RequestAction::Cancel((johns.id.clone(), "john".into()))).unwrap());
    assert!(matches!(e, Error::Forbidden(ref m) if m.contains("Acme")), "{e:?}");
    assert_eq!(before, w.snapshot());
    assert!(matches!(
        act(&crm, RequestAction::Cancel((johns.id, "sara".into()))),
        RequestOutcome::Cancelled(_)
    ));
    // John speaks for Globex now, whose request he may cancel.
    assert!(matches!(
        act(&crm, RequestAction::Cancel((hanks.id, "john".into()))),
        RequestOutcome::Cancelled(_)
    ));
}

/// A request every staff member told of can no longer take (made inactive since) does
/// not hold its client until its deadline: asking again closes it, saying why.
#[test]
fn a_request_nobody_is_left_to_take_gives_way_when_the_client_asks_again() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let first = request(&crm, "globex", "hank");
    assert_eq!(first.notified, ["maria", "tom"]);
    set_active(&w, "maria", false);
    set_active(&w, "tom", false);
    let crm = w.harness.perfex().unwrap();
    let call = crm.handle_request(&RequestAction::RequestCall(("globex".into(), "hank".into()))).unwrap();
    assert!(matches!(call.value, Err(Error::Unavailable(_))), "{:?}", call.value);
    // Hank's page shows his request closed, as at its deadline.
    assert!(call.effects.iter().any(|e| matches!(e, Effect::Signal { user, .. } if user == "hank")));
    let history = ok(crm.request_history(&first.id).unwrap()).0;
    assert!(history.last().unwrap().detail.contains("no longer active"), "{history:?}");
    // Back at work, Maria is told of the next one.
    set_active(&w, "maria", true);
    let crm = w.harness.perfex().unwrap();
    let second = request(&crm, "globex", "hank");
    assert_eq!(second.notified, ["maria"]);
    // Now Maria leaves while it is open: the next ask replaces it at once.
    set_active(&w, "maria", false);
    set_active(&w, "tom", true);
    let crm = w.harness.perfex().unwrap();
    let third = request(&crm, "globex", "hank");
    assert_eq!(third.notified, ["tom"]);
    let history = ok(crm.request_history(&second.id).unwrap()).0;
    assert_eq!(history.last().unwrap().action, "expired", "{history:?}");
}

/// Only the call's parties record it: a recording JaaS attributes to a staff member who
/// did not take the call is kept (JaaS made it) and flagged to the administrators, as
/// their entering the room would be.
#[test]
fn a_recording_by_staff_outside_the_call_is_flagged() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (_, meeting) = john_calls_maria(&crm);
    let room = ok(crm.get_meeting(&meeting).unwrap()).0.room;
    let upload = |by: &str, session: &str| {
        RecordingEvent::Uploaded(RecordingUpload {
            room: room.clone(),
            link: format!("https://rec.example/{session}.mp4"),
            initiator: Some(by.into()),
            session_id: session.into(),
            duration_secs: 60,
            started_at: T0 - 60_000,
            ended_at: T0,
            uploaded_at: T0,
        })
    };
    let (by_maria, _) = ok(crm.on_recording(&upload("maria", "s-maria")).unwrap());
    assert_eq!(by_maria.flagged, None);
    let (by_lena, effects) = ok(crm.on_recording(&upload("lena", "s-lena")).unwrap());
    let why = by_lena.flagged.expect("flagged");
    assert!(why.contains("not a party of call request") && why.contains("may not record"), "{why}");
    assert!(by_lena.file.is_some_and(|f| f.flagged));
    assert!(effects.iter().any(|e| matches!(e, Effect::Flag { .. })));
}

/// Requests made in the same millisecond (a virtual clock that stands still) are listed
/// the later made first, as any others: the client's open request heads its list.
#[test]
fn requests_of_the_same_moment_are_listed_the_later_first() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let mut made = Vec::new();
    for _ in 0..4 {
        let r = request(&crm, "acme", "john");
        act(&crm, RequestAction::Cancel((r.id.clone(), "john".into())));
        made.push(r.id);
    }
    made.push(request(&crm, "acme", "john").id);
    made.reverse();
    for filter in [RequestFilter::Client("acme".into()), RequestFilter::All] {
        assert_eq!(listed(&crm, &filter, 0, 20).0, made, "{filter:?}");
        assert_eq!(listed(&crm, &filter, 0, 1).0, [made[0].clone()], "{filter:?}");
    }
}
