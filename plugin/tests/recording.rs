//! Recordings and webhook deliveries in the domain core, natively.

use meetkit_plugin::Meetkit;
use meetkit_plugin::error::MeetError;
use meetkit_plugin::host::{PageSignal, Presence};
use meetkit_plugin::model::{Context, HOUR, Licence, MeetingState, Relation, UserKind};
use meetkit_plugin::recording::{
    COPY_WARNING, JAAS_RETENTION, RecordingEvent, RecordingSignal, RecordingUpload,
};
use meetkit_plugin::testing::{Effect, FakeHost, MemoryKv};
use serde_json::json;

const APP: &str = "vpaas-magic-cookie-0123456789abcdef0123456789abcdef";

fn host(licence: Licence) -> FakeHost {
    let mut host = FakeHost::new(licence);
    host.add_user("ana", UserKind::Internal);
    host.add_user("ben", UserKind::Internal);
    host.add_user("eve", UserKind::External);
    host.add_context(
        Context::Group("g".into()),
        &[("ana", Relation::Member), ("ben", Relation::Member), ("eve", Relation::Member)],
    );
    host
}

/// An X20 platform whose administrator keeps copies of recordings for `hours`.
fn keeping_copies(hours: u32) -> FakeHost {
    let mut host = host(Licence::X20Advanced);
    host.recording_config.keep_copies = true;
    host.recording_config.retention_hours = hours;
    host
}

/// What the administrators were told.
fn flags(effects: Vec<Effect>) -> Vec<String> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Flag(_, text) => Some(text),
            _ => None,
        })
        .collect()
}

fn start(mk: &Meetkit, who: &[&str]) -> (String, String) {
    let sel: Vec<String> = who.iter().map(|s| s.to_string()).collect();
    let m = mk.start_meeting_from_context(&Context::Group("g".into()), who[0], &sel).unwrap().meeting;
    (m.id, m.room)
}

fn upload(room: &str, session: &str, at: i64) -> RecordingEvent {
    RecordingEvent::Uploaded(RecordingUpload {
        room: room.into(),
        link: format!("https://storage.example/{session}.mp4"),
        initiator: Some("ana".into()),
        session_id: session.into(),
        duration_secs: 60,
        started_at: at - 60_000,
        ended_at: at,
        uploaded_at: at,
    })
}

fn delivery(key: &str, event: &str, room: &str, ts: i64, data: serde_json::Value) -> String {
    json!({
        "idempotencyKey": key, "customerId": "0123", "appId": APP, "eventType": event,
        "sessionId": "s", "timestamp": ts, "fqn": format!("{APP}/{room}"), "data": data
    })
    .to_string()
}

#[test]
fn uploads_are_named_by_the_meeting_time_and_deduplicated_by_session() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let now = host.now.get();
    let first = mk.on_recording(upload(&room, "s1", now)).unwrap();
    let file = first.file.unwrap();
    assert!(first.changed);
    assert_eq!(file.name, "Meeting 2026-01-01 00.00.00 UTC.mp4");
    assert_eq!(file.expires_at, now + JAAS_RETENTION);
    let second = mk.on_recording(upload(&room, "s2", now)).unwrap().file.unwrap();
    assert_eq!(second.name, "Meeting 2026-01-01 00.00.00 UTC (2).mp4");
    let again = mk.on_recording(upload(&room, "s1", now)).unwrap();
    assert!(!again.changed);
    assert_eq!(again.file.unwrap().file_id, file.file_id);
}

#[test]
fn files_expire_after_24_hours_unless_the_host_keeps_a_copy() {
    let host = keeping_copies(24 * 30);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let now = host.now.get();
    let rec = mk.on_recording(upload(&room, "keep", now)).unwrap().file.unwrap();
    let plain = mk.on_recording(upload(&room, "plain", now)).unwrap().file.unwrap();
    assert!(host.take_effects().iter().any(|e| matches!(e, Effect::Archive(id, _, _) if *id == rec.id)));
    mk.recording_archived(&rec.id, "file:///copies/keep.mp4").unwrap();

    host.advance(JAAS_RETENTION - 1);
    assert!(mk.tick().unwrap().deleted_files.is_empty());
    assert_eq!(mk.download_recording(&plain.id, "ben").unwrap(), plain.url);
    host.advance(1);
    let report = mk.tick().unwrap();
    assert_eq!(report.deleted_files, vec![plain.id.clone()]);
    assert!(matches!(mk.download_recording(&plain.id, "ben"), Err(MeetError::Expired(_))));
    assert_eq!(mk.download_recording(&rec.id, "ben").unwrap(), "file:///copies/keep.mp4");

    host.advance(24 * 29 * HOUR);
    let report = mk.tick().unwrap();
    assert_eq!(report.released_copies, vec![rec.id.clone()]);
    assert!(matches!(mk.download_recording(&rec.id, "ben"), Err(MeetError::Expired(_))));
    let quiet = mk.tick().unwrap();
    assert!(quiet.deleted_files.is_empty() && quiet.released_copies.is_empty());
}

