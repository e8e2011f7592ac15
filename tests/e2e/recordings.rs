//! Recordings through the built component: the whole story on X20, refusal on X19,
//! deletion at 24 hours, flags, and host copies downloaded from a stand-in for JaaS storage.

use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::messaging::PageSignal;
use meetkit_host::bindings::recordings::{RecordingEvent, RecordingFile, RecordingSignal, RecordingUpload};
use meetkit_host::bindings::types::{Context, Error};
use meetkit_host::effects::Effect;
use meetkit_host::erp::LicenceName;
use meetkit_host::hostdb::HostDb;
use meetkit_host::views;
use meetkit_host::{Harness, HarnessOptions, PlatformHost};
use meetkit_tests::storage::Storage;
use meetkit_tests::{T0, World, ok, refused};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// Every recording of `context`, newest first: one page holds them all here.
fn recordings_of(host: &PlatformHost<'_>, context: &Context) -> Vec<RecordingFile> {
    let (page, _) = ok(host.list_recordings(context, 0, 200).unwrap());
    assert_eq!(page.total as usize, page.items.len());
    page.items
}

fn sales_meeting(erp: &PlatformHost<'_>) -> (String, String) {
    let sel: Vec<String> = ["ana", "ben"].iter().map(|s| s.to_string()).collect();
    let (started, _) = ok(erp.start_meeting(&Context::Group("sales".into()), "ana", &sel).unwrap());
    ok(erp.join_meeting(&started.meeting.id, "ben", EntryPoint::ChatLink).unwrap());
    (started.meeting.id, started.meeting.room)
}

fn upload(room: &str, session: &str, link: &str, initiator: &str, at: i64) -> RecordingEvent {
    RecordingEvent::Uploaded(RecordingUpload {
        room: room.into(),
        link: link.into(),
        initiator: Some(initiator.into()),
        session_id: session.into(),
        duration_secs: 600,
        started_at: at - 600_000,
        ended_at: at,
        uploaded_at: at,
    })
}

fn voice(effects: &[Effect], user: &str) -> Vec<String> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Signal { user: u, signal: PageSignal::VoiceCue(c) } if u == user => Some(c.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn the_whole_recording_story_on_x20() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (meeting, room) = sales_meeting(&erp);

    let signal = |by: &str| RecordingSignal { room: room.clone(), at: T0, by: Some(by.into()) };
    let (started, effects) = ok(erp.on_recording(&RecordingEvent::Started(signal("ana"))).unwrap());
    assert!(started.changed && started.flagged.is_none());
    for user in ["ana", "ben"] {
        let toasts: Vec<String> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Toast { user: u, toast } if u == user => Some(toast.text.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(toasts, ["Recording is being prepared", "Link is generated"]);
        assert_eq!(voice(&effects, user), ["Recording is on"]);
    }
    assert!(ok(erp.get_meeting(&meeting).unwrap()).0.recording);
    let (_, effects) = ok(erp.on_recording(&RecordingEvent::Stopped(signal("ana"))).unwrap());
    assert_eq!(voice(&effects, "ben"), ["Recording has stopped"]);
    assert!(!ok(erp.get_meeting(&meeting).unwrap()).0.recording);

    // The upload becomes a link file named with the meeting's date and time.
    let (out, effects) =
        ok(erp.on_recording(&upload(&room, "s-1", "https://rec.example/1.mp4", "ana", T0)).unwrap());
    let file = out.file.unwrap();
    assert_eq!(file.name, "Meeting 2026-11-23 11.00.00 EET.mp4");
    assert_eq!(file.expires_at, T0 + 24 * 3600 * 1000);
    let files = views::files(&w.harness.db().effects("erp").unwrap(), &sales);
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].item.name.as_str(), files[0].item.url.as_str()),
        (file.name.as_str(), "https://rec.example/1.mp4")
    );
    let comment = effects
        .iter()
        .find_map(|e| match e {
            Effect::Comment { context, comment } if *context == sales => Some(comment.clone()),
            _ => None,
        })
        .expect("the upload is announced in the chat");
    assert_eq!(
        comment.text,
        format!(
            "The recording of the meeting is uploaded: {}; download it before 2026-11-24 11:00 EET, when it is deleted.",
            file.name
        ),
        "the chat says until when JaaS keeps it"
    );
    assert_eq!(comment.link.unwrap().url, format!("meet/recording/{}", file.id));
    assert_eq!(ok(erp.download_recording(&file.id, "ben").unwrap()).0, "https://rec.example/1.mp4");
    assert!(matches!(refused(erp.download_recording(&file.id, "dev").unwrap()), Error::NotAParticipant(_)));

    // A second recording of the same meeting gets its own name; a repeated upload changes nothing.
    let (second, _) =
        ok(erp.on_recording(&upload(&room, "s-2", "https://rec.example/2.mp4", "ben", T0)).unwrap());
    assert_eq!(second.file.unwrap().name, "Meeting 2026-11-23 11.00.00 EET (2).mp4");
    let (again, effects) =
        ok(erp.on_recording(&upload(&room, "s-1", "https://rec.example/1.mp4", "ana", T0)).unwrap());
    assert!(!again.changed && effects.is_empty());

    // 24 hours later the files are deleted and a download says "expired".
    w.clock.advance(DAY - Duration::from_millis(1)).unwrap();
    assert!(ok(erp.tick().unwrap()).0.deleted_files.is_empty());
    w.clock.advance(Duration::from_millis(1)).unwrap();
    let (report, _) = ok(erp.tick().unwrap());
    assert_eq!(report.deleted_files.len(), 2);
    assert!(report.postponed.is_empty(), "{:?}", report.postponed);
    assert!(views::files(&w.harness.db().effects("erp").unwrap(), &sales).is_empty());
    match refused(erp.download_recording(&file.id, "ben").unwrap()) {
        Error::Expired(m) => assert!(m.contains("24 hours"), "{m}"),
        other => panic!("expected expired, got {other:?}"),
    }
    let listed = recordings_of(&erp, &sales);
    assert!(listed.iter().all(|r| r.deleted));
    assert!(ok(erp.tick().unwrap()).0.deleted_files.is_empty(), "deleted once");

    // A context with no recordings that does not exist is refused, not listed as empty.
    let nowhere = refused(erp.list_recordings(&Context::Group("nope".into()), 0, 20).unwrap());
    assert!(matches!(nowhere, Error::UnknownContext(_)), "{nowhere:?}");
    let nowhen = refused(erp.list_recordings(&Context::Appointment("a-none".into()), 0, 20).unwrap());
    assert!(matches!(nowhen, Error::NotFound(_)), "{nowhen:?}");
}

#[test]
fn recording_is_refused_on_x19_and_changes_nothing() {
    let w = World::new();
    let mut world = w.harness.erp_world().unwrap();
    world.licence = LicenceName::X19;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let before = w.snapshot();
    let e = refused(
        erp.on_recording(&RecordingEvent::Started(RecordingSignal { room: room.clone(), at: T0, by: None }))
            .unwrap(),
    );
    assert!(matches!(e, Error::LicenceForbids(_)));
    let e = refused(erp.on_recording(&upload(&room, "s", "https://rec.example/x.mp4", "ana", T0)).unwrap());
    assert!(matches!(e, Error::LicenceForbids(_)));
    assert_eq!(before, w.snapshot());
    assert!(
        views::files(&w.harness.db().effects("erp").unwrap(), &Context::Group("sales".into())).is_empty()
    );
}

