//! Several `meetkit serve` processes on one store, and processes killed mid-burst.

#[path = "../../tests/src/redis.rs"]
mod redis;

use redis::RedisServer;
use serde_json::{Value, json};
use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};

fn meetkit(data: &Path, store: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meetkit"))
        .arg("--data")
        .arg(data)
        .args(["--store", store])
        .args(args)
        .output()
        .unwrap()
}

/// A `meetkit serve` process, its address and the API token of its data folder.
struct Server {
    child: Mutex<Child>,
    base: String,
    token: String,
}

impl Server {
    fn start(data: &Path, store: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_meetkit"))
            .arg("--data")
            .arg(data)
            .args(["--store", store, "serve", "--listen", "127.0.0.1:0", "--tick-secs", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let base =
            first.split_whitespace().find(|w| w.starts_with("http://")).expect("an address").to_string();
        let config: toml::Value =
            toml::from_str(&std::fs::read_to_string(data.join("meetkit.toml")).unwrap()).unwrap();
        let token = config["api"]["token"].as_str().expect("an API token").to_string();
        Server { child: Mutex::new(child), base, token }
    }

    /// What `/health` answers: its status and body.
    fn health(&self) -> (u16, String) {
        let response = ureq::get(&format!("{}/health", self.base))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .unwrap();
        let status = response.status().as_u16();
        (status, response.into_body().read_to_string().unwrap())
    }

    fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), String> {
        let response = ureq::post(&format!("{}{path}", self.base))
            .config()
            .http_status_as_error(false)
            .build()
            .header("Content-Type", "application/json")
            .header("Authorization", &format!("Bearer {}", self.token))
            .send(body.to_string())
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().map_err(|e| e.to_string())?;
        let value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        Ok((status, value))
    }

    /// Kills the process without warning (SIGKILL).
    fn kill(&self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A data folder whose configuration and keys exist before several processes share it.
fn prepared(store: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(meetkit(dir.path(), store, &["keys", "show"]).status.success());
    assert!(meetkit(dir.path(), store, &["perfex", "settings", "--notify", "all-staff"]).status.success());
    dir
}

#[test]
fn accepts_sent_to_several_processes_at_once_have_one_winner_each_round() {
    let redis = RedisServer::start();
    let store = redis.url();
    let dir = prepared(&store);
    let servers: Vec<Server> = (0..3).map(|_| Server::start(dir.path(), &store)).collect();
    let staff = ["maria", "tom", "lena"];
    let barrier = Barrier::new(servers.len());
    for round in 0..20 {
        let (status, r) = servers[round % 3]
            .post("/api/perfex/call-requests", &json!({"RequestCall": ["acme", "john"]}))
            .unwrap();
        assert_eq!(status, 200, "{r}");
        let id = r["ok"]["Requested"]["id"].as_str().unwrap().to_string();
        let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
            let handles: Vec<_> = servers
                .iter()
                .zip(staff)
                .map(|(server, who)| {
                    let (id, barrier) = (id.clone(), &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        server.post("/api/perfex/call-requests", &json!({"Accept": [id, who]})).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<usize> = (0..3).filter(|i| answers[*i].0 == 200).collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        let winner = staff[winners[0]];
        for (i, (status, body)) in answers.iter().enumerate() {
            if i != winners[0] {
                assert_eq!(*status, 409, "round {round}: {body}");
                assert_eq!(body["error"]["AlreadyTaken"]["by"], winner);
            }
        }
        if round == 0 {
            // The client joins from their client area, through any process.
            let meeting = answers[winners[0]].1["ok"]["Accepted"][0]["meeting"].as_str().unwrap().to_string();
            let (status, ticket) = servers[2]
                .post(&format!("/api/perfex/meetings/{meeting}/join"), &json!({"user": "john"}))
                .unwrap();
            assert_eq!(status, 200, "{ticket}");
            assert!(ticket["ok"]["address"].as_str().unwrap().starts_with("https://8x8.vc/"), "{ticket}");
            let (status, refused) = servers[1]
                .post(&format!("/api/perfex/meetings/{meeting}/join"), &json!({"user": "hank"}))
                .unwrap();
            assert_eq!(status, 403, "another client's contact is no party of the call: {refused}");
        }
        let (status, body) =
            servers[0].post("/api/perfex/call-requests", &json!({"Complete": [id, winner]})).unwrap();
        assert_eq!(status, 200, "{body}");
    }
}

#[test]
fn starts_sent_to_several_processes_at_once_make_one_meeting() {
    let redis = RedisServer::start();
    let store = redis.url();
    let dir = prepared(&store);
    let servers: Vec<Server> = (0..3).map(|_| Server::start(dir.path(), &store)).collect();
    let users = ["ana", "ben", "erik"];
    let barrier = Barrier::new(servers.len());
    for round in 0..10 {
        let answers: Vec<Value> = std::thread::scope(|s| {
            let handles: Vec<_> = servers
                .iter()
                .zip(users)
                .map(|(server, who)| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let start =
                            json!({"context": {"Case": "CASE-1042"}, "initiator": who, "selection": [who]});
                        barrier.wait();
                        let (status, body) = server.post("/api/erp/meetings", &start).unwrap();
                        assert_eq!(status, 200, "{body}");
                        body["ok"].clone()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(answers.iter().filter(|a| a["created"] == true).count(), 1, "round {round}: {answers:?}");
        let id = answers[0]["meeting"]["id"].as_str().unwrap();
        assert!(answers.iter().all(|a| a["meeting"]["id"] == id));
        for who in users {
            servers[0].post(&format!("/api/erp/meetings/{id}/leave"), &json!({"user": who})).unwrap();
        }
    }
}

/// A world of many groups, so that a burst of starts creates many meetings.
fn many_groups(dir: &Path, store: &str, n: usize) {
    let mut world = String::from("licence = \"X20\"\n[[users]]\nid = \"ana\"\nname = \"Ana\"\n");
    for i in 0..n {
        world.push_str(&format!("[[groups]]\nid = \"g{i}\"\nname = \"Group {i}\"\nmembers = [\"ana\"]\n"));
    }
    let file = dir.join("world.toml");
    std::fs::write(&file, world).unwrap();
    assert!(meetkit(dir, store, &["erp", "world", "--load", file.to_str().unwrap()]).status.success());
}

/// Starts meetings in a burst from two clients, kills the server mid-burst, and returns
/// the meetings it acknowledged.
fn burst_then_kill(server: &Server, groups: usize, kill_after: usize) -> Vec<(String, String)> {
    let acked = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        for half in 0..2 {
            let (acked, stop) = (&acked, &stop);
            s.spawn(move || {
                for i in (half..groups).step_by(2) {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let start = json!({"context": {"Group": format!("g{i}")}, "initiator": "ana", "selection": ["ana"]});
                    match server.post("/api/erp/meetings", &start) {
                        Ok((200, body)) => {
                            let id = body["ok"]["meeting"]["id"].as_str().unwrap().to_string();
                            acked.lock().unwrap().push((format!("g{i}"), id));
                        }
                        Ok((status, body)) => panic!("a start failed with {status}: {body}"),
                        Err(_) => break, // the server is gone
                    }
                }
            });
        }
        while acked.lock().unwrap().len() < kill_after {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        server.kill();
        stop.store(true, Ordering::SeqCst);
    });
    acked.into_inner().unwrap()
}

/// Every acknowledged meeting is there, running, after the crash.
fn nothing_acknowledged_is_lost(dir: &Path, store: &str, acked: &[(String, String)]) {
    assert!(acked.len() >= 30, "the burst was too short to prove anything: {}", acked.len());
    let harness = meetkit_host::Harness::open(meetkit_host::HarnessOptions {
        data_dir: dir.to_path_buf(),
        store: Some(store.to_string()),
        ..Default::default()
    })
    .unwrap();
    let erp = harness.erp().unwrap();
    for (group, id) in acked {
        let meeting = erp
            .get_meeting(id)
            .unwrap()
            .value
            .unwrap_or_else(|e| panic!("{group}: meeting {id} lost: {e:?}"));
        assert_eq!(meeting.state, meetkit_host::bindings::types::MeetingState::Running);
        let running = erp
            .meeting_in_context(&meetkit_host::bindings::types::Context::Group(group.clone()))
            .unwrap()
            .value
            .unwrap();
        assert_eq!(running.map(|m| m.id).as_deref(), Some(id.as_str()), "{group} lost its running meeting");
    }
}

#[test]
fn a_killed_process_loses_nothing_it_acknowledged_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("state.db").display().to_string();
    assert!(meetkit(dir.path(), &store, &["keys", "show"]).status.success());
    many_groups(dir.path(), &store, 400);
    let server = Server::start(dir.path(), &store);
    let acked = burst_then_kill(&server, 400, 60);
    nothing_acknowledged_is_lost(dir.path(), &store, &acked);
}

#[test]
fn a_killed_process_and_a_killed_redis_lose_nothing_acknowledged() {
    let mut redis = RedisServer::start();
    let store = redis.url();
    let dir = tempfile::tempdir().unwrap();
    assert!(meetkit(dir.path(), &store, &["keys", "show"]).status.success());
    many_groups(dir.path(), &store, 400);
    let server = Server::start(dir.path(), &store);
    let acked = burst_then_kill(&server, 400, 60);
    // Redis dies too, and comes back from its append-only file.
    let (data, port) = (redis.dir().to_path_buf(), redis.port());
    redis.kill();
    let _restarted = RedisServer::start_in(&data, port);
    nothing_acknowledged_is_lost(dir.path(), &store, &acked);
}

#[test]
fn the_api_answers_only_the_platform_and_always_in_the_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &dir.path().join("state.db").display().to_string());
    let start = json!({"context": {"Group": "sales"}, "initiator": "ana", "selection": ["ana", "ben"]});
    let call = |path: &str, token: Option<&str>, body: String| {
        let mut request = ureq::post(&format!("{}{path}", server.base))
            .config()
            .http_status_as_error(false)
            .build()
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let response = request.send(body).unwrap();
        let status = response.status().as_u16();
        let text = response.into_body().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    };
    // Without the token, or with another, nobody gets a moderator's ticket.
    for token in [None, Some("guess")] {
        let (status, body) = call("/api/erp/meetings", token, start.to_string());
        assert_eq!(status, 401, "{body}");
        assert!(body["error"]["Unauthorized"].is_string(), "{body}");
    }
    let (status, body) = call("/api/erp/meetings", Some(&server.token), start.to_string());
    assert_eq!(status, 200, "{body}");
    // The scheme's name is not case-sensitive.
    let lower = ureq::get(&format!(
        "{}/api/erp/meetings/{}",
        server.base,
        body["ok"]["meeting"]["id"].as_str().unwrap()
    ))
    .header("Authorization", &format!("bearer {}", server.token))
    .call()
    .unwrap();
    assert_eq!(lower.status().as_u16(), 200);
    // Refusals of every origin share one shape.
    let cases = [
        ("/api/erp/meetings", "{not json".to_string(), 400, "InvalidInput"),
        ("/api/nope/meetings", start.to_string(), 404, "NotFound"),
        ("/api/erp/nowhere", start.to_string(), 404, "NotFound"),
        ("/api/erp/meetings", "x".repeat(100_000), 413, "PayloadTooLarge"),
    ];
    for (path, body, status, kind) in cases {
        let (got, value) = call(path, Some(&server.token), body);
        assert_eq!(got, status, "{path}: {value}");
        assert!(value["error"][kind].is_string(), "{path}: {value}");
        if got == 413 {
            assert_eq!(value["error"][kind], "the body is larger than the 64 KiB this address takes");
        }
    }
    let health = ureq::get(&format!("{}/health", server.base)).call().unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[test]
fn health_says_when_the_store_is_down_and_when_it_is_back() {
    let mut redis = RedisServer::start();
    let store = redis.url();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &store);
    let health = || server.health();
    assert_eq!(health().0, 200);

    let (data, port) = (redis.dir().to_path_buf(), redis.port());
    redis.kill();
    let (status, body) = health();
    assert_eq!(status, 503, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    // Said as the store's own failure, with the server that does not answer.
    let why = body["error"]["StoreFailure"].as_str().unwrap();
    assert!(why.starts_with(&format!("Redis at {store} does not answer: ")), "{body}");
    // A call made meanwhile is refused as the store's failure, not left hanging.
    let start = json!({"context": {"Group": "sales"}, "initiator": "ana", "selection": ["ana", "ben"]});
    let (status, refused) = server.post("/api/erp/meetings", &start).unwrap();
    assert_eq!(status, 503, "{refused}");
    assert!(refused["error"]["StoreFailure"].is_string(), "{refused}");

    // The same server recovers once Redis is back, without a restart.
    let _restarted = RedisServer::start_in(&data, port);
    assert_eq!(health().0, 200);
    let (status, started) = server.post("/api/erp/meetings", &start).unwrap();
    assert_eq!(status, 200, "{started}");
}

/// An SQLite store that answers reads but takes no writes (another process holds it
/// locked) is not healthy: every webhook would be refused. `/health` says so once the
/// store gives up waiting for the lock, and is well again when the lock goes.
#[test]
fn health_says_when_the_sqlite_store_takes_no_writes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let server = Server::start(dir.path(), &db.display().to_string());
    let health = || server.health();
    assert_eq!(health().0, 200);
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (status, body) = health();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("StoreFailure") && body.contains("locked"), "{body}");
    holder.execute_batch("COMMIT").unwrap();
    assert_eq!(health().0, 200);
}

/// A Redis that stops answering without closing its connections is a store failure
/// after a while, not a server that hangs with it.
#[test]
fn a_redis_that_hangs_is_a_store_failure_not_a_hung_server() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &redis.url());
    let health = || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build()
            .into();
        agent.get(&format!("{}/health", server.base)).call().map(|r| r.status().as_u16())
    };
    assert_eq!(health().unwrap(), 200);
    redis.pause();
    let asked = std::time::Instant::now();
    let answer = health();
    redis.resume();
    assert_eq!(answer.unwrap(), 503, "answered after {:?}", asked.elapsed());
    assert_eq!(health().unwrap(), 200);
}

/// A running server follows the virtual clock that `meetkit clock` moves beside it.
#[test]
fn a_running_server_follows_the_virtual_clock_moved_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("state.db").display().to_string();
    assert!(meetkit(dir.path(), &store, &["clock", "set", "2026-11-23T09:00:00Z"]).status.success());
    let server = Server::start(dir.path(), &store);
    assert!(meetkit(dir.path(), &store, &["clock", "advance", "3h", "--no-tick"]).status.success());
    let start = json!({"context": {"Group": "sales"}, "initiator": "ana", "selection": ["ana"]});
    let (status, started) = server.post("/api/erp/meetings", &start).unwrap();
    assert_eq!(status, 200, "{started}");
    // 2026-11-23T12:00:00Z
    assert_eq!(started["ok"]["meeting"]["started_at"], 1_795_435_200_000_i64, "{started}");
}