#[test]
fn a_copy_that_never_arrives_is_flagged_before_and_when_the_recording_goes() {
    let host = keeping_copies(24 * 30);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let now = host.now.get();
    let missing = mk.on_recording(upload(&room, "lost", now)).unwrap().file.unwrap();
    let arrived = mk.on_recording(upload(&room, "kept", now)).unwrap().file.unwrap();
    mk.recording_archived(&arrived.id, "https://copies.example/kept.mp4").unwrap();
    host.take_effects();
    // Quiet until two hours before JaaS deletes it; then one warning, however often ticked.
    host.advance(JAAS_RETENTION - COPY_WARNING - 1);
    mk.tick().unwrap();
    assert!(flags(host.take_effects()).is_empty());
    host.advance(1);
    mk.tick().unwrap();
    let warned = flags(host.take_effects());
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains(&missing.name) && warned[0].contains("2 h 00 min"), "{}", warned[0]);
    host.advance(HOUR);
    mk.tick().unwrap();
    assert!(flags(host.take_effects()).is_empty(), "warned once");

    // JaaS's 24 hours end: the file goes, and the administrators hear that nothing remains.
    host.advance(HOUR);
    let report = mk.tick().unwrap();
    assert_eq!(report.deleted_files, vec![missing.id.clone()]);
    let lost = flags(host.take_effects());
    assert_eq!(lost.len(), 1, "the copy that arrived is not flagged: {lost:?}");
    assert!(lost[0].contains("never copied") && lost[0].contains(&missing.name));
    assert!(matches!(mk.download_recording(&missing.id, "ben"), Err(MeetError::Expired(_))));
    assert_eq!(mk.download_recording(&arrived.id, "ben").unwrap(), "https://copies.example/kept.mp4");
    // No copy is kept of it any more, and one reported now comes too late.
    let gone = mk.list_recordings(&Context::Group("g".into()), 0, 200).unwrap().items;
    let gone = gone.iter().find(|r| r.id == missing.id).unwrap();
    assert!(gone.deleted && gone.kept_until.is_none() && gone.archive.is_none());
    assert!(matches!(
        mk.recording_archived(&missing.id, "https://copies.example/late.mp4"),
        Err(MeetError::Expired(_))
    ));
}

#[test]
fn a_copy_arriving_after_the_warning_is_kept_as_usual() {
    let host = keeping_copies(48);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let rec = mk.on_recording(upload(&room, "late", host.now.get())).unwrap().file.unwrap();
    host.advance(JAAS_RETENTION - HOUR);
    mk.tick().unwrap();
    assert!(
        host.take_effects().iter().any(|e| matches!(e, Effect::Flag(_, t) if t.contains("has not copied")))
    );
    mk.recording_archived(&rec.id, "https://copies.example/late.mp4").unwrap();
    // The administrators warned hear that it came.
    let arrived = host.take_effects();
    assert!(
        arrived.iter().any(|e| matches!(e, Effect::Flag(_, t) if t.contains("has arrived"))),
        "{arrived:?}"
    );
    host.advance(HOUR);
    let report = mk.tick().unwrap();
    assert!(report.deleted_files.is_empty());
    assert!(!host.take_effects().iter().any(|e| matches!(e, Effect::Flag(..))));
    assert_eq!(mk.download_recording(&rec.id, "ben").unwrap(), "https://copies.example/late.mp4");
}

#[test]
fn recording_is_refused_on_x19_and_flagged_for_external_users() {
    let host19 = host(Licence::X19Basic);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host19, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let now = host19.now.get();
    assert!(matches!(mk.on_recording(upload(&room, "x", now)), Err(MeetError::LicenceForbids(_))));

    let host20 = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host20, &kv);
    let (_, room) = start(&mk, &["ana", "eve"]);
    let started = mk
        .on_recording(RecordingEvent::Started(RecordingSignal {
            room: room.clone(),
            at: 0,
            by: Some("eve".into()),
        }))
        .unwrap();
    assert!(started.flagged.is_some());
    let effects = host20.take_effects();
    assert!(effects.iter().any(|e| matches!(e, Effect::Flag(..))));
    assert!(effects.contains(&Effect::Signal("ana".into(), PageSignal::VoiceCue("Recording is on".into()))));
}