#[test]
fn a_recording_by_someone_not_allowed_is_flagged() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sel: Vec<String> = ["dev", "erik"].iter().map(|s| s.to_string()).collect();
    let (started, _) = ok(erp.start_meeting(&Context::Group("partners".into()), "dev", &sel).unwrap());
    let (out, effects) = ok(erp
        .on_recording(&upload(&started.meeting.room, "s-e", "https://rec.example/e.mp4", "erik", T0))
        .unwrap());
    assert!(out.flagged.as_deref().unwrap().contains("external"));
    assert!(out.file.unwrap().flagged);
    assert!(effects.iter().any(|e| matches!(e, Effect::Flag { .. })));
    assert_eq!(views::flags(&w.harness.db().effects("erp").unwrap()).len(), 1);
}

/// "It is stored in tab Files of the Group or the record ... A system comment announces
/// the upload of the File too": a meeting of a case records into the case, and the file
/// is for the users of the case.
#[test]
fn a_recording_of_a_case_meeting_goes_to_the_cases_files_and_chat() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let case = Context::Case("CASE-1042".into());
    let sel: Vec<String> = ["ana", "ben"].iter().map(|s| s.to_string()).collect();
    let (started, _) = ok(erp.start_meeting(&case, "ana", &sel).unwrap());
    ok(erp.join_meeting(&started.meeting.id, "ben", EntryPoint::Toaster).unwrap());
    let link = "https://rec.example/case.mp4";
    let (out, _) = ok(erp.on_recording(&upload(&started.meeting.room, "s-case", link, "ana", T0)).unwrap());
    assert!(out.changed && out.flagged.is_none(), "{out:?}");
    let file = out.file.unwrap();
    assert_eq!(file.context, case);

    let log = w.harness.db().effects("erp").unwrap();
    let files = views::files(&log, &case);
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].item.name.as_str(), files[0].item.url.as_str()),
        ("Meeting 2026-11-23 11.00.00 EET.mp4", link)
    );
    assert!(views::files(&log, &Context::Group("sales".into())).is_empty());
    let chat = views::chat(&log, &case);
    let comment = &chat.last().expect("the case's chat").item;
    assert_eq!(
        comment.text,
        "The recording of the meeting is uploaded: Meeting 2026-11-23 11.00.00 EET.mp4; \
         download it before 2026-11-24 11:00 EET, when it is deleted."
    );
    assert_eq!(comment.link.as_ref().unwrap().url, format!("meet/recording/{}", file.id));

    assert_eq!(ok(erp.download_recording(&file.id, "ben").unwrap()).0, link);
    // The download is for the users of the case, not only for those who were in the
    // meeting: Erik is tagged on it.
    assert_eq!(ok(erp.download_recording(&file.id, "erik").unwrap()).0, link);
    // Dev does not follow the case; Chloé has no relation to it.
    for user in ["dev", "chloe"] {
        let e = refused(erp.download_recording(&file.id, user).unwrap());
        assert!(matches!(e, Error::NotAParticipant(_)), "{user}: {e:?}");
    }
    assert!(matches!(refused(erp.download_recording(&file.id, "ghost").unwrap()), Error::UnknownUser(_)));
}

/// "Recording is available and can be initiated by internal users": a recording JaaS
/// reports started by an external user is flagged to the administrators, once.
#[test]
fn a_recording_started_by_an_external_user_is_flagged_to_the_administrators() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sel: Vec<String> = ["dev", "erik"].iter().map(|s| s.to_string()).collect();
    let (started, _) = ok(erp.start_meeting(&Context::Group("partners".into()), "dev", &sel).unwrap());
    let id = started.meeting.id.clone();
    ok(erp.join_meeting(&id, "erik", EntryPoint::ChatLink).unwrap());
    let signal = RecordingSignal { room: started.meeting.room.clone(), at: T0, by: Some("erik".into()) };
    let (out, effects) = ok(erp.on_recording(&RecordingEvent::Started(signal.clone())).unwrap());
    assert!(out.changed);
    let reason = out.flagged.expect("flagged");
    assert!(reason.contains("Erik Lund") && reason.contains("external"), "{reason}");
    assert!(effects.iter().any(|e| matches!(e, Effect::Flag { .. })), "{effects:?}");
    // JaaS records all the same: those in the meeting hear that it is on.
    assert!(ok(erp.get_meeting(&id).unwrap()).0.recording);
    assert_eq!(voice(&effects, "dev"), ["Recording is on"]);
    let flagged = views::flags(&w.harness.db().effects("erp").unwrap());
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].item.context, "group:partners");
    assert_eq!(flagged[0].item.text, format!("A recording was started in meeting {id}: {reason}."));

    // The same start reported again tells the administrators nothing more.
    let (again, _) = ok(erp.on_recording(&RecordingEvent::Started(signal)).unwrap());
    assert!(!again.changed && again.flagged.is_none());
    assert_eq!(views::flags(&w.harness.db().effects("erp").unwrap()).len(), 1);
}

