//! JaaS webhooks over real HTTP to the harness's server on loopback: signatures,
//! malformed bodies, duplicates, out-of-order events, and what they change.

use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::presence::PresenceState;
use meetkit_host::bindings::types::{Context, MeetingState};
use meetkit_host::jaas_signature::sign;
use meetkit_host::views;
use meetkit_tests::{World, ok};
use serde_json::{Value, json};

struct Endpoint<'w> {
    world: &'w World,
    url: String,
}

impl Endpoint<'_> {
    fn new(world: &World) -> Endpoint<'_> {
        Endpoint::of(world, "erp")
    }

    fn of<'w>(world: &'w World, platform: &str) -> Endpoint<'w> {
        Endpoint { url: format!("{}/webhooks/jaas/{platform}", world.serve()), world }
    }

    fn now_secs(&self) -> i64 {
        self.world.clock.now_ms() / 1000
    }

    fn secret(&self) -> String {
        self.world.harness.config().webhooks.secret.clone()
    }

    /// Posts `body` with the given signature header (none: no header); returns status and JSON.
    fn post(&self, body: &str, signature: Option<&str>) -> (u16, Value) {
        let mut request = ureq::post(&self.url).header("Content-Type", "application/json");
        if let Some(s) = signature {
            request = request.header("X-Jaas-Signature", s);
        }
        let response = request.config().http_status_as_error(false).build().send(body.as_bytes()).unwrap();
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    fn deliver(&self, body: &Value) -> (u16, Value) {
        let raw = body.to_string();
        self.post(&raw, Some(&sign(&self.secret(), self.now_secs(), raw.as_bytes())))
    }

    fn event(&self, key: &str, event: &str, room: &str, ts: i64, data: Value) -> Value {
        let app = &self.world.harness.config().jaas.app_id;
        json!({
            "idempotencyKey": key, "customerId": "c", "appId": app, "eventType": event, "sessionId": "s",
            "timestamp": ts, "fqn": format!("{app}/{room}"), "data": data
        })
    }
}

fn meeting(w: &World) -> (String, String) {
    let erp = w.harness.erp().unwrap();
    let sel: Vec<String> = ["ana", "ben", "chloe"].iter().map(|s| s.to_string()).collect();
    let (started, _) = ok(erp.start_meeting(&Context::Group("sales".into()), "ana", &sel).unwrap());
    (started.meeting.id, started.meeting.room)
}

/// What `platform`'s administrators were told to look at, oldest first.
fn flags(w: &World, platform: &str) -> Vec<String> {
    let effects = w.harness.db().effects(platform).unwrap();
    effects
        .iter()
        .filter_map(|e| match &e.effect {
            meetkit_host::effects::Effect::Flag { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// John of Acme asks for a call in the CRM and `staff` takes it: the request and the
/// staff member's ticket.
fn johns_call(
    w: &World,
    staff: &str,
) -> (meetkit_host::bindings::call_requests::CallRequest, meetkit_host::bindings::types::JoinTicket) {
    use meetkit_host::bindings::call_requests::{RequestAction, RequestOutcome};
    let crm = w.harness.perfex().unwrap();
    let asked = RequestAction::RequestCall(("acme".into(), "john".into()));
    let RequestOutcome::Requested(r) = ok(crm.handle_request(&asked).unwrap()).0 else {
        panic!("not requested")
    };
    let RequestOutcome::Accepted((_, ticket)) =
        ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), staff.into()))).unwrap()).0
    else {
        panic!("not accepted")
    };
    (r, ticket)
}

impl Endpoint<'_> {
    /// Delivers a participant event of `who` in `room`, and expects it taken.
    fn participant(&self, key: &str, kind: &str, room: &str, at: i64, who: &str) {
        let (status, _) = self.deliver(&self.event(key, kind, room, at, json!({"id": who})));
        assert_eq!(status, 200);
    }
}

