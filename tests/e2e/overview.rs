//! The meetings overview through the built component: scheduling, statuses on the
//! virtual clock, media checks, changes, scope, sorting, paging, rooms and calendar files.

use ical::parser::ical::component::IcalCalendar;
use ical::property::Property;
use meetkit_host::PlatformHost;
use meetkit_host::bindings::messaging::{Notification, PageSignal};
use meetkit_host::bindings::overview::{
    Appointment, Attendee, GuestDetails, MediaCheck, Period, Query, RoomEvent, ScheduleRequest, Scope,
    SortKey, Status,
};
use meetkit_host::bindings::time_zones::LocalDateTime;
use meetkit_host::bindings::types::{Error, MeetingState};
use meetkit_host::effects::Effect;
use meetkit_tests::{T0, World, ok, refused};
use std::time::Duration;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

fn at(year: i16, month: u8, day: u8, hour: u8, minute: u8) -> LocalDateTime {
    LocalDateTime { year, month, day, hour, minute }
}

fn guest(name: &str) -> GuestDetails {
    GuestDetails {
        name: name.into(),
        email: format!("{}@client.example", name.to_lowercase().replace(' ', ".")),
        phone: None,
    }
}

fn request(host: &str, guest_name: &str, zone: &str, slots: Vec<LocalDateTime>) -> ScheduleRequest {
    ScheduleRequest {
        actor: host.into(),
        host: host.into(),
        guest: guest(guest_name),
        meeting_type: "Intake".into(),
        details: format!("Intake of {guest_name}"),
        description: "First conversation, about the contract".into(),
        zone: zone.into(),
        slots,
        duration_mins: 30,
    }
}

/// A meeting at 12:00 UTC on the test day (three hours after T0).
fn noon(erp: &PlatformHost<'_>, host: &str, guest_name: &str) -> Appointment {
    ok(erp.schedule(&request(host, guest_name, "UTC", vec![at(2026, 11, 23, 12, 0)])).unwrap()).0
}

fn status(erp: &PlatformHost<'_>, id: &str) -> Status {
    ok(erp.get_appointment(id, "ana").unwrap()).0.status
}

fn query(viewer: &str, scope: Scope, period: Period) -> Query {
    Query {
        viewer: viewer.into(),
        scope,
        period,
        sort: SortKey::Date,
        descending: true,
        page: 0,
        page_size: 200,
    }
}

fn ana() -> Attendee {
    Attendee::User("ana".into())
}

/// A browser on the server's pages that shows each answer as it comes: redirects are
/// not followed, and an error status is an answer.
fn browser() -> ureq::Agent {
    ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into()
}

fn emails(effects: &[Effect]) -> Vec<meetkit_host::bindings::messaging::Email> {
    effects
        .iter()
        .filter_map(|e| if let Effect::Email { email } = e { Some(email.clone()) } else { None })
        .collect()
}

#[test]
fn scheduling_gives_the_guest_a_link_and_an_unguessable_key() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (a, effects) = ok(erp
        .schedule(&request("ana", "Ida Berg", "Europe/Amsterdam", vec![at(2026, 11, 24, 10, 0)]))
        .unwrap());
    assert_eq!(a.status, Status::Scheduled);
    assert_eq!(a.media_check, MediaCheck::NotEntered);
    assert_eq!(a.start, Some(jiff_instant(2026, 11, 24, 10, 0, "Europe/Amsterdam")));
    assert!(a.guest_key.len() >= 26 && a.guest_key.chars().all(|c| c.is_ascii_alphanumeric()));
    // The guest is outside the platform: every link they get is absolute, at the
    // platform's public address.
    let public = &w.harness.config().platform.public_address;
    assert_eq!(a.guest_link, format!("{public}meet/guest/{}?key={}", a.id, a.guest_key));
    let b = noon(&erp, "ana", "Jon Lee");
    // Long, but within what a person types: 200 characters of a name, in any script.
    let long = "Ñ".repeat(200);
    assert_eq!(
        ok(erp.schedule(&request("ana", &long, "UTC", vec![at(2026, 11, 24, 10, 0)])).unwrap()).0.guests[0]
            .name,
        long
    );
    assert_ne!(a.guest_key, b.guest_key);
    let mail = emails(&effects);
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, "ida.berg@client.example");
    assert!(mail[0].body.contains(&format!("Join: {}\n", a.guest_link)), "{}", mail[0].body);
    // Whom, what about, when and how long: what a guest needs without opening the file.
    assert!(
        mail[0].body.starts_with(
            "You are invited to a meeting: Intake, with Ana Petrova.\nIntake of Ida Berg\n\n\
             When: 2026-11-24 10:00 CET (Europe/Amsterdam), 30 minutes\n"
        ),
        "{}",
        mail[0].body
    );
    let calendar = mail[0].calendar.as_deref().unwrap();
    assert!(calendar.replace("\r\n ", "").contains(&format!("URL:{}", a.guest_link)), "{calendar}");
    // Calendar apps show the location and the description, few the URL: both lead in;
    // and the guest's entry is titled with whom they meet.
    let cal = parse(calendar);
    let event = &cal.events[0].properties;
    assert_eq!(value(event, "SUMMARY"), "Intake with Ana Petrova");
    assert_eq!(value(event, "LOCATION"), a.guest_link);
    assert!(value(event, "DESCRIPTION").ends_with(&format!("Join: {}", a.guest_link)), "{calendar}");

    // Refusals change nothing.
    let before = w.snapshot();
    let bad = [
        request("ana", "", "UTC", vec![at(2026, 11, 24, 10, 0)]),
        request("ana", "X", "UTC", vec![]),
        request("ana", "X", "Mars/Olympus", vec![at(2026, 11, 24, 10, 0)]),
        request("ana", "X", "UTC", vec![at(2026, 11, 22, 10, 0)]),
        request("ana", "X", "UTC", vec![at(2026, 13, 1, 10, 0)]),
        request("ana", &"N".repeat(201), "UTC", vec![at(2026, 11, 24, 10, 0)]),
        // The clocks go from 02:00 to 03:00 that night: 02:30 never happens there.
        request("ana", "X", "Europe/Amsterdam", vec![at(2027, 3, 28, 2, 30)]),
        ScheduleRequest {
            description: "d".repeat(10_001),
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
        // Control characters would reach every mail, page and calendar entry.
        ScheduleRequest {
            description: "red \u{1b}[31m alert\u{7}".into(),
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
        // A comma in a mail header makes two recipients of one address.
        ScheduleRequest {
            guest: GuestDetails { email: "a,b@client.example".into(), ..guest("X") },
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
        // A mistyped domain: no mail would ever reach the guest.
        ScheduleRequest {
            guest: GuestDetails { email: "g@client..example".into(), ..guest("X") },
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
        ScheduleRequest {
            meeting_type: "  ".into(),
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
        // A name that looks blank, or turns the rest of every line it is shown in around.
        ScheduleRequest {
            guest: GuestDetails { name: "\u{200b}".into(), ..guest("X") },
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
        ScheduleRequest {
            guest: GuestDetails { name: "Ida \u{202e}live".into(), ..guest("X") },
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
        // Twice the same slot: not one fixed time instead of the choice meant.
        request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0), at(2026, 11, 24, 10, 0)]),
        // The details are the overview's row: a line break would split it.
        ScheduleRequest {
            details: "Renewal\nsecond line".into(),
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        },
    ];
    for r in bad {
        assert!(matches!(refused(erp.schedule(&r).unwrap()), Error::InvalidInput(_)), "{r:?}");
    }
    // A year the platform's calendar cannot hold is refused in words, not the library's.
    let e = refused(erp.schedule(&request("ana", "X", "UTC", vec![at(9999, 12, 31, 23, 59)])).unwrap());
    assert!(matches!(e, Error::InvalidInput(ref m) if m.contains("beyond the dates")), "{e:?}");
    // A year within the calendar but whose meeting would end beyond it is a mistyped
    // year too: refused as the input it is, not as a platform failure worth a retry.
    let e = refused(erp.schedule(&request("ana", "X", "UTC", vec![at(9999, 12, 30, 10, 0)])).unwrap());
    assert!(matches!(e, Error::InvalidInput(ref m) if m.contains("more than ten years ahead")), "{e:?}");
    assert!(matches!(
        refused(erp.schedule(&request("erik", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])).unwrap()),
        Error::Forbidden(_)
    ));
    assert!(matches!(
        refused(erp.schedule(&request("ghost", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])).unwrap()),
        Error::UnknownUser(_)
    ));
    assert_eq!(before, w.snapshot());
}

/// The bell notification `user` got among `effects`.
fn bell_of<'a>(effects: &'a [Effect], user: &str) -> Option<&'a Notification> {
    effects.iter().find_map(|e| match e {
        Effect::Notification { user: to, notification } if to == user => Some(notification),
        _ => None,
    })
}

fn jiff_instant(y: i16, m: i8, d: i8, h: i8, min: i8, zone: &str) -> i64 {
    jiff::civil::date(y, m, d).at(h, min, 0, 0).in_tz(zone).unwrap().timestamp().as_millisecond()
}

#[test]
fn proposed_slots_are_planning_until_the_guest_picks_one() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 25, 9, 0), at(2026, 11, 24, 15, 0), at(2026, 11, 26, 11, 0)];
    let (a, effects) = ok(erp.schedule(&request("ben", "Ola Nord", "UTC", slots)).unwrap());
    assert_eq!(a.status, Status::Planning);
    // Ola's e-mail lists the times to pick from, in order, and how long it lasts.
    let body = &emails(&effects)[0].body;
    assert!(body.contains("pick one of these times (UTC, 30 minutes)"), "{body}");
    assert!(
        body.contains("\n  - 2026-11-24 15:00 UTC\n  - 2026-11-25 09:00 UTC\n  - 2026-11-26 11:00 UTC\n"),
        "{body}"
    );
    assert_eq!(a.start, None);
    assert_eq!(a.proposed.len(), 3);
    assert!(a.proposed.windows(2).all(|p| p[0] < p[1]), "slots in time order");
    assert!(matches!(refused(erp.agenda(&a.id, "ben").unwrap()), Error::InvalidTransition(_)));
    assert!(matches!(refused(erp.pick_slot(&a.id, "wrong-key", 0).unwrap()), Error::Forbidden(_)));
    assert!(matches!(refused(erp.pick_slot(&a.id, &a.guest_key, 7).unwrap()), Error::InvalidInput(_)));
    // A slot whose time has passed can no longer be picked.
    w.clock.set(a.proposed[0]).unwrap();
    assert!(matches!(refused(erp.pick_slot(&a.id, &a.guest_key, 0).unwrap()), Error::InvalidTransition(_)));
    let (picked, effects) = ok(erp.pick_slot(&a.id, &a.guest_key, 1).unwrap());
    assert_eq!(picked.status, Status::Scheduled);
    assert_eq!(picked.start, Some(a.proposed[1]));
    // The host is told which time, with the way to the meeting.
    let bell = bell_of(&effects, "ben").expect("the host is told");
    assert_eq!(bell.text, "Ola Nord picked 2026-11-25 09:00 UTC (UTC) for the Intake.");
    assert!(bell.link.as_ref().is_some_and(|l| l.url.ends_with(&a.id)), "{bell:?}");
    // Ola is told the meeting is confirmed at the time picked, not invited again.
    let confirmed = &emails(&effects)[0];
    assert_eq!(confirmed.subject, "Confirmed: Intake");
    assert!(
        confirmed.body.starts_with("Your meeting is confirmed: Intake, with Ben Okafor."),
        "{}",
        confirmed.body
    );
    assert!(confirmed.body.contains("When: 2026-11-25 09:00 UTC"), "{}", confirmed.body);
    assert!(matches!(refused(erp.pick_slot(&a.id, &a.guest_key, 0).unwrap()), Error::InvalidTransition(_)));
}

/// A guest who lets every proposed slot pass has missed the meeting: it leaves the
/// upcoming list for the past one, and the host may still give it a time.
#[test]
fn a_meeting_whose_proposed_slots_all_passed_is_missed_and_may_still_get_a_time() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 24, 15, 0), at(2026, 11, 25, 9, 0)];
    let (a, _) = ok(erp.schedule(&request("ana", "Ola Nord", "UTC", slots)).unwrap());
    let ids = |period| -> Vec<String> {
        ok(erp.list_meetings(&query("ana", Scope::Mine, period)).unwrap())
            .0
            .items
            .into_iter()
            .map(|i| i.id)
            .collect()
    };
    // The first slot passing leaves the second to pick.
    w.clock.set(a.proposed[0] + MIN).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Planning);
    assert_eq!(ids(Period::Upcoming), vec![a.id.as_str()]);
    // Once the last one has begun, none can be picked: missed, and in the past.
    w.clock.set(a.proposed[1]).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Missed);
    assert_eq!(ids(Period::Upcoming), Vec::<String>::new());
    assert_eq!(ids(Period::Past), vec![a.id.as_str()]);
    assert!(matches!(refused(erp.pick_slot(&a.id, &a.guest_key, 1).unwrap()), Error::InvalidTransition(_)));
    assert!(matches!(
        refused(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap()),
        Error::InvalidTransition(_)
    ));
    // Nor is a guest added who would be asked to pick from past times.
    assert!(matches!(
        refused(erp.add_guest(&a.id, "ana", &guest("Late Comer")).unwrap()),
        Error::InvalidTransition(ref m) if m.contains("give it a time first")
    ));
    // The host gives it a time: scheduled and upcoming again, and the guest is told.
    let (moved, effects) = ok(erp
        .reschedule(&a.id, "ana", at(2026, 11, 27, 10, 0), "You picked no time, so here is one")
        .unwrap());
    assert_eq!(moved.status, Status::Scheduled);
    assert_eq!(ids(Period::Upcoming), vec![a.id.as_str()]);
    assert!(emails(&effects).iter().any(|e| e.to == "ola.nord@client.example"), "{effects:?}");
}

#[test]
fn statuses_follow_time_and_events() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let completed = noon(&erp, "ana", "Completed Guest");
    let missed = noon(&erp, "ana", "Missed Guest");
    let failed = noon(&erp, "ana", "Failed Guest");
    let cancelled = noon(&erp, "ana", "Cancelled Guest");
    let start = completed.start.unwrap();
    ok(erp.cancel_appointment(&cancelled.id, &ana(), "The client asked to stop").unwrap());
    assert_eq!(status(&erp, &cancelled.id), Status::Cancelled);

    w.clock.set(start - HOUR - 1).unwrap();
    assert_eq!(status(&erp, &completed.id), Status::Scheduled);
    w.clock.set(start - HOUR).unwrap();
    assert_eq!(status(&erp, &completed.id), Status::StartingSoon, "within the hour");
    // Due now and nobody in yet: still about to start, until its planned end (30 min).
    w.clock.set(start + 30 * MIN - 1).unwrap();
    assert_eq!(status(&erp, &missed.id), Status::StartingSoon);
    w.clock.set(start + 30 * MIN).unwrap();
    assert_eq!(status(&erp, &missed.id), Status::Scheduled, "past its time, not yet settled");

    w.clock.set(start).unwrap();
    ok(erp.enter_room(&completed.id, &Attendee::User("ana".into())).unwrap());
    assert_eq!(status(&erp, &completed.id), Status::Live);
    ok(erp.enter_room(&completed.id, &Attendee::Guest(completed.guest_key.clone())).unwrap());
    ok(erp.enter_room(&missed.id, &Attendee::User("ana".into())).unwrap());
    // The missed meeting's guest passes the check on their page and never comes in:
    // the indicator stays gray, and the meeting is not completed.
    ok(erp.report_room_event(&missed.id, RoomEvent::GuestCheckPassed, start + MIN).unwrap());
    assert_eq!(ok(erp.get_appointment(&missed.id, "ana").unwrap()).0.media_check, MediaCheck::NotEntered);
    ok(erp.enter_room(&failed.id, &Attendee::User("ana".into())).unwrap());
    // The failed meeting's guest enters although their check failed.
    ok(erp.report_room_event(&failed.id, RoomEvent::GuestCheckFailed, start + MIN).unwrap());
    ok(erp.enter_room(&failed.id, &Attendee::Guest(failed.guest_key.clone())).unwrap());
    assert_eq!(ok(erp.get_appointment(&failed.id, "ana").unwrap()).0.media_check, MediaCheck::Failed);
    for id in [&completed.id, &missed.id, &failed.id] {
        ok(erp.report_room_event(id, RoomEvent::HostEnded, start + 30 * MIN).unwrap());
    }
    // Ended by the host before settling (start + 30 min + 2 h), each has its outcome at
    // once: with both parties in it, completed or failed; without the guest, who may not
    // enter after the host ended it, missed.
    let settle = start + 30 * MIN + 2 * HOUR;
    w.clock.set(settle - 1).unwrap();
    assert_eq!(status(&erp, &completed.id), Status::Completed);
    assert_eq!(status(&erp, &failed.id), Status::Failed);
    assert_eq!(status(&erp, &missed.id), Status::Missed);
    let (past, _) = ok(erp.list_meetings(&query("ana", Scope::Mine, Period::Past)).unwrap());
    assert_eq!(past.total, 4, "what the host ended is past, and so is the cancelled one");
    w.clock.set(settle).unwrap();
    assert_eq!(status(&erp, &completed.id), Status::Completed);
    assert_eq!(status(&erp, &missed.id), Status::Missed);
    assert_eq!(status(&erp, &failed.id), Status::Failed);
    assert_eq!(status(&erp, &cancelled.id), Status::Cancelled);

    // Past and upcoming split at the same moment.
    let (past, _) = ok(erp.list_meetings(&query("ana", Scope::Mine, Period::Past)).unwrap());
    assert_eq!(past.total, 4);
    let (upcoming, _) = ok(erp.list_meetings(&query("ana", Scope::Mine, Period::Upcoming)).unwrap());
    assert_eq!(upcoming.total, 0);
}

