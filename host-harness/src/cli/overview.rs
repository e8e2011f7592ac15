//! `meetkit overview ...`: scheduled meetings with external guests, in the ERP.

use super::{Ctx, print};
use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use meetkit_host::InputError;
use meetkit_host::bindings::overview::{
    Appointment, Attendee, Availability, GuestDetails, GuestPage, MediaCheck, OverviewPage, Period, Query,
    RoomEvent, ScheduleRequest, Scope, SortKey, Status,
};
use meetkit_host::bindings::types::Context;
use meetkit_host::effects::Effect;
use meetkit_host::local_time::local_time;
use meetkit_host::views;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct GuestArgs {
    /// The guest's name.
    #[arg(long)]
    guest_name: String,
    /// The guest's e-mail address (invitations go there).
    #[arg(long)]
    guest_email: String,
    /// The guest's telephone number, shown when the meeting is expanded.
    #[arg(long)]
    guest_phone: Option<String>,
}

impl From<GuestArgs> for GuestDetails {
    fn from(g: GuestArgs) -> Self {
        GuestDetails { name: g.guest_name, email: g.guest_email, phone: g.guest_phone }
    }
}

#[derive(Subcommand, Debug)]
pub enum OverviewCommand {
    /// Schedule a meeting with a guest: one --at, or several to propose slots.
    Schedule {
        /// The host user.
        #[arg(long)]
        host: String,
        /// Who schedules it (default: the host).
        #[arg(long)]
        actor: Option<String>,
        #[command(flatten)]
        guest: GuestArgs,
        /// The meeting type, as the overview shows it.
        #[arg(long = "type", default_value = "Meeting")]
        meeting_type: String,
        /// The details column's text.
        #[arg(long, default_value = "")]
        details: String,
        /// A description, shown when the meeting is expanded.
        #[arg(long, default_value = "")]
        description: String,
        /// IANA time zone of the times.
        #[arg(long, default_value = "UTC")]
        zone: String,
        /// Local start time, e.g. 2026-11-24T10:00 (repeat to propose slots).
        #[arg(long = "at", required = true)]
        at: Vec<String>,
        /// Planned duration in minutes.
        #[arg(long, default_value_t = 30)]
        duration: u32,
    },
    /// Guest: pick one of the proposed slots.
    Pick {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The guest's key, from their e-mail.
        #[arg(long)]
        key: String,
        /// The slot's number as `overview show` lists them: 0 is the earliest.
        #[arg(long)]
        slot: u32,
    },
    /// The overview as a table: My (default) or Everyone, upcoming (default) or past.
    List {
        /// Whose overview.
        #[arg(long)]
        user: String,
        /// Everyone: the meetings of the user's colleagues in their groups too.
        #[arg(long)]
        everyone: bool,
        /// Past meetings instead of upcoming ones.
        #[arg(long)]
        past: bool,
        /// The column to sort by.
        #[arg(long, value_enum, default_value = "date")]
        sort: Column,
        /// Ascending. By date the default is descending, the latest first, in both lists
        /// (the overview opens so); by any other column it is ascending, as a first
        /// click on a column's arrow sorts.
        #[arg(long, conflicts_with = "desc")]
        asc: bool,
        /// Descending.
        #[arg(long)]
        desc: bool,
        /// Which page, counted from 1 as the text says (the JSON's `page` is the
        /// component's index, from 0).
        #[arg(long, default_value_t = 1, value_parser = super::page_number)]
        page: u32,
        /// Meetings per page (1 to 200).
        #[arg(long, default_value_t = 20)]
        page_size: u32,
        /// Show every date in this zone, e.g. Europe/Amsterdam (default: each meeting's own).
        #[arg(long)]
        zone: Option<String>,
    },
    /// The page a guest's link opens: the meeting as that guest sees it.
    Guest {
        /// The scheduled meeting's id (without it, the meeting is found by the key, as
        /// for a guest given the key alone).
        #[arg(long)]
        meeting: Option<String>,
        /// The guest's key, from their e-mail.
        #[arg(long)]
        key: String,
    },
    /// One meeting, expanded: description, review, summary, phone.
    Show {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The user acting.
        #[arg(long)]
        user: String,
    },
    /// Move a meeting (a reason is required; the guest receives it).
    Reschedule {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The user acting.
        #[arg(long)]
        user: String,
        /// The new start, e.g. 2026-11-24T10:00, in the meeting's own zone.
        #[arg(long)]
        at: String,
        /// The reason, sent to the guests.
        #[arg(long)]
        reason: String,
    },
    /// Cancel a meeting, as a user (--user) or as its guest (--key); the guests receive
    /// the reason, and the host hears of it when someone else cancelled.
    #[command(group(clap::ArgGroup::new("who").required(true).args(["user", "key"])))]
    Cancel {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The user who cancels.
        #[arg(long)]
        user: Option<String>,
        /// The guest's key, from their e-mail.
        #[arg(long)]
        key: Option<String>,
        /// The reason, sent to the guests.
        #[arg(long)]
        reason: String,
    },
    /// Who could host, and who is busy then: a meeting's assign list (--meeting), who is
    /// free at a time to schedule a meeting at (--at), or both: who is free if --meeting
    /// moves to --at.
    #[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["meeting", "at"])))]
    Hosts {
        /// The scheduled meeting's id: who it can be assigned to; with --at, the meeting
        /// being moved there (it does not count against its new time).
        #[arg(long)]
        meeting: Option<String>,
        /// The user acting.
        #[arg(long)]
        user: String,
        /// A local start time, e.g. 2026-11-24T10:00: who is free then.
        #[arg(long)]
        at: Option<String>,
        /// IANA time zone of --at (default: the --meeting's own, else UTC).
        #[arg(long, requires = "at")]
        zone: Option<String>,
        /// Planned duration in minutes (default: the --meeting's own, else 30).
        #[arg(long, requires = "at")]
        duration: Option<u32>,
    },
    /// Assign the meeting to someone else.
    Assign {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The user acting.
        #[arg(long)]
        user: String,
        /// The user who hosts it from now on.
        #[arg(long)]
        to: String,
    },
    /// Add a guest; a guest invited already is sent their invitation again.
    AddGuest {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The user acting.
        #[arg(long)]
        user: String,
        #[command(flatten)]
        guest: GuestArgs,
    },
    /// Report what happened in the room (guest entry, media check, connection, end).
    Event {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// What happened.
        #[arg(long, value_enum)]
        event: Event,
    },
    /// Enter the room: the host (--user) or the guest (--key).
    #[command(group(clap::ArgGroup::new("who").required(true).args(["user", "key"])))]
    Enter {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The host, entering.
        #[arg(long)]
        user: Option<String>,
        /// The guest's key, from their e-mail.
        #[arg(long)]
        key: Option<String>,
    },
    /// Guest: leave a review after the meeting.
    Review {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The guest's key, from their e-mail.
        #[arg(long)]
        key: String,
        /// The review.
        #[arg(long)]
        text: String,
    },
    /// Host: leave a summary for the guest after the meeting.
    Summary {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The user acting.
        #[arg(long)]
        user: String,
        /// The summary for the guests.
        #[arg(long)]
        text: String,
    },
    /// Add to agenda: the meeting's iCalendar file (to stdout or --out).
    Agenda {
        /// The scheduled meeting's id.
        #[arg(long)]
        meeting: String,
        /// The user acting.
        #[arg(long)]
        user: String,
        /// Write the file here instead of to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Column {
    Date,
    GuestName,
    GuestEmail,
    GuestKey,
    MediaCheck,
    MeetingType,
    Details,
    Status,
    Host,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Event {
    GuestEntered,
    GuestCheckPassed,
    GuestCheckFailed,
    ConnectionFailed,
    HostEnded,
}

/// The person a command acts as: a user by id, or a guest by guest key.
fn attendee(user: Option<String>, key: Option<String>) -> Result<Attendee> {
    match (user, key) {
        (Some(u), _) => Ok(Attendee::User(u)),
        (None, Some(k)) => Ok(Attendee::Guest(k)),
        (None, None) => anyhow::bail!(InputError::Invalid("name --user or --key".into())),
    }
}

/// The zone as the IANA database spells it (`europe/amsterdam` is `Europe/Amsterdam`),
/// as a platform's zone picker would hand it over: it goes into e-mails and calendar
/// files. A name the database does not know goes as typed, for the component to refuse.
fn canonical_zone(zone: String) -> String {
    match jiff::tz::db().get(&zone) {
        Ok(tz) => tz.iana_name().map_or(zone, str::to_string),
        Err(_) => zone,
    }
}

pub(super) fn status(s: Status) -> &'static str {
    meetkit_host::views::status_word(s)
}

pub(super) fn check(m: MediaCheck) -> &'static str {
    match m {
        MediaCheck::NotEntered => "? (gray)",
        MediaCheck::Entered => "? (yellow)",
        MediaCheck::Failed => "x (red)",
        MediaCheck::Passed => "v (green)",
    }
}