#[test]
fn forged_stale_missing_and_malformed_signatures_get_401_and_change_nothing() {
    let w = World::new();
    let (_, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let body =
        ep.event("k1", "PARTICIPANT_JOINED", &room, w.clock.now_ms(), json!({"id": "ben"})).to_string();
    let now = ep.now_secs();
    let before = w.snapshot();
    let forged = sign("whsec_not_the_secret", now, body.as_bytes());
    let stale = sign(&ep.secret(), now - 301, body.as_bytes());
    let other_body = sign(&ep.secret(), now, b"{}");
    for header in [
        None,
        Some("t=1"),
        Some("nonsense"),
        Some(forged.as_str()),
        Some(stale.as_str()),
        Some(other_body.as_str()),
    ] {
        let (status, reply) = ep.post(&body, header);
        assert_eq!(status, 401, "{header:?}: {reply}");
        assert!(reply["error"]["Unauthorized"].is_string(), "{reply}");
    }
    // A stale signature says that this server's clock is virtual: a delivery signed at
    // the real time is refused by it, not by the sender's clock.
    let (_, reply) = ep.post(&body, Some(&stale));
    let why = reply["error"]["Unauthorized"].as_str().unwrap();
    assert!(
        why.contains("301 s in the past") && why.contains("clock is virtual, at 2026-11-23T09:00:00Z"),
        "{why}"
    );
    assert_eq!(before, w.snapshot());
    // Within the tolerance, and with one good v1 among several, it is accepted.
    let good = sign(&ep.secret(), now - 299, body.as_bytes());
    let v1 = good.split_once(",v1=").unwrap().1;
    let (status, _) = ep.post(&body, Some(&format!("t={},v1=AAAA,v1={v1}", now - 299)));
    assert_eq!(status, 200);
}

/// Without a timely signature a delivery is refused before its body is read: nobody
/// without the secret makes the server wait for, or hold, a body. A signed body beyond
/// any delivery's size is refused for good (413), not failed for JaaS to retry.
#[test]
fn a_delivery_is_refused_before_its_body_without_a_signature_and_for_good_when_too_large() {
    use std::io::{Read as _, Write as _};
    let w = World::new();
    let (_, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let address = ep.url.trim_start_matches("http://").split_once('/').unwrap().0.to_string();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
    // Two megabytes announced, none sent.
    let head = "POST /webhooks/jaas/erp HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
                content-length: 2000000\r\n\r\n";
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = [0u8; 512];
    let read = stream.read(&mut answer).expect("answered without the body");
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("connection: close"), "the unread body ends the connection: {answer}");

    let padding = "x".repeat(300 * 1024);
    let body =
        ep.event("big", "SPEAKER_STATS", &room, w.clock.now_ms(), json!({"padding": padding})).to_string();
    let (status, reply) = ep.post(&body, Some(&sign(&ep.secret(), ep.now_secs(), body.as_bytes())));
    assert_eq!(status, 413, "{reply}");
    assert_eq!(reply["error"]["PayloadTooLarge"], "the body is larger than the 256 KiB this address takes");
}

#[test]
fn bodies_that_are_not_deliveries_get_400_and_change_nothing() {
    let w = World::new();
    let (_, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let before = w.snapshot();
    // Each body is wrong in one way only, at a time a delivery may have.
    let now = w.clock.now_ms();
    let mut missing = ep.event("k", "PARTICIPANT_JOINED", &room, now, json!({"id": "ben"}));
    missing.as_object_mut().unwrap().remove("idempotencyKey");
    // Nothing but brackets: refused at once, not after the call's whole budget.
    let deep = ep
        .event("k", "PARTICIPANT_JOINED", &room, now, json!({}))
        .to_string()
        .replace("\"data\":{}", &format!("\"data\":{}{}", "[".repeat(100_000), "]".repeat(100_000)));
    assert!(deep.len() > 200_000);
    // Within the size and the depth, but more values than the call's budget can parse.
    let nest = format!("{}1{}", "[".repeat(28), "]".repeat(28));
    let many = ep
        .event("k", "PARTICIPANT_JOINED", &room, now, json!({"id": "ben"}))
        .to_string()
        .replace("\"id\":\"ben\"", &format!("\"id\":\"ben\",\"junk\":[{}]", vec![nest; 3000].join(",")));
    assert!(many.len() < 256 * 1024 && many.len() > 150_000);
    let upload_between = |start: i64, end: i64| {
        let data = json!({
            "preAuthenticatedLink": "https://rec.example/1.mp4", "initiatorId": "ana",
            "recordingSessionId": "s-1", "startTimestamp": start, "endTimestamp": end,
            "durationSec": 60, "share": true, "participants": []
        });
        ep.event("k", "RECORDING_UPLOADED", &room, now, data).to_string()
    };
    for (body, why) in [
        ("this is not json".to_string(), "not JSON"),
        (missing.to_string(), "idempotencyKey"),
        (ep.event("k", "PARTICIPANT_JOINED", &room, now, json!({"name": "no id"})).to_string(), "id"),
        (
            json!({"idempotencyKey": "k", "eventType": "ROOM_DESTROYED", "timestamp": "noon", "fqn": "a/b", "data": {}})
                .to_string(),
            "timestamp",
        ),
        (deep.clone(), "deeper"),
        (many, "more than 50000 values"),
        // An id no platform gives: kept, it would be shown wherever the meeting is.
        (
            ep.event("k", "PARTICIPANT_JOINED", &room, now, json!({"id": "x".repeat(300)})).to_string(),
            "longer than 256",
        ),
        // Nor one that would split or turn around the lines it is shown in.
        (
            ep.event("k", "PARTICIPANT_JOINED", &room, now, json!({"id": "eve\nben"})).to_string(),
            "control character",
        ),
        (
            ep.event("k", "PARTICIPANT_JOINED", &room, now, json!({"id": "eve\u{202e}nib"})).to_string(),
            "control character",
        ),
        (
            ep.event("k", "PARTICIPANT_JOINED", &room, now, json!({"id": "eve\u{2028}ben"})).to_string(),
            "control character",
        ),
        (
            ep.event("k", "RECORDING_UPLOADED", &room, now, json!({
                "preAuthenticatedLink": "https://rec.example/1.mp4", "initiatorId": "ana\nall clear",
                "recordingSessionId": "s-1", "startTimestamp": now - 60_000, "endTimestamp": now,
                "durationSec": 60, "share": true, "participants": []
            }))
            .to_string(),
            "control character",
        ),
        // A time no event has: stored, it would make every later leave look older.
        (
            ep.event("k", "PARTICIPANT_JOINED", &room, 1 << 62, json!({"id": "ben"})).to_string(),
            "not the time of an event",
        ),
        // Nor a recording's: its start is what the licence is judged by.
        (upload_between(0, now), "the recording's start (0) is not the time of an event"),
        (upload_between(now - 60_000, 4_102_444_800_000), "the recording's end"),
        (upload_between(now, now - 60_000), "ends before it starts"),
    ] {
        let (status, reply) = ep.post(&body, Some(&sign(&ep.secret(), ep.now_secs(), body.as_bytes())));
        assert_eq!(status, 400, "{body:.200}: {reply}");
        let message = reply["error"]["InvalidInput"].as_str().unwrap_or_else(|| panic!("{reply}"));
        assert!(message.contains(why), "{why}: {message}");
    }
    // The endpoint asked with another method answers in the same shape.
    let response = ureq::get(&ep.url).config().http_status_as_error(false).build().call().unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let reply: Value = serde_json::from_str(&response.into_body().read_to_string().unwrap()).unwrap();
    assert!(reply["error"]["MethodNotAllowed"].is_string(), "{reply}");
    // A mistyped platform in the address is told as such, not as a bad signature.
    let typo = Endpoint::of(&w, "ERP");
    let (status, reply) = typo.post("{}", None);
    assert_eq!(status, 404, "{reply}");
    assert!(reply["error"]["NotFound"].as_str().unwrap().contains("ERP"), "{reply}");
    assert_eq!(before, w.snapshot());
}

#[test]
fn participant_events_keep_the_meeting_true_to_jaas_in_any_order_and_once() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let presence = |u: &str| w.presence("erp", u);

    let (status, reply) =
        ep.deliver(&ep.event("j-ben", "PARTICIPANT_JOINED", &room, t + 1, json!({"id": "ben"})));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(true)));
    assert_eq!(presence("ben"), PresenceState::Busy);
    assert_eq!(reply["ok"]["meeting"], id.as_str());
    // The same delivery again: acknowledged, applied once, and of the same meeting.
    let (status, reply) =
        ep.deliver(&ep.event("j-ben", "PARTICIPANT_JOINED", &room, t + 1, json!({"id": "ben"})));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(false)));
    assert_eq!(reply["ok"]["meeting"], id.as_str());
    assert!(reply["ok"]["note"].as_str().unwrap().contains("repeated"), "{reply}");

    // chloe's LEFT arrives before her JOINED: she ends up out.
    ep.deliver(&ep.event(
        "l-chloe",
        "PARTICIPANT_LEFT",
        &room,
        t + 30,
        json!({"id": "chloe", "disconnectReason": "left"}),
    ));
    let (_, reply) =
        ep.deliver(&ep.event("j-chloe", "PARTICIPANT_JOINED", &room, t + 20, json!({"id": "chloe"})));
    assert_eq!(reply["ok"]["applied"], false);
    let erp = w.harness.erp().unwrap();
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.present, ["ana", "ben"]);

    // Unknown event types and rooms are acknowledged and ignored.
    let (status, reply) = ep.deliver(&ep.event("u", "SPEAKER_STATS", &room, t, json!([{"id": "ana"}])));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(false)));
    let (status, _) = ep.deliver(&ep.event("r", "PARTICIPANT_JOINED", "no-such-room", t, json!({"id": "x"})));
    assert_eq!(status, 200);

    // JaaS says ben left: with two in the meeting, it ends.
    let (_, reply) = ep.deliver(&ep.event("l-ben", "PARTICIPANT_LEFT", &room, t + 40, json!({"id": "ben"})));
    assert_eq!(reply["ok"]["applied"], true);
    let m = ok(erp.get_meeting(&id).unwrap()).0;
    assert_eq!(m.state, MeetingState::Ended);
    assert_eq!(presence("ana"), PresenceState::Available);
}