/// The store fails to write the overview's index while a meeting is given to Ben and
/// then moved to the past: both changes are made and mailed, and the listings follow
/// them at the tick.
#[test]
fn changes_the_index_missed_reach_the_listings_at_the_tick() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let ids = |viewer: &str, period: Period| {
        let (page, _) = ok(erp.list_meetings(&query(viewer, Scope::Mine, period)).unwrap());
        page.items.into_iter().map(|row| row.id).collect::<Vec<_>>()
    };
    assert_eq!(ids("ana", Period::Upcoming), [a.id.as_str()]);

    store.fail_writes_under(Some("overview/"));
    let (moved, effects) = ok(erp.reassign(&a.id, "ana", "ben").unwrap());
    assert_eq!(moved.host, "ben");
    assert_eq!(emails(&effects).len(), 3, "both hosts and the guest are mailed");
    let (rescheduled, effects) =
        ok(erp.reschedule(&a.id, "ben", at(2026, 11, 23, 10, 0), "Rita asked for earlier").unwrap());
    assert_eq!(rescheduled.start, Some(T0 + HOUR));
    assert!(emails(&effects).iter().any(|m| m.to.starts_with("rita")));
    store.fail_writes_under(None);
    assert!(ids("ben", Period::Upcoming).is_empty(), "the index has missed both changes");

    w.clock.advance(Duration::from_secs(10)).unwrap();
    ok(erp.tick().unwrap());
    assert!(ids("ana", Period::Upcoming).is_empty());
    assert_eq!(ids("ben", Period::Upcoming), [a.id.as_str()]);
    // Settled two hours after its new end, 12:30, where the old time settles at 14:30.
    w.clock.advance(Duration::from_secs(4 * 3600)).unwrap();
    assert_eq!(ids("ben", Period::Past), [a.id.as_str()], "it is past by its new time");
}

/// The host leaves the room the guest is in, and the store fails before the scheduled
/// meeting records it: the room is closed, the meeting still shows live. The tick
/// finishes the end: the meeting has taken place.
#[test]
fn a_room_end_a_failure_cut_short_is_recorded_by_the_tick() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    w.clock.set(a.start.unwrap()).unwrap();
    let (host, _) = ok(erp.enter_room(&a.id, &ana()).unwrap());
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    w.clock.advance(Duration::from_secs(600)).unwrap();
    store.fail_writes_under(Some("appointment/"));
    assert!(erp.leave_meeting(&host.meeting_id, "ana").unwrap().value.is_err());
    store.fail_writes_under(None);
    assert_eq!(ok(erp.get_meeting(&host.meeting_id).unwrap()).0.state, MeetingState::Ended);
    assert_eq!(status(&erp, &a.id), Status::Live);

    w.clock.advance(Duration::from_secs(10)).unwrap();
    assert_eq!(ok(erp.tick().unwrap()).0.finished_ends, [host.meeting_id]);
    assert_eq!(status(&erp, &a.id), Status::Completed);
}

/// The host looked into the room early, and the store failed the end of that look; no
/// tick ran before the meeting took place. Finishing the early look's end late does not
/// undo the meeting that took place since.
#[test]
fn a_late_finish_of_an_early_look_leaves_the_meeting_held_since() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let start = a.start.unwrap();
    w.clock.set(start - 30 * MIN).unwrap();
    let (look, _) = ok(erp.enter_room(&a.id, &ana()).unwrap());
    store.fail_writes_under(Some("appointment/"));
    assert!(erp.leave_meeting(&look.meeting_id, "ana").unwrap().value.is_err());
    store.fail_writes_under(None);

    w.clock.set(start).unwrap();
    let (held, _) = ok(erp.enter_room(&a.id, &ana()).unwrap());
    assert_ne!(held.meeting_id, look.meeting_id);
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    w.clock.advance(Duration::from_secs(600)).unwrap();
    ok(erp.leave_meeting(&held.meeting_id, "ana").unwrap());
    assert_eq!(status(&erp, &a.id), Status::Completed);
    assert_eq!(ok(erp.tick().unwrap()).0.finished_ends, [look.meeting_id]);
    assert_eq!(status(&erp, &a.id), Status::Completed);
}

#[test]
fn a_meeting_whose_connection_failed_is_failed_and_the_guest_phone_is_kept() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let mut asked = request("ana", "Dropped Guest", "UTC", vec![at(2026, 11, 23, 12, 0)]);
    asked.guest.phone = Some("  +31 20 123 4567 ".into());
    let a = ok(erp.schedule(&asked).unwrap()).0;
    assert_eq!(a.guests[0].phone.as_deref(), Some("+31 20 123 4567"), "the expanded row shows it, trimmed");
    let start = a.start.unwrap();
    w.clock.set(start).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, start + MIN).unwrap());
    // Both were in and the check passed, but the conference itself failed.
    ok(erp.report_room_event(&a.id, RoomEvent::ConnectionFailed, start + 2 * MIN).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, start + 3 * MIN).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Failed);
    let (row, _) = ok(erp.get_appointment(&a.id, "ben").unwrap());
    assert_eq!(row.guests[0].phone.as_deref(), Some("+31 20 123 4567"), "a colleague sees it too");
}

/// A connection failure reported while nobody has entered the room is refused and
/// changes nothing: the meeting both parties then hold without trouble is completed,
/// not failed.
#[test]
fn a_connection_failure_before_anyone_entered_is_refused() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Early Report");
    let start = a.start.unwrap();
    w.clock.set(start - 30 * MIN).unwrap();
    let before = w.snapshot();
    let e = refused(erp.report_room_event(&a.id, RoomEvent::ConnectionFailed, w.clock.now_ms()).unwrap());
    assert!(matches!(&e, Error::InvalidTransition(m) if m.contains("nobody has entered")), "{e:?}");
    assert_eq!(before, w.snapshot());
    w.clock.set(start).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, start + MIN).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, start + 20 * MIN).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Completed);
}

/// A party that never entered makes a meeting missed, whatever befell the other: a guest
/// whose check failed while the host never came did not have a failed meeting, and a
/// host whose connection failed while the guest never came neither.
#[test]
fn a_meeting_one_party_never_entered_is_missed_whatever_befell_the_other() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Lone Guest");
    let b = noon(&erp, "ana", "Absent Guest");
    let start = a.start.unwrap();
    w.clock.set(start).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckFailed, start + MIN).unwrap());
    ok(erp.enter_room(&b.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.report_room_event(&b.id, RoomEvent::ConnectionFailed, start + MIN).unwrap());
    ok(erp.report_room_event(&b.id, RoomEvent::HostEnded, start + 2 * MIN).unwrap());
    // Ended by its host without the guest, who may not enter now: missed at once, not
    // "starting soon", and listed among the past meetings.
    assert_eq!(status(&erp, &b.id), Status::Missed, "not failed: the guest never came");
    let listed = |period| {
        let page = ok(erp.list_meetings(&query("ana", Scope::Mine, period)).unwrap()).0;
        page.items.iter().any(|r| r.id == b.id)
    };
    assert_eq!((listed(Period::Upcoming), listed(Period::Past)), (false, true));
    w.clock.set(start + 30 * MIN + 2 * HOUR).unwrap();
    assert_eq!((status(&erp, &a.id), status(&erp, &b.id)), (Status::Missed, Status::Missed));
}

/// A host who ended a meeting the guest never came to may open it again before it
/// settles: it is live again, and the guest may come in then.
#[test]
fn a_meeting_its_host_ended_alone_is_live_again_when_they_come_back() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Late Leo");
    let start = a.start.unwrap();
    w.clock.set(start).unwrap();
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, start + 5 * MIN).unwrap());
    w.clock.set(start + 5 * MIN).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Missed);
    let page = ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0;
    assert_eq!((page.status, page.may_enter), (Status::Missed, false), "the guest's page agrees");
    w.clock.set(start + 20 * MIN).unwrap();
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Live);
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, start + 40 * MIN).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Completed, "they met after all");
}

/// A guest added after a reschedule is invited, not told of an old change: their
/// calendar entry carries no reason, while the rescheduling's own files carry it.
#[test]
fn an_invitation_after_a_change_carries_no_stale_reason() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let (_, effects) = ok(erp.reschedule(&a.id, "ana", at(2026, 11, 23, 14, 0), "Earlier is full").unwrap());
    let moved = emails(&effects)[0].calendar.clone().unwrap().replace("\r\n ", "");
    assert!(moved.contains("Changed: Earlier is full"), "{moved}");
    let (_, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Sam Moss")).unwrap());
    let added = emails(&effects)[0].calendar.clone().unwrap().replace("\r\n ", "");
    assert!(!added.contains("Earlier is full"), "{added}");
}

#[test]
fn an_added_guest_has_a_key_and_a_place_of_their_own() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let (added, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Sam Moss")).unwrap());
    // The host's calendar entry now names Sam too: a new revision, for calendars that
    // took in the old one.
    assert_eq!(added.sequence, a.sequence + 1);
    let agenda = ok(erp.agenda(&a.id, "ana").unwrap()).0;
    assert!(agenda.contains(&format!("SEQUENCE:{}", a.sequence + 1)), "{agenda}");
    let mail = &emails(&effects)[0];
    let key_line = mail.body.lines().find_map(|l| l.strip_prefix("Guest key: ")).expect("a key");
    assert_ne!(key_line, a.guest_key, "the first guest's key stays the first guest's");
    assert!(mail.body.contains(&format!("meet/guest/{}?key={key_line}", a.id)), "{}", mail.body);
    let calendar = mail.calendar.as_deref().unwrap().replace("\r\n ", "");
    assert!(!calendar.contains(&a.guest_key), "nor is it in Sam's calendar file");
    // Nor Rita's address: Sam's invitation names Sam only.
    let attendees: Vec<&str> = calendar.lines().filter(|l| l.starts_with("ATTENDEE")).collect();
    assert_eq!(attendees.len(), 1, "{calendar}");
    assert!(attendees[0].ends_with("mailto:sam.moss@client.example"), "{calendar}");
    assert!(!calendar.contains("rita.moss@client.example"), "{calendar}");
    assert!(calendar.contains("SUMMARY:Intake with Ana Petrova"), "Sam's entry names the host: {calendar}");
    // Sam may not call the meeting off: Rita, its first guest, may.
    let e = refused(erp.cancel_appointment(&a.id, &Attendee::Guest(key_line.to_string()), "No").unwrap());
    assert!(matches!(e, Error::Forbidden(ref m) if m.contains("only Rita Moss")), "{e:?}");

    // In the room each guest is someone of their own, under their own name.
    w.clock.set(a.start.unwrap()).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    let (rita_ticket, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    let (sam_ticket, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(key_line.to_string())).unwrap());
    let (rita, sam) = (w.verify(&rita_ticket), w.verify(&sam_ticket));
    assert_eq!(rita["context"]["user"]["name"], "Rita Moss");
    assert_eq!(sam["context"]["user"]["name"], "Sam Moss");
    assert_ne!(rita["context"]["user"]["id"], sam["context"]["user"]["id"]);
    let meeting = ok(erp.get_meeting(&sam_ticket.meeting_id).unwrap()).0;
    assert_eq!(meeting.present.len(), 3, "the host and two guests: {:?}", meeting.present);
    // Once it is over, any guest may leave the review, with their own key.
    w.clock.set(a.start.unwrap() + 31 * MIN).unwrap();
    let (reviewed, _) = ok(erp.add_review(&a.id, key_line, "Fine").unwrap());
    assert_eq!(reviewed.review.as_deref(), Some("Fine"));
    // It is Sam's: Rita neither sees it on her page nor replaces it; Sam may rewrite it.
    let rita_page = ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0;
    assert_eq!((rita_page.review, rita_page.may_review), (None, false));
    let e = refused(erp.add_review(&a.id, &a.guest_key, "Poor").unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("Sam Moss has reviewed")), "{e:?}");
    assert_eq!(ok(erp.guest_view(&a.id, key_line).unwrap()).0.review.as_deref(), Some("Fine"));
    let (rewritten, _) = ok(erp.add_review(&a.id, key_line, "Fine, thanks").unwrap());
    assert_eq!(rewritten.review.as_deref(), Some("Fine, thanks"));
    assert!(matches!(refused(erp.add_review(&a.id, "not-a-key", "Fine").unwrap()), Error::Forbidden(_)));
    assert!(matches!(
        refused(erp.enter_room(&a.id, &Attendee::Guest("not-a-key".into())).unwrap()),
        Error::Forbidden(_)
    ));
}

/// A guest who lost the invitation gets it again when the host adds them again: with
/// their own key, and nothing else changes. A cancelled meeting invites nobody.
#[test]
fn adding_a_guest_again_resends_their_invitation() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let (_, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Sam Moss")).unwrap());
    let first = emails(&effects).remove(0);
    let before = ok(erp.get_appointment(&a.id, "ana").unwrap()).0;
    for (who, key) in [("Sam Moss", None), ("Rita Moss", Some(a.guest_key.as_str()))] {
        // In another case, as people type addresses.
        let again = GuestDetails { email: guest(who).email.to_uppercase(), ..guest(who) };
        let (after, effects) = ok(erp.add_guest(&a.id, "ana", &again).unwrap());
        let mails = emails(&effects);
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert_eq!(mails[0].to, guest(who).email);
        assert!(mails[0].subject.starts_with("Invitation"), "{}", mails[0].subject);
        let key = key.map_or_else(
            || first.body.lines().find_map(|l| l.strip_prefix("Guest key: ")).unwrap().to_string(),
            str::to_string,
        );
        assert!(mails[0].body.contains(&format!("Guest key: {key}")), "their own key: {}", mails[0].body);
        assert_eq!(
            (after.guests, after.sequence),
            (before.guests.clone(), before.sequence),
            "nothing changed"
        );
        assert!(!effects.iter().any(|e| matches!(e, Effect::Notification { .. })), "nobody else is told");
    }
    ok(erp.cancel_appointment(&a.id, &ana(), "The client asked to stop").unwrap());
    let e = refused(erp.add_guest(&a.id, "ana", &guest("Sam Moss")).unwrap());
    assert!(matches!(e, Error::InvalidTransition(_)), "{e:?}");
}

