//! The command line: one command for every step a user of either platform takes.

mod demo;
mod erp;
mod overview;
mod perfex;
mod print;
mod system;
mod webhook;

use anyhow::Result;
use clap::{Parser, Subcommand};
use meetkit_host::bindings::types::{Context, Error as WitError};
use meetkit_host::effects::Logged;
use meetkit_host::{Call, Harness, HarnessOptions, InputError};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "meetkit",
    version,
    about = "Video meetings for ERP and CRM platforms, as one WebAssembly component."
)]
pub struct Cli {
    /// Data folder: configuration, keys, the component's store, the platforms' data.
    #[arg(long, global = true, env = "MEETKIT_DATA", default_value = ".meetkit")]
    data: PathBuf,
    /// The component's store: an SQLite file path (default <data>/state.db), a
    /// `redis://` URL, or `memory:`.
    #[arg(long, global = true, env = "MEETKIT_STORE")]
    store: Option<String>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Narrate a whole run in a world of its own: meetings from a group and a case in the ERP (X20, then X19), call requests in the CRM, a recording through JaaS webhooks, and the meetings overview with a guest
    Demo(demo::DemoArgs),
    /// The simulated ERP.net-style platform: lobbies, meetings, chat, bell, presence.
    #[command(subcommand)]
    Erp(erp::ErpCommand),
    /// Scheduled meetings with guests, in the ERP: the meetings overview.
    #[command(subcommand)]
    Overview(overview::OverviewCommand),
    /// The simulated Perfex-style CRM: call requests from clients, accepted by staff.
    #[command(subcommand)]
    Perfex(perfex::PerfexCommand),
    /// JaaS signing keys.
    #[command(subcommand)]
    Keys(system::KeysCommand),
    /// The clock the component sees (real, or virtual for scenarios).
    #[command(subcommand)]
    Clock(system::ClockCommand),
    /// Apply time-driven rules now: request expiry, recording deletion, meetings nobody
    /// ended (twelve quiet hours, or a scheduled meeting that has settled), and the
    /// recording copies the platform still owes.
    Tick,
    /// Serve over HTTP until stopped: the JaaS webhooks, the guest's and the platform's
    /// meeting pages, the kept recording copies, `/health` and (with a token) `/api`;
    /// and tick every few seconds.
    Serve {
        /// Address to listen on (loopback by default).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Seconds between ticks; 0 to never tick.
        #[arg(long, default_value_t = 5)]
        tick_secs: u64,
    },
    /// JaaS webhook deliveries: send one to a server, or apply it here.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Describe the component: size, hash, exports and imports, compile cache.
    Inspect,
    /// Measure size, load, instantiation, fuel per export, join cost, wasm against native
    /// and throughput, each against its baseline from the same run. Exits with code 3
    /// when a figure misses its target.
    Bench {
        /// Fewer repetitions (a smoke run, e.g. in CI).
        #[arg(long)]
        quick: bool,
    },
}

impl Cli {
    /// Whether the command serves until stopped (rather than reporting on stdout).
    pub fn is_server(&self) -> bool {
        matches!(self.command, Command::Serve { .. })
    }
}

/// A page number as people count pages, from 1 (clap's own range check would name
/// the integer type's bounds).
pub fn page_number(text: &str) -> Result<u32, String> {
    match text.parse::<u32>() {
        Ok(0) => Err("pages are counted from 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a page number (1, 2, ...)")),
    }
}

/// Which page of a listing of recordings to show.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct RecordingPaging {
    /// Which page, counted from 1 as the text says (the JSON's `page` is the
    /// component's index, from 0).
    #[arg(long, default_value_t = 1, value_parser = page_number)]
    page: u32,
    /// Recordings per page, newest first (1 to 200).
    #[arg(long, default_value_t = 20)]
    page_size: u32,
}