#[test]
fn room_destroyed_ends_the_meeting_and_recordings_arrive_by_webhook() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let erp = w.harness.erp().unwrap();
    ok(erp.join_meeting(&id, "ben", EntryPoint::Toaster).unwrap());
    let t = w.clock.now_ms();
    let conference = json!({"conference": format!("{room}@conference.x.8x8.vc"), "isBreakout": false});
    let (_, reply) = ep.deliver(&ep.event("rs", "RECORDING_STARTED", &room, t, conference.clone()));
    assert_eq!(reply["ok"]["applied"], true);
    let (_, reply) = ep.deliver(&ep.event("rd", "ROOM_DESTROYED", &room, t + 5, conference.clone()));
    assert_eq!(reply["ok"]["applied"], true);
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.state, MeetingState::Ended);
    // The upload comes after the room is gone, as JaaS sends it.
    let upload = json!({
        "preAuthenticatedLink": "https://rec.example/u.mp4", "share": true, "initiatorId": "ana",
        "durationSec": 5, "startTimestamp": t, "endTimestamp": t + 5, "recordingSessionId": "sess-1",
        "participants": [{"id": "ana", "name": "Ana", "avatar": ""}]
    });
    let (status, reply) =
        ep.deliver(&ep.event("ru", "RECORDING_UPLOADED", &room, t + 60_000, upload.clone()));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(true)));
    let files = views::files(&w.harness.db().effects("erp").unwrap(), &Context::Group("sales".into()));
    assert_eq!(files.len(), 1);
    // The same upload under another delivery key is recognised by its session.
    let (_, reply) = ep.deliver(&ep.event("ru-2", "RECORDING_UPLOADED", &room, t + 61_000, upload.clone()));
    assert_eq!(reply["ok"]["applied"], false);
    assert!(reply["ok"]["note"].as_str().unwrap().contains("is known already"), "{reply}");
    let files_of = |context: &str| {
        views::files(&w.harness.db().effects("erp").unwrap(), &Context::Group(context.into())).len()
    };
    assert_eq!(files_of("sales"), 1);
    // The same session in another meeting's room is no repeat: refused, nothing saved.
    let sel = vec!["ana".to_string(), "dev".to_string()];
    let (other, _) = ok(erp.start_meeting(&Context::Group("partners".into()), "ana", &sel).unwrap());
    let (status, reply) =
        ep.deliver(&ep.event("ru-3", "RECORDING_UPLOADED", &other.meeting.room, t + 62_000, upload));
    assert_eq!(status, 400, "{reply}");
    assert!(reply["error"]["InvalidInput"].as_str().unwrap().contains("a recording of meeting"), "{reply}");
    assert_eq!((files_of("sales"), files_of("partners")), (1, 0));
}

/// On X19 an upload JaaS made anyway (the licence changed during the meeting) is kept
/// out of Files; the administrators are told, with the file's link, which JaaS keeps
/// for a day: they may fetch or delete it.
#[test]
fn an_upload_on_x19_is_flagged_with_its_link() {
    let w = World::new();
    let (_, room) = meeting(&w);
    let mut world = w.harness.erp_world().unwrap();
    world.licence = meetkit_host::erp::LicenceName::X19;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let upload = anas_upload("https://rec.example/x19.mp4", "sess-x19", t);
    let (status, reply) = ep.deliver(&ep.event("x19", "RECORDING_UPLOADED", &room, t + 1000, upload));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(false)), "{reply}");
    let effects = w.harness.db().effects("erp").unwrap();
    let flagged = effects.iter().any(|e| {
        matches!(&e.effect, meetkit_host::effects::Effect::Flag { text, .. } if text.contains("https://rec.example/x19.mp4"))
    });
    assert!(flagged, "{effects:?}");
    assert!(views::files(&effects, &Context::Group("sales".into())).is_empty());
}