/// A scheduled meeting's recording goes to those who may manage the meeting: its host
/// and colleagues who share a group with the host, not to anyone else.
#[test]
fn a_scheduled_meetings_recording_is_for_those_who_may_manage_it() {
    use meetkit_host::bindings::overview::Attendee;
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = meetkit_tests::anas_intake_at_noon(&erp, 30);
    let start = a.start.unwrap();
    w.clock.set(start).unwrap();
    let (ticket, _) = ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    let link = "https://rec.example/intake.mp4";
    let (out, _) = ok(erp.on_recording(&upload(&ticket.room, "s-a", link, "ana", start + 600_000)).unwrap());
    let file = out.file.expect("the recording is saved");
    for colleague in ["ana", "ben", "dev"] {
        assert_eq!(ok(erp.download_recording(&file.id, colleague).unwrap()).0, link, "{colleague}");
    }
    assert!(matches!(refused(erp.download_recording(&file.id, "fatima").unwrap()), Error::Forbidden(_)));
    assert!(out.flagged.is_none(), "its host recorded it");
    // The meeting's page shows it, as a record's Files would, with its announcement.
    let base = w.serve();
    let page = ureq::get(&format!("{base}/meet/appointment/{}?as=ben", a.id))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(page.contains(&format!(r#"<a href="{link}">{}</a>"#, file.name)), "{page}");
    assert!(page.contains("Chat:"), "{page}");
    // Its announcement's Download leads through the platform, which asks the component.
    let download = format!("meet/recording/{}?as=ben", file.id);
    assert!(page.contains(&format!(r#"href="../../{download}""#)), "{page}");
    let agent: ureq::Agent =
        ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
    let sent = agent.get(&format!("{base}/{download}")).call().unwrap();
    assert_eq!((sent.status().as_u16(), sent.headers()["location"].to_str().unwrap()), (303, link));
    let stranger = agent.get(&format!("{base}/meet/recording/{}?as=fatima", file.id)).call().unwrap();
    assert_eq!(stranger.status().as_u16(), 403, "not one who may manage the meeting");
    // Its parties are its host and guests: a colleague, who may not enter the room, is
    // flagged for recording in it, as someone the platform does not know is.
    for (stranger, session) in [("ben", "s-b"), ("nobody", "s-n")] {
        let event = upload(&ticket.room, session, link, stranger, start + 700_000);
        let flagged = ok(erp.on_recording(&event).unwrap()).0.flagged.expect("flagged");
        assert!(flagged.contains("may not record"), "{flagged}");
    }
    let flagged =
        |who: &str| ok(erp.on_recording(&upload(&ticket.room, who, link, who, start)).unwrap()).0.flagged;
    assert!(flagged(&format!("guest-{}", a.id)).unwrap().contains("may not record"), "guests do not record");
    assert!(flagged("ben").unwrap().contains("neither the host nor a guest"));
}

/// An upload the store cut short after its record was written is finished by JaaS's
/// retry: the chat hears of it then, once, and the copy is asked for.
#[test]
fn a_retried_upload_finishes_what_a_failure_left_undone() {
    let (w, store) = meetkit_tests::World::faulty();
    keep_copies_for(&w, 48);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let event = upload(&room, "s-cut", "https://rec.example/cut.mp4", "ana", T0);
    store.fail_writes_under(Some("index/recordings-in-week/"));
    // The file was saved before the failure: that much the platform was told, and is true.
    let failed = erp.on_recording(&event).unwrap();
    assert!(matches!(failed.value, Err(Error::StoreFailure(_))), "{:?}", failed.value);
    store.fail_writes_under(None);
    let comments =
        |effects: &[Effect]| effects.iter().filter(|e| matches!(e, Effect::Comment { .. })).count();
    // JaaS retries later: at once, it would be taken for a delivery at the same moment.
    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (again, effects) = ok(erp.on_recording(&event).unwrap());
    assert!(!again.changed, "the recording was saved the first time");
    assert_eq!(comments(&effects), 1, "{effects:?}");
    assert!(effects.iter().any(|e| matches!(e, Effect::Archive { .. })), "{effects:?}");
    assert_eq!(recordings_of(&erp, &Context::Group("sales".into())).len(), 1);
    // A third delivery announces nothing more.
    let (_, effects) = ok(erp.on_recording(&event).unwrap());
    assert_eq!(comments(&effects), 0);
}

/// The platform owes a copy from the moment the component asks for it, before the call
/// returns: a process that dies before logging the call's effects has not lost it.
#[test]
fn a_copy_is_owed_before_the_call_that_asks_for_it_returns() {
    let w = World::new();
    keep_copies_for(&w, 48);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    // As if the process stopped right after the call: its effects are never logged.
    let quiet = erp.unlogged();
    let event = upload(&room, "s-q", "https://rec.example/q.mp4", "ana", T0);
    ok(quiet.on_recording(&event).unwrap());
    assert!(
        views::chat(&w.harness.db().effects("erp").unwrap(), &Context::Group("sales".into()))
            .iter()
            .all(|c| !c.item.text.contains("uploaded"))
    );
    let owed = w.harness.db().owed_copies("erp").unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!((owed[0].recording.as_str(), owed[0].url.as_str()), ("rec-s-q", "https://rec.example/q.mp4"));
}

#[test]
fn the_host_keeps_a_copy_beyond_24_hours_and_retries_a_failed_download() {
    let w = World::new();
    let mut world = w.harness.erp_world().unwrap();
    world.recordings.keep_copies = true;
    world.recordings.retention_hours = 72;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let storage = Storage::start(b"fake mp4 bytes".to_vec(), 2);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let (out, effects) =
        ok(erp.on_recording(&upload(&room, "s-k", &storage.url("k.mp4"), "ana", T0)).unwrap());
    let rec = out.file.unwrap();
    assert_eq!(rec.kept_until, Some(T0 + 72 * 3600 * 1000));

    assert!(effects.iter().any(|e| matches!(e, Effect::Archive { recording, .. } if *recording == rec.id)));
    let archiver = w.harness.archiver().with_retries(4, Duration::from_millis(20));
    let round = erp.keep_copies(&archiver).unwrap();
    assert_eq!(round.copied, vec![rec.id.clone()]);
    assert!(round.owed.is_empty() && w.harness.db().owed_copies("erp").unwrap().is_empty());
    assert_eq!(storage.requests(), 3, "two failures, then the download");
    let path = archiver.path_for(&rec.id);
    assert_eq!(std::fs::read(&path).unwrap(), b"fake mp4 bytes");

    // After JaaS's 24 hours the file in Files leads to the host's copy.
    w.clock.advance(DAY).unwrap();
    let (report, _) = ok(erp.tick_and_release().unwrap());
    assert!(report.deleted_files.is_empty());
    // The platform serves its copy at its public address.
    let public = &w.harness.config().platform.public_address;
    let key = archiver.key_for(&rec.id).unwrap();
    let location = format!("{public}recordings/{}.mp4?key={key}", rec.id);
    assert_eq!(ok(erp.download_recording(&rec.id, "ben").unwrap()).0, location);
    let files = views::files(&w.harness.db().effects("erp").unwrap(), &Context::Group("sales".into()));
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].item.url, location);
    let served = w.serve();
    let fetch = |file: &str| ureq::get(&format!("{served}/recordings/{file}")).call();
    let copy = format!("{}.mp4?key={key}", rec.id);
    let mut got = fetch(&copy).unwrap();
    assert_eq!(got.headers()["content-type"], "video/mp4");
    assert_eq!(got.headers()["cache-control"], "no-store", "the key is in the address");
    // A click downloads it at once, under the name Files shows (with its date and time).
    let plain = rec.name.replace(|c: char| !c.is_ascii_graphic() && c != ' ', "_");
    let disposition = got.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"{plain}\"; filename*=UTF-8''")),
        "{disposition}"
    );
    assert!(rec.name.starts_with("Meeting 2026-") && rec.name.ends_with(".mp4"), "{}", rec.name);
    assert_eq!(got.body_mut().read_to_vec().unwrap(), b"fake mp4 bytes");
    // A player seeks: a range is answered with just those bytes.
    let mut part =
        ureq::get(&format!("{served}/recordings/{copy}")).header("Range", "bytes=5-7").call().unwrap();
    assert_eq!(part.status().as_u16(), 206);
    assert_eq!(part.body_mut().read_to_vec().unwrap(), b"mp4");
    // A range past the end is cut at the end; one it cannot read, or several, are
    // ignored and the whole copy sent; one that starts past the end cannot be served.
    let ranged = |range: &str| {
        let mut got = ureq::get(&format!("{served}/recordings/{copy}"))
            .header("Range", range)
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        (got.status().as_u16(), got.body_mut().read_to_vec().unwrap())
    };
    assert_eq!(ranged("bytes=5-99"), (206, b"mp4 bytes".to_vec()));
    assert_eq!(ranged("bytes=5-99999999999999999999999"), (206, b"mp4 bytes".to_vec()));
    assert_eq!(ranged("bytes=05-007"), (206, b"mp4".to_vec()));
    assert_eq!(ranged("bytes=-010"), (206, b" mp4 bytes".to_vec()));
    for ignored in ["garbage", "bytes=0-1,5-6", "bytes=7-5", "items=0-1", "bytes=-100", "bytes=-0"] {
        assert_eq!(ranged(ignored), (200, b"fake mp4 bytes".to_vec()), "{ignored}");
    }
    assert_eq!(ranged("bytes=14-").0, 416);
    let head = ureq::head(&format!("{served}/recordings/{copy}")).call().unwrap();
    assert_eq!(head.headers()["content-length"], "14");
    assert!(fetch("..%2Fmeetkit.toml").is_err() && fetch("nope.mp4").is_err(), "only copies are served");
    // Knowing the recording's id is not enough: the key is the platform's to hand out.
    assert!(fetch(&format!("{}.mp4", rec.id)).is_err());
    assert!(fetch(&format!("{}.mp4?key={}", rec.id, "0".repeat(32))).is_err());

    // At the end of the retention the copy is released and deleted.
    w.clock.advance(2 * DAY).unwrap();
    let call = erp.tick_and_release().unwrap();
    assert_eq!(call.value.unwrap().released_copies, vec![rec.id.clone()]);
    assert!(!path.exists());
    assert!(fetch(&copy).is_err(), "released: no longer served");
    assert!(matches!(refused(erp.download_recording(&rec.id, "ben").unwrap()), Error::Expired(_)));
}

fn keep_copies_for(w: &World, hours: u32) {
    let mut world = w.harness.erp_world().unwrap();
    world.recordings.keep_copies = true;
    world.recordings.retention_hours = hours;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
}

fn flags(effects: &[Effect]) -> Vec<&str> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Flag { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// Recordings of many weeks, delivered in no particular order, are listed newest first
/// across the weeks, each once, with the total; another context's are not among them.
#[test]
fn a_contexts_recordings_of_many_weeks_are_listed_newest_first() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (_, room) = sales_meeting(&erp);
    // Forty hours apart, over eleven weeks; delivered in a scrambled order.
    let at = |i: i64| T0 - (44 - i) * 40 * 3_600_000;
    for n in 0..45 {
        let i = n * 17 % 45;
        let link = format!("https://rec.example/{i}.mp4");
        ok(erp.on_recording(&upload(&room, &format!("s-{i}"), &link, "ana", at(i))).unwrap());
    }
    let case = Context::Case("CASE-1042".into());
    let sel: Vec<String> = ["ana", "ben"].iter().map(|s| s.to_string()).collect();
    let (other, _) = ok(erp.start_meeting(&case, "ana", &sel).unwrap());
    ok(erp
        .on_recording(&upload(&other.meeting.room, "s-case", "https://rec.example/case.mp4", "ana", at(20)))
        .unwrap());

    let pages: Vec<_> = (0..4).map(|n| ok(erp.list_recordings(&sales, n, 20).unwrap()).0).collect();
    assert!(pages.iter().all(|p| p.total == 45), "{:?}", pages.iter().map(|p| p.total).collect::<Vec<_>>());
    let urls: Vec<String> = pages.iter().flat_map(|p| p.items.iter().map(|r| r.url.clone())).collect();
    let newest_first: Vec<String> = (0..45).rev().map(|i| format!("https://rec.example/{i}.mp4")).collect();
    assert_eq!(urls, newest_first);
    let case = recordings_of(&erp, &case);
    assert_eq!(case.iter().map(|r| r.url.as_str()).collect::<Vec<_>>(), ["https://rec.example/case.mp4"]);
}

/// A context's recordings are listed a page at a time, newest first, with the total:
/// the pages together are the whole listing, each recording once; a page past the last
/// is empty, and a page size the listing does not take is refused.
#[test]
fn a_contexts_recordings_are_listed_a_page_at_a_time() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (_, room) = sales_meeting(&erp);
    for i in 0..45 {
        let link = format!("https://rec.example/{i}.mp4");
        ok(erp
            .on_recording(&upload(&room, &format!("s-{i}"), &link, "ana", T0 - 45_000 + i * 1000))
            .unwrap());
    }
    let page = |n: u32| ok(erp.list_recordings(&sales, n, 20).unwrap()).0;
    let pages: Vec<_> = (0..4).map(page).collect();
    assert_eq!(pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(), [20, 20, 5, 0]);
    assert!(pages.iter().all(|p| p.total == 45 && p.page_size == 20));
    let urls: Vec<String> = pages.iter().flat_map(|p| p.items.iter().map(|r| r.url.clone())).collect();
    let newest_first: Vec<String> = (0..45).rev().map(|i| format!("https://rec.example/{i}.mp4")).collect();
    assert_eq!(urls, newest_first);
    // Numbered in order however many the meeting has (it keeps only its latest
    // sessions' ids): the first bare, then (2) to (45).
    let names: Vec<String> = pages.iter().flat_map(|p| p.items.iter().map(|r| r.name.clone())).collect();
    assert!(!names[44].contains('('), "{names:?}");
    for (n, name) in names.iter().rev().enumerate().skip(1) {
        assert!(name.ends_with(&format!(" ({}).mp4", n + 1)), "{names:?}");
    }
    // A retried delivery of a session is no new recording.
    let again = upload(&room, "s-3", "https://rec.example/3.mp4", "ana", T0 - 45_000 + 3_000);
    assert!(!ok(erp.on_recording(&again).unwrap()).0.changed);
    let before = w.snapshot();
    for size in [0, 201] {
        let e = refused(erp.list_recordings(&sales, 0, size).unwrap());
        assert!(matches!(&e, Error::InvalidInput(m) if m.contains("1 to 200")), "{e:?}");
    }
    assert_eq!(before, w.snapshot());
}

