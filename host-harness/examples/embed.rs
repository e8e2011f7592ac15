//! Embedding meetkit in your own Rust host.
//!
//! A platform gives the component its directory and settings by implementing `Platform`
//! over its own data; the harness supplies everything else (the wasmtime runtime with its
//! compiled-component cache, the key-value store, the JaaS signer, the platform's log of
//! what the component asked it to show). Then every export is one typed method, and each
//! call also returns what the component asked the platform to show (`Call::effects`:
//! chat comments, bells, toasters, presence, files, e-mail), for the platform to put on
//! its own screens. The JaaS tenant (AppID, key id, private key) is read from
//! `meetkit.toml` in the data folder, or given as `HarnessOptions::config`; the
//! platform's scheduler calls `copy_and_tick` every few seconds.
//!
//! ```sh
//! cargo run --example embed            # a meeting in a design team's group
//! ```

use anyhow::{Result, bail};
use meetkit_host::bindings::directory::{ContextInfo, Member, Relation};
use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::types::{Context, Licence, User, UserKind};
use meetkit_host::effects::Effect;
use meetkit_host::platform::Platform;
use meetkit_host::{Call, Harness, HarnessOptions};
use std::sync::Arc;

/// Your platform: here, three people and one group, held in memory.
struct DesignStudio {
    people: Vec<User>,
}

impl DesignStudio {
    fn new() -> Self {
        let person = |id: &str, name: &str| User {
            id: id.into(),
            name: name.into(),
            email: format!("{id}@studio.example"),
            avatar: None,
            kind: UserKind::Internal,
        };
        DesignStudio {
            people: vec![person("noa", "Noa Levi"), person("sam", "Sam Osei"), person("kit", "Kit Berg")],
        }
    }
}

impl Platform for DesignStudio {
    fn describe_context(&self, context: &Context) -> Option<ContextInfo> {
        match context {
            Context::Group(id) if id == "design" => Some(ContextInfo {
                title: "Design team".into(),
                members: self
                    .people
                    .iter()
                    .map(|u| Member { user: u.clone(), relation: Relation::Member })
                    .collect(),
            }),
            _ => None,
        }
    }

    fn user(&self, id: &str) -> Option<User> {
        self.people.iter().find(|u| u.id == id).cloned()
    }

    fn licence(&self) -> Licence {
        Licence::X20Advanced
    }

    fn groups_of(&self, user: &str) -> Vec<String> {
        if self.user(user).is_some() { vec!["design".into()] } else { Vec::new() }
    }
}

/// Puts what the component asked for on the platform's own screens (here: printed).
fn show(effects: &[Effect]) {
    for effect in effects {
        match effect {
            Effect::Comment { context, comment } => println!("  chat of {context:?}: {}", comment.text),
            Effect::Notification { user, notification } => {
                println!("  bell of {user}: {}", notification.title)
            }
            Effect::Presence { user, state } => println!("  {user} is now {state:?}"),
            other => println!("  also: {other:?}"),
        }
    }
}

/// A call's value, or its typed refusal as an error of this program.
fn value<T>(call: Call<Result<T, meetkit_host::bindings::types::Error>>) -> Result<T> {
    match call.value {
        Ok(v) => Ok(v),
        Err(e) => bail!("meetkit refused: {e:?}"),
    }
}

fn main() -> Result<()> {
    // Keys, configuration (a development JaaS tenant until you put in your own), the
    // component's store and the compiled component's cache live in this folder.
    let data_dir = std::env::temp_dir().join("meetkit-embed-example");
    let harness = Harness::open(HarnessOptions { data_dir, ..Default::default() })?;
    let studio = harness.platform("design-studio", Arc::new(DesignStudio::new()));

    let design = Context::Group("design".into());
    let lobby = value(studio.resolve_participants(&design, "noa")?)?;
    let invited: Vec<String> = lobby.candidates.iter().map(|c| c.user.id.clone()).collect();
    println!("lobby of {}: {}", lobby.title, invited.join(", "));

    let started = studio.start_meeting(&design, "noa", &invited)?;
    println!("the platform shows:");
    show(&started.effects);
    let started = value(started)?;
    // The address carries the signed token after `#jwt=`.
    let room = started.ticket.address.split("#jwt=").next().unwrap_or_default();
    println!("Noa opens {room} as moderator: {}", started.ticket.moderator);

    let sam = value(studio.join_meeting(&started.meeting.id, "sam", EntryPoint::ChatLink)?)?;
    println!("Sam joins with a token that expires at {} (ms)", sam.expires_at);

    // A refusal is a typed error, never a crash: nobody named "eve" works here.
    match studio.join_meeting(&started.meeting.id, "eve", EntryPoint::ChatLink)?.value {
        Err(e) => println!("eve is refused: {e:?}"),
        Ok(_) => bail!("a stranger joined"),
    }

    // With two in the room, either one hanging up ends the meeting.
    let left = studio.leave_meeting(&started.meeting.id, "sam")?;
    show(&left.effects);
    println!("Sam hangs up; the meeting has ended: {}", value(left)?.ended);

    // The platform's scheduler, every few seconds: the copies of recordings it owes,
    // then the time-driven rules (expiry, recordings, rooms that settle).
    let (_copies, tick) = studio.copy_and_tick(&harness.archiver())?;
    let tick = value(tick)?;
    println!(
        "a tick: {} request(s) expired, {} file(s) deleted",
        tick.expired_requests.len(),
        tick.deleted_files.len()
    );
    Ok(())
}
