//! The ERP's own page of a scheduled meeting (`<public address>meet/appointment/<id>`),
//! where the host's calendar entry leads: the meeting as a user of the platform sees it
//! (`get-appointment`), and what they may do there, each a form posted back to the same
//! address: enter the room (on to JaaS), move the meeting, cancel it, give it to a
//! colleague, add a guest, or write the summary for the guests once it has taken place;
//! before a move, who is free to host at the new time (`available-hosts`: the move form
//! sent back to the page with `?at=`, which changes nothing); and its calendar file, for
//! the user's agenda (`<id>/calendar.ics`). A platform knows who looks from its session;
//! the harness has none, so the page asks (`?as=<user>`), and for that answers only the
//! machine that serves it (`serve.rs`). The component decides every action: the
//! forms shown follow the meeting's state, and a refusal is shown as such.

use crate::bindings::messaging::Comment;
use crate::bindings::overview::{Appointment, Attendee, Availability, GuestDetails, MediaCheck, Status};
use crate::bindings::time_zones::LocalDateTime;
use crate::bindings::types::{Context, Error};
use crate::harness::Harness;
use crate::local_time::local_time;
use crate::page::{
    MAX_NOTE, PageForm, PageQuery, blocking, layout, private, refused, refused_form, with_query,
};
use crate::serve::status_for;
use crate::views::{self, At, FileEntry, media_word, refusal, status_word, time_in};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// Who looks, as the platform's session would say; and, when the move form asks who is
/// free then, the new start and the reason typed so far (kept in the form).
#[derive(serde::Deserialize)]
pub(crate) struct Viewer {
    #[serde(default, rename = "as")]
    user: String,
    at: Option<String>,
    #[serde(default)]
    reason: String,
}

/// The move form as typed, and who is free to host at its new start (or why that
/// cannot be told).
struct Move {
    at: String,
    reason: String,
    free: Option<Result<Vec<Availability>, Error>>,
}

/// What a form on the page asks for: `action` is `enter`, `reschedule` (with `at`, a
/// local time in the meeting's zone as `2026-11-24T10:00`, and `reason`), `cancel` (with
/// `reason`), `assign` (with `to`, a user id), `add-guest` (with `guest_name`,
/// `guest_email` and optionally `guest_phone`) or `summary` (with `summary`). Flat, as
/// HTML forms are.
#[derive(serde::Deserialize)]
pub(crate) struct ActionForm {
    action: String,
    #[serde(rename = "as")]
    user: String,
    #[serde(default)]
    at: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    guest_name: String,
    #[serde(default)]
    guest_email: String,
    #[serde(default)]
    guest_phone: String,
}

/// The page itself; without a viewer, a form that asks who looks.
pub(crate) async fn show(
    State(harness): State<Arc<Harness>>,
    Path(id): Path<String>,
    PageQuery(Viewer { user, at, reason }): PageQuery<Viewer>,
) -> Response {
    if user.is_empty() {
        return who_looks().into_response();
    }
    blocking(move || {
        let erp = harness.erp()?;
        Ok(match erp.get_appointment(&id, &user)?.value {
            Ok(a) => {
                // Whom it could be given to, with who is busy then (still choosable).
                let hosts = erp.assignable_hosts(&id, &user)?.value.unwrap_or_default();
                // Who could host it at the new start typed, the meeting's own time aside.
                let free = match at.as_deref() {
                    None => None,
                    Some("") => Some(Err(Error::InvalidInput("type the new start first".into()))),
                    Some(text) => Some(match new_start(text) {
                        Ok(start) => {
                            erp.available_hosts(&user, &a.zone, start, a.duration_mins, Some(&id))?.value
                        }
                        Err(e) => Err(e),
                    }),
                };
                let moving = Move { at: at.unwrap_or_default(), reason, free };
                // Its recordings and their announcements, as a record's Files and chat.
                let log = harness.db().effects("erp")?;
                let context = Context::Appointment(id.clone());
                let kept = Kept { files: views::files(&log, &context), chat: views::chat(&log, &context) };
                let page = page_of(&a, &hosts, &moving, &kept, &user, harness.clock().now_ms());
                private(page.into_response())
            }
            Err(e) => refused(&e),
        })
    })
    .await
}

/// `meet/recording/<id>?as=<user>`, where a recording's chat comment leads: the
/// component says whether the user may have it (`download-recording`), and the page
/// sends them on to it. A recording is the ERP's or the CRM's: asked of each.
pub(crate) async fn recording(
    State(harness): State<Arc<Harness>>,
    Path(id): Path<String>,
    PageQuery(Viewer { user, .. }): PageQuery<Viewer>,
) -> Response {
    if user.is_empty() {
        return who_looks().into_response();
    }
    blocking(move || {
        let mut answer = harness.erp()?.download_recording(&id, &user)?.value;
        if let Err(Error::NotFound(_)) = answer {
            answer = harness.perfex()?.download_recording(&id, &user)?.value;
        }
        Ok(match answer {
            Ok(url) => private(Redirect::to(&url).into_response()),
            Err(e) => refused(&e),
        })
    })
    .await
}