/// Processes sharing a data folder make each owed copy once: a copy another process has
/// claimed is left to it, until its claim runs out (that process died).
#[test]
fn a_copy_another_process_is_making_is_not_fetched_again() {
    let w = World::new();
    keep_copies_for(&w, 72);
    let storage = Storage::start(b"one copy".to_vec(), 0);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let recorded = |session: &str, file: &str| {
        let event = upload(&room, session, &storage.url(file), "ana", T0);
        ok(erp.on_recording(&event).unwrap()).0.file.unwrap().id
    };
    let (busy, abandoned) = (recorded("s-a", "a.mp4"), recorded("s-b", "b.mp4"));
    let other = HostDb::open(&w.dir.path().join("platform.db")).unwrap();
    let now = meetkit_host::clock::real_now_ms();
    assert!(other.claim_copy(&busy, i64::MAX, now, now + 3_600_000, "other").unwrap());
    // A process that died an hour ago, its claim run out.
    assert!(other.claim_copy(&abandoned, i64::MAX, now - 7_200_000, now - 3_600_000, "dead").unwrap());

    let round = erp.keep_copies(&w.harness.archiver().trying_once()).unwrap();
    assert_eq!(round.copied, vec![abandoned]);
    assert_eq!(round.owed.iter().map(|o| o.recording.as_str()).collect::<Vec<_>>(), [busy.as_str()]);
    assert_eq!(storage.requests(), 1, "the claimed copy was not fetched");
    assert!(!other.claim_copy(&busy, i64::MAX, now, now + 1, "third").unwrap(), "still the other's");
}

/// A copy's claim is short and renewed while its download goes on, so that a process
/// killed mid-download passes the copy on within minutes, not after the hours its
/// download might have taken: another process cannot take a copy being made however
/// long it takes, and what a download cut short left on disk is cleared by the next.
#[test]
fn a_copy_is_claimed_for_a_short_while_renewed_as_its_download_goes_on() {
    let w = World::new();
    keep_copies_for(&w, 72);
    let storage = Storage::slow(vec![7u8; 1000], Duration::from_millis(1500));
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let event = upload(&room, "s-slow", &storage.url("slow.mp4"), "ana", T0);
    let rec = ok(erp.on_recording(&event).unwrap()).0.file.unwrap().id;
    // What a download killed earlier left behind.
    let archiver = w.harness.archiver().trying_once().with_claim(Duration::from_millis(400));
    std::fs::create_dir_all(archiver.path_for(&rec).parent().unwrap()).unwrap();
    let left = archiver.path_for(&rec).with_file_name(format!("{rec}-{}.part", "ab".repeat(12)));
    std::fs::write(&left, b"cut short").unwrap();

    let other = HostDb::open(&w.dir.path().join("platform.db")).unwrap();
    std::thread::scope(|scope| {
        let copying = scope.spawn(|| erp.keep_copies(&archiver).unwrap());
        let mut seen = 0;
        while !copying.is_finished() {
            std::thread::sleep(Duration::from_millis(50));
            let claimed = other.copy_claimed_until(&rec).unwrap();
            // Read after the claim: a renewal in between cannot push it past the bound.
            let now = meetkit_host::clock::real_now_ms();
            match claimed {
                Some(until) if until > 0 => {
                    assert!(until <= now + 400, "claimed for the claim's length only");
                    assert!(
                        !other.claim_copy(&rec, i64::MAX, now, now + 1, "other").unwrap(),
                        "still claimed"
                    );
                    seen += 1;
                }
                _ => {}
            }
        }
        assert!(seen >= 10, "claimed throughout a download four times the claim's length ({seen})");
        assert_eq!(copying.join().unwrap().copied, std::slice::from_ref(&rec));
    });
    assert_eq!(std::fs::read(archiver.path_for(&rec)).unwrap(), vec![7u8; 1000]);
    assert!(!left.exists(), "the part a killed download left is gone");
}

