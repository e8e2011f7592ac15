//! `meetkit erp ...`: what users of the ERP do and see.

use super::{Ctx, print};
use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use meetkit_host::InputError;
use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::types::{Context, Error};
use meetkit_host::erp::{self, LicenceName, parse_context};
use meetkit_host::platform::Platform as _;
use meetkit_host::views;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum ErpCommand {
    /// Show the ERP's users, groups and records, or load another world file.
    World {
        /// A world file (TOML: users, groups, records) to load in place of the current one.
        #[arg(long)]
        load: Option<PathBuf>,
    },
    /// Switch the licence tier (X19 Basic or X20 Advanced).
    Licence {
        /// As the licence names it (X20) or in lower case (x20).
        #[arg(ignore_case = true)]
        tier: Tier,
    },
    /// Open the lobby of a group or record: who may be invited.
    Lobby {
        /// group:ID, case:ID, activity:ID, service-activity:ID or marketing-activity:ID.
        #[arg(long)]
        context: String,
        /// Who opens it.
        #[arg(long)]
        user: String,
    },
    /// Start a meeting (or get the one running) with the lobby selection.
    Start {
        /// group:ID, case:ID, activity:ID, service-activity:ID or marketing-activity:ID.
        #[arg(long)]
        context: String,
        /// Who starts it (preselected in the lobby).
        #[arg(long)]
        user: String,
        /// Who is selected, comma-separated (default: everyone the lobby lists).
        #[arg(long, value_delimiter = ',', value_parser = trimmed)]
        select: Option<Vec<String>>,
    },
    /// Join a running meeting from its link, the bell, the toaster, or the Meet tab.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["meeting", "context"])))]
    Join {
        /// The meeting (from the chat link, the bell or the toaster).
        #[arg(long)]
        meeting: Option<String>,
        /// The Meet tab of a group or record: join what runs there.
        #[arg(long)]
        context: Option<String>,
        /// Who joins.
        #[arg(long)]
        user: String,
        /// Which entry point was used.
        #[arg(long, value_enum, default_value = "chat-link")]
        via: Via,
    },
    /// Leave a meeting ("End call").
    Leave {
        /// The meeting's id.
        #[arg(long)]
        meeting: String,
        /// Who leaves.
        #[arg(long)]
        user: String,
    },
    /// Show a meeting, by id or as the Meet tab of a context shows it.
    #[command(group(clap::ArgGroup::new("which").required(true).args(["meeting", "context"])))]
    Meeting {
        /// The meeting's id.
        #[arg(long)]
        meeting: Option<String>,
        /// A group or record, as its Meet tab shows what runs there.
        #[arg(long)]
        context: Option<String>,
    },
    /// A context's chat (system comments).
    Chat {
        /// group:ID, case:ID, activity:ID, service-activity:ID or marketing-activity:ID.
        #[arg(long)]
        context: String,
    },
    /// A user's bell notifications.
    Bell {
        /// Whose bell.
        #[arg(long)]
        user: String,
        /// Open the bell: show the notifications, then mark them all read.
        #[arg(long)]
        read: bool,
    },
    /// The toasters a user was shown.
    Toasts {
        /// Whose screen.
        #[arg(long)]
        user: String,
    },
    /// Users' presence (Busy in a meeting, otherwise available).
    Presence {
        /// One user (default: every user with a presence).
        #[arg(long)]
        user: Option<String>,
    },
    /// The Files tab of a group or record.
    Files {
        /// group:ID, case:ID, activity:ID, service-activity:ID or marketing-activity:ID.
        #[arg(long)]
        context: String,
    },
    /// The recordings of a group or record, deleted ones included.
    Recordings {
        /// group:ID, case:ID, activity:ID, service-activity:ID or marketing-activity:ID.
        #[arg(long)]
        context: String,
        #[command(flatten)]
        paging: super::RecordingPaging,
    },
    /// Download a recording (its address, or "expired" after 24 hours).
    Download {
        /// The recording's id (`erp recordings` lists them).
        #[arg(long)]
        recording: String,
        /// Who downloads (a member of the recording's group or record).
        #[arg(long)]
        user: String,
    },
    /// What administrators were told to look at: recordings by users not allowed, copies
    /// of recordings not made, recordings deleted, people in a room who should not be.
    Flags,
    /// Administrator: keep copies of recordings in the platform's storage, and for how
    /// long; the time zone recordings are named in.
    RecordingSettings {
        /// Keep a copy of each recording in the platform's storage (true or false).
        #[arg(long)]
        keep_copies: Option<bool>,
        /// How long a kept copy stays, in hours.
        #[arg(long)]
        retention_hours: Option<u32>,
        /// The company's IANA time zone, e.g. Europe/Sofia.
        #[arg(long)]
        time_zone: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Tier {
    X19,
    X20,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Via {
    ChatLink,
    Notification,
    Toaster,
    MeetTab,
}

impl From<Via> for EntryPoint {
    fn from(v: Via) -> Self {
        match v {
            Via::ChatLink => EntryPoint::ChatLink,
            Via::Notification => EntryPoint::Notification,
            Via::Toaster => EntryPoint::Toaster,
            Via::MeetTab => EntryPoint::MeetTab,
        }
    }
}

/// The views of a person or a place check that the ERP has them: a typo would otherwise
/// show an empty bell or chat as if nothing had happened.
fn known_user(ctx: &Ctx, user: &str) -> Result<()> {
    if ctx.harness.erp_world()?.user(user).is_none() {
        bail!(InputError::UnknownUser(format!("{user} is not a user of the platform")));
    }
    Ok(())
}

fn known_context(ctx: &Ctx, text: &str) -> Result<Context> {
    let context = parse_context(text)?;
    // Call requests are the CRM's (`meetkit perfex`); scheduled meetings are records of
    // the component's, not the world's.
    if let Context::CallRequest(_) = context {
        bail!(InputError::UnknownContext(format!(
            "the ERP has no {text}: call requests are the CRM's (`meetkit perfex`)"
        )));
    }
    if let Context::Appointment(id) = &context {
        // The component knows its own: an id it has never given out is refused as the
        // ERP's unknown records are, not shown as a meeting with nothing in it.
        match ctx.harness.erp()?.meeting_in_context(&context)?.value {
            Err(Error::NotFound(_)) => {
                bail!(InputError::NotFound(format!("there is no scheduled meeting {id}")))
            }
            Err(Error::InvalidInput(why)) => bail!(InputError::Invalid(why)),
            _ => {}
        }
    } else if ctx.harness.erp_world()?.describe_context(&context).is_none() {
        bail!(InputError::UnknownContext(format!("the ERP has no {text}")));
    }
    Ok(context)
}

/// Marks read what `user`'s bell asked about `context`: joining its meeting answers it,
/// whichever way the user came (the notification, the toaster, the chat's link, Start).
/// Which entries were read already does not matter: marking is idempotent.
fn answer_bell(ctx: &Ctx, user: &str, context: &Context) -> Result<()> {
    let h = &ctx.harness;
    let about: Vec<i64> = views::bell(&h.db().effects("erp")?, user, &Default::default())
        .iter()
        .filter(|b| b.item.notification.context == *context)
        .map(|b| b.item.seq)
        .collect();
    h.db().mark_read("erp", user, &about)
}

pub fn run(ctx: &Ctx, command: ErpCommand) -> Result<ExitCode> {
    let h = &ctx.harness;
    let log = || h.db().effects("erp");
    match command {
        ErpCommand::World { load } => {
            let world = match load {
                Some(path) => h.load_erp_world(&super::read_input(&path)?)?,
                None => h.erp_world()?,
            };
            ctx.show(&world, print::erp_world)
        }
        ErpCommand::Licence { tier } => {
            let mut world = h.erp_world()?;
            world.licence = match tier {
                Tier::X19 => LicenceName::X19,
                Tier::X20 => LicenceName::X20,
            };
            h.load_erp_world(&toml::to_string(&world)?)?;
            ctx.show(&world.licence, |l| format!("licence: {}", print::licence(*l)))
        }
        ErpCommand::Lobby { context, user } => {
            let c = parse_context(&context)?;
            ctx.report(h.erp()?.resolve_participants(&c, &user)?, print::lobby)
        }
        ErpCommand::Start { context, user, select } => {
            let c = parse_context(&context)?;
            let erp = h.erp()?;
            let selection = match select {
                Some(s) => s,
                None => match erp.resolve_participants(&c, &user)?.value {
                    Ok(lobby) => lobby.candidates.into_iter().map(|c| c.user.id).collect(),
                    // The start reports the same error in full.
                    Err(_) => vec![user.clone()],
                },
            };
            let started = erp.start_meeting(&c, &user, &selection)?;
            // A start that joined the running meeting answers its bell, as a join does.
            if started.value.is_ok() {
                answer_bell(ctx, &user, &c)?;
            }
            ctx.report(started, print::started)
        }
        ErpCommand::Join { meeting, context, user, via } => {
            let erp = h.erp()?;
            let (meeting, via) = match (meeting, context) {
                (Some(m), _) => (m, via.into()),
                (None, Some(c)) => {
                    let c = parse_context(&c)?;
                    let found = erp.meeting_in_context(&c)?;
                    match found.value {
                        Ok(Some(m)) => (m.id, EntryPoint::MeetTab),
                        Ok(None) => {
                            // A scheduled meeting's room is entered from the overview.
                            if let Context::Appointment(id) = &c {
                                bail!(InputError::NotFound(format!(
                                    "no room is open for the scheduled meeting {id}: its host and guests \
                                     enter it with `meetkit overview enter`"
                                )));
                            }
                            // Someone who could not start one here hears why, as Start
                            // would tell them, rather than to go and start one.
                            if !matches!(c, Context::CallRequest(_)) {
                                let lobby = erp.resolve_participants(&c, &user)?;
                                if lobby.value.is_err() {
                                    return ctx.report(lobby, |_| String::new());
                                }
                            }
                            bail!(InputError::NotFound(format!(
                                "no meeting is running in {}: start one with `meetkit erp start`",
                                erp::context_label(&c)
                            )))
                        }
                        Err(e) => {
                            return ctx.report::<()>(
                                meetkit_host::Call {
                                    value: Err(e),
                                    effects: found.effects,
                                    fuel: found.fuel,
                                    memory: found.memory,
                                },
                                |_| String::new(),
                            );
                        }
                    }
                }
                (None, None) => bail!(InputError::Invalid("name --meeting or --context".into())),
            };
            let joined = erp.join_meeting(&meeting, &user, via)?;
            if joined.value.is_ok()
                && let Ok(m) = erp.get_meeting(&meeting)?.value
            {
                answer_bell(ctx, &user, &m.context)?;
            }
            ctx.report(joined, print::ticket)
        }
        ErpCommand::Leave { meeting, user } => {
            ctx.report(h.erp()?.leave_meeting(&meeting, &user)?, print::left)
        }
        ErpCommand::Meeting { meeting, context } => match (meeting, context) {
            (Some(m), _) => ctx.report(h.erp()?.get_meeting(&m)?, print::meeting),
            (None, Some(c)) => ctx.report(h.erp()?.meeting_in_context(&parse_context(&c)?)?, |m| match m {
                Some(m) => print::meeting(m),
                None => "no meeting is running here".into(),
            }),
            (None, None) => bail!(InputError::Invalid("name --meeting or --context".into())),
        },
        ErpCommand::Chat { context } => super::chat(ctx, "erp", &known_context(ctx, &context)?),
        ErpCommand::Bell { user, read } => {
            known_user(ctx, &user)?;
            super::bell(ctx, "erp", &user, read)
        }
        ErpCommand::Toasts { user } => {
            known_user(ctx, &user)?;
            ctx.show(&views::toasts(&log()?, &user), |v| print::list(v, print::toast, "no toasters"))
        }
        ErpCommand::Files { context } => super::files(ctx, "erp", &known_context(ctx, &context)?),
        ErpCommand::Recordings { context, paging } => {
            let c = known_context(ctx, &context)?;
            super::recordings(ctx, &h.erp()?, &c, paging)
        }
        ErpCommand::Download { recording, user } => {
            ctx.report(h.erp()?.download_recording(&recording, &user)?, |url| format!("download from {url}"))
        }
        ErpCommand::Flags => super::flags(ctx, "erp"),
        ErpCommand::RecordingSettings { keep_copies, retention_hours, time_zone } => {
            let mut world = h.erp_world()?;
            if let Some(k) = keep_copies {
                world.recordings.keep_copies = k;
            }
            if let Some(r) = retention_hours {
                meetkit_host::erp::ErpWorld::check_retention(r)?;
                world.recordings.retention_hours = r;
            }
            if let Some(zone) = time_zone {
                world.recordings.time_zone = zone;
            }
            h.load_erp_world(&toml::to_string(&world)?)?;
            ctx.show(&world.recordings, print::recording_settings)
        }
        ErpCommand::Presence { user } => {
            let log = log()?;
            match user {
                Some(u) => {
                    known_user(ctx, &u)?;
                    ctx.show(&views::presence_of(&log, &u), |s| format!("{u}: {}", print::presence(*s)))
                }
                None => {
                    // Every user of the platform: one never in a meeting is available.
                    let shown = views::presence(&log);
                    let everyone: std::collections::BTreeMap<String, _> = ctx
                        .harness
                        .erp_world()?
                        .users
                        .iter()
                        .map(|u| {
                            let state = shown
                                .get(&u.id)
                                .copied()
                                .unwrap_or(meetkit_host::bindings::presence::PresenceState::Available);
                            (u.id.clone(), state)
                        })
                        .collect();
                    ctx.show(&everyone, |m| {
                        m.iter()
                            .map(|(u, s)| format!("{u}: {}", print::presence(*s)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                }
            }
        }
    }
}

/// One item of a comma-separated list, as people type it: `ana, ben` is `ana` and `ben`.
fn trimmed(item: &str) -> Result<String, std::convert::Infallible> {
    Ok(item.trim().to_string())
}