/// Starts and stops apply in the order of their times, whatever the order they arrive
/// in: a start older than the stop applied turns nothing on and plays no cue, but one by
/// someone who may not record is still told to the administrators.
#[test]
fn a_recording_start_older_than_its_stop_turns_nothing_on() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (id, room) = start(&mk, &["ana", "eve"]);
    let now = host.now.get();
    let signal =
        |at: i64, by: Option<&str>| RecordingSignal { room: room.clone(), at, by: by.map(Into::into) };
    let stopped = mk.on_recording(RecordingEvent::Stopped(signal(now + 2_000, None))).unwrap();
    assert!(!stopped.changed);
    host.take_effects();
    let late = mk.on_recording(RecordingEvent::Started(signal(now + 1_000, Some("eve")))).unwrap();
    assert!(!late.changed && late.flagged.is_some());
    let effects = host.take_effects();
    assert!(!mk.get_meeting(&id).unwrap().recording);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Signal(..) | Effect::Toast(..))), "{effects:?}");
    assert_eq!(flags(effects).len(), 1);
    let next = mk.on_recording(RecordingEvent::Started(signal(now + 3_000, Some("ana")))).unwrap();
    assert!(next.changed && mk.get_meeting(&id).unwrap().recording);
    let again = mk.on_recording(RecordingEvent::Started(signal(now + 3_000, Some("ana")))).unwrap();
    assert!(!again.changed, "a repeat");
    // Of a start and a stop at the same moment the stop stands, in either order.
    mk.on_recording(RecordingEvent::Stopped(signal(now + 4_000, None))).unwrap();
    mk.on_recording(RecordingEvent::Started(signal(now + 4_000, None))).unwrap();
    assert!(!mk.get_meeting(&id).unwrap().recording);
    mk.on_recording(RecordingEvent::Started(signal(now + 5_000, None))).unwrap();
    mk.on_recording(RecordingEvent::Stopped(signal(now + 5_000, None))).unwrap();
    assert!(!mk.get_meeting(&id).unwrap().recording);
}

/// Lowering the licence loses no recording made under the higher one: a start JaaS
/// reports after the meeting ended still counts for its upload, and an upload kept
/// before the change is, delivered again, a repeat, not a refused recording.
#[test]
fn a_recording_made_on_x20_survives_the_licence_lowered_whatever_the_order() {
    let mut host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (id, room) = start(&mk, &["ana"]);
    let now = host.now.get();
    mk.leave_meeting(&id, "ana").unwrap();
    assert_eq!(mk.get_meeting(&id).unwrap().state, MeetingState::Ended);
    let at = now + 1_000;
    mk.on_recording(RecordingEvent::Started(RecordingSignal { room: room.clone(), at, by: None })).unwrap();
    let kept = mk.on_recording(upload(&room, "kept-first", now + 5_000)).unwrap();
    drop(mk);
    host.licence = Licence::X19Basic;
    let mk = Meetkit::new(&host, &kv);
    let mut late = upload(&room, "started-on-x20", now + 9_000);
    if let RecordingEvent::Uploaded(u) = &mut late {
        u.started_at = at;
    }
    assert!(mk.on_recording(late).unwrap().changed, "started while X20 allowed it");
    host.take_effects();
    let again = mk.on_recording(upload(&room, "kept-first", now + 5_000)).unwrap();
    assert!(!again.changed && again.file == kept.file);
    assert!(flags(host.take_effects()).is_empty());
}

#[test]
fn a_participant_who_is_not_a_platform_user_counts_in_the_room_without_presence() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (id, room) = start(&mk, &["ana", "ben"]);
    let t = host.now.get();
    mk.on_jaas_webhook(&delivery("j1", "PARTICIPANT_JOINED", &room, t + 1, json!({"id": "ben"}))).unwrap();
    host.take_effects();
    let joined = mk
        .on_jaas_webhook(&delivery("j2", "PARTICIPANT_JOINED", &room, t + 2, json!({"id": "visitor-7f3a"})))
        .unwrap();
    assert!(joined.applied);
    assert!(
        !host.take_effects().iter().any(|e| matches!(e, Effect::Presence(..))),
        "no presence for a visitor"
    );
    // With three in the room, ben leaving does not end the meeting.
    mk.on_jaas_webhook(&delivery("l1", "PARTICIPANT_LEFT", &room, t + 3, json!({"id": "ben"}))).unwrap();
    assert!(mk.get_meeting(&id).unwrap().is_running());
    assert!(host.take_effects().contains(&Effect::Presence("ben".into(), Presence::Available)));
}