/// A claim that lapsed while its process stood still is another's once taken: the
/// first process can neither renew it nor record its failure against the copy, nor
/// give it up for the new claimant.
#[test]
fn a_claim_taken_over_is_no_longer_the_first_claimants() {
    let w = World::new();
    keep_copies_for(&w, 72);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let event = upload(&room, "s-t", "https://rec.example/t.mp4", "ana", T0);
    let rec = ok(erp.on_recording(&event).unwrap()).0.file.unwrap().id;
    let db = HostDb::open(&w.dir.path().join("platform.db")).unwrap();
    let now = meetkit_host::clock::real_now_ms();
    assert!(db.claim_copy(&rec, i64::MAX, now - 10_000, now - 5_000, "first").unwrap());
    assert!(db.claim_copy(&rec, i64::MAX, now, now + 60_000, "second").unwrap(), "the lapsed claim is taken");
    assert!(!db.renew_copy_claim(&rec, now + 120_000, "first").unwrap());
    db.copy_failed(&rec, "first", 5, "cut short", now + 3_600_000).unwrap();
    db.unclaim_copy(&rec, "first").unwrap();
    assert_eq!(db.copy_claimed_until(&rec).unwrap(), Some(now + 60_000), "still the second's");
    let owed = &db.owed_copies("erp").unwrap()[0];
    assert_eq!((owed.attempts, owed.last_error.as_deref()), (0, None), "no failure counted");
    assert!(db.renew_copy_claim(&rec, now + 120_000, "second").unwrap());
}

#[test]
fn a_failed_copy_stays_owed_across_a_restart_and_is_made_at_a_later_tick() {
    let w = World::new();
    keep_copies_for(&w, 72);
    // JaaS's storage fails the first two downloads.
    let storage = Storage::start(b"late mp4".to_vec(), 2);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let (out, effects) =
        ok(erp.on_recording(&upload(&room, "s-o", &storage.url("o.mp4"), "ana", T0)).unwrap());
    let rec = out.file.unwrap();
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Comment { comment, .. }
            if comment.text.ends_with("download it before 2026-11-24 11:00 EET, or from the copy the platform \
                is making, kept until 2026-11-26 11:00 EET."))),
        "the chat says how long the platform's copy stays: {effects:?}"
    );
    // Owed from the moment the component asked, before any download is tried.
    assert_eq!(w.harness.db().owed_copies("erp").unwrap()[0].recording, rec.id);
    let once = w.harness.archiver().trying_once();
    let round = erp.keep_copies(&once).unwrap();
    assert!(round.copied.is_empty());
    assert_eq!((round.owed[0].recording.as_str(), round.owed[0].attempts), (rec.id.as_str(), 1));
    assert!(round.owed[0].last_error.as_deref().unwrap().contains("500"), "{:?}", round.owed[0]);

    // The process ends; another one on the same data folder still owes the copy.
    let clock = w.clock.clone();
    let reopened = Harness::open_with(
        HarnessOptions {
            data_dir: w.dir.path().to_path_buf(),
            clock: Some(clock.clone()),
            config: Some(w.harness.config().clone()),
            ..Default::default()
        },
        meetkit_tests::runtime(),
    )
    .unwrap();
    let erp = reopened.erp().unwrap();
    // Two hours before JaaS deletes it, the download fails again: the administrators hear.
    clock.advance(DAY - 2 * HOUR).unwrap();
    let (round, call) = erp.copy_and_tick(&once).unwrap();
    assert_eq!(round.owed[0].attempts, 2);
    let warned = flags(&call.effects);
    assert_eq!(warned.len(), 1);
    assert!(warned[0].contains("has not copied") && warned[0].contains(&rec.name), "{}", warned[0]);
    // The chat, told of a copy kept longer, learns that it has not come, and until when
    // JaaS's own file can be had.
    assert!(
        call.effects.iter().any(|e| matches!(e, Effect::Comment { comment, .. }
            if comment.text.contains("copy of the recording") && comment.text.contains("has not arrived")
                && comment.text.contains("2026-11-24 11:00 EET") && comment.link.is_some())),
        "{:?}",
        call.effects
    );
    // The next tick makes it, in time: after the 24 hours Files leads to the copy.
    clock.advance(HOUR).unwrap();
    let (round, _) = erp.copy_and_tick(&once).unwrap();
    assert_eq!(round.copied, vec![rec.id.clone()]);
    assert!(reopened.db().owed_copies("erp").unwrap().is_empty());
    // The administrators who were warned hear that it came.
    let told = views::flags(&reopened.db().effects("erp").unwrap());
    assert!(told.last().unwrap().item.text.contains("has arrived"), "{told:?}");
    assert!(
        round_effects(&reopened).iter().any(|e| matches!(e, Effect::Comment { comment, .. }
            if comment.text.contains("has arrived") && comment.text.contains("kept until 2026-11-26 11:00 EET"))),
        "the chat, told it had not come, hears that it did"
    );
    clock.advance(HOUR).unwrap();
    let (round, call) = erp.copy_and_tick(&once).unwrap();
    assert!(round.copied.is_empty() && round.owed.is_empty());
    assert!(call.value.unwrap().deleted_files.is_empty());
    let location = ok(erp.download_recording(&rec.id, "ben").unwrap()).0;
    let key = reopened.archiver().key_for(&rec.id).unwrap();
    assert!(location.ends_with(&format!("/recordings/{}.mp4?key={key}", rec.id)), "{location}");
    assert_eq!(std::fs::read(reopened.archiver().path_for(&rec.id)).unwrap(), b"late mp4");
    assert_eq!(storage.requests(), 3);
    // The same copy reported again (a retry, another process) tells nobody again.
    let (again, effects) = ok(erp.recording_archived(&rec.id, &location).unwrap());
    assert_eq!(again.archive.as_deref(), Some(location.as_str()));
    assert!(effects.is_empty(), "{effects:?}");
}

/// Everything the platform's screens have shown, in order.
fn round_effects(h: &Harness) -> Vec<Effect> {
    h.db().effects("erp").unwrap().into_iter().map(|e| e.effect).collect()
}

#[test]
fn a_copy_that_never_arrives_is_flagged_when_jaas_deletes_the_recording() {
    let w = World::new();
    keep_copies_for(&w, 72);
    let storage = Storage::start(Vec::new(), usize::MAX);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let (out, _) = ok(erp.on_recording(&upload(&room, "s-n", &storage.url("n.mp4"), "ana", T0)).unwrap());
    let rec = out.file.unwrap();
    let once = w.harness.archiver().trying_once();
    w.clock.advance(DAY).unwrap();
    let (round, call) = erp.copy_and_tick(&once).unwrap();
    assert_eq!(storage.requests(), 1, "tried once more before the tick");
    assert!(round.owed.is_empty() && round.copied.is_empty(), "the deletion settled it: {round:?}");
    assert_eq!(call.value.as_ref().unwrap().deleted_files, vec![rec.id.clone()]);
    let lost = flags(&call.effects);
    assert!(lost.iter().any(|t| t.contains("never copied") && t.contains(&rec.name)), "{lost:?}");
    assert!(
        call.effects.iter().any(|e| matches!(e, Effect::Comment { comment, .. }
            if comment.text.contains(&rec.name) && comment.text.contains("is gone"))),
        "the chat, promised a copy, hears it never came: {:?}",
        call.effects
    );
    // Nothing is owed any more: JaaS's link leads nowhere.
    assert!(w.harness.db().owed_copies("erp").unwrap().is_empty());
    assert!(matches!(refused(erp.download_recording(&rec.id, "ben").unwrap()), Error::Expired(_)));
    let listed = recordings_of(&erp, &Context::Group("sales".into()));
    assert!(listed[0].deleted && listed[0].kept_until.is_none(), "no copy is kept: {:?}", listed[0]);
    // A copy reported now comes too late.
    let late = erp.recording_archived(&rec.id, "http://127.0.0.1:8080/recordings/late.mp4").unwrap();
    assert!(matches!(refused(late), Error::Expired(_)));
    let views = views::flags(&w.harness.db().effects("erp").unwrap());
    assert!(!views.is_empty());
}