/// Someone JaaS reports in a group's room who should not be there (an external user
/// holding a ticket from before the licence was lowered to X19, an id the platform does
/// not know, a colleague who is no member of the group) is left in the meeting, and the
/// administrators are told once, however often they reconnect.
#[test]
fn an_outsider_in_the_room_is_flagged_to_the_administrators_once() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let partners = Context::Group("partners".into());
    let sel: Vec<String> = ["ana", "erik"].iter().map(|s| s.to_string()).collect();
    let (started, _) = ok(erp.start_meeting(&partners, "ana", &sel).unwrap());
    let (id, room) = (started.meeting.id, started.meeting.room);
    ok(erp.join_meeting(&id, "erik", EntryPoint::Toaster).unwrap());
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let flags = || flags(&w, "erp");
    let event = |key: &str, kind: &str, who: &str, at: i64| ep.participant(key, kind, &room, at, who);
    event("j-ana", "PARTICIPANT_JOINED", "ana", t + 1);
    assert!(flags().is_empty(), "nobody out of place");

    // Erik's ticket is from X20; he reaches the room once the licence is X19.
    let mut world = w.harness.erp_world().unwrap();
    world.licence = meetkit_host::erp::LicenceName::X19;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    event("j-erik", "PARTICIPANT_JOINED", "erik", t + 2);
    event("j-zed", "PARTICIPANT_JOINED", "zed", t + 3);
    // Ben is a colleague, but no member of the partnership.
    event("j-ben", "PARTICIPANT_JOINED", "ben", t + 4);
    // All three reconnect.
    event("l-erik", "PARTICIPANT_LEFT", "erik", t + 5);
    event("j-erik-2", "PARTICIPANT_JOINED", "erik", t + 6);
    event("j-zed-2", "PARTICIPANT_JOINED", "zed", t + 7);
    event("j-ben-2", "PARTICIPANT_JOINED", "ben", t + 8);
    let flagged = flags();
    assert_eq!(flagged.len(), 3, "{flagged:?}");
    assert!(
        flagged[0].contains("Erik Lund is an external user") && flagged[0].contains("X19"),
        "{flagged:?}"
    );
    assert!(flagged[1].contains("zed") && flagged[1].contains("not a user of the platform"), "{flagged:?}");
    assert!(flagged[2].contains("Ben Okafor is not a participant of group:partners"), "{flagged:?}");
    let present = ok(erp.get_meeting(&id).unwrap()).0.present;
    for user in ["erik", "zed", "ben"] {
        assert!(present.contains(&user.to_string()), "{user}: {present:?}");
    }
}

/// A recording started while the licence was X20 is kept though the licence is lowered to
/// X19 before JaaS uploads it: it stops, and its file and comment come as usual. A
/// recording started after is not.
#[test]
fn a_recording_started_on_x20_is_kept_after_the_licence_is_lowered() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let conference = json!({"conference": format!("{room}@conference.x.8x8.vc"), "isBreakout": false});
    let (_, reply) = ep.deliver(&ep.event("on", "RECORDING_STARTED", &room, t + 1, conference.clone()));
    assert_eq!(reply["ok"]["applied"], true, "{reply}");
    let mut world = w.harness.erp_world().unwrap();
    world.licence = meetkit_host::erp::LicenceName::X19;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let (_, reply) = ep.deliver(&ep.event("off", "RECORDING_ENDED", &room, t + 2, conference.clone()));
    assert_eq!(reply["ok"]["applied"], true, "{reply}");
    let erp = w.harness.erp().unwrap();
    assert!(!ok(erp.get_meeting(&id).unwrap()).0.recording, "stopped on X19 too");
    let upload = anas_upload("https://rec.example/x20.mp4", "sess-x20", t);
    let (status, reply) = ep.deliver(&ep.event("up", "RECORDING_UPLOADED", &room, t + 1000, upload));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(true)), "{reply}");
    let effects = w.harness.db().effects("erp").unwrap();
    assert_eq!(views::files(&effects, &Context::Group("sales".into())).len(), 1);
    assert!(!effects.iter().any(|e| matches!(&e.effect, meetkit_host::effects::Effect::Flag { .. })));

    // A recording JaaS starts now, on X19, is refused as before, and so is its upload,
    // flagged with its link: the earlier licensed start does not cover it.
    let later = t + 10 * 60_000;
    let (_, reply) = ep.deliver(&ep.event("on-2", "RECORDING_STARTED", &room, later, conference));
    assert_eq!(reply["ok"]["applied"].as_bool(), Some(false), "{reply}");
    let upload = anas_upload("https://rec.example/x19-later.mp4", "sess-x19-later", later);
    let (_, reply) = ep.deliver(&ep.event("up-2", "RECORDING_UPLOADED", &room, later + 1000, upload.clone()));
    assert_eq!(reply["ok"]["applied"].as_bool(), Some(false), "{reply}");
    let flags_of_the_file = || {
        let effects = w.harness.db().effects("erp").unwrap();
        assert_eq!(views::files(&effects, &Context::Group("sales".into())).len(), 1);
        effects.iter().filter(|e| matches!(&e.effect,
            meetkit_host::effects::Effect::Flag { text, .. } if text.contains("https://rec.example/x19-later.mp4"))).count()
    };
    assert_eq!(flags_of_the_file(), 1);
    // JaaS sends the same upload again under another key: the administrators heard once.
    let (_, reply) = ep.deliver(&ep.event("up-2-again", "RECORDING_UPLOADED", &room, later + 2000, upload));
    assert_eq!(reply["ok"]["applied"].as_bool(), Some(false), "{reply}");
    assert!(reply["ok"]["note"].as_str().unwrap().contains("flagged already"), "{reply}");
    assert_eq!(flags_of_the_file(), 1);
}

#[test]
fn a_repeated_key_as_in_8x8s_own_samples_is_read_as_its_last_value() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let app = &w.harness.config().jaas.app_id;
    let body = format!(
        r#"{{"idempotencyKey":"dup","appId":"{app}","eventType":"PARTICIPANT_JOINED","appId":"{app}",
            "timestamp":{},"fqn":"{app}/{room}","data":{{"id":"nobody","id":"chloe"}}}}"#,
        w.clock.now_ms() + 1
    );
    let (status, reply) = ep.post(&body, Some(&sign(&ep.secret(), ep.now_secs(), body.as_bytes())));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(true)), "{reply}");
    let erp = w.harness.erp().unwrap();
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.present, ["ana", "chloe"]);
}

