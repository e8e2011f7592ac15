//! Keys, clock, tick and inspect.

use super::{Ctx, print};
use anyhow::{Result, bail};
use clap::Subcommand;
use meetkit_host::InputError;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print the public key (PEM) that verifies the tokens this harness signs.
    Public,
    /// Show the AppID, key id and where the private key is.
    Show,
}

#[derive(Subcommand, Debug)]
pub enum ClockCommand {
    /// Show the time the component sees.
    Show,
    /// Use a virtual clock at this time (RFC 3339, e.g. 2026-11-21T09:00:00Z), then tick
    /// as the platform's scheduler would at that time.
    Set {
        time: String,
        /// Only move the clock: the time-driven rules wait for `meetkit tick`.
        #[arg(long)]
        no_tick: bool,
    },
    /// Move the virtual clock forward (e.g. 90s, 5m, 24h, 1d, 23h59m), then tick as the
    /// platform's scheduler would at the new time.
    Advance {
        by: String,
        /// Only move the clock: the time-driven rules wait for `meetkit tick`.
        #[arg(long)]
        no_tick: bool,
    },
    /// Return to the real clock.
    Real,
}

pub fn keys(ctx: &Ctx, command: KeysCommand) -> Result<ExitCode> {
    let h = &ctx.harness;
    match command {
        KeysCommand::Public => {
            let pem = h.signer().public_key_pem();
            ctx.show(&serde_json::json!({ "kid": h.signer().kid(), "public_key_pem": pem }), |_| {
                pem.trim_end().to_string()
            })
        }
        KeysCommand::Show => {
            let j = &h.config().jaas;
            let v = serde_json::json!({
                "app_id": j.app_id,
                "key_id": j.key_id,
                "kid": h.signer().kid(),
                "private_key": h.data_dir().join(&j.private_key),
            });
            ctx.show(&v, |v| {
                format!("AppID {}\nkid {}\nprivate key {}", v["app_id"], v["kid"], v["private_key"])
            })
        }
    }
}

/// Parses a duration as people write it: "90s", "5m", "24h", "2d", "23h59m", "1h 30m"
/// (jiff's friendly format; a day is 24 hours), or a number of seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    // The parser's own words name its grammar's terms; the examples say more.
    let invalid = || InputError::Invalid(format!("{text:?} is not a duration (90s, 5m, 24h, 2d, 23h59m)"));
    // A number beyond what a unit can hold is a duration, only too long for any clock.
    let span: jiff::Span = text.trim().parse().map_err(|e: jiff::Error| {
        if e.to_string().contains("not in the required range") {
            InputError::Invalid(format!("{text:?} is too long: {CLOCK_RANGE}"))
        } else {
            invalid()
        }
    })?;
    let signed = span.to_duration(jiff::SpanRelativeTo::days_are_24_hours()).map_err(|_| invalid())?;
    Ok(std::time::Duration::try_from(signed)
        .map_err(|_| InputError::Invalid(format!("{text:?} is a negative duration")))?)
}

/// A virtual time the clock can show: from 1970 to the end of what RFC 3339 writes.
const CLOCK_RANGE: &str = "the virtual clock runs from 1970 to the year 9999";

/// An RFC 3339 time: a date, a time of day and an offset (`Z` or within ±24 hours;
/// the date library takes up to ±26). A well-formed time the calendar cannot hold as an
/// instant (the last hours of 9999) is too late, not malformed.
fn rfc3339(text: &str) -> Result<jiff::Timestamp> {
    use jiff::fmt::temporal::{Pieces, PiecesOffset};
    let malformed =
        || InputError::Invalid(format!("{text:?} is not an RFC 3339 time (e.g. 2026-11-25T10:00:00Z)"));
    let pieces = Pieces::parse(text).map_err(|_| malformed())?;
    let offset_ok = match pieces.offset() {
        Some(PiecesOffset::Zulu) => true,
        Some(PiecesOffset::Numeric(n)) => n.offset().seconds().abs() < 24 * 3600,
        _ => false,
    };
    if !offset_ok || pieces.time().is_none() {
        bail!(malformed());
    }
    match text.parse() {
        Ok(ts) => Ok(ts),
        Err(_) => bail!(InputError::Invalid(format!("{text:?} is too late: {CLOCK_RANGE}"))),
    }
}