#[test]
fn a_download_that_keeps_failing_is_reported() {
    let w = World::new();
    let storage = Storage::start(b"x".to_vec(), 100);
    let archiver = w.harness.archiver().with_retries(3, Duration::from_millis(10));
    let err = archiver.download("rec-x", &storage.url("x.mp4")).unwrap_err();
    assert!(format!("{err:#}").contains("failed 3 times"), "{err:#}");
    assert_eq!(storage.requests(), 3);
    assert!(!archiver.path_for("rec-x").exists());
}

/// Only a recording settles a copy: an empty body, or a page the storage answered 200
/// (a sign-in page, an object store's error), is a failed download, and the copy stays owed.
#[test]
fn an_empty_body_or_a_page_is_not_a_copy() {
    let w = World::new();
    let archiver = w.harness.archiver().trying_once();
    for (storage, why) in [
        (Storage::start(Vec::new(), 0), "an empty body"),
        (Storage::typed(b"<html>Sign in</html>".to_vec(), "text/html; charset=utf-8"), "answered text/html"),
        (
            Storage::typed(b"<Error>AccessDenied</Error>".to_vec(), "application/xml"),
            "answered application/xml",
        ),
    ] {
        let err = archiver.download("rec-e", &storage.url("e.mp4")).unwrap_err();
        assert!(format!("{err:#}").contains(why), "{err:#}");
        assert!(!archiver.path_for("rec-e").exists());
    }
    assert_eq!(
        std::fs::read_dir(archiver.path_for("rec-e").parent().unwrap()).unwrap().count(),
        0,
        "no part left"
    );
    // MP4's own registered type is a recording.
    let mp4 = Storage::typed(b"mp4 bytes".to_vec(), "application/mp4");
    assert!(archiver.download("rec-e", &mp4.url("e.mp4")).is_ok());
}

/// The week a recording uploaded at `at` is indexed under, as the component keeps them.
fn week_of(at: i64) -> i64 {
    at.div_euclid(7 * 24 * 3_600_000)
}

#[test]
fn a_store_written_before_the_recordings_index_still_lists_every_recording() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (_, room) = sales_meeting(&erp);
    for (i, session) in ["s-1", "s-2"].into_iter().enumerate() {
        let link = format!("https://rec.example/{i}.mp4");
        ok(erp.on_recording(&upload(&room, session, &link, "ana", T0 + i as i64 * 1000)).unwrap());
    }
    let listed = recordings_of(&erp, &sales);
    assert_eq!(listed.len(), 2);

    // As a store written before the indexes existed: the first listing builds them from
    // the records, once.
    let (kv, bucket) = (w.harness.store(), "erp/meetkit");
    let (weeks, week) = (
        "index/recording-weeks/group:sales",
        format!("index/recordings-in-week/{}/group:sales", week_of(T0)),
    );
    for key in [weeks, &week, "index/recordings-of-contexts-complete"] {
        kv.delete(bucket, key).unwrap();
    }
    assert_eq!(recordings_of(&erp, &sales), listed);
    assert!(kv.get(bucket, weeks).unwrap().is_some(), "the index is written again");

    // The next upload joins it, each recording once.
    ok(erp.on_recording(&upload(&room, "s-3", "https://rec.example/3.mp4", "ana", T0 + 5000)).unwrap());
    let after = recordings_of(&erp, &sales);
    assert_eq!(after.len(), 3);
    assert_eq!(after[1..], listed[..], "newest first, none repeated");
}

/// An earlier version kept a context's recordings in one record, read whole by every
/// upload and listing. The first call that touches the context moves them into weeks.
#[test]
fn a_contexts_recordings_in_one_record_of_an_earlier_version_are_moved_into_weeks() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (_, room) = sales_meeting(&erp);
    // Three weeks apart.
    let times = [T0 - 21 * 86_400_000, T0 - 7 * 86_400_000, T0];
    for (i, at) in times.into_iter().enumerate() {
        let link = format!("https://rec.example/{i}.mp4");
        ok(erp.on_recording(&upload(&room, &format!("s-{i}"), &link, "ana", at)).unwrap());
    }
    let listed = recordings_of(&erp, &sales);
    assert_eq!(listed.len(), 3);

    // The store as that version left it: the one record (a layout byte, then each
    // recording's id and upload time, postcard), and no weeks.
    let (kv, bucket) = (w.harness.store(), "erp/meetkit");
    let unsplit = "index/recordings-of/group:sales";
    let entries: Vec<(&str, i64)> = listed.iter().rev().map(|r| (r.id.as_str(), r.uploaded_at)).collect();
    let mut record = vec![1];
    record.extend(postcard::to_allocvec(&entries).unwrap());
    kv.delete(bucket, "index/recording-weeks/group:sales").unwrap();
    for at in times {
        kv.delete(bucket, &format!("index/recordings-in-week/{}/group:sales", week_of(at))).unwrap();
    }
    kv.set(bucket, unsplit, &record).unwrap();

    let page = |n| ok(erp.list_recordings(&sales, n, 2).unwrap()).0;
    assert_eq!((page(0).items, page(0).total), (listed[..2].to_vec(), 3));
    assert_eq!(page(1).items, listed[2..]);
    assert!(kv.get(bucket, unsplit).unwrap().is_none(), "moved, and gone");

    // An upload into a context still in one record moves it too, and joins it once.
    kv.delete(bucket, "index/recording-weeks/group:sales").unwrap();
    kv.set(bucket, unsplit, &record).unwrap();
    ok(erp.on_recording(&upload(&room, "s-9", "https://rec.example/9.mp4", "ana", T0 + 1000)).unwrap());
    let after = recordings_of(&erp, &sales);
    assert_eq!(after[1..], listed[..], "newest first, none repeated");
    assert!(kv.get(bucket, unsplit).unwrap().is_none());
}

/// A file the platform's Files refuses to delete at 24 hours (someone locked it) does
/// not stop the tick: it is reported as postponed, stays listed, and goes at the first
/// tick after Files lets it go.
#[test]
fn a_file_files_refuses_to_delete_is_postponed_to_a_later_tick() {
    let w = World::new();
    let platform = meetkit_tests::platform::Wayward::new(std::sync::Arc::new(w.harness.erp_world().unwrap()));
    let erp = w.harness.platform("erp", platform.clone());
    let sales = Context::Group("sales".into());
    let (_, room) = sales_meeting(&erp);
    let (first, _) =
        ok(erp.on_recording(&upload(&room, "s-1", "https://rec.example/1.mp4", "ana", T0)).unwrap());
    let (second, _) =
        ok(erp.on_recording(&upload(&room, "s-2", "https://rec.example/2.mp4", "ben", T0)).unwrap());
    let (first, second) = (first.file.unwrap(), second.file.unwrap());

    w.clock.advance(DAY).unwrap();
    platform.refuse_deletes(true);
    let (report, _) = ok(erp.tick().unwrap());
    assert!(report.deleted_files.is_empty(), "{report:?}");
    assert_eq!(report.postponed.len(), 2, "{report:?}");
    assert!(report.postponed.iter().any(|p| p.starts_with(&first.id) && p.contains("locked")), "{report:?}");
    assert_eq!(views::files(&w.harness.db().effects("erp").unwrap(), &sales).len(), 2, "both files remain");
    let listed = recordings_of(&erp, &sales);
    assert!(listed.iter().all(|r| !r.deleted), "{listed:?}");

    platform.refuse_deletes(false);
    w.clock.advance(HOUR).unwrap();
    let (report, _) = ok(erp.tick().unwrap());
    let mut deleted = report.deleted_files.clone();
    deleted.sort();
    let mut expected = vec![first.id.clone(), second.id.clone()];
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(report.postponed.is_empty(), "{report:?}");
    assert!(views::files(&w.harness.db().effects("erp").unwrap(), &sales).is_empty());
    assert!(ok(erp.tick().unwrap()).0.deleted_files.is_empty(), "deleted once");
}