/// The meeting's calendar file, for the user's agenda.
pub(crate) async fn calendar(
    State(harness): State<Arc<Harness>>,
    Path(id): Path<String>,
    PageQuery(Viewer { user, .. }): PageQuery<Viewer>,
) -> Response {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    blocking(move || {
        let erp = harness.erp()?;
        Ok(match erp.agenda(&id, &user)?.value {
            Ok(ics) => private(
                (
                    [
                        (CONTENT_TYPE, "text/calendar; charset=utf-8"),
                        (CONTENT_DISPOSITION, "attachment; filename=\"meeting.ics\""),
                    ],
                    ics,
                )
                    .into_response(),
            ),
            Err(e) => refused(&e),
        })
    })
    .await
}

/// A form of the page: done, then back to the page (entering: on to the room).
pub(crate) async fn act(
    State(harness): State<Arc<Harness>>,
    Path(id): Path<String>,
    PageForm(form): PageForm<ActionForm>,
) -> Response {
    blocking(move || {
        let erp = harness.erp()?;
        let user = form.user;
        let as_user = Attendee::User(user.clone());
        let done = match form.action.as_str() {
            "enter" => match erp.enter_room(&id, &as_user)?.value {
                Ok(ticket) => return Ok(Redirect::to(&ticket.address).into_response()),
                Err(e) => Err(e),
            },
            "reschedule" => match new_start(&form.at) {
                Ok(start) => erp.reschedule(&id, &user, start, &form.reason)?.value.map(drop),
                Err(e) => Err(e),
            },
            "cancel" => erp.cancel_appointment(&id, &as_user, &form.reason)?.value.map(drop),
            "assign" => erp.reassign(&id, &user, &form.to)?.value.map(drop),
            "add-guest" => {
                let phone = Some(form.guest_phone.trim()).filter(|p| !p.is_empty()).map(str::to_string);
                let guest = GuestDetails { name: form.guest_name, email: form.guest_email, phone };
                erp.add_guest(&id, &user, &guest)?.value.map(drop)
            }
            "summary" => erp.add_summary(&id, &user, &form.summary)?.value.map(drop),
            _ => Err(Error::InvalidInput("the form asks for nothing this page does".into())),
        };
        let page = with_query("as", &user)?;
        Ok(match done {
            Ok(()) => Redirect::to(&page).into_response(),
            // The summary is stored before its mails are made: say so, and how to send them.
            Err(e @ Error::StoreFailure(_)) if form.action == "summary" => {
                let why = "The summary is saved, but its e-mails could not be made. Send it again to mail the guests.";
                let body = html! { p { (why) } p { a href=(page) { "Back to the meeting" } } };
                private((status_for(&e), layout("Not sent yet", body)).into_response())
            }
            Err(e) => refused_form(&e, &page),
        })
    })
    .await
}

fn who_looks() -> Markup {
    layout(
        "A scheduled meeting",
        html! {
            form method="get" {
                label { "Signed in as (user id): " input name="as" required; }
                button { "Open" }
            }
        },
    )
}

/// The move form's new start, a local time in the meeting's zone; refused as the
/// component refuses a time it cannot read.
fn new_start(text: &str) -> Result<LocalDateTime, Error> {
    local_time(text).map_err(|e| Error::InvalidInput(e.to_string()))
}

/// The names of those listed whose availability is `available`, or `none`.
fn names(hosts: &[Availability], available: bool, none: &str) -> String {
    let names: Vec<&str> =
        hosts.iter().filter(|h| h.available == available).map(|h| h.name.as_str()).collect();
    if names.is_empty() { none.to_string() } else { names.join(", ") }
}

/// Hidden fields every form of the page carries: what it does, and who does it.
fn action(name: &str, user: &str) -> Markup {
    html! {
        input type="hidden" name="action" value=(name);
        input type="hidden" name="as" value=(user);
    }
}

/// What the platform keeps of the meeting: its Files (the recordings) and chat.
struct Kept {
    files: Vec<At<FileEntry>>,
    chat: Vec<At<Comment>>,
}