#[test]
fn a_visitor_who_is_no_platform_user_counts_in_the_room_without_presence() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let presences =
        || views::presence(&w.harness.db().effects("erp").unwrap()).keys().cloned().collect::<Vec<String>>();
    ep.deliver(&ep.event("j-ben", "PARTICIPANT_JOINED", &room, t + 1, json!({"id": "ben"})));
    let (_, reply) =
        ep.deliver(&ep.event("j-v", "PARTICIPANT_JOINED", &room, t + 2, json!({"id": "visitor-7f3a"})));
    assert_eq!(reply["ok"]["applied"], true);
    assert!(!presences().contains(&"visitor-7f3a".to_string()), "the platform shows no presence for them");
    // Three in the room: ben leaving does not end it.
    ep.deliver(&ep.event("l-ben", "PARTICIPANT_LEFT", &room, t + 3, json!({"id": "ben"})));
    let erp = w.harness.erp().unwrap();
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.state, MeetingState::Running);
}

#[test]
fn a_dropped_connection_or_a_move_to_a_breakout_room_does_not_end_a_meeting_of_two() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let presence = |u: &str| w.presence("erp", u);
    let erp = w.harness.erp().unwrap();
    ep.deliver(&ep.event("j-ben", "PARTICIPANT_JOINED", &room, t + 1, json!({"id": "ben"})));

    for (n, reason) in ["unrecoverable_error", "switch_room"].into_iter().enumerate() {
        let left = json!({"id": "ben", "disconnectReason": reason});
        let (status, reply) =
            ep.deliver(&ep.event(&format!("l-{reason}"), "PARTICIPANT_LEFT", &room, t + 10 + n as i64, left));
        assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(false)), "{reason}");
        let m = ok(erp.get_meeting(&id).unwrap()).0;
        assert_eq!(m.state, MeetingState::Running, "{reason}");
        assert_eq!(m.present, ["ana", "ben"], "{reason}");
        assert_eq!(presence("ben"), PresenceState::Busy, "{reason}");
    }

    // Chloe is busy in another meeting; JaaS saying she left this room, which she
    // never entered, leaves her busy.
    let activity = Context::Activity("ACT-7".into());
    ok(erp.start_meeting(&activity, "chloe", &["chloe".to_string()]).unwrap());
    let left = json!({"id": "chloe", "disconnectReason": "left"});
    let (_, reply) = ep.deliver(&ep.event("l-chloe", "PARTICIPANT_LEFT", &room, t + 15, left));
    assert_eq!(reply["ok"]["applied"], true, "noted, for the order of her events");
    assert_eq!(presence("chloe"), PresenceState::Busy);

    // Back from the breakout room, then "End call": the meeting of two ends.
    let back = json!({"id": "ben", "isBreakout": false});
    let (_, reply) = ep.deliver(&ep.event("j-ben-2", "PARTICIPANT_JOINED", &room, t + 20, back));
    assert_eq!(reply["ok"]["applied"], true);
    let left = json!({"id": "ben", "disconnectReason": "left"});
    let (_, reply) = ep.deliver(&ep.event("l-ben", "PARTICIPANT_LEFT", &room, t + 30, left));
    assert_eq!(reply["ok"]["applied"], true);
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.state, MeetingState::Ended);
    assert_eq!(presence("ana"), PresenceState::Available);
}

const MIN: i64 = 60_000;

/// The data of JaaS's `RECORDING_UPLOADED` for Ana's recording `session`, five seconds
/// from `t`, at `link`.
fn anas_upload(link: &str, session: &str, t: i64) -> Value {
    json!({
        "preAuthenticatedLink": link, "share": true, "initiatorId": "ana", "durationSec": 5,
        "startTimestamp": t, "endTimestamp": t + 5, "recordingSessionId": session, "participants": []
    })
}

/// One connection of a person, as JaaS reports it.
fn person(who: &str, connection: &str) -> Value {
    json!({"id": who, "participantId": connection})
}

/// A meeting of the sales group in which Ben and Chloé take tickets, and JaaS reports
/// Ana's and Ben's connections a minute on; Chloé never appears. Answers the meeting, its
/// room and when the tickets were taken.
fn a_ticket_chloe_never_uses(w: &World) -> (String, String, i64) {
    let (id, room) = meeting(w);
    let erp = w.harness.erp().unwrap();
    let t = w.clock.now_ms();
    ok(erp.join_meeting(&id, "chloe", EntryPoint::ChatLink).unwrap());
    ok(erp.join_meeting(&id, "ben", EntryPoint::Toaster).unwrap());
    let ep = Endpoint::new(w);
    ep.deliver(&ep.event("j-ana", "PARTICIPANT_JOINED", &room, t + MIN, person("ana", "p-ana")));
    ep.deliver(&ep.event("j-ben", "PARTICIPANT_JOINED", &room, t + MIN, person("ben", "p-ben")));
    (id, room, t)
}

/// One person in the room twice (a second tab, a phone beside the laptop): closing one
/// connection leaves them in the meeting, and the meeting of two ends with their last.
/// Someone handed a ticket who never appears in JaaS's reports (a window closed at once,
/// a blocked pop-up) is not in the meeting once their time to appear has passed: they no
/// longer stay Busy. They are taken out after the rules of leaving have counted them, so
/// that a person in the room whose join JaaS has yet to deliver never ends a meeting
/// under the others. Before that time, and without reports, nobody is judged.
#[test]
fn a_ticket_never_used_leaves_the_meeting_once_jaas_has_not_seen_its_holder() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (id, room, t) = a_ticket_chloe_never_uses(&w);
    let ep = Endpoint::new(&w);
    // Five minutes on, Chloé may still be connecting: she counts, and is Busy.
    w.clock.set(t + 5 * MIN).unwrap();
    ep.deliver(&ep.event("l-ben", "PARTICIPANT_LEFT", &room, t + 5 * MIN, person("ben", "p-ben")));
    let m = ok(erp.get_meeting(&id).unwrap()).0;
    assert_eq!((m.state, m.present), (MeetingState::Running, vec!["ana".to_string(), "chloe".to_string()]));
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Busy);
    // Ben comes back and, at a quarter past, leaves again: of the three counted, two
    // remain, so the meeting goes on; Chloé, never seen, is then taken out and Available.
    ep.deliver(&ep.event("j-ben-2", "PARTICIPANT_JOINED", &room, t + 6 * MIN, person("ben", "p-ben-2")));
    w.clock.set(t + 15 * MIN).unwrap();
    ep.deliver(&ep.event("l-ben-2", "PARTICIPANT_LEFT", &room, t + 15 * MIN, person("ben", "p-ben-2")));
    let m = ok(erp.get_meeting(&id).unwrap()).0;
    assert_eq!(
        (m.state, m.present, m.attended.contains(&"chloe".to_string())),
        (MeetingState::Running, vec!["ana".to_string()], false)
    );
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Available);
    assert_eq!(w.presence("erp", "ana"), PresenceState::Busy);
    // Ana, the last one, leaves: it ends.
    let (_, reply) =
        ep.deliver(&ep.event("l-ana", "PARTICIPANT_LEFT", &room, t + 16 * MIN, person("ana", "p-ana")));
    assert!(reply["ok"]["note"].as_str().unwrap().contains("the meeting ended"), "{reply}");

    // Without participant ids, JaaS's reports say nothing of who never came: nobody is
    // taken out.
    let (id, room) = meeting(&w);
    ok(erp.join_meeting(&id, "chloe", EntryPoint::ChatLink).unwrap());
    let t = w.clock.now_ms();
    ep.deliver(&ep.event("j-ben-3", "PARTICIPANT_JOINED", &room, t + MIN, json!({"id": "ben"})));
    w.clock.set(t + 30 * MIN).unwrap();
    ep.deliver(&ep.event("l-ben-3", "PARTICIPANT_LEFT", &room, t + 30 * MIN, json!({"id": "ben"})));
    let m = ok(erp.get_meeting(&id).unwrap()).0;
    assert_eq!((m.state, m.present), (MeetingState::Running, vec!["ana".to_string(), "chloe".to_string()]));
}

