//! Text for people: how each value and effect reads on a terminal.

use meetkit_host::bindings::call_requests::{
    CallRequest, HistoryEntry, RequestOutcome, RequestPage, RequestStatus,
};
use meetkit_host::bindings::directory::Relation;
use meetkit_host::bindings::meetings::{Left, Lobby, Started};
use meetkit_host::bindings::messaging::{ClosedReason, Colour, Comment, Notification, PageSignal, Toast};
use meetkit_host::bindings::presence::PresenceState;
use meetkit_host::bindings::types::{
    Context, DisplayMode, Error, JoinTicket, Meeting, MeetingState, UserKind,
};
use meetkit_host::effects::{Effect, Logged};
use meetkit_host::erp::{ErpWorld, LicenceName, RecordingSettings, context_label};
use meetkit_host::harness::CopyRound;
use meetkit_host::perfex::{Display, NotifyRule, PerfexWorld, Settings};
use meetkit_host::views::{self, At, BellEntry};

pub fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map_or_else(|_| ms.to_string(), |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
}

pub fn error(e: &Error) -> String {
    let (kind, message) = views::refusal(e);
    format!("{kind}: {message}")
}

/// The longest error line the terminal is given; `--json` has the whole text.
const LONGEST_LINE: usize = 400;

/// Line and paragraph separators and the marks and overrides of text direction: shown,
/// they split a line or turn it around.
fn splits_or_turns(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` as one line a terminal shows as it is: control characters (a line break, an
/// escape sequence echoed from the input), line separators and marks of text direction
/// written as escapes, and a text beyond
/// [`LONGEST_LINE`] characters cut, saying how long it was.
pub fn one_line(text: &str) -> String {
    let mut line = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == LONGEST_LINE {
            line.push_str(&format!("... ({} characters, whole with --json)", text.chars().count()));
            break;
        }
        if c.is_control() {
            line.extend(c.escape_default());
        } else if splits_or_turns(c) {
            line.extend(c.escape_unicode());
        } else {
            line.push(c);
        }
    }
    line
}

/// A join address with its token shortened: the full one is in `--json`.
pub fn address(a: &str) -> String {
    let Some((room, rest)) = a.split_once("#jwt=") else { return a.to_string() };
    let (token, settings) = rest.split_at(rest.find('&').unwrap_or(rest.len()));
    if token.len() <= 24 {
        return a.to_string();
    }
    format!("{room}#jwt={}...({} characters, whole with --json){settings}", &token[..24], token.len())
}

pub fn presence(s: PresenceState) -> &'static str {
    match s {
        PresenceState::Available => "Available",
        PresenceState::Busy => "Busy",
    }
}

pub fn display(d: DisplayMode) -> &'static str {
    match d {
        DisplayMode::NewWindow => "new window",
        DisplayMode::NewTab => "new tab",
        DisplayMode::Iframe => "iframe",
    }
}

pub fn relation(r: Relation) -> &'static str {
    match r {
        Relation::Member => "member",
        Relation::Listed => "listed participant",
        Relation::Tagged => "tagged",
        Relation::Following => "following",
        Relation::Favorite => "favorite",
        Relation::NotFollowing => "not following",
    }
}

pub fn list<T>(items: &[At<T>], each: fn(&T) -> String, empty: &str) -> String {
    if items.is_empty() {
        return empty.into();
    }
    items.iter().map(|i| format!("[{}] {}", time(i.at), each(&i.item))).collect::<Vec<_>>().join("\n")
}

pub fn request_page(p: &RequestPage) -> String {
    let list = list_plain(&p.items, request, "no requests");
    format!("{list}\n{}", page_line(p.page, p.page_size, p.total, "request(s)"))
}

/// "page 2 of 3, 45 request(s)"; a page past the end says so rather than "page 9 of 3".
pub fn page_line(page: u32, page_size: u32, total: u32, what: &str) -> String {
    let pages = total.div_ceil(page_size.max(1)).max(1);
    if page >= pages {
        format!("page {} is past the last page ({pages}), {total} {what}", page + 1)
    } else {
        format!("page {} of {pages}, {total} {what}", page + 1)
    }
}

pub fn list_plain<T>(items: &[T], each: impl Fn(&T) -> String, empty: &str) -> String {
    if items.is_empty() {
        return empty.into();
    }
    items.iter().map(each).collect::<Vec<_>>().join("\n")
}

pub fn comment(c: &Comment) -> String {
    match &c.link {
        Some(l) => format!("{} [{} -> {}]", c.text, l.label, l.url),
        None => c.text.clone(),
    }
}

pub fn notification(n: &Notification) -> String {
    format!("{}: {} ({})", n.title, n.text, context_label(&n.context))
}

pub fn bell_entry(b: &BellEntry) -> String {
    format!("{}{}", if b.read { "" } else { "(unread) " }, notification(&b.notification))
}

pub fn toast(t: &Toast) -> String {
    let melody = t.melody.as_deref().map(|m| format!(", melody \"{m}\"")).unwrap_or_default();
    let colour = match t.colour {
        Colour::Red => "red",
        Colour::Green => "green",
        Colour::Blue => "blue",
        Colour::Grey => "grey",
    };
    format!("{colour} toaster for {} s{melody}: {}", t.duration_ms / 1000, t.text)
}

pub fn signal(s: &PageSignal) -> String {
    match s {
        PageSignal::OpenMeeting(t) => {
            format!("open the meeting ({}): {}", display(t.display), address(&t.address))
        }
        PageSignal::ShowJoin(m) => format!("show \"Join Meeting\" for meeting {m}"),
        PageSignal::MeetingEnded(m) => format!("meeting {m} has ended"),
        PageSignal::RequestAdded(c) => {
            format!("panel: new call request {} from {} ({})", c.request_id, c.contact_name, c.client_name)
        }
        PageSignal::RequestRemoved(r) => format!("panel: call request {r} removed"),
        PageSignal::RequestClosed((r, reason)) => format!(
            "call request {r} {}",
            match reason {
                ClosedReason::Cancelled => "was cancelled",
                // In time, or at once when every staff member told ignored it.
                ClosedReason::Expired => "expired: no staff member took it",
            }
        ),
        PageSignal::VoiceCue(text) => format!("voice: \"{text}\""),
    }
}

/// One line per copy a round made or still owes; nothing when it had nothing to do.
pub fn copy_round(round: &CopyRound) -> String {
    let mut text = String::new();
    for recording in &round.copied {
        text += &format!("copy of {recording} made and reported\n");
    }
    for owed in &round.owed {
        text += &format!(
            "copy of {} still owed after {} attempt(s), tried again from {}: {}\n",
            owed.recording,
            owed.attempts,
            time(owed.next_try_at),
            owed.last_error.as_deref().unwrap_or("no reason given")
        );
    }
    text
}

pub fn effect(e: &Effect) -> String {
    match e {
        Effect::Comment { context, comment: c } => {
            format!("chat of {}: {}", context_label(context), comment(c))
        }
        Effect::Notification { user, notification: n } => {
            format!("bell of {user}: (unread) {}", notification(n))
        }
        Effect::NotificationsWithdrawn { user, context, meeting: None } => {
            format!("bell of {user}: notifications about {} taken out", context_label(context))
        }
        Effect::NotificationsWithdrawn { user, context, meeting: Some(meeting) } => {
            format!(
                "bell of {user}: notifications about meeting {meeting} in {} taken out",
                context_label(context)
            )
        }
        Effect::Toast { user, toast: t } => format!("screen of {user}: {}", toast(t)),
        Effect::Signal { user, signal: s } => format!("page of {user}: {}", signal(s)),
        Effect::Presence { user, state } => format!("presence of {user}: {}", presence(*state)),
        Effect::FileSaved { context, file, .. } => {
            format!("files of {}: saved {}", context_label(context), file.name)
        }
        Effect::FileDeleted { context, file_id } => {
            format!("files of {}: deleted {file_id}", context_label(context))
        }
        Effect::Flag { context, text } => {
            format!("administrators, about {}: {text}", context_label(context))
        }
        Effect::Archive { recording, .. } => format!("host storage: keep a copy of {recording}"),
        Effect::Email { email } => format!(
            "e-mail to {} <{}>: {}{}",
            email.to_name,
            email.to,
            email.subject,
            if email.calendar.is_some() { " (with a calendar file)" } else { "" }
        ),
    }
}

/// How `e` reads to the people it reached, given the platforms' logs after it (see
/// [`needs_logs`]): a withdrawal that took nothing out of a bell is not seen, and a
/// deleted file is named as Files named it.
pub fn effect_seen(e: &Effect, logs: &[Vec<Logged>]) -> Option<String> {
    match e {
        // Only the log that holds the withdrawal can say it took nothing.
        Effect::NotificationsWithdrawn { .. }
            if logs.iter().any(|log| !views::withdrawal_took_something(log, e)) =>
        {
            None
        }
        Effect::FileDeleted { context, file_id } => {
            let name = logs.iter().find_map(|log| views::file_name(log, file_id)).unwrap_or(file_id);
            Some(format!("files of {}: deleted {name}", context_label(context)))
        }
        _ => Some(effect(e)),
    }
}

/// Whether showing `effects` needs the platforms' logs.
pub fn needs_logs(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::NotificationsWithdrawn { .. } | Effect::FileDeleted { .. }))
}

/// A call's effects as its users saw them, one indented line each.
pub fn effect_lines<'a>(effects: &'a [Effect], logs: &'a [Vec<Logged>]) -> impl Iterator<Item = String> + 'a {
    effects.iter().filter_map(|e| effect_seen(e, logs)).map(|line| format!("  -> {line}"))
}

pub fn meeting(m: &Meeting) -> String {
    let state = match m.state {
        MeetingState::Running if m.recording => "running, recording".to_string(),
        MeetingState::Running => "running".to_string(),
        MeetingState::Ended => format!("ended {}", m.ended_at.map(time).unwrap_or_default()),
    };
    // A scheduled meeting's room is its host's, whoever entered it first.
    let started = match m.context {
        Context::Appointment(_) => format!("hosted by {} and opened", m.initiator),
        _ => format!("started by {}", m.initiator),
    };
    format!(
        "meeting {} in {} \"{}\" ({state})\n  room: {}\n  {} at {}\n  invited: {}\n  in the meeting now: {}",
        m.id,
        context_label(&m.context),
        m.title,
        m.room,
        started,
        time(m.started_at),
        m.invited.join(", "),
        if m.present.is_empty() { "nobody".into() } else { m.present.join(", ") },
    )
}

pub fn ticket(t: &JoinTicket) -> String {
    format!(
        "join address ({}{}{}): {}\n  token expires {}",
        display(t.display),
        if t.moderator { ", moderator" } else { "" },
        if t.recording_allowed { ", may record" } else { "" },
        address(&t.address),
        time(t.expires_at),
    )
}

pub fn lobby(l: &Lobby) -> String {
    let mut out = format!("lobby of {} \"{}\"\n", context_label(&l.context), l.title);
    for c in &l.candidates {
        out.push_str(&format!(
            "  [{}] {} ({}, {}, {}){}\n",
            if c.selected { "x" } else { " " },
            c.user.name,
            c.user.id,
            match c.user.kind {
                UserKind::Internal => "internal",
                UserKind::External => "external",
            },
            relation(c.relation),
            if c.locked { " - you, cannot be unchecked" } else { "" }
        ));
    }
    if !l.excluded_by_licence.is_empty() {
        out.push_str(&format!(
            "  not listed (licence admits internal users only): {}\n",
            l.excluded_by_licence.join(", ")
        ));
    }
    if let Some(m) = &l.running {
        out.push_str(&format!("  a meeting is running here: {} (join it)\n", m.id));
    }
    out.trim_end().into()
}

pub fn started(s: &Started) -> String {
    format!(
        "{}\n{}\n{}",
        if s.created { "meeting started" } else { "a meeting was already running here: joined it" },
        meeting(&s.meeting),
        ticket(&s.ticket)
    )
}

pub fn left(l: &Left) -> String {
    if l.ended {
        format!("left; the meeting ended\n{}", meeting(&l.meeting))
    } else {
        format!("left\n{}", meeting(&l.meeting))
    }
}

pub fn request(r: &CallRequest) -> String {
    format!(
        "{} {}: {} of {} asked at {}{}{}",
        r.id,
        match r.status {
            RequestStatus::Pending => "pending",
            RequestStatus::Accepted => "accepted",
            RequestStatus::Completed => "completed",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::Expired => "expired",
        },
        r.contact_name,
        r.client_name,
        time(r.requested_at),
        r.accepted_by.as_deref().map(|s| format!(", accepted by {s}")).unwrap_or_default(),
        r.meeting.as_deref().map(|m| format!(", meeting {m}")).unwrap_or_default(),
    )
}

pub fn history(h: &HistoryEntry) -> String {
    format!("[{}] {} {}: {}", time(h.at), h.actor.as_deref().unwrap_or("(automatic)"), h.action, h.detail)
}

pub fn request_outcome(o: &RequestOutcome) -> String {
    match o {
        RequestOutcome::Requested(r) => format!("requested\n{}", request(r)),
        RequestOutcome::Existing(r) => format!("a request is already open\n{}", request(r)),
        // The room is what JaaS's webhooks about the call name.
        RequestOutcome::Accepted((r, t)) => {
            format!("accepted\n{}, room {}\n{}", request(r), t.room, ticket(t))
        }
        RequestOutcome::Ignored(r) => format!("ignored\n{}", request(r)),
        RequestOutcome::Cancelled(r) => format!("cancelled\n{}", request(r)),
        RequestOutcome::Completed(r) => format!("completed\n{}", request(r)),
    }
}

pub fn erp_world(w: &ErpWorld) -> String {
    let mut out = format!("licence: {}\nusers:\n", licence(w.licence));
    for u in &w.users {
        out.push_str(&format!(
            "  {} {} <{}>{}\n",
            u.id,
            u.name,
            u.email,
            if u.external { " (external)" } else { "" }
        ));
    }
    out.push_str("contexts:\n");
    for (c, title) in w.contexts() {
        out.push_str(&format!("  {} \"{title}\"\n", context_label(&c)));
    }
    let calendar: Vec<_> = w.activities.iter().filter(|a| a.span.is_some()).collect();
    if !calendar.is_empty() {
        out.push_str("calendar (its participants are not available to host then):\n");
        for a in calendar {
            let (start, end) = (a.start.as_deref().unwrap_or(""), a.end.as_deref().unwrap_or(""));
            out.push_str(&format!("  {} {start} to {end}: {}\n", a.id, a.participants.join(", ")));
        }
    }
    out.trim_end().into()
}

pub fn licence(l: LicenceName) -> &'static str {
    match l {
        LicenceName::X19 => "X19 Basic",
        LicenceName::X20 => "X20 Advanced",
    }
}

/// A list for a bracket, `-` when empty.
fn or_none(items: &[String]) -> String {
    if items.is_empty() { "-".into() } else { items.join(", ") }
}

pub fn perfex_world(w: &PerfexWorld) -> String {
    let mut out = String::from("staff:\n");
    for s in &w.staff {
        out.push_str(&format!(
            "  {} {} [{}] [{}]{}\n",
            s.id,
            s.name,
            or_none(&s.departments),
            or_none(&s.roles),
            if s.active { "" } else { " (inactive)" }
        ));
    }
    out.push_str("clients:\n");
    for c in &w.clients {
        let contacts: Vec<String> = c.contacts.iter().map(|p| format!("{} ({})", p.name, p.id)).collect();
        out.push_str(&format!("  {} {}: {}\n", c.id, c.company, contacts.join(", ")));
    }
    out.push_str(&perfex_settings(&w.settings));
    // The component asks every platform for its licence; a CRM has no tiers.
    out.push_str("\nlicence: none (the component is told X20 Advanced: every feature)");
    out
}

/// The administrator's call-request settings, as the settings page shows them.
pub fn perfex_settings(s: &Settings) -> String {
    let rules: Vec<String> = s
        .notify
        .iter()
        .map(|r| match r {
            NotifyRule::AllStaff => "all staff".to_string(),
            NotifyRule::AssignedStaff => "the client's assigned staff".to_string(),
            NotifyRule::Departments(d) => format!("departments {}", d.join(", ")),
            NotifyRule::Roles(r) => format!("roles {}", r.join(", ")),
        })
        .collect();
    let display = match s.display {
        Display::NewTab => "in a new tab",
        Display::Iframe => "inside the page (iframe)",
    };
    format!(
        "settings:\n  notify: {}\n  meetings open {display}\n  requests expire after {} s",
        rules.join("; "),
        s.expiry_secs
    )
}

pub fn recording_settings(r: &RecordingSettings) -> String {
    let kept = if r.keep_copies {
        format!("the platform keeps a copy of each for {} hours", r.retention_hours)
    } else {
        "no copies kept; JaaS deletes each after 24 hours".into()
    };
    format!("recordings: {kept}; named in {} time", r.time_zone)
}

/// A page of a context's recordings, with where it is in the listing.
/// Times are in `zone`, the platform's zone for recordings (UTC when it names none),
/// as the recordings' names and their chat announcements are.
pub fn recording_page(p: &meetkit_host::bindings::recordings::RecordingPage, now: i64, zone: &str) -> String {
    let list = list_plain(&p.items, |r| recording(r, now, zone), "no recordings");
    format!("{list}\n{}", page_line(p.page, p.page_size, p.total, "recording(s)"))
}

/// A recording as its context's Files page describes it at `now`, times in `zone`.
pub fn recording(r: &meetkit_host::bindings::recordings::RecordingFile, now: i64, zone: &str) -> String {
    let time = |t: i64| views::time_in(zone, t);
    let state = if r.deleted {
        "deleted".to_string()
    } else if now >= r.expires_at {
        "JaaS's copy deleted".to_string()
    } else {
        format!("at JaaS until {}", time(r.expires_at))
    };
    let copy = match (&r.archive, r.kept_until) {
        (Some(_), Some(u)) if now >= u => format!(", host copy released at {}", time(u)),
        (Some(a), Some(u)) => format!(", host copy at {a} until {}", time(u)),
        (None, Some(u)) => format!(", host copy pending (keep until {})", time(u)),
        (None, None) if r.deleted => ", no copy kept".into(),
        _ => String::new(),
    };
    format!("{} {} ({state}{copy}){}", r.id, r.name, if r.flagged { " [flagged]" } else { "" })
}