#[test]
fn participant_events_apply_in_timestamp_order_whatever_the_delivery_order() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (id, room) = start(&mk, &["ana", "ben", "eve"]);
    let t = host.now.get();
    // ben's LEFT (t+20) arrives before his JOINED (t+10): he stays out.
    let left =
        mk.on_jaas_webhook(&delivery("k1", "PARTICIPANT_LEFT", &room, t + 20, json!({"id": "ben"}))).unwrap();
    assert!(left.applied);
    let joined = mk
        .on_jaas_webhook(&delivery("k2", "PARTICIPANT_JOINED", &room, t + 10, json!({"id": "ben"})))
        .unwrap();
    assert!(!joined.applied);
    assert_eq!(mk.get_meeting(&id).unwrap().present, ["ana"]);
    // eve joins, then leaves: two became one, the meeting ends.
    mk.on_jaas_webhook(&delivery("k3", "PARTICIPANT_JOINED", &room, t + 30, json!({"id": "eve"}))).unwrap();
    mk.on_jaas_webhook(&delivery(
        "k4",
        "PARTICIPANT_LEFT",
        &room,
        t + 40,
        json!({"id": "eve", "disconnectReason": "left"}),
    ))
    .unwrap();
    assert_eq!(mk.get_meeting(&id).unwrap().state, MeetingState::Ended);
    // The same delivery again does nothing.
    let dup =
        mk.on_jaas_webhook(&delivery("k4", "PARTICIPANT_LEFT", &room, t + 40, json!({"id": "eve"}))).unwrap();
    assert!(!dup.applied && dup.note.contains("repeated"));
}

#[test]
fn malformed_deliveries_are_invalid_input() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let now = host.now.get();
    for body in [
        "not json".to_string(),
        "[1,2]".to_string(),
        json!({"eventType": "ROOM_DESTROYED"}).to_string(),
        delivery("k", "PARTICIPANT_JOINED", "r", now, json!({"name": "no id"})),
        delivery("k", "RECORDING_UPLOADED", "r", now, json!([1])),
        json!({"idempotencyKey": "k", "eventType": "X", "timestamp": "soon", "fqn": "a/b", "data": {}})
            .to_string(),
    ] {
        assert!(matches!(mk.on_jaas_webhook(&body), Err(MeetError::InvalidInput(_))), "{body}");
    }
    let unknown = mk.on_jaas_webhook(&delivery("u", "SPEAKER_STATS", "r", now, json!([]))).unwrap();
    assert!(!unknown.applied);
    // 8x8's samples repeat appId inside RECORDING_STARTED: tolerated.
    let dup_key = format!(
        r#"{{"idempotencyKey":"d","appId":"{APP}","appId":"{APP}","eventType":"ROOM_CREATED","timestamp":{now},"fqn":"{APP}/r","data":{{}}}}"#
    );
    assert!(mk.on_jaas_webhook(&dup_key).is_ok());
}

#[test]
fn a_join_is_not_undone_by_an_older_jaas_event() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (id, room) = start(&mk, &["ana", "ben", "eve"]);
    let t = host.now.get();
    host.advance(10_000);
    mk.join_meeting(&id, "ben", meetkit_plugin::meeting::EntryPoint::ChatLink).unwrap();
    mk.join_meeting(&id, "eve", meetkit_plugin::meeting::EntryPoint::ChatLink).unwrap();
    host.advance(10_000);
    mk.leave_meeting(&id, "eve").unwrap();
    // JaaS reports, late, that eve joined at t + 15 s (before she left at t + 20 s).
    let late = mk
        .on_jaas_webhook(&delivery("late", "PARTICIPANT_JOINED", &room, t + 15_000, json!({"id": "eve"})))
        .unwrap();
    assert!(!late.applied);
    assert_eq!(mk.get_meeting(&id).unwrap().present, ["ana", "ben"]);
}

#[test]
fn a_retried_upload_keeps_its_number() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let now = host.now.get();
    host.fail_files.set(true);
    assert!(matches!(mk.on_recording(upload(&room, "s1", now)), Err(MeetError::HostFailure(_))));
    host.fail_files.set(false);
    let file = mk.on_recording(upload(&room, "s1", now)).unwrap().file.unwrap();
    assert_eq!(file.name, "Meeting 2026-01-01 00.00.00 UTC.mp4", "not (2): it is the first recording");
}

