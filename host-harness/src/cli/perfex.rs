//! `meetkit perfex ...`: what clients, staff and the administrator of the CRM do.

use super::{Ctx, print};
use anyhow::{Result, bail};
use clap::Subcommand;
use meetkit_host::InputError;
use meetkit_host::bindings::call_requests::{RequestAction, RequestFilter, RequestStatus};
use meetkit_host::bindings::meetings::EntryPoint;
use meetkit_host::bindings::types::Context;
use meetkit_host::perfex::{Display, parse_rule};
use meetkit_host::platform::Platform as _;
use meetkit_host::views;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum PerfexCommand {
    /// Show the CRM's staff, clients and settings, or load another world file.
    World {
        /// A world file (TOML: staff, departments, clients and their contacts) to load in
        /// place of the current one.
        #[arg(long)]
        load: Option<PathBuf>,
    },
    /// Administrator: show or change the call-request settings.
    Settings {
        /// Who is notified (repeat): all-staff, assigned-staff, departments:A,B, roles:A,B.
        #[arg(long)]
        notify: Vec<String>,
        /// How the meeting opens.
        #[arg(long, value_enum)]
        display: Option<Display>,
        /// Seconds before a request nobody accepted is cancelled.
        #[arg(long)]
        expiry: Option<u32>,
    },
    /// Client: "Request a Call".
    Request {
        /// The client (company) id.
        #[arg(long)]
        client: String,
        /// The client contact acting.
        #[arg(long)]
        contact: String,
    },
    /// Staff: accept a request (exactly one staff member wins it).
    Accept {
        /// The call request's id.
        #[arg(long)]
        request: String,
        /// The staff member acting.
        #[arg(long)]
        staff: String,
    },
    /// Staff: ignore a request (it leaves only your panel).
    Ignore {
        /// The call request's id.
        #[arg(long)]
        request: String,
        /// The staff member acting.
        #[arg(long)]
        staff: String,
    },
    /// Client: cancel a pending request.
    Cancel {
        /// The call request's id.
        #[arg(long)]
        request: String,
        /// The client contact acting.
        #[arg(long)]
        contact: String,
    },
    /// Staff: mark the call completed (ends its meeting).
    Complete {
        /// The call request's id.
        #[arg(long)]
        request: String,
        /// The staff member acting.
        #[arg(long)]
        staff: String,
    },
    /// Client or staff: "Join Meeting" of an accepted request.
    Join {
        /// The call request's id.
        #[arg(long)]
        request: String,
        /// A staff member or a client contact.
        #[arg(long)]
        user: String,
    },
    /// Leave the meeting of a request.
    Leave {
        /// The call request's id.
        #[arg(long)]
        request: String,
        /// A staff member or a client contact.
        #[arg(long)]
        user: String,
    },
    /// A staff member's or a client contact's bell notifications (a request leaves the
    /// bells as it leaves the panels).
    Bell {
        /// A staff member or a client contact.
        #[arg(long)]
        user: String,
        /// Open the bell: show the notifications, then mark them all read.
        #[arg(long)]
        read: bool,
    },
    /// List requests: active (default), all, a staff member's panel, or a client's.
    Requests {
        /// Every request ever made, newest first.
        #[arg(long, conflicts_with_all = ["panel", "client"])]
        all: bool,
        /// The panel of this staff member: the requests waiting for them.
        #[arg(long, conflicts_with = "client")]
        panel: Option<String>,
        /// The requests of this client (company), newest first.
        #[arg(long)]
        client: Option<String>,
        /// Which page, counted from 1 as the text says (the JSON's `page` is the
        /// component's index, from 0).
        #[arg(long, default_value_t = 1, value_parser = super::page_number)]
        page: u32,
        /// Requests per page (1 to 200).
        #[arg(long, default_value_t = 20)]
        page_size: u32,
    },
    /// Who did what to a request, and when.
    History {
        /// The call request's id.
        #[arg(long)]
        request: String,
    },
    /// The live changes a user's page received (panel cards, redirects, Join Meeting).
    Page {
        /// A staff member or a client contact.
        #[arg(long)]
        user: String,
    },
    /// The Files of a request: the links to its call's recordings.
    Files {
        /// The call request's id.
        #[arg(long)]
        request: String,
    },
    /// The system comments about a request (a recording saved, or one not allowed).
    Chat {
        /// The call request's id.
        #[arg(long)]
        request: String,
    },
    /// What administrators must look at (a recording by someone not allowed to record).
    Flags,
    /// The recordings of a request's call, deleted ones included.
    Recordings {
        /// The call request's id.
        #[arg(long)]
        request: String,
        #[command(flatten)]
        paging: super::RecordingPaging,
    },
    /// Download a recording of a call (its address, or "expired" after 24 hours).
    Download {
        /// The recording's id (`perfex recordings` lists them).
        #[arg(long)]
        recording: String,
        /// A staff member or a client contact.
        #[arg(long)]
        user: String,
    },
}

