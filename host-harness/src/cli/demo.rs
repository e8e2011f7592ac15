//! `meetkit demo`: a narrated run of both simulated platforms, in a fresh data folder
//! with a virtual clock, through the real component.

use super::print;
use anyhow::{Result, anyhow, bail};
use clap::Args;
use meetkit_host::bindings::call_requests::{RequestAction, RequestOutcome};
use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::types::{Context, Error};
use meetkit_host::clock::Clock;
use meetkit_host::effects::Effect;
use meetkit_host::{Call, Harness, HarnessOptions, PlatformHost};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Where the compiled component is cached between runs [default: <data>/cache].
    #[arg(long)]
    cache: Option<PathBuf>,
}

/// Tells the story as text, or collects it as JSON events.
struct Narrator<'h> {
    json: bool,
    events: Vec<Value>,
    /// Where the platforms' logs are read, to show effects as their users saw them.
    harness: &'h Harness,
}

impl Narrator<'_> {
    fn section(&mut self, title: &str) {
        if self.json {
            self.events.push(json!({ "event": "section", "title": title }));
        } else {
            println!("\n== {title} ==");
        }
    }

    fn say(&mut self, text: impl Into<String>) {
        let text = text.into();
        if self.json {
            self.events.push(json!({ "event": "narration", "text": text }));
        } else {
            println!("{text}");
        }
    }

    /// Shows what the platform displayed after a step: chat, bell, toasters, presence.
    fn effects(&mut self, effects: &[Effect]) -> Result<()> {
        if self.json {
            self.events.extend(effects.iter().map(|e| json!({ "event": "effect", "effect": e })));
            return Ok(());
        }
        let logs = super::logs_for(self.harness, effects)?;
        for line in effects.iter().filter_map(|e| print::effect_seen(e, &logs)) {
            println!("   {line}");
        }
        Ok(())
    }

    fn data(&mut self, kind: &str, value: Value) {
        if self.json {
            self.events.push(json!({ "event": kind, "data": value }));
        }
    }
}

/// A call's answer in the shape every `--json` answer has: `{"ok": ..}` or `{"error": ..}`.
fn answer<T: serde::Serialize>(value: &Result<T, Error>) -> Result<Value> {
    Ok(match value {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": e }),
    })
}

/// Unwraps a call the story expects to succeed, narrating its effects.
fn ok<T: serde::Serialize>(n: &mut Narrator, kind: &str, call: Call<Result<T, Error>>) -> Result<T> {
    n.data(kind, answer(&call.value)?);
    match call.value {
        Ok(v) => {
            n.effects(&call.effects)?;
            Ok(v)
        }
        Err(e) => bail!("the demo expected {kind} to succeed, but: {}", print::error(&e)),
    }
}

/// Narrates a call the story expects to be refused.
fn refused<T: serde::Serialize>(n: &mut Narrator, kind: &str, call: Call<Result<T, Error>>) -> Result<()> {
    n.data(kind, answer(&call.value)?);
    match call.value {
        Ok(_) => bail!("the demo expected {kind} to be refused"),
        Err(e) => {
            n.say(format!("   refused: {}", print::error(&e)));
            Ok(())
        }
    }
}

/// Runs the demo in a fresh folder of its own; only the compiled component is kept, in
/// the data folder's cache unless `--cache` names another.
pub fn run(args: &DemoArgs, data: &std::path::Path, json: bool) -> Result<ExitCode> {
    let runtime = Harness::runtime(&args.cache.clone().unwrap_or_else(|| data.join("cache")))?;
    let dir = tempfile::tempdir()?;
    let start: jiff::Timestamp = "2026-11-23T09:00:00Z".parse()?;
    let clock = Clock::virtual_at(start.as_millisecond());
    let harness = Harness::open_with(
        HarnessOptions {
            data_dir: dir.path().to_path_buf(),
            clock: Some(clock.clone()),
            ..Default::default()
        },
        runtime,
    )?;
    let mut n = Narrator { json, events: Vec::new(), harness: &harness };
    n.say(format!(
        "meetkit demo: the component ({} bytes) in a simulated ERP and a simulated CRM, clock set to {}.",
        harness.runtime_ref().report().component_bytes,
        print::time(clock.now_ms())
    ));
    // The store, tenant and keys of the data folder are left alone: each run is the same.
    n.say(format!(
        "It runs in a world of its own (a fresh store, JaaS tenant and signing key, gone when it ends): \
         {} is left as it is, but for the compiled component cached there.",
        data.display()
    ));
    erp_story(&harness, &mut n)?;
    perfex_story(&harness, &clock, &mut n)?;
    recording_story(&harness, &clock, &mut n)?;
    overview_story(&harness, &clock, &mut n)?;
    n.section("The end");
    n.say(
        "Every step above was a call into meetkit.wasm; every token was signed by the host with the demo's RSA key.",
    );
    if json {
        println!("{}", serde_json::to_string_pretty(&n.events)?);
    }
    Ok(ExitCode::SUCCESS)
}