#[test]
fn a_deletion_files_refuses_is_tried_again_at_the_next_tick() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let rec = mk.on_recording(upload(&room, "s-retry", host.now.get())).unwrap().file.unwrap();
    host.advance(JAAS_RETENTION);
    host.fail_files.set(true);
    let refused = mk.tick().unwrap();
    assert!(refused.deleted_files.is_empty(), "{refused:?}");
    assert!(refused.postponed.len() == 1 && refused.postponed[0].starts_with(&rec.id), "{refused:?}");
    assert!(!mk.get_recording(&rec.id).unwrap().deleted, "the refused deletion changed nothing");
    host.fail_files.set(false);
    let retried = mk.tick().unwrap();
    assert_eq!(retried.deleted_files, vec![rec.id.clone()], "the next tick deletes it");
    assert!(
        host.take_effects().iter().any(|e| matches!(e, Effect::FileDeleted(_, id) if *id == rec.file_id))
    );
    assert!(mk.tick().unwrap().deleted_files.is_empty(), "deleted once");
}

/// A file Files will not delete is reported and kept for the next tick; the other
/// recordings due at the same tick go ahead.
#[test]
fn one_file_files_will_not_delete_holds_up_no_other() {
    let host = host(Licence::X20Advanced);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let (_, room) = start(&mk, &["ana"]);
    let stuck = mk.on_recording(upload(&room, "s-stuck", host.now.get())).unwrap().file.unwrap();
    let fine = mk.on_recording(upload(&room, "s-fine", host.now.get())).unwrap().file.unwrap();
    host.advance(JAAS_RETENTION);
    *host.undeletable.borrow_mut() = Some(stuck.file_id.clone());
    let report = mk.tick().unwrap();
    assert_eq!(report.deleted_files, vec![fine.id.clone()]);
    assert_eq!(report.postponed.len(), 1);
    assert!(report.postponed[0].starts_with(&format!("{}: ", stuck.id)), "{:?}", report.postponed);
    assert!(!mk.get_recording(&stuck.id).unwrap().deleted);
    *host.undeletable.borrow_mut() = None;
    assert_eq!(mk.tick().unwrap().deleted_files, vec![stuck.id.clone()]);
}

/// A context's recordings are listed from its index, newest first; a store written
/// before the indexes existed gets them from its records, once, at its first listing or
/// upload.
#[test]
fn a_context_lists_its_recordings_from_its_index() {
    use meetkit_plugin::host::Kv as _;
    let mut host = host(Licence::X20Advanced);
    host.add_context(Context::Group("other".into()), &[("ana", Relation::Member)]);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let group = Context::Group("g".into());
    let (_, room) = start(&mk, &["ana"]);
    let now = host.now.get();
    mk.on_recording(upload(&room, "s1", now)).unwrap();
    mk.on_recording(upload(&room, "s2", now + 1)).unwrap();
    let names = |mk: &Meetkit| {
        mk.list_recordings(&group, 0, 200).unwrap().items.into_iter().map(|r| r.url).collect::<Vec<_>>()
    };
    let newest_first = ["https://storage.example/s2.mp4", "https://storage.example/s1.mp4"];
    assert_eq!(names(&mk), newest_first);
    assert!(mk.list_recordings(&Context::Group("other".into()), 0, 20).unwrap().items.is_empty());
    // A mistyped context is refused, not shown as one without recordings.
    assert!(matches!(
        mk.list_recordings(&Context::Group("othre".into()), 0, 20),
        Err(MeetError::UnknownContext(_))
    ));
    assert!(matches!(
        mk.list_recordings(&Context::CallRequest("r-none".into()), 0, 20),
        Err(MeetError::NotFound(_))
    ));
    assert!(matches!(
        mk.list_recordings(&Context::Appointment("a-none".into()), 0, 20),
        Err(MeetError::NotFound(_))
    ));

    // As a store written before the indexes existed.
    let week = format!("index/recordings-in-week/{}/group:g", now.div_euclid(7 * 24 * 3_600_000));
    for key in ["index/recording-weeks/group:g", &week, "index/recordings-of-contexts-complete"] {
        kv.delete(key).unwrap();
    }
    mk.on_recording(upload(&room, "s3", now + 2)).unwrap();
    assert_eq!(names(&mk).len(), 3, "the rebuilt index keeps the earlier recordings");
    assert!(kv.get("index/recording-weeks/group:g").unwrap().is_some());
    // From then on, a context without recordings is not looked for among the records.
    let listed = kv.listings.get();
    assert!(mk.list_recordings(&Context::Group("other".into()), 0, 20).unwrap().items.is_empty());
    assert_eq!(kv.listings.get(), listed, "no key was listed");
}