#[test]
fn the_media_check_indicator_has_four_states() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Media Guest");
    let check = || ok(erp.get_appointment(&a.id, "ana").unwrap()).0.media_check;
    assert_eq!(check(), MediaCheck::NotEntered);
    w.clock.set(a.start.unwrap() - 5 * MIN).unwrap();
    let (ticket, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert!(ticket.address.starts_with("https://8x8.vc/"));
    let claims = w.verify(&ticket);
    assert_eq!(claims["context"]["user"]["id"], format!("guest-{}", a.id));
    assert_eq!(claims["context"]["user"]["moderator"], "false");
    assert_eq!(check(), MediaCheck::Entered);
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckFailed, w.clock.now_ms()).unwrap());
    assert_eq!(check(), MediaCheck::Failed);
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, w.clock.now_ms()).unwrap());
    assert_eq!(check(), MediaCheck::Passed);
    assert!(matches!(
        refused(erp.enter_room(&a.id, &Attendee::Guest("nope".into())).unwrap()),
        Error::Forbidden(_)
    ));
    let (host, _) = ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    assert_eq!(w.verify(&host)["context"]["user"]["moderator"], "true");
    assert_eq!(host.room, ticket.room, "host and guest meet in one room");
    assert!(matches!(
        refused(erp.enter_room(&a.id, &Attendee::User("ben".into())).unwrap()),
        Error::Forbidden(_)
    ));
}

#[test]
fn reschedule_cancel_reassign_and_add_guest() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let b = noon(&erp, "ana", "Tom Cruz");
    // An optional number of nothing that shows is none given, not a refusal.
    let (unseen, _) = ok(erp
        .schedule(&ScheduleRequest {
            guest: GuestDetails { phone: Some("\u{200b}".into()), ..guest("Zero Width") },
            ..request("ana", "X", "UTC", vec![at(2026, 11, 24, 10, 0)])
        })
        .unwrap());
    assert_eq!(unseen.guests[0].phone, None);
    // Reschedule: a reason is required; the guest is told it.
    let before = w.snapshot();
    let too_long = "r".repeat(10_001);
    for reason in ["  ", too_long.as_str()] {
        assert!(matches!(
            refused(erp.reschedule(&a.id, "ana", at(2026, 11, 25, 9, 0), reason).unwrap()),
            Error::InvalidInput(_)
        ));
    }
    // Nor is a guest with an overlong e-mail address or telephone number added.
    let long_email =
        GuestDetails { email: format!("{}@client.example", "e".repeat(250)), ..guest("Long Mail") };
    let long_phone = GuestDetails { phone: Some("1".repeat(65)), ..guest("Long Phone") };
    // Nor one whose name or number would break a table or a mail header, or whose
    // address names no domain mail could reach.
    let tab = GuestDetails { name: "Tab\tName".into(), ..guest("Tab Name") };
    let two_lines = GuestDetails { phone: Some("+31 20\n123".into()), ..guest("Two Lines") };
    let no_domain = GuestDetails { email: "a@b".into(), ..guest("No Domain") };
    for g in [long_email, long_phone, tab, two_lines, no_domain] {
        assert!(matches!(refused(erp.add_guest(&a.id, "ana", &g).unwrap()), Error::InvalidInput(_)));
    }
    assert_eq!(before, w.snapshot());
    let (moved, effects) =
        ok(erp.reschedule(&a.id, "ana", at(2026, 11, 25, 9, 0), "The host is ill").unwrap());
    assert_eq!(moved.sequence, 1);
    assert_eq!(moved.reason.as_deref(), Some("The host is ill"));
    let mail = emails(&effects);
    assert_eq!(mail.len(), 1);
    assert!(mail[0].body.contains("The host is ill"));
    assert!(
        mail[0].body.contains("It was to start 2026-11-23 12:00 UTC.")
            && mail[0].body.contains("When: 2026-11-25 09:00 UTC (UTC), 30 minutes"),
        "the old time and the new: {}",
        mail[0].body
    );

    // Reassign: Ben is busy then (his own meeting overlaps): shown, and still choosable.
    ok(erp.schedule(&request("ben", "Other Guest", "UTC", vec![at(2026, 11, 25, 9, 15)])).unwrap());
    let (hosts, _) = ok(erp.assignable_hosts(&a.id, "ana").unwrap());
    let ben = hosts.iter().find(|h| h.user == "ben").expect("ben is a colleague");
    assert!(!ben.available);
    assert!(hosts.iter().find(|h| h.user == "chloe").unwrap().available);
    assert!(hosts.iter().all(|h| h.user != "erik"), "external users do not host");
    let (reassigned, effects) = ok(erp.reassign(&a.id, "ana", "ben").unwrap());
    assert_eq!(reassigned.host, "ben");
    assert!(effects.iter().any(|e| matches!(e, Effect::Notification { user, .. } if user == "ben")));
    let mails = emails(&effects);
    assert_eq!(mails.len(), 3, "{mails:?}");
    // The new host gets the meeting into their calendar; the former host's entry is
    // withdrawn (the same event, cancelled), so neither calendar misleads.
    let to = |who: &str| {
        mails.iter().find(|m| m.to.starts_with(who)).unwrap_or_else(|| panic!("{who}: {mails:?}"))
    };
    let new_host = parse(to("ben").calendar.as_ref().expect("a calendar file"));
    assert_eq!(value(&new_host.properties, "METHOD"), "PUBLISH");
    assert_eq!(value(&new_host.events[0].properties, "STATUS"), "CONFIRMED");
    let former = parse(to("ana").calendar.as_ref().expect("a calendar file"));
    assert_eq!(value(&former.properties, "METHOD"), "CANCEL");
    assert_eq!(value(&former.events[0].properties, "STATUS"), "CANCELLED");
    assert!(value(&former.events[0].properties, "ORGANIZER").contains("ana"), "the organizer it had");
    // The host's entries, published or withdrawn, name the guests but list no attendees
    // (RFC 5546): a calendar app would offer to mail them the former host's cancellation.
    for entry in [&new_host, &former] {
        assert!(!entry.events[0].properties.iter().any(|p| p.name == "ATTENDEE"));
        assert!(value(&entry.events[0].properties, "DESCRIPTION").contains("Guests: Rita Moss"));
    }
    assert_eq!(value(&former.events[0].properties, "UID"), value(&new_host.events[0].properties, "UID"));
    // The guest's calendar names the host as organizer: they get the file again.
    let guest_mail = to("rita");
    assert!(
        guest_mail.body.contains("Ben") && guest_mail.body.contains("now hosts it"),
        "{}",
        guest_mail.body
    );
    let cal = parse(guest_mail.calendar.as_ref().expect("a calendar file"));
    assert!(value(&cal.events[0].properties, "ORGANIZER").contains("mailto:"), "an organizer");
    assert!(
        prop(&cal.events[0].properties, "ORGANIZER")
            .params
            .as_ref()
            .unwrap()
            .iter()
            .any(|(k, v)| k == "CN" && v[0].starts_with("Ben"))
    );
    assert!(matches!(refused(erp.reassign(&a.id, "ana", "nobody").unwrap()), Error::UnknownUser(_)));

    // Add a guest: invited by e-mail.
    let (with_two, effects) = ok(erp.add_guest(&a.id, "ben", &guest("Sam Moss")).unwrap());
    assert_eq!(with_two.guests.len(), 2);
    assert_eq!(emails(&effects)[0].to, "sam.moss@client.example");
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notification { .. })), "the host's own change");
    // Added again, Sam is sent the invitation again and nothing else changes.
    let (again, effects) = ok(erp.add_guest(&a.id, "ben", &guest("Sam Moss")).unwrap());
    assert_eq!((again.guests.len(), emails(&effects).len()), (2, 1));

    // Cancel: a reason, sent to the guests.
    assert!(matches!(refused(erp.cancel_appointment(&b.id, &ana(), "").unwrap()), Error::InvalidInput(_)));
    let (c, effects) = ok(erp.cancel_appointment(&b.id, &ana(), "Budget frozen").unwrap());
    assert_eq!(c.status, Status::Cancelled);
    let body = &emails(&effects)[0].body;
    assert!(body.contains("Budget frozen") && !body.contains("Join:"), "nothing to join: {body}");
    assert!(matches!(
        refused(erp.cancel_appointment(&b.id, &ana(), "again").unwrap()),
        Error::InvalidTransition(_)
    ));
    // Someone outside the host's groups may not touch it.
    assert!(matches!(
        refused(erp.reschedule(&b.id, "fatima", at(2026, 11, 27, 9, 0), "x").unwrap()),
        Error::Forbidden(_)
    ));

    // No reschedule or reassign while live.
    w.clock.set(with_two.start.unwrap()).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::User("ben".into())).unwrap());
    let before = w.snapshot();
    let e = refused(erp.reschedule(&a.id, "ben", at(2026, 11, 27, 9, 0), "later").unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("live")), "{e:?}");
    assert!(matches!(refused(erp.reassign(&a.id, "ben", "ana").unwrap()), Error::InvalidTransition(_)));
    assert_eq!(before, w.snapshot());
    // A guest may still be brought in: they get a key and link of their own at once.
    // Here by a colleague: the host hears of it, as of a colleague's other changes.
    let (with_three, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Lou Live")).unwrap());
    assert_eq!((with_three.guests.len(), with_three.status), (3, Status::Live));
    assert_eq!(emails(&effects)[0].to, "lou.live@client.example");
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Notification { user, notification }
        if user == "ben" && notification.text == "Ana Petrova added Lou Live to the Intake with Rita Moss.")),
        "{effects:?}"
    );
}

/// The forms that schedule and move a meeting show who is free then, as the assign list
/// does: a host with another meeting at that time is "not available" and may still be
/// chosen; the meeting being moved does not count against its own new time; a cancelled
/// meeting keeps nobody busy; only the actor's internal colleagues are listed.
#[test]
fn the_scheduling_form_shows_who_is_free_at_a_time() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ben", "Rita Moss"); // 12:00 to 12:30 UTC
    let free = |actor: &str, zone: &str, start: LocalDateTime, minutes: u32, moving: Option<&str>| {
        let (hosts, effects) = ok(erp.available_hosts(actor, zone, start, minutes, moving).unwrap());
        assert!(effects.is_empty(), "asking tells nobody anything: {effects:?}");
        hosts.into_iter().map(|h| (h.user, h.available)).collect::<Vec<_>>()
    };
    let busy_ben = |actor: &str| {
        [("ana", true), ("ben", false), ("chloe", true), ("dev", true)]
            .into_iter()
            .filter(|(u, _)| actor != "dev" || ["ana", "dev"].contains(u))
            .map(|(u, f)| (u.to_string(), f))
            .collect::<Vec<_>>()
    };
    // Ana's colleagues: herself, Ben and Chloe (sales), Dev (partners); Erik is external.
    assert_eq!(free("ana", "UTC", at(2026, 11, 23, 12, 15), 30, None), busy_ben("ana"));
    // 12:45 in Amsterdam (UTC+1 in November) for an hour overlaps Ben's 12:00 UTC.
    assert_eq!(free("ana", "Europe/Amsterdam", at(2026, 11, 23, 12, 45), 60, None), busy_ben("ana"));
    // Back to back is free: ending as his begins, or beginning as it ends.
    for start in [at(2026, 11, 23, 11, 30), at(2026, 11, 23, 12, 30)] {
        assert!(free("ana", "UTC", start, 30, None).contains(&("ben".to_string(), true)), "{start:?}");
    }
    // Moving Ben's meeting a quarter of an hour on: it does not keep him busy.
    assert!(free("ana", "UTC", at(2026, 11, 23, 12, 15), 30, Some(&a.id)).iter().all(|(_, f)| *f));
    // Dev shares only the partners group with Ana.
    assert_eq!(free("dev", "UTC", at(2026, 11, 23, 12, 15), 30, None), busy_ben("dev"));

    // Refusals, and nothing changes.
    let before = w.snapshot();
    let noon = at(2026, 11, 23, 12, 0);
    let refusal = |actor: &str, zone: &str, start: LocalDateTime, minutes: u32, moving: Option<&str>| {
        refused(erp.available_hosts(actor, zone, start, minutes, moving).unwrap())
    };
    assert!(matches!(refusal("ana", "Mars/Olympus", noon, 30, None), Error::InvalidInput(_)));
    // 02:30 on the night the clocks go forward in Amsterdam never happens.
    assert!(matches!(
        refusal("ana", "Europe/Amsterdam", at(2027, 3, 28, 2, 30), 30, None),
        Error::InvalidInput(m) if m.contains("does not exist")
    ));
    assert!(matches!(refusal("ana", "UTC", noon, 0, None), Error::InvalidInput(_)));
    assert!(matches!(refusal("ana", "UTC", noon, 24 * 60 + 1, None), Error::InvalidInput(_)));
    assert!(matches!(refusal("nobody", "UTC", noon, 30, None), Error::UnknownUser(_)));
    assert!(matches!(refusal("erik", "UTC", noon, 30, None), Error::Forbidden(_)));
    assert!(matches!(refusal("ana", "UTC", noon, 30, Some("a-missing")), Error::NotFound(_)));
    assert!(matches!(refusal("dev", "UTC", noon, 30, Some(&a.id)), Error::Forbidden(_)), "Ben's meeting");
    assert_eq!(before, w.snapshot());

    // A cancelled meeting keeps nobody busy.
    ok(erp.cancel_appointment(&a.id, &Attendee::User("ben".into()), "No longer needed").unwrap());
    assert!(free("ana", "UTC", noon, 30, None).iter().all(|(_, f)| *f));
}

/// A colleague whose calendar on the platform is blocked then (the example world's
/// on-site repair visit SA-31, 12:30 to 16:00 UTC on the 26th, has Ben and Dev) is not
/// available for a meeting at that time, in the assign list as when scheduling, and may
/// still be chosen.
#[test]
fn a_colleague_whose_platform_calendar_is_blocked_is_not_available() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let free = |start: LocalDateTime| {
        let (hosts, _) = ok(erp.available_hosts("ana", "UTC", start, 30, None).unwrap());
        hosts.into_iter().filter(|h| h.available).map(|h| h.user).collect::<Vec<_>>()
    };
    assert_eq!(free(at(2026, 11, 26, 12, 0)), ["ana", "ben", "chloe", "dev"], "ends as the visit starts");
    assert_eq!(free(at(2026, 11, 26, 12, 30)), ["ana", "chloe"]);
    assert_eq!(free(at(2026, 11, 26, 15, 45)), ["ana", "chloe"]);
    assert_eq!(free(at(2026, 11, 26, 16, 0)), ["ana", "ben", "chloe", "dev"], "the visit is over");

    let a = ok(erp.schedule(&request("ana", "Rita Moss", "UTC", vec![at(2026, 11, 26, 14, 0)])).unwrap()).0;
    let (hosts, _) = ok(erp.assignable_hosts(&a.id, "ana").unwrap());
    let available: Vec<(&str, bool)> = hosts.iter().map(|h| (h.user.as_str(), h.available)).collect();
    assert_eq!(available, [("ben", false), ("chloe", true), ("dev", false)]);
    let (given, _) = ok(erp.reassign(&a.id, "ana", "dev").unwrap());
    assert_eq!(given.host, "dev", "not available, and still choosable");
}

/// A meeting still waiting for its guest to pick a slot holds its host at every slot
/// proposed (whichever the guest picks is booked), not between them; once a slot is
/// picked, at that one only. Whoever would take it over must be free at each slot.
#[test]
fn a_meeting_whose_guest_has_not_picked_holds_every_proposed_slot() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 25, 9, 0), at(2026, 11, 26, 14, 0)];
    let a = ok(erp.schedule(&request("chloe", "Rita Moss", "UTC", slots)).unwrap()).0;
    // Ana hosts a meeting of her own at the second slot.
    ok(erp.schedule(&request("ana", "Ida Berg", "UTC", vec![at(2026, 11, 26, 14, 0)])).unwrap());
    let chloe_free = |start: LocalDateTime| {
        let (hosts, _) = ok(erp.available_hosts("ana", "UTC", start, 30, None).unwrap());
        hosts.iter().find(|h| h.user == "chloe").unwrap().available
    };
    assert!(!chloe_free(at(2026, 11, 25, 9, 15)), "the first slot");
    assert!(chloe_free(at(2026, 11, 25, 14, 0)), "between the slots");
    assert!(!chloe_free(at(2026, 11, 26, 13, 45)), "overlapping the last slot");
    // At the second slot only, Ana hosts her meeting and Ben is on the repair visit.
    let (hosts, _) = ok(erp.assignable_hosts(&a.id, "chloe").unwrap());
    let available: Vec<(&str, bool)> = hosts.iter().map(|h| (h.user.as_str(), h.available)).collect();
    assert_eq!(available, [("ana", false), ("ben", false)], "Chloé's groups: sales");

    let guest_key = a.guest_key.clone();
    ok(erp.pick_slot(&a.id, &guest_key, 0).unwrap());
    assert!(!chloe_free(at(2026, 11, 25, 9, 15)), "the slot picked");
    assert!(chloe_free(at(2026, 11, 26, 14, 0)), "the slot not picked is free again");
    let (hosts, _) = ok(erp.assignable_hosts(&a.id, "chloe").unwrap());
    assert!(hosts.iter().all(|h| h.available), "nobody is busy on the 25th at nine");
}