/// A scheduled meeting whose host took a ticket but never appeared in JaaS's reports (a
/// blocked pop-up): when the guest leaves, the host, never seen, is taken out too, and
/// the room, empty, ends rather than run on with nobody in it until the meeting settles.
#[test]
fn a_room_left_to_those_who_never_came_ends() {
    use meetkit_host::bindings::overview::{Attendee, Status};
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let a = meetkit_tests::anas_intake_at_noon(&erp, 60);
    let t = a.start.unwrap();
    w.clock.set(t).unwrap();
    let (host, _) = ok(erp.enter_room(&a.id, &Attendee::User("ana".into())).unwrap());
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
    let guest = format!("guest-{}", a.id);
    let ep = Endpoint::new(&w);
    ep.deliver(&ep.event("j-g", "PARTICIPANT_JOINED", &host.room, t + MIN, person(&guest, "p-g")));
    w.clock.set(t + 15 * MIN).unwrap();
    let (_, reply) =
        ep.deliver(&ep.event("l-g", "PARTICIPANT_LEFT", &host.room, t + 15 * MIN, person(&guest, "p-g")));
    assert!(reply["ok"]["note"].as_str().unwrap().contains("the meeting ended"), "{reply}");
    let m = ok(erp.get_meeting(&host.meeting_id).unwrap()).0;
    assert_eq!((m.state, m.present.len()), (MeetingState::Ended, 0));
    assert_eq!(w.presence("erp", "ana"), PresenceState::Available);
    // The host never came: no visit of theirs ended the meeting, and the guest may
    // come back to wait for them.
    let row = ok(erp.get_appointment(&a.id, "ana").unwrap()).0;
    assert_eq!(row.status, Status::StartingSoon, "due now, the host not in the room");
    ok(erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone())).unwrap());
}

/// A leave on the platform (End call) takes out whoever never came, as a leave JaaS
/// reports does: someone handed a ticket a quarter of an hour ago and never seen in the
/// room is not left Busy by the meeting going on.
#[test]
fn a_leave_on_the_platform_takes_out_whoever_never_came() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (id, room, t) = a_ticket_chloe_never_uses(&w);
    let ep = Endpoint::new(&w);
    // Within her time to appear, Chloé is not judged.
    w.clock.set(t + 5 * MIN).unwrap();
    ok(erp.leave_meeting(&id, "ben").unwrap());
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Busy);
    ok(erp.join_meeting(&id, "ben", EntryPoint::ChatLink).unwrap());
    ep.deliver(&ep.event("j-ben-2", "PARTICIPANT_JOINED", &room, t + 6 * MIN, person("ben", "p-ben-2")));
    // A quarter of an hour on, never seen in the room, she is taken out by Ben's End call.
    w.clock.set(t + 15 * MIN).unwrap();
    let (left, _) = ok(erp.leave_meeting(&id, "ben").unwrap());
    assert!(!left.ended, "counted as before: three were in it");
    assert_eq!(left.meeting.present, vec!["ana".to_string()]);
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Available);
    assert_eq!(w.presence("erp", "ben"), PresenceState::Available);
    assert_eq!(w.presence("erp", "ana"), PresenceState::Busy);
}

/// With no event of the meeting to do it (nobody joins or leaves for the rest of the
/// call), the tick takes out whoever never came once their time to appear has passed,
/// tickets handed out later included; the meeting goes on with those in the room. A
/// meeting whose connections JaaS does not report judges nobody.
#[test]
fn the_tick_takes_out_whoever_never_came_when_no_event_does() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let (id, room, t) = a_ticket_chloe_never_uses(&w);
    let tick = |at: i64| {
        w.clock.set(at).unwrap();
        ok(erp.tick().unwrap()).0.never_came
    };
    assert!(tick(t + 5 * MIN).is_empty(), "Chloé may still be connecting");
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Busy);
    assert_eq!(tick(t + 10 * MIN + 1_000), vec![format!("{id}: chloe")]);
    let m = ok(erp.get_meeting(&id).unwrap()).0;
    assert_eq!((m.state, m.present), (MeetingState::Running, vec!["ana".to_string(), "ben".to_string()]));
    assert!(!m.attended.contains(&"chloe".to_string()));
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Available);
    assert_eq!(
        (w.presence("erp", "ana"), w.presence("erp", "ben")),
        (PresenceState::Busy, PresenceState::Busy)
    );
    assert!(tick(t + 11 * MIN).is_empty(), "once");

    // A ticket handed out after the tick's looks: Chloé tries again, and again her
    // window never opens.
    w.clock.set(t + 12 * MIN).unwrap();
    ok(erp.join_meeting(&id, "chloe", EntryPoint::Toaster).unwrap());
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Busy);
    assert!(tick(t + 21 * MIN).is_empty(), "her time to appear runs until 22 minutes");
    assert_eq!(tick(t + 22 * MIN + 1_000), vec![format!("{id}: chloe")]);
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Available);
    // The third time she comes: she stays.
    w.clock.set(t + 23 * MIN).unwrap();
    ok(erp.join_meeting(&id, "chloe", EntryPoint::ChatLink).unwrap());
    let ep = Endpoint::new(&w);
    ep.deliver(&ep.event("j-chloe", "PARTICIPANT_JOINED", &room, t + 23 * MIN, person("chloe", "p-chloe")));
    assert!(tick(t + 40 * MIN).is_empty());
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Busy);
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.present.len(), 3);

    // Without participant ids, JaaS's reports say nothing of who never came.
    let (id, room) = meeting(&w);
    ok(erp.join_meeting(&id, "chloe", EntryPoint::ChatLink).unwrap());
    let t = w.clock.now_ms();
    ep.deliver(&ep.event("j-ben-3", "PARTICIPANT_JOINED", &room, t + MIN, json!({"id": "ben"})));
    assert!(tick(t + 30 * MIN).is_empty());
    assert_eq!(w.presence("erp", "chloe"), PresenceState::Busy);
}