fn when(a: &Appointment, zone: Option<&str>) -> String {
    at_in(zone.unwrap_or(&a.zone), a.start.or(a.proposed.first().copied()).unwrap_or_default())
}

/// A time of the meeting in the meeting's own zone, as its header and e-mails say it.
fn in_zone(a: &Appointment, at: i64) -> String {
    at_in(&a.zone, at)
}

pub(super) fn at_in(zone: &str, at: i64) -> String {
    meetkit_host::views::time_in(zone, at)
}

/// The overview as people read it: one row per meeting, its dates in `zone` if given.
fn table(p: &OverviewPage, zone: Option<&str>) -> String {
    // The meeting's id last: what the other overview commands take as `--meeting`.
    let header = ["Date", "Guest", "E-mail", "Key", "Check", "Type", "Details", "Status", "Host", "Meeting"];
    let rows: Vec<[String; 10]> = p
        .items
        .iter()
        .map(|a| {
            let g = &a.guests[0];
            [
                when(a, zone),
                g.name.clone(),
                g.email.clone(),
                a.guest_key.clone(),
                check(a.media_check).into(),
                a.meeting_type.clone(),
                a.details.clone(),
                status(a.status).into(),
                a.host_name.clone(),
                a.id.clone(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.to_vec())];
    out.push(widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
    out.extend(rows.iter().map(|r| line(r.iter().map(String::as_str).collect())));
    out.push(print::page_line(p.page, p.page_size, p.total, "meeting(s)"));
    out.join("\n")
}

/// The guest's page: what the meeting is, when, and what they may do now. Slots that
/// have begun are left out, the others keep their numbers.
fn guest_page(p: &GuestPage, now: i64) -> String {
    let at = |t: i64| at_in(&p.zone, t);
    let mut out = format!(
        "{} with {}, for {} ({} min)\n  status: {}\n",
        p.meeting_type,
        p.host_name,
        p.guest_name,
        p.duration_mins,
        status(p.status)
    );
    match p.start {
        Some(t) => out.push_str(&format!("  when: {}\n", at(t))),
        None if p.status == Status::Missed => {
            out.push_str("  every proposed time has passed: the host will propose another\n")
        }
        // As the HTML page: slots are offered only while the guest may pick one.
        None if p.status != Status::Planning => {}
        None => {
            let slots: Vec<String> = p
                .proposed
                .iter()
                .enumerate()
                .filter(|(_, t)| **t > now)
                .map(|(n, t)| format!("{n}) {}", at(*t)))
                .collect();
            out.push_str(&format!("  pick a time (--slot): {}\n", slots.join("; ")));
        }
    }
    if !p.description.is_empty() {
        out.push_str(&format!("  about: {}\n", p.description));
    }
    for (what, text) in
        [("reason of the last change", &p.reason), ("review", &p.review), ("summary", &p.summary)]
    {
        if let Some(t) = text {
            out.push_str(&format!("  {what}: {t}\n"));
        }
    }
    match p.room_opens_at {
        _ if p.may_enter => out.push_str("  the room is open: `overview enter --key`\n"),
        Some(opens) if now < opens && p.status != Status::Cancelled => {
            out.push_str(&format!("  the room opens at {}\n", at(opens)))
        }
        _ => {}
    }
    if p.may_cancel {
        out.push_str("  this guest may cancel it\n");
    }
    if p.may_review {
        out.push_str("  this guest may leave a review: `overview review`\n");
    }
    out.trim_end().into()
}

fn expanded(a: &Appointment) -> String {
    let g = &a.guests[0];
    // Without a start, the first proposed slot is no appointment yet.
    let on = if a.start.is_some() { "on" } else { "first proposed for" };
    let mut out = format!(
        "{} with {} <{}> {on} {} ({} min), {}\n  meeting: {}\n  host: {}\n  guest link: {}\n  guest key: {}\n  media check: {}\n",
        a.meeting_type,
        g.name,
        g.email,
        when(a, None),
        a.duration_mins,
        status(a.status),
        a.id,
        a.host_name,
        a.guest_link,
        a.guest_key,
        check(a.media_check)
    );
    out.push_str(&format!(
        "  description: {}\n",
        if a.description.is_empty() { "-" } else { &a.description }
    ));
    out.push_str(&format!("  review: {}\n", a.review.as_deref().unwrap_or("-")));
    out.push_str(&format!("  summary: {}\n", a.summary.as_deref().unwrap_or("-")));
    out.push_str(&format!("  phone: {}\n", g.phone.as_deref().unwrap_or("-")));
    if a.guests.len() > 1 {
        let more: Vec<String> = a.guests[1..]
            .iter()
            .map(|g| match &g.phone {
                Some(phone) => format!("{} <{}>, phone {phone}", g.name, g.email),
                None => format!("{} <{}>", g.name, g.email),
            })
            .collect();
        out.push_str(&format!("  more guests: {}\n", more.join(", ")));
    }
    if let Some(r) = &a.reason {
        out.push_str(&format!("  reason of the last change: {r}\n"));
    }
    if a.start.is_none() {
        let slots: Vec<String> =
            a.proposed.iter().enumerate().map(|(n, t)| format!("{n}) {}", in_zone(a, *t))).collect();
        out.push_str(&format!("  proposed slots (--slot): {}\n", slots.join("; ")));
    }
    out.trim_end().into()
}

pub fn run(ctx: &Ctx, command: OverviewCommand) -> Result<ExitCode> {
    let erp = ctx.harness.erp()?;
    match command {
        OverviewCommand::Schedule {
            host,
            actor,
            guest,
            meeting_type,
            details,
            description,
            zone,
            at,
            duration,
        } => {
            let slots = at.iter().map(|t| local_time(t)).collect::<Result<Vec<_>, _>>()?;
            let request = ScheduleRequest {
                actor: actor.unwrap_or_else(|| host.clone()),
                host,
                guest: guest.into(),
                meeting_type,
                details,
                description,
                zone: canonical_zone(zone),
                slots,
                duration_mins: duration,
            };
            ctx.report(erp.schedule(&request)?, expanded)
        }
        OverviewCommand::Pick { meeting, key, slot } => {
            ctx.report(erp.pick_slot(&meeting, &key, slot)?, expanded)
        }
        OverviewCommand::List { user, everyone, past, sort, asc, desc, page, page_size, zone } => {
            let zone = zone.map(canonical_zone);
            if let Some(z) = &zone
                && jiff::tz::db().get(z).is_err()
            {
                bail!(InputError::Invalid(format!("{z} is not a time zone (e.g. Europe/Amsterdam)")));
            }
            let sort = match sort {
                Column::Date => SortKey::Date,
                Column::GuestName => SortKey::GuestName,
                Column::GuestEmail => SortKey::GuestEmail,
                Column::GuestKey => SortKey::GuestKey,
                Column::MediaCheck => SortKey::MediaCheck,
                Column::MeetingType => SortKey::MeetingType,
                Column::Details => SortKey::Details,
                Column::Status => SortKey::Status,
                Column::Host => SortKey::Host,
            };
            let query = Query {
                viewer: user,
                scope: if everyone { Scope::Everyone } else { Scope::Mine },
                period: if past { Period::Past } else { Period::Upcoming },
                sort,
                descending: desc || (sort == SortKey::Date && !asc),
                page: page - 1,
                page_size,
            };
            ctx.report(erp.list_meetings(&query)?, |p| table(p, zone.as_deref()))
        }
        OverviewCommand::Guest { meeting, key } => {
            let meeting = match meeting {
                Some(m) => m,
                None => {
                    let found = erp.find_guest_meeting(&key)?;
                    match &found.value {
                        Ok(id) => id.clone(),
                        Err(_) => return ctx.report(found, String::clone),
                    }
                }
            };
            let now = ctx.harness.clock().now_ms();
            ctx.report(erp.guest_view(&meeting, &key)?, |p| guest_page(p, now))
        }
        OverviewCommand::Show { meeting, user } => {
            // Its recordings, as the record's Files shows them (the platform's, not the
            // component's: told in JSON beside the meeting).
            let log = ctx.harness.db().effects("erp")?;
            let files = views::files(&log, &Context::Appointment(meeting.clone()));
            let mut extra = serde_json::Map::new();
            extra.insert("files".into(), serde_json::to_value(&files)?);
            ctx.report_with(erp.get_appointment(&meeting, &user)?, extra, |a| {
                let mut text = expanded(a);
                for f in &files {
                    text.push_str(&format!("\n  file: {} -> {}", f.item.name, f.item.url));
                }
                text
            })
        }
        OverviewCommand::Reschedule { meeting, user, at, reason } => {
            ctx.report(erp.reschedule(&meeting, &user, local_time(&at)?, &reason)?, expanded)
        }
        OverviewCommand::Cancel { meeting, user, key, reason } => {
            ctx.report(erp.cancel_appointment(&meeting, &attendee(user, key)?, &reason)?, expanded)
        }
        OverviewCommand::Hosts { meeting, user, at, zone, duration } => {
            // The meeting's host is marked: "is the host free then?" is the question
            // a move asks first.
            let hosts = |empty: &'static str, host: Option<String>| {
                move |v: &Vec<Availability>| {
                    let line = |h: &Availability| {
                        let role = if host.as_ref() == Some(&h.user) { ", the meeting's host" } else { "" };
                        let busy = if h.available { "" } else { " - not available" };
                        format!("{} ({}{role}){busy}", h.name, h.user)
                    };
                    print::list_plain(v, line, empty)
                }
            };
            let Some(at) = at else {
                let meeting = meeting.expect("clap requires --meeting or --at");
                return ctx.report(erp.assignable_hosts(&meeting, &user)?, hosts("nobody to assign", None));
            };
            let start = local_time(&at)?;
            // A meeting being moved keeps its zone and length unless told otherwise.
            let (zone, duration, host) = match meeting.as_deref() {
                Some(id) => {
                    let call = erp.get_appointment(id, &user)?;
                    let Ok(a) = &call.value else { return ctx.report(call, |_| String::new()) };
                    let zone = zone.unwrap_or_else(|| a.zone.clone());
                    (zone, duration.unwrap_or(a.duration_mins), Some(a.host.clone()))
                }
                None => (zone.unwrap_or_else(|| "UTC".into()), duration.unwrap_or(30), None),
            };
            let zone = canonical_zone(zone);
            let call = erp.available_hosts(&user, &zone, start, duration, meeting.as_deref())?;
            ctx.report(call, hosts("nobody to host it", host))
        }
        OverviewCommand::Assign { meeting, user, to } => {
            ctx.report(erp.reassign(&meeting, &user, &to)?, expanded)
        }
        OverviewCommand::AddGuest { meeting, user, guest } => {
            let guest: GuestDetails = guest.into();
            let call = erp.add_guest(&meeting, &user, &guest)?;
            // The added guest's own link is in their invitation only: the command shows
            // it, so that their page can be tried. A guest invited already (the address
            // in any case) keeps the name they were invited under.
            let link = call.effects.iter().find_map(|e| match e {
                Effect::Email { email } if email.to.eq_ignore_ascii_case(&guest.email) => {
                    email.body.split_whitespace().find(|w| w.contains("/meet/guest/")).map(str::to_string)
                }
                _ => None,
            });
            let mut extra = serde_json::Map::new();
            extra.insert("guest_link".into(), link.clone().into());
            ctx.report_with(call, extra, |a| {
                let invited = a.guests.iter().find(|g| g.email.eq_ignore_ascii_case(&guest.email));
                match (&link, invited) {
                    (Some(link), Some(g)) => format!("{}\n  {}'s own link: {link}", expanded(a), g.name),
                    _ => expanded(a),
                }
            })
        }
        OverviewCommand::Event { meeting, event } => {
            let event = match event {
                Event::GuestEntered => RoomEvent::GuestEntered,
                Event::GuestCheckPassed => RoomEvent::GuestCheckPassed,
                Event::GuestCheckFailed => RoomEvent::GuestCheckFailed,
                Event::ConnectionFailed => RoomEvent::ConnectionFailed,
                Event::HostEnded => RoomEvent::HostEnded,
            };
            ctx.report(erp.report_room_event(&meeting, event, ctx.harness.clock().now_ms())?, expanded)
        }
        OverviewCommand::Enter { meeting, user, key } => {
            ctx.report(erp.enter_room(&meeting, &attendee(user, key)?)?, print::ticket)
        }
        OverviewCommand::Review { meeting, key, text } => {
            ctx.report(erp.add_review(&meeting, &key, &text)?, expanded)
        }
        OverviewCommand::Summary { meeting, user, text } => {
            ctx.report(erp.add_summary(&meeting, &user, &text)?, expanded)
        }
        OverviewCommand::Agenda { meeting, user, out } => {
            let call = erp.agenda(&meeting, &user)?;
            if let (Some(path), Ok(ics)) = (&out, &call.value) {
                super::write_output(path, ics)?;
            }
            ctx.report(call, |ics| match &out {
                Some(path) => format!("wrote {}", path.display()),
                // Printed with its last line break: the file's lines all end in CRLF.
                None => format!("{}\r", ics.trim_end()),
            })
        }
    }
}