/// The platform's page of a meeting tells, before a move, who could host it at the new
/// start: the move form, sent back to the page, keeps what was typed and lists who is
/// free then (Ben and Dev are on the repair visit; the meeting's own time holds nobody),
/// and changes nothing.
#[test]
fn the_move_form_tells_who_is_free_at_the_new_start() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = ok(erp.schedule(&request("ana", "Page Host", "UTC", vec![at(2026, 11, 26, 14, 0)])).unwrap()).0;
    let base = w.serve();
    let page = |query: &str| {
        let mut r = browser().get(&format!("{base}/meet/appointment/{}{query}", a.id)).call().unwrap();
        assert_eq!(r.status().as_u16(), 200);
        r.body_mut().read_to_string().unwrap()
    };
    let plain = page("?as=ana");
    assert!(
        plain.contains(r#"<button formmethod="get" formnovalidate>Who is free then?</button>"#),
        "{plain}"
    );
    let before = w.snapshot();
    // What the browser sends for the form's "Who is free then?" button.
    let checked = page("?action=reschedule&as=ana&at=2026-11-26T14%3A15&reason=Clash");
    assert!(
        checked.contains(
            "At 2026-11-26 14:15 (UTC): Ana Petrova, Chloé Martin; not available: Ben Okafor, Dev Raman (anyone may still host it)."
        ),
        "{checked}"
    );
    assert!(
        checked.contains(r#"value="2026-11-26T14:15""#) && checked.contains(r#"value="Clash""#),
        "{checked}"
    );
    let after_visit = page("?as=ana&at=2026-11-26T16%3A00");
    assert!(after_visit.contains("not available: nobody"), "{after_visit}");
    let refused = page("?as=ana&at=tomorrow");
    assert!(
        refused.contains("Who is free then cannot be told") && refused.contains("not a local time"),
        "{refused}"
    );
    assert!(page("?as=ana&at=&reason=").contains("type the new start first"));
    assert_eq!(before, w.snapshot(), "asking moved nothing and told nobody");
}

/// A colleague who gives a meeting to someone else tells its former host; a host who
/// gives their own away hears nothing of it.
#[test]
fn the_former_host_hears_of_a_colleagues_reassignment() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let told = |effects: &[Effect], who: &str| -> Vec<String> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Notification { user, notification } if user == who => Some(notification.text.clone()),
                _ => None,
            })
            .collect()
    };
    let a = noon(&erp, "ana", "Rita Moss");
    let (_, effects) = ok(erp.reassign(&a.id, "ben", "chloe").unwrap());
    let ana_told = told(&effects, "ana");
    assert!(
        ana_told.len() == 1 && ana_told[0].contains("Ben") && ana_told[0].contains("Chloé"),
        "{ana_told:?}"
    );
    assert_eq!(told(&effects, "chloe").len(), 1);
    let (_, effects) = ok(erp.reassign(&a.id, "chloe", "ana").unwrap());
    assert!(told(&effects, "chloe").is_empty(), "Chloe gave it away herself");
    assert_eq!(told(&effects, "ana").len(), 1, "Ana hosts it again");
}

/// A meeting still waiting for its guest to pick a time changes hands: the guest, whose
/// invitation named the former host, hears who hosts it now and is offered the same
/// times again (there is no calendar file before a time is picked).
#[test]
fn the_guest_of_a_planned_meeting_hears_of_its_new_host() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 24, 15, 0), at(2026, 11, 25, 9, 0)];
    let (a, _) = ok(erp.schedule(&request("ana", "Ola Nord", "UTC", slots)).unwrap());
    let (_, effects) = ok(erp.reassign(&a.id, "ana", "ben").unwrap());
    let to_ola: Vec<_> = emails(&effects).into_iter().filter(|m| m.to == "ola.nord@client.example").collect();
    assert_eq!(to_ola.len(), 1, "{to_ola:?}");
    let mail = &to_ola[0];
    assert_eq!(mail.subject, "Intake updated");
    assert!(mail.body.contains("Ben Okafor now hosts it"), "{}", mail.body);
    assert!(
        mail.body.contains("pick one of these times") && mail.body.contains(&a.guest_key),
        "{}",
        mail.body
    );
    assert!(mail.calendar.is_none());
}

/// A colleague's reschedule reaches the host; the same time again is refused; what the
/// guest did while waiting for the old time does not count for the new one.
#[test]
fn a_reschedule_starts_afresh_and_the_host_hears_of_a_colleagues() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    // Rita waits in the room and passes the media check; Ana never comes, and Rita leaves.
    w.clock.set(a.start.unwrap()).unwrap();
    let (rita, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, a.start.unwrap() + MIN).unwrap());
    ok(erp.leave_meeting(&rita.meeting_id, &format!("guest-{}", a.id)).unwrap());
    let before = w.snapshot();
    assert!(matches!(
        refused(erp.reschedule(&a.id, "ben", at(2026, 11, 23, 12, 0), "x").unwrap()),
        Error::InvalidInput(ref m) if m.contains("already starts")
    ));
    assert_eq!(before, w.snapshot());
    let (moved, effects) = ok(erp.reschedule(&a.id, "ben", at(2026, 11, 24, 12, 0), "Ana was ill").unwrap());
    assert_eq!((moved.status, moved.media_check), (Status::Scheduled, MediaCheck::NotEntered));
    let told: Vec<&str> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Notification { user, notification } if user == "ana" => Some(notification.text.as_str()),
            _ => None,
        })
        .collect();
    assert!(told.len() == 1 && told[0].contains("Ben") && told[0].contains("Ana was ill"), "{told:?}");
    assert!(told[0].contains("2026-11-24 12:00 UTC"), "the time as mails write it: {told:?}");
    // Ana's calendar entry moves too: she is mailed it as it now is.
    let to_ana = emails(&effects).into_iter().find(|m| m.to.starts_with("ana")).expect("a mail to Ana");
    let cal = parse(to_ana.calendar.as_ref().expect("a calendar file"));
    assert_eq!(value(&cal.properties, "METHOD"), "PUBLISH");
    assert_eq!(value(&cal.events[0].properties, "DTSTART"), "20261124T120000");
    assert_eq!(value(&cal.events[0].properties, "SEQUENCE"), "1");
    // Rita's room stays open for the new time: the old one settling closes nothing.
    w.clock.set(a.start.unwrap() + 30 * MIN + 2 * HOUR).unwrap();
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty());
    // At the new time Ana comes and Rita does not: missed, not completed.
    w.clock.set(moved.start.unwrap()).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    w.clock.set(moved.start.unwrap() + 3 * HOUR).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Missed);
}

/// A guest still waiting in the room when a colleague moves the meeting half an hour
/// stays in it: when the host comes, their entry counts for the new time.
#[test]
fn a_reschedule_keeps_a_guest_who_is_still_waiting_in_the_room() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    w.clock.set(a.start.unwrap() + 5 * MIN).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, w.clock.now_ms()).unwrap());
    let (moved, _) =
        ok(erp.reschedule(&a.id, "ben", at(2026, 11, 23, 12, 30), "Ana is running late").unwrap());
    // The room stays open for the new time, and Rita in it: the overview says she is
    // there, as the cancel that her waiting stops says.
    assert_eq!(moved.media_check, MediaCheck::Passed, "Rita waits on, her camera checked");
    let e = refused(erp.cancel_appointment(&a.id, &ana(), "Ana cannot").unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("waiting")), "{e:?}");
    w.clock.set(moved.start.unwrap()).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    let (now, _) = ok(erp.get_appointment(&a.id, "ana").unwrap());
    assert_eq!(now.media_check, MediaCheck::Passed, "Rita is still there");
    w.clock.set(moved.start.unwrap() + 3 * HOUR).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Completed, "they met");
}

/// A guest waiting in the room when the meeting moves to another day is let out: the
/// room closes, and a host who comes at the new time alone has not met them.
#[test]
fn a_move_to_another_day_closes_the_room_a_guest_waits_in() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    w.clock.set(a.start.unwrap() - 30 * MIN).unwrap();
    let (rita, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    let (moved, effects) = ok(erp.reschedule(&a.id, "ana", at(2026, 11, 30, 12, 0), "Ana is ill").unwrap());
    assert_eq!(ok(erp.get_meeting(&rita.meeting_id).unwrap()).0.state, MeetingState::Ended);
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Signal { signal: PageSignal::MeetingEnded(m), .. } if *m == rita.meeting_id)),
        "the pages that show the room hear it closed: {effects:?}"
    );
    // A week later Ana comes, Rita does not: missed, not completed.
    w.clock.set(moved.start.unwrap()).unwrap();
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    let (now, _) = ok(erp.get_appointment(&a.id, "ana").unwrap());
    assert_eq!(now.media_check, MediaCheck::NotEntered);
    w.clock.set(moved.start.unwrap() + 3 * HOUR).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Missed);
}

/// A move whose call stopped before the room closed is finished by its repeat, which
/// closes the room instead of being refused as the time the meeting has.
#[test]
fn repeating_a_move_closes_the_room_the_first_left_open() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    w.clock.set(a.start.unwrap() - 30 * MIN).unwrap();
    let (rita, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    let later = at(2026, 11, 30, 12, 0);
    store.fail_writes_under(Some("meeting/"));
    // Half done, by her colleague: the new time is stored, the guest mailed and Ana
    // told, the room still runs.
    let half = erp.reschedule(&a.id, "ben", later, "Ana is ill").unwrap();
    store.fail_writes_under(None);
    assert!(matches!(half.value, Err(Error::StoreFailure(_))), "{:?}", half.value);
    assert!(
        half.effects.iter().any(|e| matches!(e, Effect::Notification { user, notification }
            if user == "ana" && notification.title == "Meeting rescheduled")),
        "{:?}",
        half.effects
    );
    assert_eq!(ok(erp.get_meeting(&rita.meeting_id).unwrap()).0.state, MeetingState::Running);
    ok(erp.reschedule(&a.id, "ana", later, "Ana is ill").unwrap());
    assert_eq!(ok(erp.get_meeting(&rita.meeting_id).unwrap()).0.state, MeetingState::Ended);
    // Once it is closed, the same time again is refused as before.
    let e = refused(erp.reschedule(&a.id, "ana", later, "Ana is ill").unwrap());
    assert!(matches!(e, Error::InvalidInput(ref m) if m.contains("already starts")), "{e:?}");
}

/// The page a guest's link opens shows the meeting as that guest sees it: their own
/// name, the slots to pick from, who may cancel, and nothing of the other guests.
#[test]
fn the_guest_page_shows_the_meeting_as_its_guest_sees_it() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 24, 15, 0), at(2026, 11, 25, 9, 0)];
    let (a, _) = ok(erp.schedule(&request("ana", "Ola Nord", "Europe/Oslo", slots)).unwrap());
    let (_, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Per Nord")).unwrap());
    let per_key =
        emails(&effects)[0].body.lines().find_map(|l| l.strip_prefix("Guest key: ")).unwrap().to_string();

    let (ola, _) = ok(erp.guest_view(&a.id, &a.guest_key).unwrap());
    assert_eq!((ola.guest_name.as_str(), ola.host_name.as_str()), ("Ola Nord", "Ana Petrova"));
    assert_eq!((ola.status, ola.start, ola.proposed.clone()), (Status::Planning, None, a.proposed.clone()));
    assert_eq!((ola.zone.as_str(), ola.duration_mins, ola.may_cancel), ("Europe/Oslo", 30, true));
    let (per, _) = ok(erp.guest_view(&a.id, &per_key).unwrap());
    assert_eq!((per.guest_name.as_str(), per.may_cancel), ("Per Nord", false));
    let shown = format!("{per:?}");
    assert!(!shown.contains(&a.guest_key) && !shown.contains("ola.nord@"), "nothing of Ola's: {shown}");

    // What the page then offers works with the same key.
    ok(erp.pick_slot(&a.id, &per_key, 0).unwrap());
    let (picked, _) = ok(erp.guest_view(&a.id, &a.guest_key).unwrap());
    assert_eq!((picked.start, picked.proposed.len()), (Some(a.proposed[0]), 0), "no slots once picked");
    // The page says when the room opens, and offers it then; a review, once it took place.
    assert_eq!((picked.may_enter, picked.room_opens_at), (false, Some(a.proposed[0] - HOUR)));
    w.clock.set(a.proposed[0] - HOUR).unwrap();
    let (open, _) = ok(erp.guest_view(&a.id, &a.guest_key).unwrap());
    assert!(open.may_enter && !open.may_review);
    ok(erp.enter_room(&a.id, &Attendee::Guest(per_key.clone())).unwrap());
    w.clock.set(a.proposed[0] + 30 * MIN).unwrap();
    let (after, _) = ok(erp.guest_view(&a.id, &per_key).unwrap());
    assert!(after.may_review && after.may_enter, "reviewed, and entered again until it settles");
    w.clock.set(a.proposed[0] + 30 * MIN + 2 * HOUR).unwrap();
    let (settled, _) = ok(erp.guest_view(&a.id, &per_key).unwrap());
    assert!(settled.may_review && !settled.may_enter, "over: {settled:?}");

    // Once cancelled, nobody may cancel it again (another meeting: this one took place).
    let (a, _) =
        ok(erp.schedule(&request("ana", "Ola Nord", "Europe/Oslo", vec![at(2026, 11, 27, 9, 0)])).unwrap());
    ok(erp.cancel_appointment(&a.id, &ana(), "No longer needed").unwrap());
    let (cancelled, _) = ok(erp.guest_view(&a.id, &a.guest_key).unwrap());
    assert_eq!((cancelled.status, cancelled.may_cancel), (Status::Cancelled, false));
    assert_eq!(cancelled.reason.as_deref(), Some("No longer needed"));
    assert!(matches!(refused(erp.guest_view(&a.id, "not-a-key").unwrap()), Error::Forbidden(_)));
    assert!(matches!(refused(erp.guest_view("a-none", &a.guest_key).unwrap()), Error::NotFound(_)));
}

/// While the guests are still to pick a time, each of them may pick it, with their own
/// key; a cancellation then says no time was picked instead of asking for one.
#[test]
fn any_guest_may_pick_the_slot_and_a_cancelled_proposal_asks_for_none() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 24, 15, 0), at(2026, 11, 25, 9, 0)];
    let (a, _) = ok(erp.schedule(&request("ana", "Ola Nord", "UTC", slots.clone())).unwrap());
    let (_, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Per Nord")).unwrap());
    let body = &emails(&effects)[0].body;
    let per_key = body.lines().find_map(|l| l.strip_prefix("Guest key: ")).expect("a key").to_string();
    assert!(body.contains("pick one of these times"), "{body}");
    let (picked, effects) = ok(erp.pick_slot(&a.id, &per_key, 1).unwrap());
    assert_eq!(picked.start, Some(a.proposed[1]));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Notification { user, notification }
            if user == "ana" && notification.text.starts_with("Per Nord picked"))),
        "{effects:?}"
    );

    let (b, _) = ok(erp.schedule(&request("ana", "Ida Berg", "UTC", slots)).unwrap());
    let (_, effects) = ok(erp.cancel_appointment(&b.id, &ana(), "No longer needed").unwrap());
    let body = &emails(&effects)[0].body;
    assert!(body.contains("no time had been picked") && !body.contains("pick one"), "{body}");
}

