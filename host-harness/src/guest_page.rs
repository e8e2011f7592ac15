//! The page a guest's link opens (`<public address>meet/guest/<id>?key=<key>`): the
//! meeting as the guest sees it (`guest-view`), and what they may do there, each a form
//! posted back to the same address: pick a proposed time, check camera and microphone
//! (the overview's media-check indicator), enter the room (a redirect to JaaS), cancel,
//! or leave a review afterwards. Scheduled meetings are the ERP's.

use crate::bindings::overview::{Attendee, GuestPage, RoomEvent, Status};
use crate::bindings::types::Error;
use crate::harness::Harness;
use crate::page::{
    MAX_NOTE, PageForm, PageQuery, blocking, layout, private, refused, refused_form, with_query,
};
use crate::views::{status_word, time_in};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::sync::Arc;

/// The guest's key, as the link carries it.
#[derive(serde::Deserialize)]
pub(crate) struct Key {
    #[serde(default)]
    key: String,
}

/// What a form on the page asks for: `action` is `pick` (with `slot`), `check-passed`
/// or `check-failed` (the camera and microphone check), `enter`, `cancel` (with
/// `reason`) or `review` (with `review`). Flat, as HTML forms are.
#[derive(serde::Deserialize)]
pub(crate) struct ActionForm {
    action: String,
    key: String,
    slot: Option<u32>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    review: String,
}

/// The form that asks a guest who has the key alone for it.
fn key_form(intro: &str) -> Response {
    let body = maud::html! {
        p { (intro) }
        form method="get" {
            label { "Guest key " input name="key" required autocomplete="off" maxlength="200"; }
            " " button { "Open the meeting" }
        }
    };
    private(crate::page::layout("Your meeting", body).into_response())
}

/// `meet/guest`, no meeting named: a guest given the key alone (read out on the phone,
/// say) types it, and is taken to their meeting's page.
pub(crate) async fn find(
    State(harness): State<Arc<Harness>>,
    PageQuery(Key { key }): PageQuery<Key>,
) -> Response {
    let key = key.trim().to_string();
    if key.is_empty() {
        return key_form("Enter the guest key from your invitation.");
    }
    blocking(move || {
        Ok(match harness.erp()?.find_guest_meeting(&key)?.value {
            // Relative to this page: a public address with a path prefix keeps it.
            // The key is in the address: nothing caches it or passes it on.
            Ok(id) => {
                private(Redirect::to(&format!("guest/{id}{}", with_query("key", &key)?)).into_response())
            }
            Err(Error::NotFound(_)) => key_form("No meeting has that guest key: check it and try again."),
            Err(e) => refused(&e),
        })
    })
    .await
}

/// The page itself.
pub(crate) async fn show(
    State(harness): State<Arc<Harness>>,
    Path(id): Path<String>,
    PageQuery(Key { key }): PageQuery<Key>,
) -> Response {
    if key.is_empty() {
        return key_form("Open the link from your invitation, or enter the guest key it gives.");
    }
    blocking(move || {
        let erp = harness.erp()?;
        Ok(match erp.guest_view(&id, &key)?.value {
            Ok(page) => private(page_of(&page, &key, harness.clock().now_ms()).into_response()),
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
        let key = form.key.clone();
        let guest = Attendee::Guest(key.clone());
        let done = match (form.action.as_str(), form.slot) {
            ("pick", Some(slot)) => erp.pick_slot(&id, &key, slot)?.value.map(drop),
            ("cancel", _) => erp.cancel_appointment(&id, &guest, &form.reason)?.value.map(drop),
            ("review", _) => erp.add_review(&id, &key, &form.review)?.value.map(drop),
            // The platform's page reports the check; only the guest's own key may.
            (check @ ("check-passed" | "check-failed"), _) => match erp.guest_view(&id, &key)?.value {
                Ok(_) => {
                    let event = if check == "check-passed" {
                        RoomEvent::GuestCheckPassed
                    } else {
                        RoomEvent::GuestCheckFailed
                    };
                    erp.report_room_event(&id, event, harness.clock().now_ms())?.value.map(drop)
                }
                Err(e) => Err(e),
            },
            ("enter", _) => match erp.enter_room(&id, &guest)?.value {
                Ok(ticket) => return Ok(Redirect::to(&ticket.address).into_response()),
                Err(e) => Err(e),
            },
            _ => Err(Error::InvalidInput("the form asks for nothing this page does".into())),
        };
        let page = with_query("key", &key)?;
        Ok(match done {
            // Only a key the component accepted gets here: it is the guest's own.
            Ok(()) => Redirect::to(&page).into_response(),
            Err(e) => refused_form(&e, &page),
        })
    })
    .await
}

/// The page; a proposed slot that has begun is left out (it can no longer be picked).
fn page_of(p: &GuestPage, key: &str, now: i64) -> Markup {
    let at = |t: i64| time_in(&p.zone, t);
    let title = format!("{} with {}", p.meeting_type, p.host_name);
    layout(
        &title,
        html! {
            p { "Hello " (p.guest_name) ". Status: " strong { (status_word(p.status)) } "." }
            @if let Some(start) = p.start {
                p { "When: " (at(start)) ", " (p.duration_mins) " minutes." }
            }
            @if p.may_enter {
                // The platform's own check of camera and microphone, before JaaS: its
                // outcome is the overview's media-check indicator.
                form method="post" {
                    input type="hidden" name="key" value=(key);
                    "Camera and microphone: "
                    button name="action" value="check-passed" { "work" }
                    " "
                    button name="action" value="check-failed" { "do not work" }
                }
                form method="post" {
                    input type="hidden" name="action" value="enter";
                    input type="hidden" name="key" value=(key);
                    button { "Enter the room" }
                }
            } @else if let Some(opens) = p.room_opens_at.filter(|opens| now < *opens) {
                @if p.status != Status::Cancelled {
                    p { "The room opens at " (at(opens)) ": come back then." }
                }
            }
            @if p.start.is_none() && p.status == Status::Missed {
                p { "Every proposed time has passed: the host will propose another." }
            }
            @if p.status == Status::Planning {
                p { "Pick the time that suits you (" (p.duration_mins) " minutes):" }
                @for (n, slot) in p.proposed.iter().enumerate().filter(|(_, t)| **t > now) {
                    form method="post" {
                        input type="hidden" name="action" value="pick";
                        input type="hidden" name="key" value=(key);
                        input type="hidden" name="slot" value=(n);
                        button { (at(*slot)) }
                    }
                }
            }
            @if !p.description.is_empty() { p { (p.description) } }
            @if let Some(reason) = &p.reason { p { "Reason of the last change: " (reason) } }
            @if let Some(summary) = &p.summary { p { "Summary: " (summary) } }
            @if let Some(review) = &p.review { p { "The review: " (review) } }
            @if p.may_review {
                form method="post" {
                    input type="hidden" name="action" value="review";
                    input type="hidden" name="key" value=(key);
                    label { "How was it? " textarea name="review" required maxlength=(MAX_NOTE) { (p.review.as_deref().unwrap_or("")) } }
                    button { "Send the review" }
                }
            }
            @if p.may_cancel {
                form method="post" {
                    input type="hidden" name="action" value="cancel";
                    input type="hidden" name="key" value=(key);
                    label { "Reason: " input name="reason" required maxlength=(MAX_NOTE); }
                    button { "Cancel the meeting" }
                }
            }
        },
    )
}