fn names(erp: &PlatformHost<'_>, ids: &[String]) -> String {
    ids.iter()
        .map(|id| erp.platform().user(id).map_or_else(|| id.clone(), |u| u.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn erp_story(h: &Harness, n: &mut Narrator) -> Result<()> {
    let erp = h.erp()?;
    n.section("ERP: a meeting from the group \"Sales team\" (licence X20 Advanced)");
    let sales = Context::Group("sales".into());
    n.say("Ana opens the Meet tab of the group and clicks \"Start Meeting\". The lobby lists:");
    let lobby = ok(n, "lobby", erp.resolve_participants(&sales, "ana")?)?;
    n.say(print::lobby(&lobby));
    let selection: Vec<String> = lobby.candidates.iter().map(|c| c.user.id.clone()).collect();
    n.say(format!(
        "She keeps everyone selected ({}) and clicks Start. What each user sees:",
        names(&erp, &selection)
    ));
    let started = ok(n, "started", erp.start_meeting(&sales, "ana", &selection)?)?;
    let meeting = started.meeting.id.clone();
    n.say(format!("Ana's meeting page opens at {}", print::address(&started.ticket.address)));
    n.say("Ben clicks the red toaster, reaches the lobby and clicks Join meeting:");
    let ben = ok(n, "join", erp.join_meeting(&meeting, "ben", EntryPoint::Toaster)?)?;
    n.say(format!("   Ben's address: {}", print::address(&ben.address)));
    n.say("Chloé clicks the Join meeting link in the group's chat:");
    ok(n, "join", erp.join_meeting(&meeting, "chloe", EntryPoint::ChatLink)?)?;
    n.say("Chloé presses End call; two remain, so the meeting goes on:");
    let left = ok(n, "leave", erp.leave_meeting(&meeting, "chloe")?)?;
    n.say(format!("   still in the meeting: {}", names(&erp, &left.meeting.present)));
    n.say("Ben presses End call; with only two participants, the meeting ends for both:");
    let left = ok(n, "leave", erp.leave_meeting(&meeting, "ben")?)?;
    n.say(format!("   ended: {}", left.ended));

    n.section("ERP: a meeting from the Case CASE-1042");
    let case = Context::Case("CASE-1042".into());
    n.say("Ben (Favorite on the case) opens Meet from the record's menu. Tagged and following users are listed; Dev, who does not follow the case, is not:");
    let lobby = ok(n, "lobby", erp.resolve_participants(&case, "ben")?)?;
    n.say(print::lobby(&lobby));
    n.say("Ben unchecks Ana and starts the meeting with Erik, an external user:");
    let started = ok(n, "started", erp.start_meeting(&case, "ben", &["ben".into(), "erik".into()])?)?;
    let meeting = started.meeting.id.clone();
    n.say("Ana presses Start on the same case a moment later; no second meeting is made, she joins the running one:");
    let second = ok(n, "started", erp.start_meeting(&case, "ana", &["ana".into()])?)?;
    n.say(format!(
        "   created a new meeting: {}; same meeting: {}",
        second.created,
        second.meeting.id == meeting
    ));
    n.say("Erik joins from his bell notification; as an external user his token cannot record:");
    let erik = ok(n, "join", erp.join_meeting(&meeting, "erik", EntryPoint::Notification)?)?;
    n.say(format!("   {}", print::ticket(&erik)));
    n.say(format!("   may record: {}", if erik.recording_allowed { "yes" } else { "no" }));
    n.say("Dev tries the Meet tab of the case:");
    refused(n, "join", erp.join_meeting(&meeting, "dev", EntryPoint::MeetTab)?)?;
    n.say("Ana leaves; Ben and Erik go on. Then Erik leaves, and with only two in the meeting it ends:");
    ok(n, "leave", erp.leave_meeting(&meeting, "ana")?)?;
    ok(n, "leave", erp.leave_meeting(&meeting, "erik")?)?;
    n.say("The chat of the case now reads:");
    for c in meetkit_host::views::chat(&h.db().effects("erp")?, &case) {
        n.say(format!("   {}", print::comment(&c.item)));
    }
    n.say("An ended meeting cannot be joined:");
    refused(n, "join", erp.join_meeting(&meeting, "ana", EntryPoint::ChatLink)?)?;

    n.section("ERP: the same case on licence X19 Basic");
    n.say("The administrator lowers the licence to X19 Basic, for internal users only. Ben opens the case's lobby again:");
    let mut world = h.erp_world()?;
    world.licence = meetkit_host::erp::LicenceName::X19;
    h.load_erp_world(&toml::to_string(&world)?)?;
    let erp = h.erp()?;
    let lobby = ok(n, "lobby", erp.resolve_participants(&case, "ben")?)?;
    n.say(print::lobby(&lobby));
    n.say("Erik, external, cannot be invited on X19:");
    refused(n, "start", erp.start_meeting(&case, "ben", &["ben".into(), "erik".into()])?)?;
    Ok(())
}

fn request_of(outcome: &RequestOutcome) -> &meetkit_host::bindings::call_requests::CallRequest {
    match outcome {
        RequestOutcome::Requested(r)
        | RequestOutcome::Existing(r)
        | RequestOutcome::Ignored(r)
        | RequestOutcome::Cancelled(r)
        | RequestOutcome::Completed(r)
        | RequestOutcome::Accepted((r, _)) => r,
    }
}

fn perfex_story(h: &Harness, clock: &Clock, n: &mut Narrator) -> Result<()> {
    let crm = h.perfex()?;
    n.section("CRM: a call request from the client area");
    n.say("The administrator notifies the Support department and each client's assigned staff. John Carter of Acme clicks \"Request a Call\":");
    let requested =
        ok(n, "request", crm.handle_request(&RequestAction::RequestCall(("acme".into(), "john".into())))?)?;
    let id = request_of(&requested).id.clone();
    n.say("Tom is busy and ignores it; it leaves his panel and his bell only:");
    ok(n, "ignore", crm.handle_request(&RequestAction::Ignore((id.clone(), "tom".into())))?)?;
    n.say("Maria and Lena press Accept at the same moment:");
    let (a, b) = std::thread::scope(|s| {
        let crm_a = h.perfex();
        let crm_b = h.perfex();
        let id_a = id.clone();
        let id_b = id.clone();
        let a = s.spawn(move || {
            crm_a?.handle_request(&RequestAction::Accept((id_a, "maria".into()))).map_err(anyhow::Error::from)
        });
        let b = s.spawn(move || {
            crm_b?.handle_request(&RequestAction::Accept((id_b, "lena".into()))).map_err(anyhow::Error::from)
        });
        (a.join(), b.join())
    });
    let (a, b) =
        (a.map_err(|_| anyhow!("a thread panicked"))??, b.map_err(|_| anyhow!("a thread panicked"))??);
    let mut meeting = None;
    for (who, call) in [("Maria", a), ("Lena", b)] {
        match &call.value {
            Ok(RequestOutcome::Accepted((r, ticket))) => {
                n.say(format!(
                    "   {who} wins: her page opens the meeting ({}) at {}",
                    print::display(ticket.display),
                    print::address(&ticket.address)
                ));
                meeting = r.meeting.clone();
                n.effects(&call.effects)?;
            }
            Ok(_) => bail!("an accept answered something else than accepted"),
            Err(e) => n.say(format!("   {who}: {}", print::error(e))),
        }
        n.data("accept", answer(&call.value)?);
    }
    let meeting = meeting.ok_or_else(|| anyhow!("nobody won the request"))?;
    n.say("John's page shows \"Join Meeting\"; he clicks it:");
    let john = ok(n, "join", crm.join_meeting(&meeting, "john", EntryPoint::ClientArea)?)?;
    n.say(format!("   {}", print::ticket(&john)));
    n.say("John hangs up; the meeting ends and the request is completed:");
    ok(n, "leave", crm.leave_meeting(&meeting, "john")?)?;
    n.say("The request's history:");
    for entry in ok(n, "history", crm.request_history(&id)?)? {
        n.say(format!("   {}", print::history(&entry)));
    }

    n.section("CRM: a cancelled request and an expired one");
    n.say("Sara of Acme requests a call, then cancels before anyone accepts:");
    let r =
        ok(n, "request", crm.handle_request(&RequestAction::RequestCall(("acme".into(), "sara".into())))?)?;
    ok(n, "cancel", crm.handle_request(&RequestAction::Cancel((request_of(&r).id.clone(), "sara".into())))?)?;
    n.say("Hank of Globex requests a call; nobody answers for five minutes:");
    ok(n, "request", crm.handle_request(&RequestAction::RequestCall(("globex".into(), "hank".into())))?)?;
    clock.advance(std::time::Duration::from_secs(300))?;
    let report = ok(n, "tick", crm.tick()?)?;
    n.say(format!("   the clock moved five minutes; expired: {}", report.expired_requests.join(", ")));
    Ok(())
}

/// A JaaS webhook delivery for `room`, as JaaS would post it (the signature is the
/// server's concern; here the delivery is applied directly).
fn delivery(h: &Harness, clock: &Clock, key: &str, event: &str, room: &str, data: Value) -> String {
    let app = &h.config().jaas.app_id;
    json!({
        "idempotencyKey": key, "customerId": "demo", "appId": app, "eventType": event,
        "sessionId": "demo-session", "timestamp": clock.now_ms(), "fqn": format!("{app}/{room}"), "data": data
    })
    .to_string()
}

fn recording_story(h: &Harness, clock: &Clock, n: &mut Narrator) -> Result<()> {
    let mut world = h.erp_world()?;
    world.licence = meetkit_host::erp::LicenceName::X20;
    h.load_erp_world(&toml::to_string(&world)?)?;
    let erp = h.erp()?;
    n.section("ERP: a recorded meeting, through JaaS webhooks (X20 Advanced)");
    n.say(format!(
        "The licence is back to X20 Advanced. (The ERP names recordings, and says when they go, in the company's zone, {}.)",
        world.recordings.time_zone
    ));
    n.say("Ana starts a meeting in the Sales team with Ben, who joins from the toaster:");
    let sales = Context::Group("sales".into());
    let started = ok(n, "started", erp.start_meeting(&sales, "ana", &["ana".into(), "ben".into()])?)?;
    let room = started.meeting.room.clone();
    ok(n, "join", erp.join_meeting(&started.meeting.id, "ben", EntryPoint::Toaster)?)?;
    let conference = json!({ "conference": format!("{room}@conference.8x8.vc"), "isBreakout": false });
    n.say("Ana clicks the round button and confirms: JaaS reports RECORDING_STARTED; both hear the cue:");
    ok(
        n,
        "webhook",
        erp.on_jaas_webhook(&delivery(h, clock, "d1", "RECORDING_STARTED", &room, conference.clone()))?,
    )?;
    clock.advance(std::time::Duration::from_secs(20 * 60))?;
    n.say("Twenty minutes later she stops it:");
    ok(
        n,
        "webhook",
        erp.on_jaas_webhook(&delivery(h, clock, "d2", "RECORDING_ENDED", &room, conference.clone()))?,
    )?;
    n.say("The call ends; JaaS reports the room destroyed, then, a minute later, the upload:");
    ok(n, "webhook", erp.on_jaas_webhook(&delivery(h, clock, "d3", "ROOM_DESTROYED", &room, conference))?)?;
    clock.advance(std::time::Duration::from_secs(60))?;
    let upload = json!({
        "preAuthenticatedLink": format!("https://recordings.8x8.example/{room}.mp4"), "share": true,
        "initiatorId": "ana", "durationSec": 1200, "startTimestamp": clock.now_ms() - 1_260_000,
        "endTimestamp": clock.now_ms() - 60_000, "recordingSessionId": "demo-rec-1", "participants": []
    });
    ok(n, "webhook", erp.on_jaas_webhook(&delivery(h, clock, "d4", "RECORDING_UPLOADED", &room, upload))?)?;
    n.say("The same delivery again (JaaS retries) changes nothing:");
    let again = ok(
        n,
        "webhook",
        erp.on_jaas_webhook(&delivery(h, clock, "d4", "RECORDING_UPLOADED", &room, json!({})))?,
    )?;
    n.say(format!("   {}", again.note));
    let recordings = ok(n, "recordings", erp.list_recordings(&sales, 0, 20)?)?.items;
    let rec = recordings.first().ok_or_else(|| anyhow!("no recording was saved"))?;
    let url = ok(n, "download", erp.download_recording(&rec.id, "ben")?)?;
    n.say(format!("Ben downloads \"{}\" from {url}", rec.name));
    clock.advance(std::time::Duration::from_secs(24 * 3600))?;
    n.say("24 hours later the clock ticks; the file leaves Files and a download says it expired:");
    ok(n, "tick", erp.tick()?)?;
    refused(n, "download", erp.download_recording(&rec.id, "ben")?)?;
    Ok(())
}

fn overview_story(h: &Harness, clock: &Clock, n: &mut Narrator) -> Result<()> {
    use super::overview::{at_in, check, status};
    use meetkit_host::bindings::overview::{Attendee, GuestDetails, RoomEvent, ScheduleRequest};
    use meetkit_host::bindings::time_zones::LocalDateTime;
    let erp = h.erp()?;
    n.section("ERP: the meetings overview, with a guest from outside");
    let at = |day: u8, hour: u8| LocalDateTime { year: 2026, month: 11, day, hour, minute: 0 };
    let request = ScheduleRequest {
        actor: "ana".into(),
        host: "ana".into(),
        guest: GuestDetails {
            name: "Ida Berg".into(),
            email: "ida.berg@client.example".into(),
            phone: Some("+31 20 555 0100".into()),
        },
        meeting_type: "Intake".into(),
        details: "New supplier".into(),
        description: "First conversation about the supply contract".into(),
        zone: "Europe/Amsterdam".into(),
        slots: vec![at(26, 10), at(27, 14)],
        duration_mins: 45,
    };
    n.say(format!("Times are in the meeting's zone, {}, where Ana and Ida are.", request.zone));
    n.say("Ana proposes two times to Ida Berg; the meeting is planning until Ida picks one:");
    let a = ok(n, "schedule", erp.schedule(&request)?)?;
    let slots: Vec<String> = a.proposed.iter().map(|t| at_in(&a.zone, *t)).collect();
    n.say(format!(
        "   status {}; proposed {}; Ida's link {}",
        status(a.status),
        slots.join(" or "),
        a.guest_link
    ));
    n.say("Ida picks the second time from her link:");
    let a = ok(n, "pick", erp.pick_slot(&a.id, &a.guest_key, 1)?)?;
    n.say(format!(
        "   status {}, on {}",
        status(a.status),
        a.start.map(|t| at_in(&a.zone, t)).unwrap_or_default()
    ));
    n.say("Chloé schedules a call of her own for the 26th at 14:30:");
    let chloes = ScheduleRequest {
        actor: "chloe".into(),
        host: "chloe".into(),
        guest: GuestDetails { name: "Tom Hale".into(), email: "tom.hale@client.example".into(), phone: None },
        meeting_type: "Follow-up".into(),
        details: "Delivery dates".into(),
        description: "The dates of the next three deliveries".into(),
        slots: vec![LocalDateTime { minute: 30, ..at(26, 14) }],
        duration_mins: 30,
        ..request.clone()
    };
    ok(n, "schedule", erp.schedule(&chloes)?)?;
    n.say(
        "Before moving Ida's meeting to the 26th at 14:00, Ana asks who is free then to host it \
         (the ERP's calendar has Ben and Dev on the repair visit SA-31 that afternoon):",
    );
    let hosts = ok(n, "hosts", erp.available_hosts("ana", &request.zone, at(26, 14), 45, Some(&a.id))?)?;
    let hosts: Vec<String> = hosts
        .iter()
        .map(|h| format!("{} {}", h.name, if h.available { "free" } else { "not available" }))
        .collect();
    n.say(format!("   {}", hosts.join(", ")));
    n.say("Ana moves it, with a reason Ida receives by e-mail with an updated calendar file:");
    let a = ok(n, "reschedule", erp.reschedule(&a.id, "ana", at(26, 14), "A colleague joins on Thursday")?)?;
    let start = a.start.ok_or_else(|| anyhow!("no start"))?;
    clock.set(start - 30 * 60_000)?;
    let soon = ok(n, "get", erp.get_appointment(&a.id, "ana")?)?;
    n.say(format!("Half an hour before, the overview says {}.", status(soon.status)));
    clock.set(start)?;
    n.say("At the time both enter the room, and Ida's camera and microphone pass the check:");
    ok(n, "enter", erp.enter_room(&a.id, &Attendee::User("ana".into()))?)?;
    ok(n, "enter", erp.enter_room(&a.id, &Attendee::Guest(a.guest_key.clone()))?)?;
    ok(n, "event", erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, clock.now_ms())?)?;
    let live = ok(n, "get", erp.get_appointment(&a.id, "ana")?)?;
    n.say(format!("   status {}, media check {}", status(live.status), check(live.media_check)));
    n.say("Ana ends the meeting 45 minutes later:");
    ok(n, "event", erp.report_room_event(&a.id, RoomEvent::HostEnded, clock.now_ms() + 45 * 60_000)?)?;
    clock.set(start + (45 + 120) * 60_000)?;
    let done = ok(n, "get", erp.get_appointment(&a.id, "ana")?)?;
    n.say(format!("Two hours after its planned end it settles: {}.", status(done.status)));
    let ics = ok(n, "agenda", erp.agenda(&a.id, "ana")?)?;
    let dtstart = ics.lines().find(|l| l.starts_with("DTSTART;TZID=")).unwrap_or_default();
    n.say(format!("Its calendar file (revision {}) starts {dtstart}.", done.sequence));
    Ok(())
}