#[test]
fn either_party_may_cancel_and_the_other_hears_of_it() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Vera Holm");

    // A wrong key, an empty reason, someone outside the host's groups: refused, nothing changes.
    let before = w.snapshot();
    let wrong = Attendee::Guest("not-the-key".into());
    assert!(matches!(refused(erp.cancel_appointment(&a.id, &wrong, "Ill").unwrap()), Error::Forbidden(_)));
    let guest = Attendee::Guest(a.guest_key.clone());
    assert!(matches!(refused(erp.cancel_appointment(&a.id, &guest, " ").unwrap()), Error::InvalidInput(_)));
    let outsider = Attendee::User("fatima".into());
    assert!(matches!(refused(erp.cancel_appointment(&a.id, &outsider, "x").unwrap()), Error::Forbidden(_)));
    assert_eq!(before, w.snapshot());

    // The guest cancels with the key: the host is told who and why, the guest gets the
    // calendar cancellation.
    let (cancelled, effects) = ok(erp.cancel_appointment(&a.id, &guest, "I am ill").unwrap());
    assert_eq!(cancelled.status, Status::Cancelled);
    assert_eq!(cancelled.reason.as_deref(), Some("I am ill"));
    let told = effects.iter().find_map(|e| match e {
        Effect::Notification { user, notification } if user == "ana" => Some(notification.text.clone()),
        _ => None,
    });
    let told = told.expect("the host is notified");
    assert!(told.contains("Vera Holm") && told.contains("I am ill"), "{told}");
    let mail = emails(&effects);
    assert_eq!(mail[0].to, "vera.holm@client.example");
    assert!(mail[0].calendar.as_deref().is_some_and(|c| c.contains("METHOD:CANCEL")));
    assert_eq!(status(&erp, &a.id), Status::Cancelled);
    assert!(matches!(
        refused(erp.cancel_appointment(&a.id, &ana(), "too").unwrap()),
        Error::InvalidTransition(_)
    ));

    // The host cancelling their own meeting needs no notice to themselves; a colleague's does.
    let b = noon(&erp, "ana", "Walt Dunn");
    let (_, effects) = ok(erp.cancel_appointment(&b.id, &ana(), "Double booked").unwrap());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notification { .. })));
    let c = noon(&erp, "ana", "Xena Park");
    let (_, effects) =
        ok(erp.cancel_appointment(&c.id, &Attendee::User("ben".into()), "Ana is away").unwrap());
    assert!(effects.iter().any(|e| matches!(e, Effect::Notification { user, .. } if user == "ana")));

    // A cancelled meeting is filed under past from its planned end: nothing is left to settle.
    let listed = |period| -> Vec<String> {
        let (page, _) = ok(erp.list_meetings(&query("ana", Scope::Mine, period)).unwrap());
        page.items.into_iter().map(|a| a.id).collect()
    };
    w.clock.set(c.start.unwrap() + 30 * MIN - 1).unwrap();
    assert!(listed(Period::Upcoming).contains(&c.id));
    w.clock.set(c.start.unwrap() + 30 * MIN).unwrap();
    assert!(!listed(Period::Upcoming).contains(&c.id));
    assert!(listed(Period::Past).contains(&c.id));
}

/// A meeting nobody entered by its planned end may still be held late: until it settles
/// it takes a guest, a host and a time; then it is over (missed), and refuses them.
#[test]
fn a_meeting_nobody_came_to_may_be_held_late_until_it_settles() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Late Lars");
    let end = a.start.unwrap() + 30 * MIN;
    w.clock.set(end + 30 * MIN).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Scheduled);
    ok(erp.add_guest(&a.id, "ana", &guest("Sam Moss")).unwrap());
    ok(erp.reassign(&a.id, "ana", "ben").unwrap());

    w.clock.set(end + 2 * HOUR).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Missed);
    let before = w.snapshot();
    let over = |e: Error| matches!(e, Error::InvalidTransition(ref m) if m.contains("over"));
    assert!(over(refused(erp.add_guest(&a.id, "ben", &guest("Tim Moss")).unwrap())));
    assert!(over(refused(erp.reassign(&a.id, "ben", "ana").unwrap())));
    assert!(over(refused(erp.reschedule(&a.id, "ben", at(2026, 11, 25, 12, 0), "Again").unwrap())));
    assert_eq!(before, w.snapshot());
}

/// A meeting is cancelled before its start. Afterwards a guest who did not come is a
/// no-show (missed), and a guest waiting in the room is not told it was called off.
#[test]
fn a_meeting_cannot_be_cancelled_once_it_has_started() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Late Lars");
    let page = |erp: &PlatformHost<'_>| ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0;
    // The room opens an hour early: a guest waiting in it is not called off either.
    let b = noon(&erp, "ana", "Early Eva");
    w.clock.set(b.start.unwrap() - 10 * MIN).unwrap();
    ok(erp.enter_room(&b.id, &Attendee::Guest(b.guest_key.clone())).unwrap());
    let e = refused(erp.cancel_appointment(&b.id, &ana(), "after all").unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("waiting")), "{e:?}");
    assert!(!ok(erp.guest_view(&b.id, &b.guest_key).unwrap()).0.may_cancel);

    w.clock.set(a.start.unwrap() - 1).unwrap();
    assert!(page(&erp).may_cancel, "until the start");
    w.clock.set(a.start.unwrap()).unwrap();
    assert!(!page(&erp).may_cancel, "not from the start on");
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());

    let before = w.snapshot();
    for by in [ana(), Attendee::Guest(a.guest_key.clone())] {
        let e = refused(erp.cancel_appointment(&a.id, &by, "too late").unwrap());
        assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("started")), "{e:?}");
    }
    assert_eq!(before, w.snapshot());
    w.clock.set(a.start.unwrap() + 30 * MIN + 2 * HOUR).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Missed, "the host never came");
}

#[test]
fn review_and_summary_come_after_the_meeting() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Una Fox");
    assert!(matches!(
        refused(erp.add_review(&a.id, &a.guest_key, "Great").unwrap()),
        Error::InvalidTransition(_)
    ));
    assert!(matches!(
        refused(erp.add_summary(&a.id, "ana", "Next steps").unwrap()),
        Error::InvalidTransition(_)
    ));
    w.clock.set(a.start.unwrap() + 31 * MIN).unwrap();
    assert!(matches!(refused(erp.add_review(&a.id, "bad", "Great").unwrap()), Error::Forbidden(_)));
    assert!(matches!(refused(erp.add_summary(&a.id, "ben", "Next steps").unwrap()), Error::Forbidden(_)));
    ok(erp.add_review(&a.id, &a.guest_key, "Great help, thank you").unwrap());
    let (done, effects) = ok(erp.add_summary(&a.id, "ana", "We agreed on the contract.").unwrap());
    // Left for the customer: they are sent it, with their link to the page where it stays.
    let mails = emails(&effects);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].body.contains("We agreed on the contract.") && mails[0].body.contains(&a.guest_key));
    assert_eq!(done.review.as_deref(), Some("Great help, thank you"));
    assert_eq!(done.summary.as_deref(), Some("We agreed on the contract."));
    assert_eq!(done.description, "First conversation, about the contract");
    // Someone the directory does not know is told so, as everywhere.
    assert!(matches!(refused(erp.add_summary(&a.id, "nobody", "Hi").unwrap()), Error::UnknownUser(_)));

    // A cancelled meeting takes neither, and says why.
    let b = ok(erp.schedule(&request("ana", "Vic Lee", "UTC", vec![at(2026, 11, 24, 12, 0)])).unwrap()).0;
    ok(erp.cancel_appointment(&b.id, &ana(), "The client asked to stop").unwrap());
    w.clock.set(b.start.unwrap() + 31 * MIN).unwrap();
    let e = refused(erp.add_review(&b.id, &b.guest_key, "Great").unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("cancelled")), "{e:?}");
}

/// Who may not enter a room is told so, whenever they try: not when it opens.
#[test]
fn only_the_host_and_the_guests_enter_a_room() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Una Fox");
    let before = w.snapshot();
    let enter = |who: Attendee| refused(erp.enter_room(&a.id, &who).unwrap());
    assert!(matches!(enter(Attendee::User("ben".into())), Error::Forbidden(_)), "not the host");
    assert!(matches!(enter(Attendee::User("nobody".into())), Error::UnknownUser(_)));
    assert!(matches!(enter(Attendee::Guest("not-a-key".into())), Error::Forbidden(_)));
    // The host and the guest are told when the room opens: an hour before the start.
    let e = enter(ana());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("hour")), "{e:?}");
    assert!(matches!(enter(Attendee::Guest(a.guest_key.clone())), Error::InvalidTransition(_)));
    assert_eq!(before, w.snapshot());
}

#[test]
fn my_and_everyone_follow_the_groups() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    noon(&erp, "ana", "A1"); // ana: sales and partners
    noon(&erp, "ben", "B1"); // ben: sales
    noon(&erp, "chloe", "C1"); // chloe: sales
    noon(&erp, "dev", "D1"); // dev: partners
    let names = |viewer: &str, scope: Scope| -> Vec<String> {
        let (page, _) = ok(erp.list_meetings(&query(viewer, scope, Period::Upcoming)).unwrap());
        let mut v: Vec<String> = page.items.into_iter().map(|a| a.guests[0].name.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(names("ben", Scope::Mine), ["B1"]);
    assert_eq!(names("ben", Scope::Everyone), ["A1", "B1", "C1"], "not dev's: no shared group");
    assert_eq!(names("dev", Scope::Everyone), ["A1", "D1"]);
    assert_eq!(names("ana", Scope::Everyone), ["A1", "B1", "C1", "D1"]);
    // A meeting outside the viewer's groups cannot be read either.
    let (d1, _) = ok(erp.list_meetings(&query("dev", Scope::Mine, Period::Upcoming)).unwrap());
    assert!(matches!(refused(erp.get_appointment(&d1.items[0].id, "ben").unwrap()), Error::Forbidden(_)));
}

#[test]
fn names_sort_as_people_read_them_whatever_their_accents_and_case() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let guests =
        ["Zoë", "Иван", "Émile", "anna", "Όλγα", "Łukasz", "Bogdan", "борис", "emil", "Ștefan", "Ελένη"];
    for (i, g) in guests.iter().enumerate() {
        ok(erp.schedule(&request("ana", g, "UTC", vec![at(2026, 11, 24, 8 + i as u8, 0)])).unwrap());
    }
    let names = |descending: bool| -> Vec<String> {
        let q = Query { sort: SortKey::GuestName, descending, ..query("ana", Scope::Mine, Period::Upcoming) };
        ok(erp.list_meetings(&q).unwrap()).0.items.into_iter().map(|a| a.guests[0].name.clone()).collect()
    };
    // Latin letters without their accents, then Greek and Cyrillic, each without case.
    let expected =
        ["anna", "Bogdan", "emil", "Émile", "Łukasz", "Ștefan", "Zoë", "Ελένη", "Όλγα", "борис", "Иван"];
    assert_eq!(names(false), expected);
    assert_eq!(names(true), expected.iter().rev().copied().collect::<Vec<_>>());
}

/// Pages past the first hundred meetings are selected differently (see
/// `overview_index.rs`): paged through to the end they still cover every meeting once,
/// in order.
#[test]
fn deep_pages_cover_every_meeting_once_in_order() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let n = 130;
    for i in 0..n {
        let slot = at(2026, 12, 1 + (i * 7 % 28) as u8, 8 + (i % 9) as u8, 0);
        ok(erp
            .schedule(&request(
                if i % 2 == 0 { "ana" } else { "ben" },
                &format!("Guest {i}"),
                "UTC",
                vec![slot],
            ))
            .unwrap());
    }
    for sort in [SortKey::Date, SortKey::GuestName] {
        let mut seen: Vec<Appointment> = Vec::new();
        for page in 0..8 {
            let q = Query { sort, page, page_size: 20, ..query("ana", Scope::Everyone, Period::Upcoming) };
            let (p, _) = ok(erp.list_meetings(&q).unwrap());
            assert_eq!(p.total, n as u32);
            seen.extend(p.items);
        }
        let mut ids: Vec<&str> = seen.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids.len(), n, "{sort:?}: every meeting, page after page");
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "{sort:?}: each once");
        let in_order = match sort {
            SortKey::Date => seen.windows(2).all(|w| w[0].start >= w[1].start),
            _ => seen
                .windows(2)
                .all(|w| w[0].guests[0].name.to_lowercase() >= w[1].guests[0].name.to_lowercase()),
        };
        assert!(in_order, "{sort:?}: the latest or last first, across the deep pages too");
    }
}

#[test]
fn every_column_sorts_and_pages_cover_everything_once() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let guests = [
        "delta", "Alpha", "charlie", "Echo", "bravo", "foxtrot", "Golf", "hotel", "India", "juliet", "kilo",
        "Lima",
    ];
    for (i, g) in guests.iter().enumerate() {
        let mut r = request(
            if i % 2 == 0 { "ana" } else { "ben" },
            g,
            "UTC",
            vec![at(2026, 11, 24 + (i as u8 % 5), 8 + i as u8, 0)],
        );
        r.meeting_type = ["Intake", "Review", "demo"][i % 3].into();
        r.details = format!("{} details", (b'z' - i as u8) as char);
        ok(erp.schedule(&r).unwrap());
    }
    let all = |sort: SortKey, descending: bool| -> Vec<Appointment> {
        let q = Query { sort, descending, ..query("ana", Scope::Everyone, Period::Upcoming) };
        ok(erp.list_meetings(&q).unwrap()).0.items
    };
    // Default: date, most recent first.
    let by_date = all(SortKey::Date, true);
    assert_eq!(by_date.len(), guests.len());
    assert!(by_date.windows(2).all(|w| w[0].start >= w[1].start));
    let key = |a: &Appointment, k: SortKey| -> String {
        match k {
            SortKey::Date => format!("{:020}", a.start.unwrap()),
            SortKey::GuestName => a.guests[0].name.to_lowercase(),
            SortKey::GuestEmail => a.guests[0].email.to_lowercase(),
            SortKey::GuestKey => a.guest_key.clone(),
            SortKey::MediaCheck => format!("{:?}", a.media_check as u8),
            SortKey::MeetingType => a.meeting_type.to_lowercase(),
            SortKey::Details => a.details.to_lowercase(),
            SortKey::Status => format!("{}", a.status as u8),
            SortKey::Host => a.host_name.to_lowercase(),
        }
    };
    for k in [
        SortKey::Date,
        SortKey::GuestName,
        SortKey::GuestEmail,
        SortKey::GuestKey,
        SortKey::MediaCheck,
        SortKey::MeetingType,
        SortKey::Details,
        SortKey::Status,
        SortKey::Host,
    ] {
        let up: Vec<String> = all(k, false).iter().map(|a| key(a, k)).collect();
        let mut sorted = up.clone();
        sorted.sort();
        assert_eq!(up, sorted, "{k:?} ascending");
        let down: Vec<String> = all(k, true).iter().map(|a| key(a, k)).collect();
        sorted.reverse();
        assert_eq!(down, sorted, "{k:?} descending");
    }
    // Pages of 5: 5, 5, 2, then none; together every meeting once.
    let mut seen = Vec::new();
    for page in 0..4 {
        let q = Query { page, page_size: 5, ..query("ana", Scope::Everyone, Period::Upcoming) };
        let (p, _) = ok(erp.list_meetings(&q).unwrap());
        assert_eq!(p.total, 12);
        assert_eq!(p.items.len(), [5, 5, 2, 0][page as usize]);
        seen.extend(p.items.into_iter().map(|a| a.id));
    }
    let ids: Vec<String> = by_date.iter().map(|a| a.id.clone()).collect();
    assert_eq!(seen, ids);
    let q = Query { page_size: 0, ..query("ana", Scope::Mine, Period::Upcoming) };
    assert!(matches!(refused(erp.list_meetings(&q).unwrap()), Error::InvalidInput(_)));
}

fn parse(text: &str) -> IcalCalendar {
    assert!(text.lines().all(|l| l.len() <= 75), "lines are folded at 75 octets");
    assert!(text.contains("\r\n"), "lines end in CRLF");
    let mut calendars = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()));
    let calendar = calendars.next().expect("a calendar").expect("it parses");
    assert!(calendars.next().is_none());
    calendar
}

fn prop<'a>(props: &'a [Property], name: &str) -> &'a Property {
    props.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no {name}"))
}

fn value<'a>(props: &'a [Property], name: &str) -> &'a str {
    prop(props, name).value.as_deref().unwrap()
}