fn virtual_time(ms: Option<i64>) -> Result<i64> {
    match ms.filter(|ms| *ms >= 0 && jiff::Timestamp::from_millisecond(*ms).is_ok()) {
        Some(ms) => Ok(ms),
        None => bail!(InputError::Invalid(CLOCK_RANGE.into())),
    }
}

pub fn clock(ctx: &mut Ctx, command: ClockCommand) -> Result<ExitCode> {
    let tick = match command {
        ClockCommand::Show | ClockCommand::Real => false,
        ClockCommand::Set { no_tick, .. } | ClockCommand::Advance { no_tick, .. } => !no_tick,
    };
    let before = ctx.harness.clock().now_ms();
    // Going back matters only once something happened: on a fresh data folder, setting
    // the clock is the first step of every scenario.
    let anything_yet = ctx.harness.clock().is_virtual() || ctx.harness.db().has_effects()?;
    match command {
        ClockCommand::Show => {}
        ClockCommand::Set { time, .. } => {
            let ts = rfc3339(&time)?;
            ctx.harness.set_virtual_time(virtual_time(Some(ts.as_millisecond()))?)?;
        }
        ClockCommand::Advance { by, .. } => {
            let by = i64::try_from(parse_duration(&by)?.as_millis()).ok();
            let later = by.and_then(|by| ctx.harness.clock().now_ms().checked_add(by));
            ctx.harness.set_virtual_time(virtual_time(later)?)?;
        }
        ClockCommand::Real => ctx.harness.use_real_time()?,
    }
    let clock = ctx.harness.clock();
    let mut v = serde_json::json!({ "now_ms": clock.now_ms(), "virtual": clock.is_virtual() });
    let mut text =
        format!("{} ({})", print::time(clock.now_ms()), if clock.is_virtual() { "virtual" } else { "real" });
    // Records stored at the later time stay as they are: a meeting may seem to end
    // before it started.
    let back = before.saturating_sub(clock.now_ms());
    if back > 1000 && anything_yet {
        v["went_back_ms"] = back.into();
        text = format!(
            "{text}
the clock went back from {}: what happened since then keeps its times",
            print::time(before)
        );
    }
    if tick {
        // Time moved: the platform's scheduler would have ticked by now.
        let (reports, lines, eventful) = tick_reports(ctx)?;
        v["tick"] = reports.into();
        if eventful {
            text = format!("{text}\nthe platforms ticked:\n{}", lines.join("\n"));
        }
    }
    ctx.show(&v, |_| text)
}

pub fn tick(ctx: &Ctx) -> Result<ExitCode> {
    let (reports, lines, _) = tick_reports(ctx)?;
    ctx.show(&reports, |_| lines.join("\n"))
}