/// The page. The forms offered follow the status; the component has the last word.
fn page_of(
    a: &Appointment,
    hosts: &[Availability],
    moving: &Move,
    kept: &Kept,
    user: &str,
    now: i64,
) -> Markup {
    let at = |t: i64| time_in(&a.zone, t);
    let guest = a.guests.first().map_or("", |g| g.name.as_str());
    let status = a.status;
    let host = a.host == user;
    let end = a.start.map(|start| start + i64::from(a.duration_mins) * MINUTE);
    // As the component allows (`overview.rs`): a room opens an hour before the start and
    // admits its host until the meeting settles, two hours after its planned end.
    let may_enter = host
        && !matches!(status, Status::Cancelled | Status::Planning)
        && a.start.is_some_and(|start| now >= start - HOUR)
        && end.is_some_and(|end| now < end + 2 * HOUR);
    let may_change = matches!(status, Status::Planning | Status::Scheduled | Status::StartingSoon)
        || (status == Status::Missed && a.start.is_none());
    // Cancelled before the start only, and not while a guest waits in the room: the row
    // tells that a guest came in (the media check), not whether they are still there, so
    // the form stays and says so; the component has the last word.
    let may_cancel = may_change && a.start.is_none_or(|start| now < start);
    let guest_came = a.media_check != MediaCheck::NotEntered;
    // Followed up once over: past its planned end, or ended by the host.
    let over = end.is_some_and(|end| now >= end) || matches!(status, Status::Completed | Status::Failed);
    // A guest may join until it is over, even while it is live.
    let may_add_guest = !over && !matches!(status, Status::Cancelled | Status::Missed);
    let calendar = format!("{}/calendar.ics{}", a.id, with_query("as", user).unwrap_or_default());
    layout(
        &format!("{} with {guest}", a.meeting_type),
        html! {
            p {
                "Host: " (a.host_name) ". Status: " strong { (status_word(status)) } ". "
                "Media check: " (media_word(a.media_check)) "."
            }
            @if let Some(start) = a.start {
                p { "When: " (at(start)) ", " (a.duration_mins) " minutes. " a href=(calendar) { "Add to my agenda" } }
            } @else if !a.proposed.is_empty() {
                p { "Proposed to the guest (" (a.duration_mins) " minutes):" }
                ul { @for slot in &a.proposed { li { (at(*slot)) } } }
            }
            @if !a.details.is_empty() { p { "Details: " (a.details) } }
            @if !a.description.is_empty() { p { (a.description) } }
            p { "Guests:" }
            ul { @for g in &a.guests { li { (g.name) " <" (g.email) ">" @if let Some(phone) = &g.phone { ", phone " (phone) } } } }
            p { "The guest's link: " a href=(a.guest_link) { (a.guest_link) } }
            @if let Some(reason) = &a.reason { p { "Reason of the last change: " (reason) } }
            @if let Some(review) = &a.review { p { "The guest's review: " (review) } }
            @if let Some(summary) = &a.summary { p { "Summary: " (summary) } }
            @if !kept.files.is_empty() {
                p { "Files:" }
                ul { @for f in &kept.files { li { a href=(f.item.url) { (f.item.name) } } } }
            }
            @if !kept.chat.is_empty() {
                p { "Chat:" }
                ul { @for c in &kept.chat { li {
                    (time_in(&a.zone, c.at)) ": " (c.item.text)
                    // Platform links are relative to its root; this page is two below.
                    @if let Some(link) = c.item.link.as_ref().filter(|l| l.url.starts_with("meet/recording/")) {
                        " " a href=(format!("../../{}{}", link.url, with_query("as", user).unwrap_or_default())) { (link.label) }
                    }
                } } }
            }
            @if may_enter {
                form method="post" { (action("enter", user)) button { "Enter the room" } }
            }
            @if may_change {
                form method="post" {
                    (action("reschedule", user))
                    label { "New start (" (a.zone) "): " input type="datetime-local" name="at" required value=(moving.at); }
                    " "
                    label { "Reason: " input name="reason" required maxlength=(MAX_NOTE) value=(moving.reason); }
                    button { "Move the meeting" }
                    // Sent back to this page (no reason needed yet): the answer shows below.
                    " " button formmethod="get" formnovalidate { "Who is free then?" }
                }
                @match &moving.free {
                    Some(Ok(free)) => p {
                        "At " (moving.at.replace('T', " ")) " (" (a.zone) "): "
                        (names(free, true, "nobody is free")) "; not available: " (names(free, false, "nobody"))
                        " (anyone may still host it)."
                    },
                    Some(Err(e)) => p { "Who is free then cannot be told: " (refusal(e).1) },
                    None => {},
                }
            }
            @if may_change && !hosts.is_empty() {
                form method="post" {
                    (action("assign", user))
                    label { "Give it to: " select name="to" required {
                        @for h in hosts {
                            option value=(h.user) { (h.name) @if !h.available { " (not available)" } }
                        }
                    } }
                    " " button { "Assign" }
                }
            }
            @if may_add_guest {
                form method="post" {
                    (action("add-guest", user))
                    label { "Guest's name: " input name="guest_name" required maxlength="200"; }
                    " " label { "E-mail: " input type="email" name="guest_email" required maxlength="254"; }
                    " " label { "Phone: " input name="guest_phone" maxlength="64"; }
                    " " button { "Add the guest" }
                }
            }
            @if may_cancel {
                form method="post" {
                    (action("cancel", user))
                    @if guest_came {
                        p { "The guest has come into the room: while they are there, the meeting can no longer be cancelled." }
                    }
                    label { "Reason: " input name="reason" required maxlength=(MAX_NOTE); }
                    button { "Cancel the meeting" }
                }
            }
            @if over && status != Status::Cancelled && host {
                form method="post" {
                    (action("summary", user))
                    label { "Summary for the guests: " textarea name="summary" required maxlength=(MAX_NOTE) { (a.summary.as_deref().unwrap_or("")) } }
                    // Each sending mails every guest.
                    button { @if a.summary.is_some() { "Send the summary again" } @else { "Send the summary" } }
                }
            }
        },
    )
}