/// Shows a page of a context's recordings, as their state is at `now`.
fn recordings(
    ctx: &Ctx,
    host: &meetkit_host::PlatformHost<'_>,
    context: &Context,
    paging: RecordingPaging,
) -> Result<ExitCode> {
    let now = ctx.harness.clock().now_ms();
    let call = host.list_recordings(context, paging.page - 1, paging.page_size)?;
    let zone = host.platform().recording_config().time_zone;
    ctx.report(call, |p| print::recording_page(p, now, &zone))
}

/// What every command has: the harness and the output mode.
pub struct Ctx {
    pub harness: Harness,
    pub json: bool,
}

impl Ctx {
    /// Prints a component call's outcome: the value, or its typed error (exit code 2).
    pub fn report<T: serde::Serialize>(
        &self,
        call: Call<Result<T, WitError>>,
        human: impl FnOnce(&T) -> String,
    ) -> Result<ExitCode> {
        self.report_with(call, serde_json::Map::new(), human)
    }

    /// [`Ctx::report`] with more fields beside `ok` and `effects` in the JSON, for what the
    /// command did besides the call (the human text says it through `human`).
    pub fn report_with<T: serde::Serialize>(
        &self,
        call: Call<Result<T, WitError>>,
        extra: serde_json::Map<String, serde_json::Value>,
        human: impl FnOnce(&T) -> String,
    ) -> Result<ExitCode> {
        match call.value {
            Ok(v) => {
                if self.json {
                    let mut out = serde_json::Map::new();
                    out.insert("ok".into(), serde_json::to_value(&v)?);
                    out.insert("effects".into(), serde_json::to_value(&call.effects)?);
                    out.extend(extra);
                    println!("{}", serde_json::to_string_pretty(&out)?);
                } else {
                    println!("{}", human(&v));
                    for line in print::effect_lines(&call.effects, &logs_for(&self.harness, &call.effects)?) {
                        println!("{line}");
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                if self.json {
                    println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "error": e }))?);
                } else {
                    eprintln!("error: {}", print::one_line(&print::error(&e)));
                }
                Ok(ExitCode::from(2))
            }
        }
    }

    /// Prints a value that is not a component call.
    pub fn show<T: serde::Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) -> Result<ExitCode> {
        if self.json {
            println!("{}", serde_json::to_string_pretty(value)?);
        } else {
            println!("{}", human(value));
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Both platforms' logs, read only when showing `effects` needs them.
pub fn logs_for(harness: &Harness, effects: &[meetkit_host::effects::Effect]) -> Result<Vec<Vec<Logged>>> {
    if !print::needs_logs(effects) {
        return Ok(Vec::new());
    }
    ["erp", "perfex"].into_iter().map(|platform| harness.db().effects(platform)).collect()
}

/// A user's bell on `platform`, newest first; `read` opens it (marks every entry read).
pub fn bell(ctx: &Ctx, platform: &str, user: &str, read: bool) -> Result<ExitCode> {
    let db = ctx.harness.db();
    let bell =
        meetkit_host::views::bell(&db.effects(platform)?, user, &db.read_notifications(platform, user)?);
    let code = ctx.show(&bell, |v| print::list(v, print::bell_entry, "no notifications"))?;
    if read {
        let seqs: Vec<i64> = bell.iter().map(|b| b.item.seq).collect();
        db.mark_read(platform, user, &seqs)?;
    }
    Ok(code)
}

/// The system comments in `context`'s chat on `platform`.
pub fn chat(ctx: &Ctx, platform: &str, context: &Context) -> Result<ExitCode> {
    let chat = meetkit_host::views::chat(&ctx.harness.db().effects(platform)?, context);
    ctx.show(&chat, |v| print::list(v, print::comment, "the chat has no system comments"))
}

/// The Files of `context` on `platform`.
pub fn files(ctx: &Ctx, platform: &str, context: &Context) -> Result<ExitCode> {
    let files = meetkit_host::views::files(&ctx.harness.db().effects(platform)?, context);
    ctx.show(&files, |v| print::list(v, |f| format!("{} -> {}", f.name, f.url), "no files"))
}

/// What `platform`'s administrators must look at.
pub fn flags(ctx: &Ctx, platform: &str) -> Result<ExitCode> {
    let flags = meetkit_host::views::flags(&ctx.harness.db().effects(platform)?);
    ctx.show(&flags, |v| print::list(v, |f| format!("{}: {}", f.context, f.text), "nothing flagged"))
}

/// A file the person named: one that cannot be read is their input's fault (exit 2).
pub fn read_input(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| InputError::Invalid(format!("cannot read {}: {e}", path.display())).into())
}

/// Writes a file the user named: a folder that does not exist, a path that is a folder,
/// or one the user may not write is their input to correct (exit 2); anything else (a
/// full disk) is a failure.
pub fn write_output(path: &std::path::Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    use std::io::ErrorKind;
    std::fs::write(path, bytes).map_err(|e| match e.kind() {
        ErrorKind::NotFound
        | ErrorKind::PermissionDenied
        | ErrorKind::IsADirectory
        | ErrorKind::NotADirectory => {
            InputError::Invalid(format!("cannot write {}: {e}", path.display())).into()
        }
        _ => anyhow::Error::new(e).context(format!("writing {}", path.display())),
    })
}

/// Reports a command that did not run to its end. Input the harness cannot use exits
/// with 2, as a refusal of the component's does; anything else (a full disk, a store
/// that is down) with 1. Under --json the reason is JSON on stdout, in
/// the shape of the component's errors.
pub fn fail(e: &anyhow::Error, json: bool) -> ExitCode {
    let refusal = e.chain().find_map(|c| c.downcast_ref::<InputError>());
    let (kind, code) = match refusal {
        Some(refusal) => (refusal.kind(), 2),
        None => ("Failure", 1),
    };
    if json {
        let v = serde_json::json!({ "error": { kind: format!("{e:#}") } });
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()));
    } else if let Some(refusal) = refusal {
        // Worded as the component's refusals are: `error: unknown-user: ...`.
        eprintln!("error: {}: {}", refusal.label(), print::one_line(&format!("{e:#}")));
    } else {
        eprintln!("error: {}", print::one_line(&format!("{e:#}")));
    }
    ExitCode::from(code)
}