#[test]
fn a_second_connection_closing_leaves_its_person_in_the_meeting() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let erp = w.harness.erp().unwrap();
    let ben =
        |connection: &str| json!({"id": "ben", "participantId": connection, "disconnectReason": "left"});
    ep.deliver(&ep.event("j-ben-1", "PARTICIPANT_JOINED", &room, t + 1, ben("p-ben-1")));
    ep.deliver(&ep.event("j-ben-2", "PARTICIPANT_JOINED", &room, t + 2, ben("p-ben-2")));

    let (status, reply) = ep.deliver(&ep.event("l-ben-2", "PARTICIPANT_LEFT", &room, t + 3, ben("p-ben-2")));
    assert_eq!(status, 200);
    assert!(reply["ok"]["note"].as_str().unwrap().contains("another is still in"), "{reply}");
    let m = ok(erp.get_meeting(&id).unwrap()).0;
    assert_eq!((m.state, m.present), (MeetingState::Running, vec!["ana".to_string(), "ben".to_string()]));
    assert_eq!(w.presence("erp", "ben"), PresenceState::Busy);

    // The same delivery again is one already applied.
    let (_, reply) = ep.deliver(&ep.event("l-ben-2", "PARTICIPANT_LEFT", &room, t + 3, ben("p-ben-2")));
    assert_eq!(reply["ok"]["applied"], false);
    // His last connection closes: of two in the meeting, one left, and it ends.
    let (_, reply) = ep.deliver(&ep.event("l-ben-1", "PARTICIPANT_LEFT", &room, t + 4, ben("p-ben-1")));
    assert!(reply["ok"]["note"].as_str().unwrap().contains("the meeting ended"), "{reply}");
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.state, MeetingState::Ended);
    assert_eq!(w.presence("erp", "ben"), PresenceState::Available);
    // Nothing of the meeting's connections is left in the store (an empty value is an
    // absent record: a compare-and-swap cannot delete).
    let noted =
        || w.snapshot().into_iter().filter(|(k, v)| k.contains("connections/") && !v.is_empty()).count();
    assert_eq!(noted(), 0);

    // Nor of a room JaaS destroyed with a connection still noted.
    let (_, room) = meeting(&w);
    ep.deliver(&ep.event("j-ben-5", "PARTICIPANT_JOINED", &room, t + 10, ben("p-ben-5")));
    assert_eq!(noted(), 1);
    ep.deliver(&ep.event("destroyed", "ROOM_DESTROYED", &room, t + 11, json!({})));
    assert_eq!(noted(), 0);

    // A dropped connection rejoins under a new participant id; the old one is closed,
    // so hanging up on the new one is leaving, and a join of the old one arriving late
    // opens nothing.
    let (id, room) = meeting(&w);
    let dropped = json!({"id": "ben", "participantId": "p-ben-6", "disconnectReason": "unrecoverable_error"});
    ep.deliver(&ep.event("j-ben-6", "PARTICIPANT_JOINED", &room, t + 20, ben("p-ben-6")));
    ep.deliver(&ep.event("l-ben-6", "PARTICIPANT_LEFT", &room, t + 21, dropped));
    ep.deliver(&ep.event("j-ben-7", "PARTICIPANT_JOINED", &room, t + 22, ben("p-ben-7")));
    let (_, reply) =
        ep.deliver(&ep.event("j-ben-6-late", "PARTICIPANT_JOINED", &room, t + 20, ben("p-ben-6")));
    assert!(reply["ok"]["note"].as_str().unwrap().contains("closed already"), "{reply}");
    let (_, reply) = ep.deliver(&ep.event("l-ben-7", "PARTICIPANT_LEFT", &room, t + 23, ben("p-ben-7")));
    assert!(reply["ok"]["note"].as_str().unwrap().contains("the meeting ended"), "{reply}");
    assert_eq!(ok(erp.get_meeting(&id).unwrap()).0.state, MeetingState::Ended);
}

#[test]
fn a_crm_call_that_jaas_reports_ended_completes_its_request_and_frees_the_client() {
    use meetkit_host::bindings::call_requests::{
        RequestAction, RequestFilter, RequestOutcome, RequestStatus,
    };
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (_, ticket) = johns_call(&w, "tom");
    let asked = RequestAction::RequestCall(("acme".into(), "john".into()));
    ok(crm.join_meeting(&ticket.meeting_id, "john", EntryPoint::ClientArea).unwrap());

    // The CRM's own endpoint: the client hangs up in JaaS, and a call of two ends.
    let ep = Endpoint::of(&w, "perfex");
    let t = w.clock.now_ms();
    let left = json!({"id": "john", "disconnectReason": "left"});
    let (status, reply) = ep.deliver(&ep.event("l-john", "PARTICIPANT_LEFT", &ticket.room, t + 1, left));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(true)), "{reply}");
    assert_eq!(reply["ok"]["meeting"], ticket.meeting_id.as_str());

    let all = ok(crm.list_requests(&RequestFilter::All, 0, 20).unwrap()).0.items;
    assert_eq!(all[0].status, RequestStatus::Completed);
    assert!(ok(crm.list_requests(&RequestFilter::Active, 0, 20).unwrap()).0.items.is_empty());
    assert_eq!(w.presence("perfex", "tom"), PresenceState::Available);
    // Ready for the next request; the ERP never heard of the room.
    assert!(matches!(ok(crm.handle_request(&asked).unwrap()).0, RequestOutcome::Requested(_)));
    let erp = Endpoint::new(&w);
    let (_, reply) =
        erp.deliver(&erp.event("l-john-erp", "PARTICIPANT_LEFT", &ticket.room, t + 2, json!({"id": "john"})));
    assert_eq!(reply["ok"]["applied"], false);
}