/// Two deliveries of one upload that arrive together save one recording and tell the
/// chat once.
#[test]
fn two_deliveries_of_an_upload_at_once_announce_it_once() {
    for round in 0..8 {
        let w = World::new();
        let erp = w.harness.erp().unwrap();
        let (_, room) = sales_meeting(&erp);
        let event = upload(&room, "s-twice", "https://rec.example/twice.mp4", "ana", T0);
        let barrier = std::sync::Barrier::new(2);
        let effects: Vec<Vec<Effect>> = std::thread::scope(|s| {
            let deliveries: Vec<_> = (0..2)
                .map(|_| {
                    let (h, event, barrier) = (&w.harness, &event, &barrier);
                    s.spawn(move || {
                        let erp = h.erp().unwrap();
                        barrier.wait();
                        let call = erp.on_recording(event).unwrap();
                        // The one that finds the other announcing is told to come again.
                        match call.value {
                            Ok(_) => call.effects,
                            Err(Error::Unavailable(_)) => Vec::new(),
                            Err(e) => panic!("{e:?}"),
                        }
                    })
                })
                .collect();
            deliveries.into_iter().map(|d| d.join().unwrap()).collect()
        });
        let comments = effects.iter().flatten().filter(|e| matches!(e, Effect::Comment { .. })).count();
        assert_eq!(comments, 1, "round {round}: {effects:?}");
        // The delivery that lost withdraws the file it saved.
        assert_eq!(
            views::files(&w.harness.db().effects("erp").unwrap(), &Context::Group("sales".into())).len(),
            1
        );
        assert_eq!(recordings_of(&erp, &Context::Group("sales".into())).len(), 1);
    }
}

/// An upload whose announcement the platform could not keep (its database down) fails,
/// so that JaaS delivers it again; the next delivery announces it and asks for the copy,
/// and a later one announces nothing more.
#[test]
fn an_upload_the_platform_could_not_show_is_announced_by_the_next_delivery() {
    let w = World::new();
    keep_copies_for(&w, 48);
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let event = upload(&room, "s-down", "https://rec.example/down.mp4", "ana", T0);
    let sales = Context::Group("sales".into());
    let chat = || views::chat(&w.harness.db().effects("erp").unwrap(), &sales).len();
    let before = chat();
    w.platform_refuses(Some("comment"));
    let failed = erp.on_recording(&event);
    assert!(failed.is_err(), "the call fails when its announcement cannot be kept");
    w.platform_refuses(None);
    assert_eq!(chat(), before, "nothing was announced");
    assert!(w.harness.db().owed_copies("erp").unwrap().is_empty());

    // Delivered again at once, it is taken for a delivery at the same moment as the first,
    // which may be announcing: JaaS is told to deliver it again later, and does.
    assert!(matches!(refused(erp.on_recording(&event).unwrap()), Error::Unavailable(_)));
    w.clock.advance(Duration::from_secs(10)).unwrap();
    let (again, effects) = ok(erp.on_recording(&event).unwrap());
    let files = views::files(&w.harness.db().effects("erp").unwrap(), &sales);
    assert_eq!(files.len(), 1, "one link in Files");
    assert_eq!(again.file.unwrap().name, files[0].item.name);
    assert!(effects.iter().any(|e| matches!(e, Effect::Comment { .. })), "{effects:?}");
    assert_eq!(chat(), before + 1);
    assert_eq!(w.harness.db().owed_copies("erp").unwrap().len(), 1, "the copy is owed");
    let (_, effects) = ok(erp.on_recording(&event).unwrap());
    assert!(!effects.iter().any(|e| matches!(e, Effect::Comment { .. })), "announced once: {effects:?}");
}

/// A link Files could not keep is not written later: the next delivery saves the one
/// link the recording has.
#[test]
fn a_link_files_refused_is_not_saved_behind_the_components_back() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let event = upload(&room, "s-files", "https://rec.example/files.mp4", "ana", T0);
    let sales = Context::Group("sales".into());
    w.platform_refuses(Some("file-saved"));
    assert!(matches!(refused(erp.on_recording(&event).unwrap()), Error::HostFailure(_)));
    w.platform_refuses(None);
    ok(erp.tick().unwrap());
    assert!(views::files(&w.harness.db().effects("erp").unwrap(), &sales).is_empty());
    ok(erp.on_recording(&event).unwrap());
    assert_eq!(views::files(&w.harness.db().effects("erp").unwrap(), &sales).len(), 1);
}

/// A delivery whose announcement a failure cut short, repeated only after the recording
/// was deleted at 24 hours, announces nothing: the chat does not hear of a file that is gone.
#[test]
fn a_repeated_upload_of_a_deleted_recording_announces_nothing() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let event = upload(&room, "s-old", "https://rec.example/old.mp4", "ana", T0);
    // The file is saved, and its announcement cannot be kept.
    w.platform_refuses(Some("comment"));
    assert!(erp.on_recording(&event).is_err());
    w.platform_refuses(None);
    w.clock.advance(DAY).unwrap();
    assert_eq!(ok(erp.tick().unwrap()).0.deleted_files.len(), 1);
    let (again, effects) = ok(erp.on_recording(&event).unwrap());
    assert!(!again.changed && again.file.unwrap().deleted);
    assert!(effects.is_empty(), "{effects:?}");
}

/// Two meetings of one context started within the same minute (a call of two ended and
/// was started again) leave recordings of different names in its Files.
#[test]
fn recordings_of_two_meetings_in_one_minute_have_names_of_their_own() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (first, room) = sales_meeting(&erp);
    ok(erp.leave_meeting(&first, "ben").unwrap());
    w.clock.advance(Duration::from_secs(5)).unwrap();
    let (_, second_room) = sales_meeting(&erp);
    let now = w.clock.now_ms();
    let a = ok(erp.on_recording(&upload(&room, "s-a", "https://rec.example/a.mp4", "ana", now)).unwrap()).0;
    let b =
        ok(erp.on_recording(&upload(&second_room, "s-b", "https://rec.example/b.mp4", "ana", now)).unwrap())
            .0;
    let (a, b) = (a.file.unwrap().name, b.file.unwrap().name);
    assert_eq!(
        (a.as_str(), b.as_str()),
        ("Meeting 2026-11-23 11.00.00 EET.mp4", "Meeting 2026-11-23 11.00.05 EET.mp4")
    );
}