/// The UTC instant of the event's DTSTART, computed from the file's own VTIMEZONE.
fn start_from_file(cal: &IcalCalendar) -> i64 {
    let event = &cal.events[0];
    let dtstart = prop(&event.properties, "DTSTART");
    let tzid = &dtstart.params.as_ref().unwrap().iter().find(|(k, _)| k == "TZID").unwrap().1[0];
    let local = dtstart.value.as_deref().unwrap();
    let zone = cal.timezones.iter().find(|z| value(&z.properties, "TZID") == tzid).expect("its VTIMEZONE");
    // The observance in force: the latest onset at or before the local start.
    let observance = zone
        .transitions
        .iter()
        .filter(|t| value(&t.properties, "DTSTART") <= local)
        .max_by_key(|t| value(&t.properties, "DTSTART").to_string())
        .expect("an observance");
    let offset = value(&observance.properties, "TZOFFSETTO");
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let secs =
        sign * (offset[1..3].parse::<i32>().unwrap() * 3600 + offset[3..5].parse::<i32>().unwrap() * 60);
    let dt = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%S", local).unwrap();
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(secs).unwrap());
    dt.to_zoned(tz).unwrap().timestamp().as_millisecond()
}

#[test]
fn calendar_files_are_correct_across_a_daylight_saving_change() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    // Amsterdam moves to summer time on 2027-03-28: 10:00 is UTC+1 before, UTC+2 after.
    let (a, _) = ok(erp
        .schedule(&request("ana", "Vera Lind", "Europe/Amsterdam", vec![at(2027, 3, 27, 10, 0)]))
        .unwrap());
    assert_eq!(a.start, Some(jiff_instant(2027, 3, 27, 10, 0, "Europe/Amsterdam")));
    let (first, _) = ok(erp.agenda(&a.id, "ana").unwrap());
    let cal = parse(&first);
    // A download for the host's own calendar, not an invitation to answer.
    assert_eq!(value(&cal.properties, "METHOD"), "PUBLISH");
    let event = &cal.events[0];
    let uid = value(&event.properties, "UID").to_string();
    assert_eq!(value(&event.properties, "SEQUENCE"), "0");
    assert_eq!(value(&event.properties, "DTSTART"), "20270327T100000");
    assert_eq!(value(&event.properties, "DTEND"), "20270327T103000");
    assert_eq!(start_from_file(&cal), a.start.unwrap());
    assert_eq!(start_from_file(&cal), T0 + (jiff_instant(2027, 3, 27, 10, 0, "Europe/Amsterdam") - T0));

    let (moved, _) = ok(erp.reschedule(&a.id, "ana", at(2027, 3, 29, 10, 0), "A day later").unwrap());
    let (second, _) = ok(erp.agenda(&a.id, "ana").unwrap());
    let cal = parse(&second);
    let event = &cal.events[0];
    assert_eq!(value(&event.properties, "UID"), uid, "the same event");
    assert_eq!(value(&event.properties, "SEQUENCE"), "1", "a newer revision");
    assert_eq!(value(&event.properties, "DTSTART"), "20270329T100000");
    assert_eq!(start_from_file(&cal), moved.start.unwrap());
    // Same wall-clock time two days later, but only 47 hours later in UTC.
    assert_eq!(moved.start.unwrap() - a.start.unwrap(), 47 * HOUR);
    assert!(value(&event.properties, "DESCRIPTION").contains("A day later"));

    ok(erp.cancel_appointment(&a.id, &ana(), "No longer needed").unwrap());
    let (third, _) = ok(erp.agenda(&a.id, "ana").unwrap());
    let cal = parse(&third);
    assert_eq!(value(&cal.properties, "METHOD"), "CANCEL");
    assert_eq!(value(&cal.events[0].properties, "STATUS"), "CANCELLED");
    assert_eq!(value(&cal.events[0].properties, "SEQUENCE"), "2");
    assert_eq!(value(&cal.events[0].properties, "UID"), uid);
    assert!(!cal.events[0].properties.iter().any(|p| p.name == "ATTENDEE"), "the host's own entry");
}

/// On the night the clocks go back, 02:00-03:00 happens twice. A meeting from 02:30 (the
/// first) to 03:00 ends at the second 02:00: its end is written in UTC, after its start.
#[test]
fn a_meeting_across_the_hour_that_happens_twice_ends_after_it_starts() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (a, _) = ok(erp
        .schedule(&request("ana", "Vera Lind", "Europe/Amsterdam", vec![at(2027, 10, 31, 2, 30)]))
        .unwrap());
    let (text, _) = ok(erp.agenda(&a.id, "ana").unwrap());
    let cal = parse(&text);
    let event = &cal.events[0];
    assert_eq!(value(&event.properties, "DTSTART"), "20271031T023000");
    assert_eq!(start_from_file(&cal), a.start.unwrap());
    assert_eq!(a.start.unwrap(), jiff_instant(2027, 10, 31, 0, 30, "UTC"), "the first 02:30 (summer time)");
    assert_eq!(value(&event.properties, "DTEND"), "20271031T010000Z");
}

#[test]
fn calendar_files_handle_zones_west_of_utc_and_without_daylight_saving() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    for (zone, local) in [
        ("America/New_York", at(2027, 11, 6, 23, 30)),
        ("Asia/Kolkata", at(2027, 1, 2, 9, 15)),
        ("UTC", at(2027, 1, 2, 9, 15)),
    ] {
        let (a, _) = ok(erp.schedule(&request("ana", "Zone Guest", zone, vec![local])).unwrap());
        let (text, _) = ok(erp.agenda(&a.id, "ana").unwrap());
        let cal = parse(&text);
        assert_eq!(start_from_file(&cal), a.start.unwrap(), "{zone}");
        assert_eq!(
            a.start.unwrap(),
            jiff_instant(
                local.year,
                local.month as i8,
                local.day as i8,
                local.hour as i8,
                local.minute as i8,
                zone
            )
        );
    }
    let _ = Duration::ZERO;
}

/// A guest who closes their tab has not ended the meeting: the host is still in it, it
/// stays live, and the guest may come back. The host leaving ends it.
#[test]
fn a_guest_leaving_leaves_the_host_in_the_meeting() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Drop Guest");
    w.clock.set(a.start.unwrap()).unwrap();
    let (host, _) = ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    w.clock.set(a.start.unwrap() + 3 * MIN).unwrap();
    let guest = format!("guest-{}", a.id);
    let (left, _) = ok(erp.leave_meeting(&host.meeting_id, &guest).unwrap());
    assert!(!left.ended && left.meeting.present == ["ana"], "{left:?}");
    assert_eq!(status(&erp, &a.id), Status::Live, "the host is still there");
    let (back, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert_eq!(back.meeting_id, host.meeting_id, "the same room");
    let (left, _) = ok(erp.leave_meeting(&host.meeting_id, "ana").unwrap());
    assert!(left.ended, "the host leaving ends it, the guest still in it");
    assert_eq!(status(&erp, &a.id), Status::Completed);
    let e = refused(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("host has ended")), "{e:?}");
}

/// A meeting given to another host while its guest waits in the room: the room is the
/// new host's once they enter, and ends when they leave.
#[test]
fn a_room_opened_before_a_reassign_is_the_new_hosts() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Early Eve");
    w.clock.set(a.start.unwrap() - 10 * MIN).unwrap();
    let (eve, _) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.reassign(&a.id, "ana", "ben").unwrap());
    w.clock.set(a.start.unwrap()).unwrap();
    let (ben, _) = ok(erp.enter_room(&a.id, &Attendee::User("ben".into())).unwrap());
    assert_eq!(ben.meeting_id, eve.meeting_id, "the room Eve waits in");
    let (left, _) = ok(erp.leave_meeting(&ben.meeting_id, "ben").unwrap());
    assert!(left.ended, "the host leaving ends it: {left:?}");
    assert_eq!(status(&erp, &a.id), Status::Completed);
}

#[test]
fn a_scheduled_meeting_whose_room_empties_has_taken_place_and_may_be_resumed_until_it_settles() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Leave Guest");
    w.clock.set(a.start.unwrap()).unwrap();
    let (host, _) = ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Live);
    // The host hangs up; with two in the room, it closes, and the meeting is not live.
    let (left, _) = ok(erp.leave_meeting(&host.meeting_id, "ana").unwrap());
    assert!(left.ended);
    assert_eq!(status(&erp, &a.id), Status::Completed, "both were in it");
    // A dropped call: entering again makes it live again, until it settles.
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Live);
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    w.clock.set(a.start.unwrap() + 30 * MIN + 2 * HOUR).unwrap();
    let before = w.snapshot();
    let e = refused(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("over")), "{e:?}");
    assert_eq!(before, w.snapshot());
}

/// A room nobody left (the tabs were closed, no webhook came) closes when its meeting
/// settles: the tick ends the meeting, and the host is no longer busy.
#[test]
fn a_room_nobody_left_closes_when_the_meeting_settles() {
    use meetkit_host::bindings::presence::PresenceState;
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Gone Guest");
    w.clock.set(a.start.unwrap()).unwrap();
    let (host, _) = ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert_eq!(w.presence("erp", "ana"), PresenceState::Busy);
    let settles = a.start.unwrap() + 30 * MIN + 2 * HOUR;
    w.clock.set(settles - 1).unwrap();
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty(), "not before it settles");
    w.clock.set(settles).unwrap();
    let (report, effects) = ok(erp.tick().unwrap());
    assert_eq!(report.ended_meetings, vec![host.meeting_id.clone()]);
    assert!(effects.iter().any(|e| matches!(e, Effect::Signal { user, signal: meetkit_host::bindings::messaging::PageSignal::MeetingEnded(_) } if user == "ana")));
    assert_eq!(w.presence("erp", "ana"), PresenceState::Available);
    let meeting = ok(erp.get_meeting(&host.meeting_id).unwrap()).0;
    assert_eq!(meeting.state, meetkit_host::bindings::types::MeetingState::Ended);
    assert_eq!(status(&erp, &a.id), Status::Completed, "both were in it");
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty(), "once");
}

/// A tick closes at most twenty settled rooms; the others close at the next tick.
#[test]
fn a_tick_closes_twenty_rooms_and_the_next_the_rest() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let meetings: Vec<Appointment> = (0..21).map(|i| noon(&erp, "ana", &format!("Guest {i}"))).collect();
    w.clock.set(meetings[0].start.unwrap()).unwrap();
    for a in &meetings {
        ok(erp.enter_room(&a.id, &ana()).unwrap());
    }
    w.clock.set(meetings[0].start.unwrap() + 30 * MIN + 2 * HOUR).unwrap();
    let (first, _) = ok(erp.tick().unwrap());
    assert_eq!(first.ended_meetings.len(), 20);
    let (second, _) = ok(erp.tick().unwrap());
    assert_eq!(second.ended_meetings.len(), 1);
    assert!(!first.ended_meetings.contains(&second.ended_meetings[0]));
    assert!(ok(erp.tick().unwrap()).0.ended_meetings.is_empty());
    assert_eq!(w.presence("erp", "ana"), meetkit_host::bindings::presence::PresenceState::Available);
}

/// A room that opened while the store failed to note it in the appointment still closes
/// when the meeting settles: it was put on the list of open rooms before it opened.
#[test]
fn a_room_the_appointment_never_recorded_still_closes() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Cut Short");
    w.clock.set(a.start.unwrap()).unwrap();
    store.fail_writes_under(Some("appointment/"));
    let failed = erp.enter_room(&a.id, &ana()).unwrap();
    assert!(matches!(failed.value, Err(Error::StoreFailure(_))), "{:?}", failed.value);
    store.fail_writes_under(None);
    let context = meetkit_host::bindings::types::Context::Appointment(a.id.clone());
    let running = ok(erp.meeting_in_context(&context).unwrap()).0.expect("the room opened");
    w.clock.set(a.start.unwrap() + 30 * MIN + 2 * HOUR).unwrap();
    let (report, _) = ok(erp.tick().unwrap());
    assert_eq!(report.ended_meetings, vec![running.id]);
    assert!(ok(erp.meeting_in_context(&context).unwrap()).0.is_none());
}

#[test]
fn the_room_opens_an_hour_before_the_start() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Early Guest");
    let start = a.start.unwrap();
    // Days ahead, and a minute before the hour: neither side may enter, and nothing changes.
    for early in [start - 48 * HOUR, start - HOUR - MIN] {
        w.clock.set(early).unwrap();
        let before = w.snapshot();
        for who in [Attendee::User("ana".into()), Attendee::Guest(a.guest_key.clone())] {
            let e = refused(erp.enter_room(&a.id, &who).unwrap());
            assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("an hour before")), "{e:?}");
        }
        assert_eq!(before, w.snapshot());
        assert_eq!(status(&erp, &a.id), Status::Scheduled);
    }
    // From "starting soon" on, the guest's media check can begin and the host can open.
    // The guest is no platform user: the platform shows no presence for them.
    w.clock.set(start - HOUR).unwrap();
    let (_, guest) = ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert!(!guest.iter().any(|e| matches!(e, Effect::Presence { .. })), "{guest:?}");
    let (_, host) = ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    assert!(host.iter().any(|e| matches!(e, Effect::Presence { user, .. } if user == "ana")));
    assert_eq!(status(&erp, &a.id), Status::Live);
}

#[test]
fn on_x19_no_guest_is_invited_and_none_gets_in() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    // Scheduled on X20, then the licence drops to X19.
    let a = noon(&erp, "ana", "Basic Guest");
    let mut world = w.harness.erp_world().unwrap();
    world.licence = meetkit_host::erp::LicenceName::X19;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let erp = w.harness.erp().unwrap();
    let before = w.snapshot();
    let call = erp.schedule(&request("ana", "Ida Berg", "UTC", vec![at(2026, 11, 24, 10, 0)])).unwrap();
    assert!(call.effects.is_empty(), "no invitation goes out");
    assert!(matches!(refused(call), Error::LicenceForbids(_)));
    let guest = GuestDetails { name: "Ola Nord".into(), email: "ola@client.example".into(), phone: None };
    let call = erp.add_guest(&a.id, "ana", &guest).unwrap();
    assert!(call.effects.is_empty(), "no invitation goes out");
    assert!(matches!(refused(call), Error::LicenceForbids(_)));
    // Nor is the guest asked to come at another time.
    let call = erp.reschedule(&a.id, "ana", at(2026, 11, 23, 15, 0), "Later").unwrap();
    assert!(call.effects.is_empty(), "no invitation goes out");
    assert!(matches!(refused(call), Error::LicenceForbids(_)));
    w.clock.set(a.start.unwrap()).unwrap();
    let e = refused(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert!(matches!(e, Error::LicenceForbids(_)), "{e:?}");
    assert_eq!(before, w.snapshot());
    // The host still may enter their own room.
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
}