/// Reports a command line clap refused. Help and version go out as clap prints them;
/// a usage error exits with 2, under --json as the JSON error every refusal prints.
pub fn usage(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let json = std::env::args_os().any(|a| a == "--json");
    if !json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    // What is wrong, with what it names (the missing arguments, the possible values), on
    // one line; clap's usage line and advice on help are for people at a terminal.
    let text = e.render().to_string();
    let reason = text
        .lines()
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let reason = reason.trim_start_matches("error: ").to_string();
    fail(&anyhow::Error::new(InputError::Invalid(reason)), true)
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Demo(args) = &cli.command {
        return demo::run(args, &cli.data, cli.json);
    }
    if let Command::Bench { quick } = cli.command {
        return system::bench(quick, cli.json);
    }
    let harness = Harness::open(HarnessOptions {
        data_dir: cli.data.clone(),
        store: cli.store.clone(),
        ..Default::default()
    })?;
    let mut ctx = Ctx { harness, json: cli.json };
    match cli.command {
        Command::Demo(_) | Command::Bench { .. } => unreachable!("handled above"),
        Command::Erp(c) => erp::run(&ctx, c),
        Command::Perfex(c) => perfex::run(&ctx, c),
        Command::Overview(c) => overview::run(&ctx, c),
        Command::Keys(c) => system::keys(&ctx, c),
        Command::Clock(c) => system::clock(&mut ctx, c),
        Command::Tick => system::tick(&ctx),
        Command::Serve { listen, tick_secs } => webhook::serve(ctx, &listen, tick_secs),
        Command::Webhook(c) => webhook::run(&ctx, c),
        Command::Inspect => system::inspect(&ctx),
    }
}