/// Ticks both platforms: each one's report (JSON), the lines that tell it, and whether
/// anything happened.
fn tick_reports(ctx: &Ctx) -> Result<(serde_json::Map<String, serde_json::Value>, Vec<String>, bool)> {
    let mut reports = serde_json::Map::new();
    let mut eventful = false;
    let mut lines = Vec::new();
    // A command-line tick tries each owed copy once: the next tick is its retry.
    let archiver = ctx.harness.archiver().trying_once();
    for host in [ctx.harness.erp()?, ctx.harness.perfex()?] {
        let (round, call) = host.copy_and_tick(&archiver)?;
        let value = match &call.value {
            Ok(r) => {
                lines.push(format!(
                    "{}: {} request(s) expired, {} recording(s) deleted (JaaS's 24 hours or a kept copy's retention over), {} host copy(ies) released",
                    host.name(),
                    r.expired_requests.len(),
                    r.deleted_files.len(),
                    r.released_copies.len()
                ));
                lines.extend(r.postponed.iter().map(|p| format!("  postponed (Files refused): {p}")));
                lines.extend(
                    r.ended_meetings
                        .iter()
                        .map(|m| format!("  meeting {m} ended: nobody ended it (a settled scheduled meeting, or twelve quiet hours)")),
                );
                lines.extend(r.never_came.iter().map(|n| {
                    format!("  never came (not seen in JaaS's reports ten minutes after their ticket), taken out: {n}")
                }));
                lines.extend(
                    r.finished_ends
                        .iter()
                        .map(|m| format!("  meeting {m}: its end, cut short by a failure, finished")),
                );
                let copies = print::copy_round(&round);
                eventful |= !(r.expired_requests.is_empty()
                    && r.deleted_files.is_empty()
                    && r.released_copies.is_empty()
                    && r.postponed.is_empty()
                    && r.ended_meetings.is_empty()
                    && r.never_came.is_empty()
                    && r.finished_ends.is_empty()
                    && copies.is_empty()
                    && call.effects.is_empty());
                lines.extend(copies.lines().map(|l| format!("  {l}")));
                let logs = super::logs_for(&ctx.harness, &call.effects)?;
                lines.extend(print::effect_lines(&call.effects, &logs));
                serde_json::json!({ "ok": r, "copies": round, "effects": call.effects })
            }
            Err(e) => {
                eventful = true;
                lines.push(format!("{}: error: {}", host.name(), print::error(e)));
                serde_json::json!({ "error": e })
            }
        };
        reports.insert(host.name().to_string(), value);
    }
    Ok((reports, lines, eventful))
}

pub fn inspect(ctx: &Ctx) -> Result<ExitCode> {
    let rt = ctx.harness.runtime_ref();
    let report = rt.report();
    let ty = rt.component().component_type();
    let engine = rt.engine_ref();
    let imports: Vec<String> = ty.imports(engine).map(|(n, _)| n.to_string()).collect();
    let exports: Vec<String> = ty.exports(engine).map(|(n, _)| n.to_string()).collect();
    let v = serde_json::json!({
        "component_bytes": report.component_bytes,
        "sha256": report.hash,
        "cache_file": report.cache_file,
        "cache_hit": report.cache_hit,
        "load_ms": report.load_time.as_secs_f64() * 1000.0,
        "exports": exports,
        "imports": imports,
        "limits": { "fuel": rt.limits().fuel, "memory_bytes": rt.limits().memory_bytes },
    });
    ctx.show(&v, |v| {
        format!(
            "meetkit.wasm: {} bytes, sha256 {}\nloaded in {:.1} ms ({})\nexports:\n  {}\nimports:\n  {}",
            report.component_bytes,
            report.hash,
            v["load_ms"].as_f64().unwrap_or(0.0),
            if report.cache_hit { "precompiled, from the cache" } else { "compiled now, cached" },
            exports.join("\n  "),
            imports.join("\n  ")
        )
    })
}

pub fn bench(quick: bool, json: bool) -> Result<ExitCode> {
    // The component is built optimised either way; the host's own code is not, which
    // slows the baselines measured beside it and the host's share of every call.
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: a debug build of meetkit: timings that count the host's own work (instantiation, join, \
             wasm against native, lifecycles) read worse than the shipped build's; \
             `cargo run --release --bin meetkit -- bench` measures that one (docs/benchmarks.md)"
        );
    }
    let figures = meetkit_host::bench::run(meetkit_host::bench::BenchOptions { quick })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        for f in &figures {
            println!(
                "{} {:<58} {:>12.2} {:<20} target {:<12} ratio {:>6.2}  {}",
                if f.pass { "ok  " } else { "MISS" },
                f.name,
                f.value,
                f.unit,
                f.target,
                f.ratio,
                f.note
            );
        }
    }
    Ok(if figures.iter().all(|f| f.pass) { ExitCode::SUCCESS } else { ExitCode::from(3) })
}
