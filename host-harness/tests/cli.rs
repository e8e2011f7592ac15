//! The `meetkit` binary as people and scripts use it: state kept between invocations,
//! `--json` on every command, exit code 2 and a one-line reason on a refusal.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn meetkit(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meetkit"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("meetkit runs")
}

fn json(data: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = meetkit(data, &all);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e})"))
}

#[test]
fn an_erp_meeting_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pem = String::from_utf8(meetkit(d, &["keys", "public"]).stdout).unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    assert!(!pem.contains('\r'), "Unix line ends");

    let lobby = json(d, &["erp", "lobby", "--context", "case:CASE-1042", "--user", "ben"]);
    let listed: Vec<&str> = lobby["ok"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["user"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["ben", "ana", "erik"]);

    // A list as people type it, with a space after the comma.
    let started =
        json(d, &["erp", "start", "--context", "group:sales", "--user", "ana", "--select", "ana, ben"]);
    let meeting = started["ok"]["meeting"]["id"].as_str().unwrap().to_string();
    let token = started["ok"]["ticket"]["token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    let chat = json(d, &["erp", "chat", "--context", "group:sales"]);
    assert_eq!(chat[0]["text"], "The meeting has started. Click Join meeting to participate.");
    let bell = json(d, &["erp", "bell", "--user", "ben"]);
    assert_eq!(bell.as_array().unwrap().len(), 1);
    assert_eq!(bell[0]["read"], false);

    // Ben presses Start instead of the bell: he joins the running meeting, which answers
    // the bell as a join does.
    let joined = json(d, &["erp", "start", "--context", "group:sales", "--user", "ben", "--select", "ben"]);
    assert_eq!(joined["ok"]["created"], false);
    assert_eq!(json(d, &["erp", "bell", "--user", "ben"])[0]["read"], true);

    json(d, &["erp", "join", "--context", "group:sales", "--user", "ben"]);
    assert_eq!(json(d, &["erp", "presence", "--user", "ben"]), "Busy");
    // Everyone's presence, those never in a meeting too.
    let everyone = json(d, &["erp", "presence"]);
    assert_eq!(
        (everyone["ben"].as_str(), everyone["dev"].as_str()),
        (Some("Busy"), Some("Available")),
        "{everyone}"
    );
    let left = json(d, &["erp", "leave", "--meeting", &meeting, "--user", "ben"]);
    assert_eq!(left["ok"]["ended"], true);
    assert_eq!(json(d, &["erp", "presence", "--user", "ben"]), "Available");

    // A refusal: exit code 2, the typed error, and a one-line reason for people.
    let out = meetkit(d, &["erp", "join", "--meeting", &meeting, "--user", "ben"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error: meeting-ended:"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1);
    let out = meetkit(d, &["erp", "join", "--meeting", &meeting, "--user", "ben", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"]["MeetingEnded"].is_string(), "{v}");
    // Bad command-line input never reaches the component, and is refused the same way.
    let out = meetkit(d, &["erp", "lobby", "--context", "ticket:1", "--user", "ana"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_call_request_expires_on_the_virtual_clock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["clock", "set", "2026-11-23T09:00:00Z"]);
    json(d, &["perfex", "settings", "--expiry", "60", "--notify", "all-staff"]);
    let r = json(d, &["perfex", "request", "--client", "globex", "--contact", "hank"]);
    let id = r["ok"]["Requested"]["id"].as_str().unwrap().to_string();
    let panel = json(d, &["perfex", "requests", "--panel", "omar"]);
    assert_eq!(panel["ok"]["items"][0]["id"], id.as_str());
    assert_eq!(panel["ok"]["total"], 1);
    let titles = |user: &str| -> Vec<String> {
        let bell = json(d, &["perfex", "bell", "--user", user]);
        bell.as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap().into()).collect()
    };
    assert_eq!(titles("omar"), ["Call request"]);
    // Moving the clock ticks, as the platform's scheduler would.
    let early = json(d, &["clock", "advance", "59s"]);
    assert_eq!(early["tick"]["perfex"]["ok"]["expired_requests"], serde_json::json!([]), "{early}");
    assert_eq!(json(d, &["perfex", "requests"])["ok"]["items"].as_array().unwrap().len(), 1);
    let out = meetkit(d, &["clock", "advance", "1s"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("the platforms ticked") && text.contains("perfex: 1 request(s) expired"), "{text}");
    assert!(json(d, &["perfex", "requests"])["ok"]["items"].as_array().unwrap().is_empty());
    let history = json(d, &["perfex", "history", "--request", &id]);
    assert_eq!(history["ok"][1]["action"], "expired");
    let page = json(d, &["perfex", "page", "--user", "hank"]);
    assert!(page.to_string().contains("Expired"), "{page}");
    assert!(titles("omar").is_empty(), "the expired request left the staff's bells");
    assert_eq!(titles("hank"), ["Call request expired"]);
}

#[test]
fn the_demo_tells_the_whole_story_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_meetkit"))
        .current_dir(dir.path())
        .args(["demo", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let events: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let sections: Vec<&str> =
        events.iter().filter(|e| e["event"] == "section").map(|e| e["title"].as_str().unwrap()).collect();
    assert_eq!(sections.len(), 8, "{sections:?}");
    assert!(events.iter().any(|e| e["event"] == "effect" && e["effect"]["effect"] == "toast"));
    assert!(events.iter().any(|e| e["event"] == "accept" && e["data"]["error"]["AlreadyTaken"].is_object()));
}

/// Starts `meetkit serve` on a free port of loopback; returns the process and its address.
fn serve(d: &Path, tick_secs: &str) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut server = Command::new(env!("CARGO_BIN_EXE_meetkit"))
        .arg("--data")
        .arg(d)
        .args(["serve", "--listen", "127.0.0.1:0", "--tick-secs", tick_secs])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let base = first.split_whitespace().find(|w| w.starts_with("http://")).expect("the address").to_string();
    (server, base)
}

/// A recorded call of the CRM: its recordings and their download, from the CRM's side.
#[test]
fn a_crm_calls_recording_is_listed_and_downloaded_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = json(d, &["perfex", "request", "--client", "globex", "--contact", "hank"]);
    let id = r["ok"]["Requested"]["id"].as_str().unwrap().to_string();
    // The CRM has no licence tiers, and says what the component is told instead.
    let world = String::from_utf8(meetkit(d, &["perfex", "world"]).stdout).unwrap();
    assert!(
        world.trim_end().ends_with("licence: none (the component is told X20 Advanced: every feature)"),
        "{world}"
    );
    let accepted = meetkit(d, &["perfex", "accept", "--request", &id, "--staff", "tom"]);
    let accepted = String::from_utf8(accepted.stdout).unwrap();
    // The text names the call's room, which JaaS's webhooks about it name.
    let room = accepted.split(", room ").nth(1).and_then(|r| r.lines().next()).expect(&accepted);
    let room = room.to_string();
    assert!(room.starts_with("mk"), "{accepted}");
    let uploaded = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/webhooks/recording-uploaded.json");
    let applied = json(
        d,
        &[
            "webhook",
            "apply",
            uploaded.to_str().unwrap(),
            "--platform",
            "perfex",
            "--room",
            &room,
            "--initiator",
            "tom",
        ],
    );
    assert_eq!(applied["ok"]["applied"], true, "{applied}");
    let recordings = json(d, &["perfex", "recordings", "--request", &id]);
    let recording = recordings["ok"]["items"][0]["id"].as_str().expect("the call's recording").to_string();
    assert!(recording.starts_with("rec-session-"), "named once for its session: {recording}");
    let url = json(d, &["perfex", "download", "--recording", &recording, "--user", "tom"]);
    assert!(url["ok"].as_str().unwrap().starts_with("https://"), "{url}");
    let text = String::from_utf8(meetkit(d, &["perfex", "recordings", "--request", &id]).stdout).unwrap();
    assert!(text.contains("Meeting ") && text.ends_with("page 1 of 1, 1 recording(s)\n"), "{text}");
    assert_eq!(recordings["ok"]["total"], 1);
    // A day later the tick takes it out of Files, named as Files showed it.
    let out = meetkit(d, &["clock", "advance", "25h"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("-> files of call-request:{id}: deleted Meeting ")), "{text}");
}

/// The component takes a meeting's notifications back from everyone it could have
/// reached; the text shows it only for the bells it changed.
#[test]
fn a_bell_is_said_to_change_only_when_it_held_something() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let started =
        json(d, &["erp", "start", "--context", "case:CASE-1042", "--user", "ben", "--select", "ben,erik"]);
    let meeting = started["ok"]["meeting"]["id"].as_str().unwrap().to_string();
    json(d, &["erp", "join", "--meeting", &meeting, "--user", "erik"]);
    // Ana was left out of the lobby; she joins from the case's Start, with no bell.
    json(d, &["erp", "start", "--context", "case:CASE-1042", "--user", "ana", "--select", "ana"]);
    json(d, &["erp", "leave", "--meeting", &meeting, "--user", "ana"]);
    let out = meetkit(d, &["erp", "leave", "--meeting", &meeting, "--user", "erik"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("-> bell of erik: notifications about meeting {meeting}")), "{text}");
    assert!(!text.contains("bell of ana"), "{text}");
}

#[test]
fn a_running_server_expires_requests_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["perfex", "settings", "--expiry", "1", "--notify", "all-staff"]);
    let r = json(d, &["perfex", "request", "--client", "globex", "--contact", "hank"]);
    let id = r["ok"]["Requested"]["id"].as_str().unwrap().to_string();
    // Nobody runs `meetkit tick`: the server's own ticker, once a second, must expire it.
    let (mut server, _) = serve(d, "1");
    // A listing shows it expired at its deadline already; the tick is what records it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let history = loop {
        let history = json(d, &["perfex", "history", "--request", &id]);
        if history["ok"][1]["action"] == "expired" || std::time::Instant::now() > deadline {
            break history;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(history["ok"][1]["action"], "expired", "{history}");
    let all = json(d, &["perfex", "requests", "--all"]);
    assert_eq!(all["ok"]["items"][0]["status"], "Expired");
    let page = json(d, &["perfex", "page", "--user", "hank"]);
    assert!(page.to_string().contains("Expired"), "the client was told: {page}");
    // Its call cannot be joined, and the refusal says why.
    let join = meetkit(d, &["perfex", "join", "--request", &id, "--user", "hank", "--json"]);
    assert_eq!(join.status.code(), Some(2));
    let refusal: Value = serde_json::from_slice(&join.stdout).unwrap();
    assert_eq!(
        refusal["error"]["InvalidTransition"],
        format!("call request {id} has no meeting: it expired"),
        "{refusal}"
    );
}

/// A recording whose storage accepts the download and never answers does not hold up
/// the server's ticks: a call request still expires on time.
#[test]
fn a_stalled_recording_download_does_not_hold_up_the_ticks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A storage that takes connections and never answers.
    let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stalled_at = stalled.local_addr().unwrap();
    std::thread::spawn(move || {
        let held: Vec<_> = stalled.incoming().collect();
        drop(held);
    });
    json(d, &["erp", "recording-settings", "--keep-copies", "true", "--retention-hours", "720"]);
    let started =
        json(d, &["erp", "start", "--context", "group:sales", "--user", "ana", "--select", "ana,ben"]);
    let room = started["ok"]["meeting"]["room"].as_str().unwrap().to_string();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/webhooks/recording-uploaded.json");
    let delivery = std::fs::read_to_string(sample).unwrap().replace(
        "https://recordings.8x8.example/{{room}}/7f1c2d3e.mp4?sig=example",
        &format!("http://{stalled_at}/stalled.mp4"),
    );
    assert!(delivery.contains(&stalled_at.to_string()));
    let file = d.join("stalled-upload.json");
    std::fs::write(&file, delivery).unwrap();

    let (mut server, base) = serve(d, "1");
    let to = format!("{base}/webhooks/jaas/erp");
    let sent = json(
        d,
        &["webhook", "send", file.to_str().unwrap(), "--room", &room, "--initiator", "ana", "--to", &to],
    );
    assert_eq!(sent["response"]["ok"]["applied"], true, "{sent}");
    // The copy is now being fetched, and hangs. A request made meanwhile expires.
    json(d, &["perfex", "settings", "--expiry", "1", "--notify", "all-staff"]);
    json(d, &["perfex", "request", "--client", "globex", "--contact", "hank"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        let all = json(d, &["perfex", "requests", "--all"]);
        let history =
            json(d, &["perfex", "history", "--request", all["ok"]["items"][0]["id"].as_str().unwrap()]);
        let expired = history["ok"].as_array().unwrap().iter().any(|h| h["action"] == "expired");
        if expired || std::time::Instant::now() > deadline {
            break expired;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(status, "the request expired by a tick while the download hung");
}

/// A server started on a virtual clock says so first: meetings, pages and the times of
/// JaaS signatures go by it.
#[test]
fn a_server_on_a_virtual_clock_says_so() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["clock", "set", "2026-11-23T09:00:00Z", "--no-tick"]);
    let mut server = Command::new(env!("CARGO_BIN_EXE_meetkit"))
        .arg("--data")
        .arg(d)
        .args(["serve", "--listen", "127.0.0.1:0", "--tick-secs", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufReader::new(server.stderr.take().unwrap()).read_line(&mut first).unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(first.contains("the clock is virtual, at 2026-11-23T09:00:00Z"), "{first}");
    assert!(first.contains("meetkit clock real"), "{first}");
}

/// A running server goes by the clock the commands beside it set: back to the real time
/// after `clock real`, and to a virtual time after `clock set`. (A delivery is signed at
/// the signer's time, and refused by a server whose time is a day away.)
#[test]
fn a_running_server_follows_the_clock_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/webhooks");
    let far = "2027-02-01T09:00:00Z";
    json(d, &["clock", "set", far, "--no-tick"]);
    let started =
        json(d, &["erp", "start", "--context", "group:sales", "--user", "ana", "--select", "ana,ben"]);
    let room = started["ok"]["meeting"]["room"].as_str().unwrap().to_string();
    let (mut server, base) = serve(d, "0");
    let to = format!("{base}/webhooks/jaas/erp");
    let send = |example: &str| {
        let file = examples.join(example);
        json(d, &["webhook", "send", file.to_str().unwrap(), "--room", &room, "--to", &to])
    };
    json(d, &["clock", "real"]);
    let on_real_time = send("participant-joined.json");
    json(d, &["clock", "set", far, "--no-tick"]);
    let on_virtual_time = send("participant-left.json");
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(on_real_time["status"], 200, "{on_real_time}");
    assert_eq!(on_virtual_time["status"], 200, "{on_virtual_time}");
}

/// Setting the clock back says so: what happened at the later times keeps them.
#[test]
fn setting_the_clock_back_warns() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The first step of a scenario on a fresh folder: nothing happened to keep its times.
    let first = json(d, &["clock", "set", "2020-02-01T09:00:00Z", "--no-tick"]);
    assert!(first.get("went_back_ms").is_none(), "{first}");
    json(d, &["clock", "set", "2027-02-01T09:00:00Z", "--no-tick"]);
    let forward = json(d, &["clock", "set", "2027-02-02T09:00:00Z", "--no-tick"]);
    assert!(forward.get("went_back_ms").is_none(), "{forward}");
    let back =
        String::from_utf8(meetkit(d, &["clock", "set", "2027-02-01T10:00:00Z", "--no-tick"]).stdout).unwrap();
    assert!(back.contains("the clock went back from 2027-02-02 09:00"), "{back}");
    let real = json(d, &["clock", "real"]);
    assert!(real["went_back_ms"].as_i64().unwrap() > 0, "{real}");
}

#[test]
fn meetkit_serve_takes_signed_deliveries_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/webhooks");
    let started =
        json(d, &["erp", "start", "--context", "group:sales", "--user", "ana", "--select", "ana,ben"]);
    let room = started["ok"]["meeting"]["room"].as_str().unwrap().to_string();

    let (mut server, base) = serve(d, "0");
    let to = format!("{base}/webhooks/jaas/erp");

    let joined = examples.join("participant-joined.json");
    let sent = json(d, &["webhook", "send", joined.to_str().unwrap(), "--room", &room, "--to", &to]);
    assert_eq!(sent["status"], 200, "{sent}");
    assert_eq!(sent["response"]["ok"]["applied"], true);
    assert_eq!(json(d, &["erp", "presence", "--user", "ben"]), "Busy");
    // The sample's own signature is from another secret and another time: refused.
    let out = meetkit(
        d,
        &["webhook", "send", joined.to_str().unwrap(), "--room", &room, "--to", &to, "--as-is", "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], 401);
    // A server that fails is a failure (1), not a refusal (2).
    let failing = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let failing_at = format!("http://{}/webhooks/jaas/erp", failing.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read as _, Write as _};
        let (mut stream, _) = failing.accept().unwrap();
        let mut request = [0; 65536];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(
            b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
        );
    });
    let out =
        meetkit(d, &["webhook", "send", joined.to_str().unwrap(), "--room", &room, "--to", &failing_at]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    // A delivery signed here and sent by another HTTP client, as a vendor tries theirs.
    let left = examples.join("participant-left.json");
    let signed = meetkit(d, &["webhook", "sign", left.to_str().unwrap(), "--room", &room]);
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let signed = String::from_utf8(signed.stdout).unwrap();
    let (header, body) = signed.split_once("\n\n").expect("the header, a blank line, the body");
    let signature = header.strip_prefix("X-Jaas-Signature: ").expect("the header");
    let response = ureq::post(&to)
        .header("Content-Type", "application/json")
        .header("X-Jaas-Signature", signature)
        .send(body.trim_end())
        .unwrap();
    let answer: Value = serde_json::from_str(&response.into_body().read_to_string().unwrap()).unwrap();
    assert_eq!(answer["ok"]["applied"], true, "{answer}");
    assert_eq!(json(d, &["erp", "presence", "--user", "ben"]), "Available");
    server.kill().unwrap();
    server.wait().unwrap();

    // The same deliveries can be applied without HTTP.
    let uploaded = examples.join("recording-uploaded.json");
    let applied =
        json(d, &["webhook", "apply", uploaded.to_str().unwrap(), "--room", &room, "--initiator", "ana"]);
    assert_eq!(applied["ok"]["applied"], true);
    let files = json(d, &["erp", "files", "--context", "group:sales"]);
    assert!(files[0]["name"].as_str().unwrap().starts_with("Meeting "), "{files}");
    let recordings = json(d, &["erp", "recordings", "--context", "group:sales"]);
    let id = recordings["ok"]["items"][0]["id"].as_str().unwrap();
    let url = json(d, &["erp", "download", "--recording", id, "--user", "ben"]);
    assert!(url["ok"].as_str().unwrap().starts_with("https://"));
}

#[test]
fn the_overview_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["clock", "set", "2026-11-23T09:00:00Z"]);
    let a = json(
        d,
        &[
            "overview",
            "schedule",
            "--host",
            "ana",
            "--guest-name",
            "Ida Berg",
            "--guest-email",
            "ida@x.example",
            "--type",
            "Intake",
            "--zone",
            "europe/amsterdam",
            "--at",
            "2026-11-24T10:00",
            "--duration",
            "45",
        ],
    );
    let id = a["ok"]["id"].as_str().unwrap().to_string();
    assert_eq!(a["ok"]["status"], "Scheduled");
    assert_eq!(a["ok"]["zone"], "Europe/Amsterdam", "the zone as the IANA database spells it");
    // An added guest's own link is shown, so that their page can be tried.
    let guest = ["--guest-name", "Jon Lee", "--guest-email", "jon@x.example", "--guest-phone", "+31 6 1234"];
    let added =
        json(d, &[&["overview", "add-guest", "--meeting", &id, "--user", "ana"][..], &guest[..]].concat());
    let link = added["guest_link"].as_str().expect("the added guest's link").to_string();
    let key = link.split_once("key=").expect("a key in the link").1;
    assert_ne!(key, a["ok"]["guest_key"].as_str().unwrap(), "a key of their own");
    let guest_page = json(d, &["overview", "guest", "--meeting", &id, "--key", key]);
    assert!(guest_page["ok"].is_object(), "{guest_page}");
    // The key alone finds the meeting, as for a guest who was given nothing else.
    assert_eq!(json(d, &["overview", "guest", "--key", key]), guest_page);
    let out = meetkit(d, &["overview", "guest", "--key", "0000"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: not-found: no meeting has that guest key")
    );
    // Invited again, the address in other capitals and under another name: the same
    // guest, sent the same link, under the name they were invited with.
    let again = ["--guest-name", "Jonathan", "--guest-email", "Jon@X.example"];
    let args = [&["overview", "add-guest", "--meeting", &id, "--user", "ana"][..], &again[..]].concat();
    assert_eq!(json(d, &args)["guest_link"], link.as_str());
    let text = String::from_utf8(meetkit(d, &args).stdout).unwrap();
    assert!(text.contains(&format!("Jon Lee's own link: {link}")), "{text}");
    let shown =
        String::from_utf8(meetkit(d, &["overview", "show", "--meeting", &id, "--user", "ana"]).stdout)
            .unwrap();
    assert!(shown.contains("Jon Lee <jon@x.example>, phone +31 6 1234"), "{shown}");
    let page = json(d, &["overview", "list", "--user", "ben", "--everyone"]);
    assert_eq!(page["ok"]["total"], 1, "ben shares the sales group with ana");
    let table = String::from_utf8(meetkit(d, &["overview", "list", "--user", "ana"]).stdout).unwrap();
    assert!(
        table.starts_with("Date") && table.contains("Ida Berg") && table.contains("scheduled"),
        "{table}"
    );
    // The id every other overview command takes is on the meeting's row.
    let row = table.lines().find(|l| l.contains("Ida Berg")).unwrap();
    assert!(row.trim_end().ends_with(&id), "{table}");
    assert!(row.starts_with("2026-11-24 10:00 CET"), "in the meeting's own zone: {row}");
    // One zone for the whole column, when asked.
    let out = meetkit(d, &["overview", "list", "--user", "ana", "--zone", "america/new_york"]);
    let table = String::from_utf8(out.stdout).unwrap();
    let row = table.lines().find(|l| l.contains("Ida Berg")).unwrap();
    assert!(row.starts_with("2026-11-24 04:00 EST"), "{table}");
    // Who is free to host at a time: Ana's meeting is 09:00 to 09:45 UTC.
    let out = meetkit(d, &["overview", "hosts", "--user", "ben", "--at", "2026-11-24T09:30"]);
    let hosts = String::from_utf8(out.stdout).unwrap();
    assert!(hosts.contains("(ana) - not available") && hosts.contains("(ben)\n"), "{hosts}");
    // Moving her meeting half an hour on, in its own zone and for its own length: the
    // meeting does not keep her busy, but the 45 minutes reach a meeting from 11:00.
    json(
        d,
        &[
            "overview",
            "schedule",
            "--host",
            "ana",
            "--guest-name",
            "Kim Li",
            "--guest-email",
            "kim@x.example",
            "--zone",
            "Europe/Amsterdam",
            "--at",
            "2026-11-24T11:00",
        ],
    );
    let free = |at: &str| {
        let v = json(d, &["overview", "hosts", "--user", "ben", "--meeting", &id, "--at", at]);
        v["ok"].as_array().unwrap().iter().find(|h| h["user"] == "ana").unwrap()["available"].clone()
    };
    assert_eq!(free("2026-11-24T10:10"), true);
    let out =
        meetkit(d, &["overview", "hosts", "--user", "ben", "--meeting", &id, "--at", "2026-11-24T10:10"]);
    let hosts = String::from_utf8(out.stdout).unwrap();
    assert!(hosts.contains("(ana, the meeting's host)\n") && hosts.contains("(ben)\n"), "{hosts}");
    assert_eq!(free("2026-11-24T10:30"), false, "10:30 to 11:15 CET meets Kim Li's meeting");
    let missing =
        ["overview", "hosts", "--user", "ben", "--meeting", "a-missing", "--at", "2026-11-24T10:00"];
    let out = meetkit(d, &missing);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no meeting a-missing"));
    let out = meetkit(d, &["overview", "hosts", "--user", "ben", "--meeting", &id, "--zone", "UTC"]);
    assert_eq!(out.status.code(), Some(2), "--zone is for --at");
    // Proposed slots read in the meeting's own zone, as its e-mail gives them.
    let planned = json(
        d,
        &[
            "overview",
            "schedule",
            "--host",
            "ana",
            "--guest-name",
            "Jan Vos",
            "--guest-email",
            "jan@x.example",
            "--type",
            "Intake",
            "--zone",
            "America/New_York",
            "--at",
            "2026-12-03T09:00",
            "--at",
            "2026-12-04T10:00",
        ],
    );
    let key = planned["ok"]["guest_key"].as_str().unwrap().to_string();
    let planned = planned["ok"]["id"].as_str().unwrap().to_string();
    // The guest's own page offers the same slots, by the same numbers.
    let page =
        String::from_utf8(meetkit(d, &["overview", "guest", "--meeting", &planned, "--key", &key]).stdout)
            .unwrap();
    assert!(
        page.contains("for Jan Vos") && page.contains("pick a time (--slot): 0) 2026-12-03 09:00 EST"),
        "{page}"
    );
    let shown = meetkit(d, &["overview", "show", "--meeting", &planned, "--user", "ana"]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(
        shown.contains("proposed slots (--slot): 0) 2026-12-03 09:00 EST; 1) 2026-12-04 10:00 EST"),
        "{shown}"
    );
    assert!(
        shown.contains("<jan@x.example> first proposed for 2026-12-03 09:00 EST"),
        "no time yet: {shown}"
    );
    let ics = d.join("meeting.ics");
    json(d, &["overview", "agenda", "--meeting", &id, "--user", "ana", "--out", ics.to_str().unwrap()]);
    let text = std::fs::read_to_string(&ics).unwrap();
    assert!(text.contains("DTSTART;TZID=Europe/Amsterdam:20261124T100000"), "{text}");
    // Printed instead of written, it is the same file, its last line ended as the others.
    let printed = meetkit(d, &["overview", "agenda", "--meeting", &id, "--user", "ana"]);
    let printed = String::from_utf8(printed.stdout).unwrap();
    assert!(printed.ends_with("END:VCALENDAR\r\n"), "{printed:?}");
    assert!(!printed.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
    let out = meetkit(
        d,
        &[
            "overview",
            "reschedule",
            "--meeting",
            &id,
            "--user",
            "ana",
            "--at",
            "2026-11-25T10:00",
            "--reason",
            " ",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: invalid-input: a reason is required"));
    // The overview opens on date, the latest first, upcoming meetings too; ascending when asked.
    let order = |extra: &[&str]| {
        let args = [&["overview", "list", "--user", "ana"][..], extra].concat();
        let table = String::from_utf8(meetkit(d, &args).stdout).unwrap();
        let at = |name: &str| table.find(name).unwrap_or_else(|| panic!("{name} in {table}"));
        at("Ida Berg") < at("Jan Vos")
    };
    assert!(!order(&[]), "latest first");
    assert!(!order(&["--desc"]));
    assert!(order(&["--asc"]), "nearest first when asked");
    // Once every proposed time has begun, the guest's page says so instead of offering none.
    json(d, &["clock", "set", "2026-12-05T09:00:00Z", "--no-tick"]);
    let page =
        String::from_utf8(meetkit(d, &["overview", "guest", "--meeting", &planned, "--key", &key]).stdout)
            .unwrap();
    assert!(page.contains("status: missed") && page.contains("every proposed time has passed"), "{page}");
    assert!(!page.contains("pick a time"), "{page}");
}

/// A scheduled meeting's room is its host's, even when the guest opened it by coming in
/// early: the Meet tab does not say the host started it.
#[test]
fn a_room_a_guest_opened_is_shown_as_the_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["clock", "set", "2026-11-23T09:00:00Z"]);
    let schedule = "overview schedule --host ana --guest-name Ida --guest-email ida@x.example --type Intake \
                    --zone UTC --at 2026-11-23T10:00";
    let a = json(d, &schedule.split_whitespace().collect::<Vec<_>>());
    let (id, key) = (a["ok"]["id"].as_str().unwrap(), a["ok"]["guest_key"].as_str().unwrap());
    json(d, &["clock", "set", "2026-11-23T09:50:00Z", "--no-tick"]);
    assert!(json(d, &["overview", "enter", "--meeting", id, "--key", key])["ok"].is_object());
    let context = format!("appointment:{id}");
    let shown = String::from_utf8(meetkit(d, &["erp", "meeting", "--context", &context]).stdout).unwrap();
    assert!(shown.contains("hosted by ana and opened at") && !shown.contains("started by"), "{shown}");
    assert!(shown.contains(&format!("in the meeting now: guest-{id}")), "{shown}");
}

#[test]
fn output_piped_into_a_reader_that_has_stopped_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_meetkit"))
        .arg("--data")
        .arg(dir.path())
        .args(["erp", "world"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("meetkit runs");
    // As `meetkit erp world | head -0`: the reader is gone before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

#[test]
fn a_copy_the_host_cannot_make_stays_owed_and_the_administrators_hear_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    json(d, &["clock", "set", "2026-11-23T09:00:00Z"]);
    let settings = [
        "erp",
        "recording-settings",
        "--keep-copies",
        "true",
        "--retention-hours",
        "720",
        "--time-zone",
        "Europe/Sofia",
    ];
    json(d, &settings);
    let started =
        json(d, &["erp", "start", "--context", "group:sales", "--user", "ana", "--select", "ana,ben"]);
    let room = started["ok"]["meeting"]["room"].as_str().unwrap().to_string();
    // The example's link leads to a host that does not resolve: the copy cannot be made.
    let uploaded = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/webhooks/recording-uploaded.json");
    let out =
        meetkit(d, &["webhook", "apply", uploaded.to_str().unwrap(), "--room", &room, "--initiator", "ana"]);
    assert!(out.status.success(), "the delivery is applied: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("still owed after 1 attempt(s)"), "{stdout}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'), "no colour codes in a pipe");

    // A tick right away leaves it be (retries wait, doubling from 30 seconds); a later
    // one tries again; two hours before JaaS deletes it the administrators are told.
    let waiting = json(d, &["tick"]);
    assert_eq!(waiting["erp"]["copies"]["owed"][0]["attempts"], 1, "{waiting}");
    // The listing gives its times in the company's zone, as the file's name and the
    // chat do.
    let recordings =
        String::from_utf8(meetkit(d, &["erp", "recordings", "--context", "group:sales"]).stdout).unwrap();
    assert!(
        recordings.contains(" EET.mp4 (at JaaS until 2026-11-24 11:00 EET, host copy pending"),
        "{recordings}"
    );
    json(d, &["clock", "advance", "1m", "--no-tick"]);
    let first = json(d, &["tick"]);
    assert_eq!(first["erp"]["copies"]["owed"][0]["attempts"], 2, "{first}");
    json(d, &["clock", "advance", "1319m", "--no-tick"]);
    let warned = json(d, &["tick"]);
    let flags: Vec<&str> = warned["erp"]["effects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["effect"] == "flag")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(flags.len(), 1, "{warned}");
    assert!(flags[0].contains("has not copied"), "{}", flags[0]);
    let listed = json(d, &["erp", "flags"]);
    assert_eq!(listed[0]["context"], "group:sales", "{listed}");
    assert!(listed[0]["text"].as_str().unwrap().contains("has not copied"), "{listed}");

    // At 24 hours JaaS deletes it: nothing is owed any more, and no copy is kept.
    json(d, &["clock", "advance", "2h", "--no-tick"]);
    let out = meetkit(d, &["tick"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no copy remains") && !text.contains("still owed"), "{text}");
    let recordings =
        String::from_utf8(meetkit(d, &["erp", "recordings", "--context", "group:sales"]).stdout).unwrap();
    assert!(recordings.contains("(deleted, no copy kept)"), "{recordings}");
}

#[test]
fn options_of_which_one_is_needed_are_named_together() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (args, choice) in [
        (&["overview", "cancel", "--meeting", "m", "--reason", "x"][..], "<--user <USER>|--key <KEY>>"),
        (&["erp", "meeting"][..], "<--meeting <MEETING>|--context <CONTEXT>>"),
        (&["overview", "hosts", "--user", "a"][..], "<--meeting <MEETING>|--at <AT>>"),
    ] {
        let out = meetkit(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(choice), "{args:?}: {stderr}");
    }
    let both =
        meetkit(d, &["overview", "cancel", "--meeting", "m", "--reason", "x", "--user", "a", "--key", "k"]);
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot be used with"));
}

#[test]
fn input_the_harness_cannot_use_exits_2_with_a_reason_in_the_chosen_shape() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let unsigned = d.join("unsigned.json");
    std::fs::write(&unsigned, r#"{"eventType": "ROOM_CREATED", "fqn": "{{room}}"}"#).unwrap();
    let unsigned = unsigned.to_str().unwrap();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/webhooks/participant-left.json");
    // Each with the kind the component's own refusal of the same thing has.
    let cases: [(&[&str], &str); 33] = [
        (&["perfex", "requests", "--panel", "nobody"], "UnknownUser"),
        (&["perfex", "cancel", "--request", "r-none", "--contact", "nobody"], "UnknownUser"),
        (
            &[
                "overview",
                "schedule",
                "--host",
                "ana",
                "--guest-name",
                "I",
                "--guest-email",
                "i@x.example",
                "--at",
                "2026-11-24T1:00",
                "--zone",
                "UTC",
                "--type",
                "Intake",
            ],
            "InvalidInput",
        ),
        (
            &[
                "overview",
                "schedule",
                "--host",
                "ana",
                "--guest-name",
                "I",
                "--guest-email",
                "i@x.example",
                "--at",
                "2026-02-30T10:00",
                "--zone",
                "UTC",
                "--type",
                "Intake",
            ],
            "InvalidInput",
        ),
        (&["erp", "lobby", "--context", "sales", "--user", "ana"], "InvalidInput"),
        (&["erp", "recording-settings", "--keep-copies", "true", "--retention-hours", "5"], "InvalidInput"),
        // Checked when set, even with copies off, rather than when copies are turned on.
        (&["erp", "recording-settings", "--retention-hours", "10"], "InvalidInput"),
        (&["erp", "recording-settings", "--time-zone", "Europe/Sofai"], "InvalidInput"),
        (&["perfex", "settings", "--expiry", "4294967295"], "InvalidInput"),
        (&["erp", "bell", "--user", "nobody"], "UnknownUser"),
        (&["erp", "chat", "--context", "group:nope"], "UnknownContext"),
        (&["perfex", "settings", "--notify", "departments:Suport"], "InvalidInput"),
        (&["perfex", "page", "--user", "zed"], "UnknownUser"),
        (&["perfex", "bell", "--user", "zed"], "UnknownUser"),
        (&["clock", "advance", "5x"], "InvalidInput"),
        (&["clock", "advance", "99999999999999999d"], "InvalidInput"),
        (&["clock", "advance", "99999999d"], "InvalidInput"),
        (&["overview", "list", "--user", "ana", "--page", "1", "--page-size", "0"], "InvalidInput"),
        (&["overview", "list", "--user", "ana", "--zone", "Mars/Olympus"], "InvalidInput"),
        (&["webhook", "apply", "no-such-file.json", "--room", "r"], "InvalidInput"),
        // Nothing to send as is; an option with nothing to fill would be ignored.
        (
            &["webhook", "send", unsigned, "--room", "r", "--to", "http://127.0.0.1:9/", "--as-is"],
            "InvalidInput",
        ),
        (&["webhook", "apply", example, "--room", "r", "--initiator", "ana"], "InvalidInput"),
        (&["perfex", "recordings", "--request", "r-none"], "NotFound"),
        (&["perfex", "files", "--request", "r-none"], "NotFound"),
        (&["perfex", "chat", "--request", "r-none"], "NotFound"),
        (&["erp", "recordings", "--context", "group:nope"], "UnknownContext"),
        (&["erp", "files", "--context", "call-request:r1"], "UnknownContext"),
        (&["erp", "files", "--context", "appointment:a-none"], "NotFound"),
        (&["erp", "chat", "--context", "appointment:"], "InvalidInput"),
        (&["erp", "join", "--context", "appointment:a-none", "--user", "ana"], "NotFound"),
        // Told why they may not be here, not to go and start a meeting.
        (&["erp", "join", "--context", "group:sales", "--user", "dev"], "NotAParticipant"),
        (&["erp", "join", "--context", "group:sales", "--user", "zed"], "UnknownUser"),
        (&["erp", "join", "--context", "group:sales", "--user", "ana"], "NotFound"),
    ];
    for (args, kind) in cases {
        let out = meetkit(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let label = match kind {
            "InvalidInput" => "invalid-input",
            "UnknownUser" => "unknown-user",
            "NotFound" => "not-found",
            "NotAParticipant" => "not-a-participant",
            _ => "unknown-context",
        };
        assert!(
            stderr.starts_with(&format!("error: {label}: ")) && stderr.trim_end().lines().count() == 1,
            "{args:?}: {stderr}"
        );

        let mut with_json = args.to_vec();
        with_json.push("--json");
        let out = meetkit(d, &with_json);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert!(v["error"][kind].is_string(), "{args:?}: {v}");
    }
    // The configuration is the user's to edit, and a mistake in it theirs to correct.
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("meetkit.toml"), "[jaas]\napp_id = 5\n").unwrap();
    let out = meetkit(config.path(), &["erp", "world"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: invalid-input: ")
            && stderr.contains("meetkit.toml: not a valid configuration at line 2, column 10")
            && stderr.trim_end().lines().count() == 1,
        "{stderr}"
    );
    // A misspelled setting is refused, not replaced by its default in silence (the
    // replay window of webhooks, say), and so is an AppID JaaS never gives.
    let written = std::fs::read_to_string(d.join("meetkit.toml")).unwrap();
    for (from, to, said) in [
        ("tolerance_secs", "tolerance_sec", "unknown field `tolerance_sec`"),
        (
            "app_id = \"vpaas-magic-cookie-",
            "app_id = \"vpaas-magic-",
            "app_id is vpaas-magic-cookie-<32 hex digits>",
        ),
        // Anyone could sign deliveries with an empty secret.
        ("secret = \"whsec_", "secret = \"\" # ", "secret is empty"),
        ("domain = \"8x8.vc\"", "domain = \"https://8x8.vc/\"", "domain is a host name alone"),
        ("token_ttl_secs = 7200", "token_ttl_secs = 0", "token_ttl_secs is from 60"),
        ("public_address = \"http://", "public_address = \"", "public_address is an http(s) address"),
    ] {
        assert!(written.contains(from), "{written}");
        std::fs::write(config.path().join("meetkit.toml"), written.replacen(from, to, 1)).unwrap();
        let out = meetkit(config.path(), &["erp", "world"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(said),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A mistyped endpoint is a usage error: nothing is signed or sent.
    let out = meetkit(d, &["webhook", "send", "participant-left.json", "--to", "not-a-url"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an http:// or https:// address"));
    // A time that is no time says so in the user's terms, not the parser's.
    let args = [
        "overview",
        "reschedule",
        "--meeting",
        "m",
        "--user",
        "ana",
        "--at",
        "2026-11-24T25:00",
        "--reason",
        "r",
    ];
    let stderr = String::from_utf8(meetkit(d, &args).stderr).unwrap();
    assert_eq!(
        stderr.trim_end(),
        "error: invalid-input: 2026-11-24T25:00 is not a date and time of the calendar (no such day or hour)"
    );
    // Usage errors clap finds are JSON too under --json; pages count from 1, as printed.
    let out = meetkit(d, &["perfex", "requests", "--page", "0", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = v["error"]["InvalidInput"].as_str().unwrap();
    assert!(why.contains("--page") && why.contains("pages are counted from 1"), "{v}");
    // Times and durations the clock cannot take are refused in the project's words,
    // with examples, not the date library's grammar.
    for (args, said) in [
        (&["clock", "advance", "5x"][..], r#""5x" is not a duration (90s, 5m, 24h, 2d, 23h59m)"#),
        (
            &["clock", "advance", "99999999d"][..],
            r#""99999999d" is too long: the virtual clock runs from 1970 to the year 9999"#,
        ),
        (&["clock", "advance", "--", "-5m"], r#""-5m" is a negative duration"#),
        (&["clock", "set", "tomorrow"], r#""tomorrow" is not an RFC 3339 time (e.g. 2026-11-25T10:00:00Z)"#),
        (
            &["clock", "set", "9999-12-31T23:00:00Z"],
            r#""9999-12-31T23:00:00Z" is too late: the virtual clock runs from 1970 to the year 9999"#,
        ),
        (&["clock", "set", "1969-12-31T23:00:00Z"], "the virtual clock runs from 1970 to the year 9999"),
        (
            &["clock", "set", "2026-11-24T10:00:00"],
            r#""2026-11-24T10:00:00" is not an RFC 3339 time (e.g. 2026-11-25T10:00:00Z)"#,
        ),
        (
            &["clock", "set", "2026-11-24T10:00:00+25:00"],
            r#""2026-11-24T10:00:00+25:00" is not an RFC 3339 time (e.g. 2026-11-25T10:00:00Z)"#,
        ),
    ] {
        let out = meetkit(d, args);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.trim_end(), format!("error: invalid-input: {said}"));
    }
    let first = String::from_utf8(meetkit(d, &["perfex", "requests", "--page", "1"]).stdout).unwrap();
    assert!(first.contains("page 1 of 1"), "{first}");
    // The licence tier as the licence spells it, or in lower case.
    for tier in ["X19", "x20"] {
        json(d, &["erp", "licence", tier]);
    }
    // What clap names goes with the reason: the missing argument, the possible values.
    for (args, named) in [
        (&["erp", "join", "--meeting", "x", "--json"][..], "--user <USER>"),
        (&["erp", "licence", "x21", "--json"][..], "[possible values: x19, x20]"),
    ] {
        let out = meetkit(d, args);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let reason = v["error"]["InvalidInput"].as_str().unwrap();
        assert!(reason.contains(named) && !reason.contains("Usage:"), "{args:?}: {reason}");
    }

    // The refused settings were not kept: requests still reach Support.
    let settings = json(d, &["perfex", "settings"]);
    assert_eq!(settings["notify"][0]["departments"][0], "Support", "{settings}");
}

#[test]
fn bell_notifications_are_read_when_opened_or_followed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let started =
        json(d, &["erp", "start", "--context", "group:sales", "--user", "ana", "--select", "ana,ben"]);
    let meeting = started["ok"]["meeting"]["id"].as_str().unwrap().to_string();
    let bell = json(d, &["erp", "bell", "--user", "ben"]);
    assert_eq!(bell.as_array().unwrap().len(), 1);
    assert_eq!(bell[0]["read"], false, "{bell}");
    let text = String::from_utf8(meetkit(d, &["erp", "bell", "--user", "ben"]).stdout).unwrap();
    assert!(text.contains("(unread)"), "{text}");
    // Ben follows the notification into the meeting: it is read.
    json(d, &["erp", "join", "--meeting", &meeting, "--user", "ben", "--via", "notification"]);
    assert_eq!(json(d, &["erp", "bell", "--user", "ben"])[0]["read"], true);

    // Joining through the red toaster answers the notification as well.
    json(d, &["erp", "leave", "--meeting", &meeting, "--user", "ben"]);
    let case =
        json(d, &["erp", "start", "--context", "case:CASE-1042", "--user", "ana", "--select", "ana,ben"]);
    let case = case["ok"]["meeting"]["id"].as_str().unwrap().to_string();
    assert_eq!(json(d, &["erp", "bell", "--user", "ben"])[0]["read"], false);
    json(d, &["erp", "join", "--meeting", &case, "--user", "ben", "--via", "toaster"]);
    assert_eq!(json(d, &["erp", "bell", "--user", "ben"])[0]["read"], true);

    // Opening the bell reads the rest, after showing them unread once.
    json(d, &["erp", "leave", "--meeting", &case, "--user", "ben"]);
    json(d, &["erp", "start", "--context", "group:sales", "--user", "ana", "--select", "ana,ben"]);
    let opened = json(d, &["erp", "bell", "--user", "ben", "--read"]);
    assert_eq!(opened[0]["read"], false, "shown as it was: {opened}");
    let after = json(d, &["erp", "bell", "--user", "ben"]);
    assert!(after.as_array().unwrap().iter().all(|n| n["read"] == true), "{after}");

    // The CRM's bell opens the same way.
    json(d, &["perfex", "request", "--client", "acme", "--contact", "john"]);
    assert_eq!(json(d, &["perfex", "bell", "--user", "maria", "--read"])[0]["read"], false);
    assert_eq!(json(d, &["perfex", "bell", "--user", "maria"])[0]["read"], true);
}

/// A store address with a scheme the harness does not know is refused, rather than
/// taken for the name of an SQLite file (a store of its own where a shared one was meant).
#[test]
fn a_mistyped_store_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_meetkit"))
        .current_dir(dir.path())
        .args(["--data", "data", "--store", "redsi://127.0.0.1:6379", "erp", "world"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the scheme \"redsi\""), "{stderr}");
    assert!(!dir.path().join("redsi:").exists(), "no file was made of the address");
}

/// A tenant's key file that is not where `meetkit.toml` says is an error, not a new key:
/// tokens signed with any key but the uploaded one are rejected by JaaS. Only the
/// development configuration makes its key, and makes it again, loudly, when it is gone.
#[test]
fn a_tenant_key_that_is_missing_is_refused_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = meetkit(d, &["keys", "public"]);
    assert!(first.status.success());
    assert!(first.stderr.is_empty(), "a new data folder's key is made quietly");
    // Made again, loudly: it no longer matches the public key printed before.
    std::fs::rename(d.join("jaas-private-key.pem"), d.join("saved.pem")).unwrap();
    let again = meetkit(d, &["keys", "public"]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("the development JaaS key was missing"));
    assert_ne!(again.stdout, first.stdout);
    std::fs::rename(d.join("saved.pem"), d.join("jaas-private-key.pem")).unwrap();
    let config = std::fs::read_to_string(d.join("meetkit.toml")).unwrap();
    let tenant = config
        .replace("key_id = \"meetkit-dev\"", "key_id = \"a1b2c3\"")
        .replace("jaas-private-key.pem", "tenant.pem");
    assert_ne!(tenant, config);
    std::fs::write(d.join("meetkit.toml"), tenant).unwrap();

    let out = meetkit(d, &["erp", "join", "--context", "group:sales", "--user", "ana"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tenant.pem") && stderr.contains("does not exist"), "{stderr}");
    assert!(!d.join("tenant.pem").exists(), "no key was made in the tenant's name");

    // With the tenant's key in place, its tokens are signed with it.
    std::fs::copy(d.join("jaas-private-key.pem"), d.join("tenant.pem")).unwrap();
    let second = String::from_utf8(meetkit(d, &["keys", "public"]).stdout).unwrap();
    assert_eq!(second, String::from_utf8(first.stdout).unwrap());
}

/// A world file with a mistake is refused in one line that says where and what, and the
/// world in use stays.
#[test]
fn a_world_file_with_a_mistake_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = json(d, &["erp", "world"]);
    let cases = [
        ("erp", "licence = \"X20\"\n[[users]]\nid = \"ana\"\nname = 3\n", "line 4, column 8"),
        ("erp", "licence = \"X20\"\n[[users]]\nid = \"\"\nname = \"Ana\"\n", "empty id"),
        ("erp", "licence = \"X20\"\n[[users]]\nid = \"ana\"\nname = \"Ana\"\nemail = \"nope\"\n", "\"nope\""),
    ];
    let crm =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/perfex-world.toml"))
            .unwrap()
            .replace("id = \"maria\"", "id = \"maria p\"");
    // A record defined twice: the second would be out of reach.
    let example = |file: &str| {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(file)).unwrap()
    };
    let two_sales = example("erp-world.toml").replace("id = \"partners\"", "id = \"sales\"");
    let two_globex = example("perfex-world.toml").replace("id = \"acme\"", "id = \"globex\"");
    let twice = [
        ("erp", two_sales.as_str(), "group sales is defined twice"),
        ("perfex", two_globex.as_str(), "client globex is defined twice"),
    ];
    for (platform, text, says) in
        cases.iter().copied().chain([("perfex", crm.as_str(), "one word")]).chain(twice)
    {
        let file = d.join("world.toml");
        std::fs::write(&file, text).unwrap();
        let out = meetkit(d, &[platform, "world", "--load", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.starts_with("error: invalid-input: "), "{stderr}");
        assert!(stderr.trim_end().lines().count() == 1 && stderr.contains(says), "{stderr}");
    }
    assert_eq!(json(d, &["erp", "world"]), before, "the world in use stays");
}

/// `webhook sign --body-out` writes exactly the bytes its header signs.
#[test]
fn a_signed_body_written_to_a_file_matches_its_signature() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let delivery = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/webhooks/participant-left.json");
    let sign = |body_out: &Path, json: bool| {
        let mut args = vec!["webhook", "sign", delivery.to_str().unwrap(), "--room", "r1", "--body-out"];
        args.push(body_out.to_str().unwrap());
        if json {
            args.push("--json");
        }
        meetkit(d, &args)
    };

    let body_file = d.join("body.json");
    let out = sign(&body_file, true);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let signed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let header = signed["signature"].as_str().unwrap();
    let config: toml::Value =
        toml::from_str(&std::fs::read_to_string(d.join("meetkit.toml")).unwrap()).unwrap();
    let secret = config["webhooks"]["secret"].as_str().unwrap();
    let t: i64 = header.trim_start_matches("t=").split(',').next().unwrap().parse().unwrap();
    let body = std::fs::read(&body_file).unwrap();
    meetkit_host::jaas_signature::verify(Some(header), &body, secret, t, 60).expect("the signature matches");
    assert!(!body.ends_with(b"\n"));

    // A file to write in a folder that does not exist is the user's to correct.
    let out = sign(Path::new("/nonexistent-dir/body.json"), false);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: invalid-input: cannot write /nonexistent-dir")
    );
}

/// A refusal is one line on the terminal, whatever it echoes of the input: control
/// characters are shown escaped, and a very long id is cut (`--json` has it whole).
#[test]
fn a_refusal_echoing_odd_input_stays_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let odd = "r-\u{1b}[31mred\nsecond line\u{2028}\u{202e}turned";
    let out = meetkit(d, &["perfex", "accept", "--request", odd, "--staff", "maria"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(!stderr.contains(['\u{1b}', '\u{2028}', '\u{202e}']), "{stderr}");
    assert!(stderr.contains(r"\u{1b}[31mred\nsecond line\u{2028}\u{202e}turned"), "{stderr}");
    let long = "r".repeat(100_000);
    let out = meetkit(d, &["perfex", "accept", "--request", &long, "--staff", "maria"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.len() < 1_000 && stderr.contains("whole with --json"), "{} bytes", stderr.len());
    let out = meetkit(d, &["perfex", "accept", "--request", &long, "--staff", "maria", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"].to_string().contains(&long));
}