/// The guest's link opens a page of the platform's server: the guest picks a proposed
/// time there, enters the room (on to JaaS), and a wrong key sees nothing.
#[test]
fn the_guests_link_opens_a_page_to_pick_a_time_and_enter_the_room() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let asked = request(
        "ana",
        "Page Guest",
        "Europe/Amsterdam",
        vec![at(2026, 11, 23, 13, 0), at(2026, 11, 23, 14, 0)],
    );
    let a = ok(erp.schedule(&asked).unwrap()).0;
    let base = w.serve();
    let path = &a.guest_link[a.guest_link.find("/meet/guest/").expect("a guest page address")..];
    let agent = browser();
    let get = |path: &str| {
        let mut r = agent.get(&format!("{base}{path}")).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let post = |form: &[(&str, &str)]| {
        let r = agent.post(&format!("{base}/meet/guest/{}", a.id)).send_form(form.iter().copied()).unwrap();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        (r.status().as_u16(), location)
    };

    let (status, page) = get(path);
    assert_eq!(status, 200, "{page}");
    let headers = agent.get(&format!("{base}{path}")).call().unwrap();
    assert_eq!(headers.headers().get("cache-control").unwrap(), "no-store", "the address holds the key");
    assert_eq!(headers.headers().get("referrer-policy").unwrap(), "no-referrer");
    assert!(page.contains("Hello Page Guest") && page.contains("planning"), "{page}");
    assert!(page.contains("2026-11-23 13:00 CET") && page.contains("2026-11-23 14:00 CET"), "{page}");
    let (status, _) = get(&format!("/meet/guest/{}?key=not-the-key", a.id));
    assert_eq!(status, 403);
    // A guest who has only the key types it: the form asks this same address for the page.
    let (status, page) = get(&format!("/meet/guest/{}", a.id));
    assert_eq!(status, 200);
    assert!(page.contains(r#"form method="get""#) && page.contains(r#"name="key""#), "{page}");
    let (status, page) = get(&format!("/meet/guest/{}?key={}", a.id, a.guest_key));
    assert!(status == 200 && page.contains("Hello Page Guest"), "{page}");
    // Given the key alone, not the link: the platform's guest address asks for it and
    // leads to the meeting; a key no meeting has is asked for again.
    let (status, page) = get("/meet/guest");
    assert!(status == 200 && page.contains(r#"name="key""#), "{page}");
    // Typed from a phone call, perhaps in capitals.
    let found =
        agent.get(&format!("{base}/meet/guest?key=%20{}", a.guest_key.to_uppercase())).call().unwrap();
    assert_eq!(found.status().as_u16(), 303);
    assert_eq!(found.headers()["cache-control"], "no-store", "the key is in the address");
    let to = found.headers()["location"].to_str().unwrap();
    assert_eq!(to, format!("guest/{}?key={}", a.id, a.guest_key.to_uppercase()), "relative to /meet/guest");
    let (status, page) = get(&format!("/meet/{to}"));
    assert!(status == 200 && page.contains("Hello Page Guest"), "the key in capitals opens it: {page}");
    for wrong in ["not-the-key", "0123456789abcdef0123456789abcdef", "../appointment"] {
        let (status, page) = get(&format!("/meet/guest?key={wrong}"));
        assert!(status == 200 && page.contains("No meeting has that guest key"), "{wrong}: {page}");
    }
    // An added guest's own key finds the meeting too.
    let (_, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Sam Moss")).unwrap());
    let sams =
        emails(&effects)[0].body.split("Guest key: ").nth(1).unwrap().lines().next().unwrap().to_string();
    assert_eq!(ok(erp.find_guest_meeting(&sams).unwrap()).0, a.id);

    // A form that cannot be read (no key, a slot that is no number) is refused on a
    // page, not in the server's plain text.
    for form in [
        vec![("action", "pick"), ("slot", "1")],
        vec![("action", "pick"), ("key", &a.guest_key), ("slot", "x")],
    ] {
        let mut r =
            agent.post(&format!("{base}/meet/guest/{}", a.id)).send_form(form.iter().copied()).unwrap();
        assert!(r.status().is_client_error(), "{form:?}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{form:?}");
        assert!(r.body_mut().read_to_string().unwrap().contains("could not be read"), "{form:?}");
    }

    let (status, location) = post(&[("action", "pick"), ("key", &a.guest_key), ("slot", "1")]);
    assert_eq!(status, 303);
    assert_eq!(location, Some(format!("?key={}", a.guest_key)), "back to the page, relative to it");
    let (_, page) = get(path);
    assert!(page.contains("When: 2026-11-23 14:00 CET, 30 minutes") && page.contains("scheduled"), "{page}");
    assert!(
        page.contains("The room opens at 2026-11-23 13:00 CET") && !page.contains("Enter the room"),
        "{page}"
    );
    assert_eq!(ok(erp.get_appointment(&a.id, "ana").unwrap()).0.start, Some(a.proposed[1]));

    // Too early to enter: the page says why, with the refusal's status, and leads back.
    let (status, _) = post(&[("action", "enter"), ("key", &a.guest_key)]);
    assert_eq!(status, 409);
    let mut refusal = agent
        .post(&format!("{base}/meet/guest/{}", a.id))
        .send_form([("action", "enter"), ("key", a.guest_key.as_str())])
        .unwrap();
    let refusal = refusal.body_mut().read_to_string().unwrap();
    assert!(refusal.contains(&format!("href=\"?key={}\"", a.guest_key)), "{refusal}");
    w.clock.set(a.proposed[1]).unwrap();
    let (status, location) = post(&[("action", "enter"), ("key", &a.guest_key)]);
    assert_eq!(status, 303);
    let room = location.unwrap();
    assert!(room.starts_with("https://8x8.vc/"), "{room}");
    assert_eq!(ok(erp.get_appointment(&a.id, "ana").unwrap()).0.media_check, MediaCheck::Entered);
    // The page's camera and microphone check sets the indicator; only with the guest's key.
    assert!(get(path).1.contains("Camera and microphone"));
    assert_eq!(post(&[("action", "check-passed"), ("key", "not-the-key")]).0, 403);
    assert_eq!(post(&[("action", "check-passed"), ("key", &a.guest_key)]).0, 303);
    assert_eq!(ok(erp.get_appointment(&a.id, "ana").unwrap()).0.media_check, MediaCheck::Passed);
    // Afterwards the guest reviews it there; the form then holds the review, to rewrite.
    ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert_eq!(post(&[("action", "review"), ("key", &a.guest_key), ("review", "Clear & kind")]).0, 303);
    assert!(get(path).1.contains(">Clear &amp; kind</textarea>"));

    // Another meeting, cancelled from its page, which then offers nothing more.
    let b = ok(erp.schedule(&request("ana", "Page Guest", "UTC", vec![at(2026, 11, 24, 9, 0)])).unwrap()).0;
    let path = &b.guest_link[b.guest_link.find("/meet/guest/").unwrap()..];
    assert!(get(path).1.contains("Cancel the meeting"));
    let r = agent
        .post(&format!("{base}/meet/guest/{}", b.id))
        .send_form([("action", "cancel"), ("key", b.guest_key.as_str()), ("reason", "Ill <today>")])
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = get(path);
    assert!(page.contains("cancelled") && page.contains("Ill &lt;today&gt;"), "{page}");
    assert!(!page.contains("Cancel the meeting") && !page.contains("Enter the room"), "{page}");

    // A slot that has begun is no longer offered; the others keep their numbers.
    let c = ok(erp
        .schedule(&request(
            "ana",
            "Page Guest",
            "UTC",
            vec![at(2026, 11, 23, 14, 0), at(2026, 11, 23, 15, 0)],
        ))
        .unwrap())
    .0;
    let path = &c.guest_link[c.guest_link.find("/meet/guest/").unwrap()..];
    w.clock.set(c.proposed[0]).unwrap();
    let (_, page) = get(path);
    assert!(!page.contains("14:00 UTC") && page.contains("15:00 UTC"), "{page}");
    assert!(page.contains(r#"name="slot" value="1""#), "{page}");
    // Once every slot has passed, the page says so instead of asking for a pick.
    w.clock.set(c.proposed[1]).unwrap();
    let (_, page) = get(path);
    assert!(page.contains("Every proposed time has passed") && !page.contains("Pick the time"), "{page}");
    // Nor is the guest mailed an empty list of times: a new host or guest waits for a
    // time, which a reschedule gives it.
    let before = w.snapshot();
    let no_time_left =
        |e: Error| matches!(e, Error::InvalidTransition(ref m) if m.contains("give it a time first"));
    assert!(no_time_left(refused(erp.reassign(&c.id, "ana", "ben").unwrap())));
    assert!(no_time_left(refused(erp.add_guest(&c.id, "ana", &guest("Sam Moss")).unwrap())));
    assert_eq!(before, w.snapshot());
    ok(erp.reschedule(&c.id, "ana", at(2026, 11, 24, 15, 0), "A time that suits").unwrap());
    assert_eq!(ok(erp.reassign(&c.id, "ana", "ben").unwrap()).0.host, "ben");
}

/// Once the host has ended the meeting a guest is not let into a room nobody will come
/// to, and their page no longer offers it; the host entering again lets them back in.
#[test]
fn a_guest_does_not_enter_a_meeting_the_host_has_ended() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Late Leo");
    w.clock.set(a.start.unwrap()).unwrap();
    let guest = Attendee::Guest(a.guest_key.clone());
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    ok(erp.enter_room(&a.id, &guest).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert!(!ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0.may_enter);
    let e = refused(erp.enter_room(&a.id, &guest).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("ended")), "{e:?}");
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    assert!(ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0.may_enter);
    ok(erp.enter_room(&a.id, &guest).unwrap());
}

/// A host who opens the room before the time and closes it again, alone, has not held
/// the meeting: it stays open to changes and is held at its time. Once the guest is in,
/// or the time has come, the host's end stands.
#[test]
fn a_host_who_only_looks_into_the_room_before_the_start_has_not_held_the_meeting() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let b = noon(&erp, "ana", "Tom Cruz");
    let c = ok(erp.schedule(&request("ana", "Cleo Early", "UTC", vec![at(2026, 11, 23, 15, 0)])).unwrap()).0;
    let start = a.start.unwrap();
    w.clock.set(start - 50 * MIN).unwrap();
    // Ana closes the room of one from the meeting page, and leaves the other's.
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    // Her connection fails while she looks: that too belongs to the look, not the meeting.
    ok(erp.report_room_event(&a.id, RoomEvent::ConnectionFailed, w.clock.now_ms()).unwrap());
    let (looked, _) = ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert_eq!(looked.status, Status::StartingSoon);
    // The page's close arriving again is no error, and changes nothing.
    let before = w.snapshot();
    let (again, _) = ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert_eq!(again.status, Status::StartingSoon);
    assert_eq!(before, w.snapshot());
    let (b_ticket, _) = ok(erp.enter_room(&b.id, &ana()).unwrap());
    ok(erp.leave_meeting(&b_ticket.meeting_id, "ana").unwrap());
    assert_eq!(status(&erp, &b.id), Status::StartingSoon);
    // Both may still be moved or cancelled, and the guest may come.
    ok(erp.cancel_appointment(&b.id, &ana(), "Tom found another date").unwrap());
    assert!(ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0.may_enter);
    // At the time both come, and the meeting is held.
    w.clock.set(start).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, start + 20 * MIN).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Completed);

    // With the guest in the room before the time, the host's end stands.
    w.clock.set(c.start.unwrap() - 30 * MIN).unwrap();
    ok(erp.enter_room(&c.id, &Attendee::Guest(c.guest_key.clone())).unwrap());
    ok(erp.enter_room(&c.id, &ana()).unwrap());
    let (ended, _) = ok(erp.report_room_event(&c.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert_eq!(ended.status, Status::Completed);
    // The page's close arriving again (a retry), with the room gone, is not a second
    // look that met nobody: the meeting stays held, and settles completed.
    let before = w.snapshot();
    let (again, _) = ok(erp.report_room_event(&c.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert_eq!(again.status, Status::Completed);
    assert_eq!(before, w.snapshot(), "a repeat changes nothing");
    w.clock.set(c.start.unwrap() + 4 * HOUR).unwrap();
    assert_eq!(status(&erp, &c.id), Status::Completed);
}

/// What a guest does in the room counts only while the room is open to them: a media
/// check reported a day early, after the host ended the meeting, or after it settled
/// (a stale or forged form) is refused and changes nothing.
#[test]
fn a_guests_room_events_count_only_while_the_room_is_open_to_them() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Rita Moss");
    let b = noon(&erp, "ana", "Tom Cruz");
    let start = a.start.unwrap();
    w.clock.set(start - 24 * HOUR).unwrap();
    let before = w.snapshot();
    for event in [RoomEvent::GuestEntered, RoomEvent::GuestCheckPassed, RoomEvent::GuestCheckFailed] {
        let e = refused(erp.report_room_event(&a.id, event, w.clock.now_ms()).unwrap());
        assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("opens an hour before")), "{e:?}");
    }
    assert_eq!(before, w.snapshot());
    // So the meeting may still be cancelled: no guest is waiting in its room.
    ok(erp.cancel_appointment(&b.id, &ana(), "Tom found another date").unwrap());

    // Held and ended by the host: the guest's check can no longer turn it.
    w.clock.set(start).unwrap();
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, start + MIN).unwrap());
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, start + 20 * MIN).unwrap());
    assert_eq!(status(&erp, &a.id), Status::Completed);
    let e = refused(erp.report_room_event(&a.id, RoomEvent::GuestCheckFailed, start + 21 * MIN).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("ended")), "{e:?}");
    w.clock.set(start + 3 * HOUR).unwrap();
    let e = refused(erp.report_room_event(&a.id, RoomEvent::GuestCheckFailed, w.clock.now_ms()).unwrap());
    assert!(matches!(e, Error::InvalidTransition(_)), "{e:?}");
    assert_eq!(status(&erp, &a.id), Status::Completed);
}

/// A room that cannot be entered says why.
#[test]
fn a_room_that_cannot_be_entered_says_why() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let planning = ok(erp
        .schedule(&request("ana", "Pia Plan", "UTC", vec![at(2026, 11, 23, 10, 0), at(2026, 11, 23, 11, 0)]))
        .unwrap())
    .0;
    w.clock.set(planning.proposed[0] - 10 * MIN).unwrap();
    let e = refused(erp.enter_room(&planning.id, &ana()).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("has not picked")), "{e:?}");
    let a = noon(&erp, "ana", "Rita Moss");
    ok(erp.cancel_appointment(&a.id, &ana(), "No longer needed").unwrap());
    w.clock.set(a.start.unwrap()).unwrap();
    let e = refused(erp.enter_room(&a.id, &ana()).unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("is cancelled")), "{e:?}");
}

/// A guest added while the others still pick a time is offered only the slots to come.
#[test]
fn a_guest_added_later_is_offered_only_the_slots_to_come() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 23, 10, 0), at(2026, 11, 24, 10, 0)];
    let (a, _) = ok(erp.schedule(&request("ana", "First Fay", "UTC", slots)).unwrap());
    w.clock.set(a.proposed[0] + MIN).unwrap();
    let (_, effects) = ok(erp.add_guest(&a.id, "ana", &guest("Second Sam")).unwrap());
    let body = &emails(&effects)[0].body;
    assert!(body.contains("2026-11-24 10:00") && !body.contains("2026-11-23 10:00"), "{body}");
}

/// A colleague may schedule a meeting for a host, who hears of it; a host scheduling
/// their own meeting gets no notice of it.
#[test]
fn a_host_hears_of_a_meeting_a_colleague_scheduled_for_them() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (_, effects) =
        ok(erp.schedule(&request("ana", "Own Olga", "UTC", vec![at(2026, 11, 23, 12, 0)])).unwrap());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Notification { .. })));
    let mut asked = request("ana", "Kind Kim", "UTC", vec![at(2026, 11, 23, 14, 0)]);
    asked.actor = "ben".into();
    let (a, effects) = ok(erp.schedule(&asked).unwrap());
    assert_eq!(a.host, "ana");
    let bell = bell_of(&effects, "ana").expect("the host is told");
    assert_eq!(bell.text, "Ben Okafor scheduled the Intake with Kind Kim for you.");
    assert!(bell.link.as_ref().is_some_and(|l| l.url.ends_with(&a.id)), "the way to it: {bell:?}");
}

/// An overview index record as the first release stored it: per row, the fixed part (six
/// times, the duration and a flag byte), then each text after its u16 length. Built
/// here from the current layout, where the texts' ends follow the fixed part.
fn in_first_layout(current: &[u8]) -> Vec<u8> {
    const FIXED: usize = 6 * 8 + 4 + 1;
    assert_eq!(current[0], 2, "the current layout's version");
    let mut rest = &current[1..];
    let mut old = vec![1];
    while !rest.is_empty() {
        let (fixed, tail) = rest.split_at(FIXED);
        let (ends, tail) = tail.split_at(12);
        let ends: Vec<usize> = ends.chunks(2).map(|e| u16::from_le_bytes([e[0], e[1]]) as usize).collect();
        old.extend_from_slice(fixed);
        let mut start = 0;
        for &end in &ends {
            old.extend_from_slice(&((end - start) as u16).to_le_bytes());
            old.extend_from_slice(&tail[start..end]);
            start = end;
        }
        rest = &tail[ends[5]..];
    }
    old
}

/// A store written by the first release lists the same meetings in the same order, and
/// the host's record is stored in the current layout once one of them changes.
#[test]
fn an_index_stored_by_the_first_release_lists_and_changes_alike() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let ids: Vec<String> = ["Yara Zeller", "Émile Abel", "Bo Chen"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            ok(erp.schedule(&request("ana", name, "UTC", vec![at(2026, 12, 1 + i as u8, 9, 0)])).unwrap())
                .0
                .id
        })
        .collect();
    // By date the latest first, by name from A.
    let listed = |sort| {
        let q =
            Query { sort, descending: sort == SortKey::Date, ..query("ana", Scope::Mine, Period::Upcoming) };
        ok(erp.list_meetings(&q).unwrap()).0.items.into_iter().map(|a| a.id).collect::<Vec<_>>()
    };
    let before = (listed(SortKey::Date), listed(SortKey::GuestName));
    assert_eq!(before.0, [ids[2].clone(), ids[1].clone(), ids[0].clone()], "latest first");
    assert_eq!(before.1, [ids[2].clone(), ids[1].clone(), ids[0].clone()], "Bo, Émile, Yara");

    let store = w.harness.store();
    let current = store.get("erp/meetkit", "overview/ana").unwrap().expect("ana's index record");
    store.set("erp/meetkit", "overview/ana", &in_first_layout(&current)).unwrap();
    assert_eq!((listed(SortKey::Date), listed(SortKey::GuestName)), before);

    ok(erp.reschedule(&ids[0], "ana", at(2026, 12, 9, 9, 0), "Later suits the guest").unwrap());
    let rewritten = store.get("erp/meetkit", "overview/ana").unwrap().unwrap();
    assert_eq!(rewritten[0], 2, "stored in the current layout");
    assert_eq!(listed(SortKey::Date), [ids[0].clone(), ids[2].clone(), ids[1].clone()]);
}