/// JaaS deletes a recording after 24 hours, and its Files entry goes with it: after
/// ticks stopped for a day, a backlog of recordings is worked off twenty a tick, each
/// tick within a call's budget, and every file goes once.
#[test]
fn a_backlog_of_recordings_goes_twenty_a_tick() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let sales = Context::Group("sales".into());
    let (_, room) = sales_meeting(&erp);
    let mut uploaded: Vec<String> = (0..45)
        .map(|i| {
            let link = format!("https://rec.example/{i}.mp4");
            let upload = upload(&room, &format!("s-{i}"), &link, "ana", T0 + i * 1000);
            ok(erp.on_recording(&upload).unwrap()).0.file.unwrap().id
        })
        .collect();
    w.clock.advance(2 * DAY).unwrap();
    let mut deleted = Vec::new();
    for expected in [20, 20, 5, 0] {
        let (report, _) = ok(erp.tick().unwrap());
        assert_eq!(report.deleted_files.len(), expected, "{report:?}");
        // The longest due first, whichever record of the due-list holds it.
        let mut now: Vec<&String> = report.deleted_files.iter().collect();
        now.sort();
        let mut oldest: Vec<&String> = uploaded[deleted.len()..deleted.len() + expected].iter().collect();
        oldest.sort();
        assert_eq!(now, oldest);
        deleted.extend(report.deleted_files);
    }
    deleted.sort();
    uploaded.sort();
    assert_eq!(deleted, uploaded, "every file went once");
    assert!(views::files(&w.harness.db().effects("erp").unwrap(), &sales).is_empty());
}

/// A company reads its recordings' times in its own zone (the example company's is
/// Europe/Sofia, as the tests above show): in New York the file is named after the
/// meeting's start there and the chat gives the deletion time there, each with the zone's
/// abbreviation. A zone the database does not know is refused when the settings are
/// loaded, and the settings before stay.
#[test]
fn recordings_are_named_in_the_companys_time_zone() {
    let w = World::new();
    let mut world = w.harness.erp_world().unwrap();
    world.recordings.time_zone = "America/New_York".into();
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let mut misspelt = world.clone();
    misspelt.recordings.time_zone = "America/New_Yrok".into();
    let e = w.harness.load_erp_world(&toml::to_string(&misspelt).unwrap()).unwrap_err();
    assert!(format!("{e:#}").contains("unknown time zone \"America/New_Yrok\""), "{e:#}");
    assert_eq!(w.harness.erp_world().unwrap().recordings.time_zone, "America/New_York");

    let erp = w.harness.erp().unwrap();
    let (_, room) = sales_meeting(&erp);
    let (out, effects) =
        ok(erp.on_recording(&upload(&room, "s-1", "https://rec.example/1.mp4", "ana", T0)).unwrap());
    let file = out.file.unwrap();
    assert_eq!(file.name, "Meeting 2026-11-23 04.00.00 EST.mp4");
    let announced = effects.iter().any(|e| {
        matches!(e, Effect::Comment { comment, .. }
            if comment.text.ends_with("download it before 2026-11-24 04:00 EST, when it is deleted."))
    });
    assert!(announced, "{effects:?}");
}

/// A recording kept by the host, with its copy made, at JaaS's 24 hours; answers the
/// recording's id, its Files entry, and the platform that may refuse Files' changes.
fn kept_recording_at_24_hours(
    w: &World,
) -> (String, String, std::sync::Arc<meetkit_tests::platform::Wayward>) {
    keep_copies_for(w, 72);
    let platform = meetkit_tests::platform::Wayward::new(std::sync::Arc::new(w.harness.erp_world().unwrap()));
    let erp = w.harness.platform("erp", platform.clone());
    let storage = Storage::start(b"fake mp4 bytes".to_vec(), 0);
    let (_, room) = sales_meeting(&erp);
    let (out, _) = ok(erp.on_recording(&upload(&room, "s-k", &storage.url("k.mp4"), "ana", T0)).unwrap());
    let rec = out.file.unwrap();
    let round = erp.keep_copies(&w.harness.archiver()).unwrap();
    assert_eq!(round.copied, std::slice::from_ref(&rec.id));
    w.clock.advance(DAY).unwrap();
    (rec.id, rec.file_id, platform)
}

/// The URLs of the sales group's Files entries.
fn sales_files(w: &World) -> Vec<String> {
    let log = w.harness.db().effects("erp").unwrap();
    views::files(&log, &Context::Group("sales".into())).into_iter().map(|f| f.item.url).collect()
}

/// Files refusing the entry that leads to the host's copy leaves the recording's entry
/// as it was, never none; the next tick moves it.
#[test]
fn a_move_to_the_copy_files_refuses_leaves_the_entry_in_place() {
    let w = World::new();
    let (id, _, platform) = kept_recording_at_24_hours(&w);
    let erp = w.harness.platform("erp", platform);
    let before = sales_files(&w);
    assert_eq!(before.len(), 1);
    w.platform_refuses(Some("file-saved"));
    let (report, _) = ok(erp.tick().unwrap());
    w.platform_refuses(None);
    assert!(report.postponed.iter().any(|p| p.starts_with(&id)), "{report:?}");
    assert_eq!(sales_files(&w), before, "still there, leading where it did");

    w.clock.advance(HOUR).unwrap();
    let (report, _) = ok(erp.tick().unwrap());
    assert!(report.postponed.is_empty(), "{report:?}");
    let after = sales_files(&w);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0], ok(erp.download_recording(&id, "ben").unwrap()).0, "it leads to the copy");
    assert_ne!(after, before);
}

/// The old entry locked in Files: the new one is taken back (one entry, not two), and the
/// move is made once the lock is lifted.
#[test]
fn a_move_whose_old_entry_is_locked_waits_for_the_lock() {
    let w = World::new();
    let (id, file_id, platform) = kept_recording_at_24_hours(&w);
    let erp = w.harness.platform("erp", platform.clone());
    let before = sales_files(&w);
    platform.lock_file(Some(&file_id));
    let (report, _) = ok(erp.tick().unwrap());
    assert!(report.postponed.iter().any(|p| p.starts_with(&id) && p.contains("locked")), "{report:?}");
    assert_eq!(sales_files(&w), before);

    platform.lock_file(None);
    w.clock.advance(HOUR).unwrap();
    assert!(ok(erp.tick().unwrap()).0.postponed.is_empty());
    assert_eq!(sales_files(&w), [ok(erp.download_recording(&id, "ben").unwrap()).0]);
}

/// Files refusing every deletion (the old entry and the new one taken back alike): the
/// move stands, the administrators are asked to delete the old entry, and later ticks
/// add no entry more.
#[test]
fn a_move_files_cannot_undo_stands_and_asks_the_administrators() {
    let w = World::new();
    let (id, _, platform) = kept_recording_at_24_hours(&w);
    let erp = w.harness.platform("erp", platform.clone());
    platform.refuse_deletes(true);
    let (report, effects) = ok(erp.tick().unwrap());
    assert!(report.postponed.is_empty(), "{report:?}");
    assert!(flags(&effects).iter().any(|f| f.contains("would not delete")), "{effects:?}");
    let copy = ok(erp.download_recording(&id, "ben").unwrap()).0;
    let files = sales_files(&w);
    assert_eq!(files.len(), 2, "the old entry, and the one leading to the copy");
    assert!(files.contains(&copy));
    for _ in 0..3 {
        w.clock.advance(HOUR).unwrap();
        ok(erp.tick().unwrap());
    }
    assert_eq!(sales_files(&w), files, "no entry more");
    // The recording is the entry leading to the copy: the end of the retention takes
    // that one, and the old one is the administrators' to delete.
    platform.refuse_deletes(false);
    w.clock.advance(2 * DAY).unwrap();
    assert_eq!(ok(erp.tick().unwrap()).0.released_copies, [id]);
    let left: Vec<String> = files.into_iter().filter(|f| *f != copy).collect();
    assert_eq!(sales_files(&w), left);
}