/// A client's call is between the staff member who took it and the client's contacts:
/// anyone else JaaS reports in its room (another client's contact, a colleague who did
/// not take it, an id the CRM does not know) is left in it, and the administrators are
/// told once each.
#[test]
fn a_stranger_in_a_crm_call_is_flagged_to_the_administrators_once() {
    let w = World::new();
    let crm = w.harness.perfex().unwrap();
    let (r, ticket) = johns_call(&w, "maria");
    let ep = Endpoint::of(&w, "perfex");
    let t = w.clock.now_ms();
    let flags = || flags(&w, "perfex");
    let event = |key: &str, kind: &str, who: &str, at: i64| ep.participant(key, kind, &ticket.room, at, who);
    // John, who asked, and Sara, of the same client, belong in it.
    event("j-john", "PARTICIPANT_JOINED", "john", t + 1);
    event("j-sara", "PARTICIPANT_JOINED", "sara", t + 2);
    assert!(flags().is_empty(), "nobody out of place: {:?}", flags());
    event("j-hank", "PARTICIPANT_JOINED", "hank", t + 3);
    event("j-lena", "PARTICIPANT_JOINED", "lena", t + 4);
    event("j-zed", "PARTICIPANT_JOINED", "zed", t + 5);
    event("l-hank", "PARTICIPANT_LEFT", "hank", t + 6);
    event("j-hank-2", "PARTICIPANT_JOINED", "hank", t + 7);
    let flagged = flags();
    assert_eq!(flagged.len(), 3, "{flagged:?}");
    assert!(flagged[0].contains(&format!("hank is not a party of call request {}", r.id)), "{flagged:?}");
    assert!(flagged[1].contains("lena is not a party"), "{flagged:?}");
    assert!(flagged[2].contains("zed is not a user of the platform"), "{flagged:?}");
    let present = ok(crm.get_meeting(&ticket.meeting_id).unwrap()).0.present;
    for user in ["hank", "lena", "zed"] {
        assert!(present.contains(&user.to_string()), "left in the call: {user}: {present:?}");
    }
}

/// A start that could not register its room takes no context (the room is registered
/// before the context points at the meeting): repeated, the start makes the meeting,
/// and JaaS's events for its room find it.
#[test]
fn a_start_that_could_not_register_its_room_leaves_the_context_free() {
    let (w, store) = World::faulty();
    let erp = w.harness.erp().unwrap();
    let group = Context::Group("sales".into());
    let sel: Vec<String> = ["ana", "ben"].iter().map(|s| s.to_string()).collect();
    store.fail_writes_under(Some("room/"));
    let failed = erp.start_meeting(&group, "ana", &sel).unwrap();
    assert!(
        matches!(failed.value, Err(meetkit_host::bindings::types::Error::StoreFailure(_))),
        "{:?}",
        failed.value
    );
    store.fail_writes_under(None);
    assert_eq!(ok(erp.meeting_in_context(&group).unwrap()).0, None);

    let (started, _) = ok(erp.start_meeting(&group, "ana", &sel).unwrap());
    assert!(started.created);
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let joined = ep.event("j-ben", "PARTICIPANT_JOINED", &started.meeting.room, t + 1, json!({"id": "ben"}));
    let (status, reply) = ep.deliver(&joined);
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(true)), "{reply}");
    assert_eq!(w.presence("erp", "ben"), PresenceState::Busy);
}

/// JaaS delivers in any order: a recording's start delivered after its stop turns
/// nothing on, and the next recording's start is applied and announced as usual, and
/// counts as made under the licence of its time.
#[test]
fn a_recording_start_delivered_after_its_stop_changes_nothing() {
    let w = World::new();
    let (id, room) = meeting(&w);
    let ep = Endpoint::new(&w);
    let t = w.clock.now_ms();
    let erp = w.harness.erp().unwrap();
    let conference = json!({"conference": format!("{room}@conference.x.8x8.vc"), "isBreakout": false});
    let recording = || ok(erp.get_meeting(&id).unwrap()).0.recording;
    let (_, reply) = ep.deliver(&ep.event("off-1", "RECORDING_ENDED", &room, t + 2_000, conference.clone()));
    assert_eq!(reply["ok"]["applied"], false, "{reply}");
    let toasts_before = w.harness.db().effects("erp").unwrap().len();
    let (_, reply) = ep.deliver(&ep.event("on-1", "RECORDING_STARTED", &room, t + 1_000, conference.clone()));
    assert_eq!(reply["ok"]["applied"], false, "{reply}");
    assert!(!recording(), "a late start of a recording already stopped");
    assert_eq!(w.harness.db().effects("erp").unwrap().len(), toasts_before, "nobody hears of it");

    let (_, reply) = ep.deliver(&ep.event("on-2", "RECORDING_STARTED", &room, t + 5_000, conference));
    assert_eq!(reply["ok"]["applied"], true, "{reply}");
    assert!(recording());
    // Lowered to X19 before the upload: the start was made on X20, and the file is kept.
    let mut world = w.harness.erp_world().unwrap();
    world.licence = meetkit_host::erp::LicenceName::X19;
    w.harness.load_erp_world(&toml::to_string(&world).unwrap()).unwrap();
    let upload = anas_upload("https://rec.example/second.mp4", "sess-second", t + 5_000);
    let (status, reply) = ep.deliver(&ep.event("up-2", "RECORDING_UPLOADED", &room, t + 9_000, upload));
    assert_eq!((status, reply["ok"]["applied"].as_bool()), (200, Some(true)), "{reply}");
}