/// The host's calendar entry links to the platform's page of the meeting, which the
/// harness's server answers: it asks who looks, shows the meeting as that user sees it,
/// and moves it, lets the host into the room, takes the summary, and cancels another.
#[test]
fn the_hosts_calendar_link_opens_the_platforms_page_of_the_meeting() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = ok(erp
        .schedule(&request("ana", "Page Host", "Europe/Amsterdam", vec![at(2026, 11, 23, 13, 0)]))
        .unwrap())
    .0;
    let calendar = parse(&ok(erp.agenda(&a.id, "ana").unwrap()).0);
    let link = value(&calendar.events[0].properties, "URL").to_string();
    let path = &link[link.find("/meet/appointment/").expect("the platform's page of the meeting")..];
    assert_eq!(path, format!("/meet/appointment/{}", a.id));

    let base = w.serve();
    let agent = browser();
    let get = |query: &str| {
        let mut r = agent.get(&format!("{base}{path}{query}")).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
    };
    let post = |form: &[(&str, &str)]| {
        let r = agent.post(&format!("{base}{path}")).send_form(form.iter().copied()).unwrap();
        let location = r.headers().get("location").map(|l| l.to_str().unwrap().to_string());
        (r.status().as_u16(), location)
    };

    let (status, page) = get("");
    assert_eq!(status, 200);
    assert!(page.contains("Signed in as") && !page.contains("Page Host"), "who looks, first: {page}");
    let (status, page) = get("?as=ana");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Intake with Page Host") && page.contains("scheduled"), "{page}");
    assert!(page.contains("When: 2026-11-23 13:00 CET, 30 minutes"), "{page}");
    assert!(page.contains(&a.guest_link) && page.contains("the guest has not entered"), "{page}");
    assert!(page.contains("Move the meeting") && page.contains("Cancel the meeting"), "{page}");
    assert!(page.contains(r#"name="reason" required maxlength="10000""#), "{page}");
    assert!(!page.contains("Enter the room") && !page.contains("Send the summary"), "{page}");
    let headers = agent.get(&format!("{base}{path}?as=ana")).call().unwrap();
    assert_eq!(headers.headers().get("cache-control").unwrap(), "no-store", "it shows the guest's key");
    assert_eq!(get("?as=nobody").0, 404, "a user the platform does not have sees nothing");

    // Another site's page, open in a browser on this machine, posts the same form: the
    // meeting is not moved (the browser says where the form comes from).
    for (header, from) in [("Sec-Fetch-Site", "cross-site"), ("Origin", "http://evil.example")] {
        let mut r = agent
            .post(&format!("{base}{path}"))
            .header(header, from)
            .send_form([("action", "reschedule"), ("as", "ana"), ("at", "2026-11-23T15:00"), ("reason", "x")])
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{header}: {from}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "a page for people");
        assert!(r.body_mut().read_to_string().unwrap().contains("another site"));
    }
    assert_eq!(ok(erp.get_appointment(&a.id, "ana").unwrap()).0.start, a.start, "not moved");
    // Moved from the page: a local time in the meeting's zone, and a reason.
    let (status, location) =
        post(&[("action", "reschedule"), ("as", "ana"), ("at", "2026-11-23T14:00"), ("reason", "Later")]);
    assert_eq!((status, location.as_deref()), (303, Some("?as=ana")), "back to the page, relative to it");
    let page = get("?as=ana").1;
    assert!(
        page.contains("When: 2026-11-23 14:00 CET") && page.contains("Reason of the last change: Later"),
        "{page}"
    );
    let moved = ok(erp.get_appointment(&a.id, "ana").unwrap()).0;
    assert_eq!(moved.start, Some(T0 + 4 * HOUR));
    assert_eq!(post(&[("action", "reschedule"), ("as", "ana"), ("at", "tomorrow"), ("reason", "x")]).0, 400);
    let mut refusal = agent
        .post(&format!("{base}{path}"))
        .send_form([("action", "reschedule"), ("as", "ana"), ("at", "tomorrow"), ("reason", "x")])
        .unwrap();
    let refusal = refusal.body_mut().read_to_string().unwrap();
    assert!(refusal.contains("not a local time") && refusal.contains("href=\"?as=ana\""), "{refusal}");
    assert_eq!(
        post(&[("action", "reschedule"), ("as", "ana"), ("at", "2026-11-23T15:00"), ("reason", "")]).0,
        400
    );
    assert_eq!(ok(erp.get_appointment(&a.id, "ana").unwrap()).0.start, moved.start, "refused, unchanged");

    // The host enters from the page (on to JaaS) once the room is open, and writes the
    // summary once the meeting is over.
    w.clock.set(T0 + 4 * HOUR - 10 * MIN).unwrap();
    assert!(get("?as=ana").1.contains("Enter the room"));
    // The guest comes in early: the page says the meeting can no longer be called off
    // while they are there, and a cancel is refused with why, the meeting unchanged.
    assert!(!get("?as=ana").1.contains("The guest has come into the room"));
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    let page = get("?as=ana").1;
    assert!(page.contains("The guest has come into the room: while they are there"), "{page}");
    let mut refusal = agent
        .post(&format!("{base}{path}"))
        .send_form([("action", "cancel"), ("as", "ana"), ("reason", "x")])
        .unwrap();
    assert_eq!(refusal.status().as_u16(), 409);
    assert!(refusal.body_mut().read_to_string().unwrap().contains("is waiting in its room"));
    assert_eq!(ok(erp.get_appointment(&a.id, "ana").unwrap()).0.status, Status::StartingSoon);
    let (status, room) = post(&[("action", "enter"), ("as", "ana")]);
    assert_eq!(status, 303);
    assert!(room.unwrap().starts_with("https://8x8.vc/"));
    w.clock.set(T0 + 5 * HOUR).unwrap();
    let page = get("?as=ana").1;
    assert!(page.contains("Send the summary") && !page.contains("Cancel the meeting"), "{page}");
    // The browser stops a summary at the contract's length, before it is typed in vain.
    assert!(page.contains(r#"name="summary" required maxlength="10000""#), "{page}");
    assert!(page.contains("Enter the room"), "its host may enter again until it settles: {page}");
    let (status, colleague) = get("?as=ben");
    assert_eq!(status, 200, "a colleague sees it: {colleague}");
    assert!(!colleague.contains("Enter the room") && !colleague.contains("Send the summary"), "{colleague}");
    let (status, _) = post(&[("action", "summary"), ("as", "ana"), ("summary", "Contract <signed>")]);
    assert_eq!(status, 303);
    let page = get("?as=ana").1;
    assert!(
        page.contains("Summary: Contract &lt;signed&gt;") && page.contains("Send the summary again"),
        "{page}"
    );
    assert_eq!(
        ok(erp.get_appointment(&a.id, "ana").unwrap()).0.summary.as_deref(),
        Some("Contract <signed>")
    );

    // Another meeting, cancelled from its page, which then offers nothing more.
    let b = ok(erp.schedule(&request("ana", "Page Host", "UTC", vec![at(2026, 11, 25, 9, 0)])).unwrap()).0;
    let r = agent
        .post(&format!("{base}/meet/appointment/{}", b.id))
        .send_form([("action", "cancel"), ("as", "ana"), ("reason", "Ill")])
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let mut r = agent.get(&format!("{base}/meet/appointment/{}?as=ana", b.id)).call().unwrap();
    let page = r.body_mut().read_to_string().unwrap();
    assert!(page.contains("cancelled") && page.contains("Reason of the last change: Ill"), "{page}");
    assert!(!page.contains("<form"), "{page}");
    assert_eq!(post(&[("action", "dance"), ("as", "ana")]).0, 400);

    // Another meeting, given to a colleague and joined by a guest from its page, and
    // its calendar file taken from there into an agenda.
    let c = ok(erp.schedule(&request("ana", "Page Host", "UTC", vec![at(2026, 11, 26, 9, 0)])).unwrap()).0;
    let of_c = format!("{base}/meet/appointment/{}", c.id);
    let mut r = agent.get(&format!("{of_c}?as=ana")).call().unwrap();
    let page = r.body_mut().read_to_string().unwrap();
    assert!(
        page.contains(r#"name="to""#) && page.contains("Chloé Martin"),
        "the colleagues to choose: {page}"
    );
    assert!(page.contains(&format!(r#"href="{}/calendar.ics?as=ana""#, c.id)), "{page}");
    let mut ics = agent.get(&format!("{of_c}/calendar.ics?as=ana")).call().unwrap();
    assert!(ics.headers()["content-type"].to_str().unwrap().starts_with("text/calendar"));
    assert!(ics.body_mut().read_to_string().unwrap().starts_with("BEGIN:VCALENDAR"));
    let form = |fields: &[(&str, &str)]| {
        agent.post(&of_c).send_form(fields.iter().copied()).unwrap().status().as_u16()
    };
    let added =
        [("action", "add-guest"), ("as", "ana"), ("guest_name", "Jo Park"), ("guest_email", "jo@x.example")];
    assert_eq!(form(&added), 303);
    assert_eq!(form(&[("action", "assign"), ("as", "ana"), ("to", "ben")]), 303);
    let moved = ok(erp.get_appointment(&c.id, "ana").unwrap()).0;
    assert_eq!((moved.host.as_str(), moved.guests.len()), ("ben", 2));
    assert_eq!(form(&[("action", "assign"), ("as", "ana"), ("to", "nobody")]), 404, "refused on a page");

    // The guests' telephone numbers are on the page, as in the expanded row.
    let jon = GuestDetails {
        name: "Jon Lee".into(),
        email: "jon@x.example".into(),
        phone: Some("+31 6 1234".into()),
    };
    ok(erp.add_guest(&a.id, "ana", &jon).unwrap());
    assert!(get("?as=ana").1.contains("Jon Lee &lt;jon@x.example&gt;, phone +31 6 1234"));
}

/// Mails that cannot be made after a change is stored are not dropped unseen: a summary
/// fails with the store's failure and its repetition sends the mails; a reassignment
/// stands and the administrators are told to let the guests know.
#[test]
fn mails_a_stored_change_could_not_make_are_sent_on_repeat_or_flagged() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Mail Less");
    w.clock.set(a.start.unwrap() + HOUR).unwrap();
    // The guests' keys cannot be read: no mail with their links can be made.
    store.fail_reads_under(Some("appointment-guest-keys/"));
    let failed = erp.add_summary(&a.id, "ana", "Next steps").unwrap();
    assert!(matches!(failed.value, Err(Error::StoreFailure(_))), "{:?}", failed.value);
    assert!(emails(&failed.effects).is_empty());
    // The platform's page says what happened, and what sends them.
    let mut r = browser()
        .post(&format!("{}/meet/appointment/{}", w.serve(), a.id))
        .send_form([("action", "summary"), ("as", "ana"), ("summary", "Next steps")])
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.body_mut().read_to_string().unwrap().contains("The summary is saved"));
    store.fail_reads_under(None);
    assert_eq!(ok(erp.get_appointment(&a.id, "ana").unwrap()).0.summary.as_deref(), Some("Next steps"));
    let (_, effects) = ok(erp.add_summary(&a.id, "ana", "Next steps").unwrap());
    let mails = emails(&effects);
    assert_eq!(mails.len(), 1, "{effects:?}");
    assert!(mails[0].body.contains("Next steps"));

    let b = ok(erp.schedule(&request("ana", "Mail Less", "UTC", vec![at(2026, 11, 25, 9, 0)])).unwrap()).0;
    store.fail_reads_under(Some("appointment-guest-keys/"));
    let (moved, effects) = ok(erp.reassign(&b.id, "ana", "ben").unwrap());
    store.fail_reads_under(None);
    assert_eq!(moved.host, "ben", "the reassignment stands");
    assert!(emails(&effects).iter().all(|m| !m.to.starts_with("mail")), "no guest was mailed: {effects:?}");
    let flagged = effects.iter().any(|e| {
        matches!(e, Effect::Flag { text, .. } if text.contains("were not told") && text.contains("Mail Less"))
    });
    assert!(flagged, "{effects:?}");
}

/// A guest who tried their camera, or came into the room and went, before the host
/// looked in met nobody: the host's look alone is still only a look, the meeting stays
/// "starting soon" and open to the guest at its time, and it may still be cancelled, for
/// nobody waits in the room. A guest in the room now does stop a cancel.
#[test]
fn a_guest_who_came_and_went_before_the_host_looked_in_met_nobody() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = noon(&erp, "ana", "Camera Cora");
    let b = noon(&erp, "ana", "Brief Bea");
    let start = a.start.unwrap();
    w.clock.set(start - 55 * MIN).unwrap();
    // Cora tries her camera from her page; Bea enters the room and leaves it.
    ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, w.clock.now_ms()).unwrap());
    let (bea, _) = ok(erp.enter_room(&b.id, &Attendee::Guest(b.guest_key.clone())).unwrap());
    ok(erp.leave_meeting(&bea.meeting_id, &format!("guest-{}", b.id)).unwrap());
    // Ana looks into both rooms, alone, and closes them.
    w.clock.set(start - 30 * MIN).unwrap();
    ok(erp.enter_room(&a.id, &ana()).unwrap());
    let (looked, _) = ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert_eq!(looked.status, Status::StartingSoon);
    // The page's close arriving again is no error, and changes nothing.
    let before = w.snapshot();
    let (again, _) = ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, w.clock.now_ms()).unwrap());
    assert_eq!(again.status, Status::StartingSoon);
    assert_eq!(before, w.snapshot());
    let (ana_b, _) = ok(erp.enter_room(&b.id, &ana()).unwrap());
    ok(erp.leave_meeting(&ana_b.meeting_id, "ana").unwrap());
    assert_eq!(status(&erp, &b.id), Status::StartingSoon);
    // Nobody waits in either room: either may be cancelled, by the host or the guest.
    assert!(ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0.may_cancel);
    assert!(ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0.may_enter);
    ok(erp.cancel_appointment(&b.id, &Attendee::Guest(b.guest_key.clone()), "Bea cannot make it").unwrap());
    assert_eq!(status(&erp, &b.id), Status::Cancelled);
    // Cora comes back and waits in the room: now her meeting is not called off.
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    assert!(!ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0.may_cancel);
    let before = w.snapshot();
    let e = refused(erp.cancel_appointment(&a.id, &ana(), "after all").unwrap());
    assert!(matches!(e, Error::InvalidTransition(ref m) if m.contains("waiting")), "{e:?}");
    assert_eq!(before, w.snapshot());
    // At the time Ana comes, meets her, and the meeting is held.
    w.clock.set(start).unwrap();
    let (ana_a, _) = ok(erp.enter_room(&a.id, &ana()).unwrap());
    ok(erp.leave_meeting(&ana_a.meeting_id, "ana").unwrap());
    w.clock.set(start + 30 * MIN + 2 * HOUR).unwrap();
    assert_eq!(status(&erp, &a.id), Status::Completed);
}

/// A cancelled planning meeting offers its guest no time to pick.
#[test]
fn a_cancelled_planning_meeting_offers_no_slots() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let slots = vec![at(2026, 11, 24, 15, 0), at(2026, 11, 25, 9, 0)];
    let (a, _) = ok(erp.schedule(&request("ana", "Ida Berg", "UTC", slots)).unwrap());
    assert_eq!(ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0.proposed.len(), 2);
    ok(erp.cancel_appointment(&a.id, &ana(), "No longer needed").unwrap());
    let page = ok(erp.guest_view(&a.id, &a.guest_key).unwrap()).0;
    assert_eq!((page.status, page.proposed.len()), (Status::Cancelled, 0));
}