pub fn run(ctx: &Ctx, command: PerfexCommand) -> Result<ExitCode> {
    let h = &ctx.harness;
    let crm = h.perfex()?;
    let act = |action: RequestAction| -> Result<ExitCode> {
        ctx.report(crm.handle_request(&action)?, print::request_outcome)
    };
    match command {
        PerfexCommand::World { load } => {
            let world = match load {
                Some(path) => h.load_perfex_world(&super::read_input(&path)?)?,
                None => h.perfex_world()?,
            };
            ctx.show(&world, print::perfex_world)
        }
        PerfexCommand::Settings { notify, display, expiry } => {
            let mut settings = h.perfex_world()?.settings;
            if !notify.is_empty() {
                settings.notify = notify.iter().map(|r| parse_rule(r)).collect::<Result<_>>()?;
            }
            if let Some(d) = display {
                settings.display = d;
            }
            if let Some(e) = expiry {
                settings.expiry_secs = e;
            }
            h.set_perfex_settings(&settings)?;
            ctx.show(&settings, print::perfex_settings)
        }
        PerfexCommand::Request { client, contact } => act(RequestAction::RequestCall((client, contact))),
        PerfexCommand::Accept { request, staff } => act(RequestAction::Accept((request, staff))),
        PerfexCommand::Ignore { request, staff } => act(RequestAction::Ignore((request, staff))),
        PerfexCommand::Cancel { request, contact } => act(RequestAction::Cancel((request, contact))),
        PerfexCommand::Complete { request, staff } => act(RequestAction::Complete((request, staff))),
        PerfexCommand::Join { request, user } => {
            let meeting = meeting_of(ctx, &request)?;
            ctx.report(crm.join_meeting(&meeting, &user, EntryPoint::ClientArea)?, print::ticket)
        }
        PerfexCommand::Leave { request, user } => {
            let meeting = meeting_of(ctx, &request)?;
            ctx.report(crm.leave_meeting(&meeting, &user)?, print::left)
        }
        PerfexCommand::Requests { all, panel, client, page, page_size } => {
            let filter = match (all, panel, client) {
                (true, _, _) => RequestFilter::All,
                (_, Some(s), _) => RequestFilter::Panel(s),
                (_, _, Some(c)) => RequestFilter::Client(c),
                _ => RequestFilter::Active,
            };
            ctx.report(crm.list_requests(&filter, page - 1, page_size)?, print::request_page)
        }
        PerfexCommand::History { request } => {
            ctx.report(crm.request_history(&request)?, |v| print::list_plain(v, print::history, "no history"))
        }
        PerfexCommand::Page { user } => {
            known_user(ctx, &user)?;
            let log = h.db().effects("perfex")?;
            ctx.show(&views::signals(&log, &user), |v| print::list(v, print::signal, "no live changes"))
        }
        PerfexCommand::Files { ref request } | PerfexCommand::Chat { ref request } => {
            // The component refuses a request it does not know, as it refuses it elsewhere.
            let history = crm.request_history(request)?;
            if history.value.is_err() {
                return ctx.report(history, |_| String::new());
            }
            let c = Context::CallRequest(request.clone());
            if matches!(command, PerfexCommand::Files { .. }) {
                super::files(ctx, "perfex", &c)
            } else {
                super::chat(ctx, "perfex", &c)
            }
        }
        PerfexCommand::Flags => super::flags(ctx, "perfex"),
        PerfexCommand::Recordings { request, paging } => {
            super::recordings(ctx, &crm, &Context::CallRequest(request), paging)
        }
        PerfexCommand::Download { recording, user } => {
            ctx.report(crm.download_recording(&recording, &user)?, |url| format!("download from {url}"))
        }
        PerfexCommand::Bell { user, read } => {
            known_user(ctx, &user)?;
            super::bell(ctx, "perfex", &user, read)
        }
    }
}

/// Refuses a name that is no user of the CRM, rather than show an empty view of it.
fn known_user(ctx: &Ctx, user: &str) -> Result<()> {
    if ctx.harness.perfex_world()?.user(user).is_none() {
        bail!(InputError::UnknownUser(format!("{user} is neither a staff member nor a client contact")));
    }
    Ok(())
}

/// The meeting of an accepted request.
fn meeting_of(ctx: &Ctx, request: &str) -> Result<String> {
    let crm = ctx.harness.perfex()?;
    let mut found = None;
    for page in 0.. {
        let listed = crm.list_requests(&RequestFilter::All, page, 200)?.value;
        let listed = listed.map_err(|e| anyhow::anyhow!(print::error(&e)))?;
        let last = listed.items.len() < 200;
        found = listed.items.into_iter().find(|r| r.id == request);
        if found.is_some() || last {
            break;
        }
    }
    match found {
        None => bail!(InputError::NotFound(format!("there is no call request {request}"))),
        Some(r) => r.meeting.ok_or_else(|| {
            let why = match r.status {
                RequestStatus::Cancelled => "it was cancelled",
                RequestStatus::Expired => "it expired",
                _ => "it has not been accepted",
            };
            InputError::NotNow(format!("call request {request} has no meeting: {why}")).into()
        }),
    }
}
