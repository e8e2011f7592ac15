//! How call requests close without their call: ignored by every staff member told,
//! cancelled by the client, expired by the tick, and completed once their call is over.
//! Each close is one compare-and-swap on the request, then the client is freed for the
//! next request and every panel and page is told.

use crate::prelude::*;

use crate::Meetkit;
use crate::call_request::{
    ACTIVE, CallRequest, RequestOutcome, RequestStatus, client_key, refuse, request_key, staff_user_among,
};
use crate::clock::{MAX_CHANGES_PER_TICK, TickReport};
use crate::due_list::Kept;
use crate::error::{MeetError, Result};
use crate::host::{ClosedReason, Notification, PageSignal};
use crate::model::{Context, Instant, MAX_QUIET, Meeting};
use crate::store::Update;

/// Why a request expired, in its history: its deadline passed.
const EXPIRED: &str = "nobody accepted it in time";
/// Why a request expired, in its history: nobody was left to take it.
pub(crate) const UNATTENDED: &str = "every staff member notified ignored it or is no longer active";

impl Meetkit<'_> {
    pub(crate) fn ignore(&self, id: &str, staff: &str) -> Result<RequestOutcome> {
        // One look at the staff list: who ignores, and who is left to take the request.
        let active = self.active_staff();
        let staff_user = staff_user_among(&active, staff)?;
        let now = self.host.now();
        let request = self.store.update(&request_key(id), |r: Option<CallRequest>| {
            let mut r = r.ok_or_else(|| MeetError::NotFound(format!("there is no call request {id}")))?;
            // A repeat is answered as the first was, even once the request has closed
            // (the last ignore closes it).
            if r.ignored_by.iter().any(|s| s == staff) {
                return Ok(Update::Keep(r));
            }
            r.refuse_if_expired(now)?;
            if r.status != RequestStatus::Pending {
                return Err(refuse(&r, "ignore"));
            }
            if !r.notified.iter().any(|s| s == staff) {
                return Err(MeetError::NotAParticipant(format!(
                    "{staff} was not notified of call request {id}"
                )));
            }
            r.ignored_by.push(staff.to_string());
            r.log(now, Some(staff), "ignored", format!("{} ignored it", staff_user.name));
            Ok(Update::Write(r.clone(), r))
        })?;
        // Again on a repeated ignore: it may be the retry of one whose process stopped
        // after the write, and taking a request off a panel twice shows nothing new.
        self.withdraw_request(&[staff.to_string()], id);
        if request.status == RequestStatus::Pending {
            let active: Vec<String> = active.into_iter().map(|s| s.user.id).collect();
            if request.unattended(&active) {
                let why = if request.notified.iter().all(|s| active.contains(s)) {
                    "every staff member notified ignored it"
                } else {
                    UNATTENDED
                };
                let closed = self.expire_ignored(id, now, &active, why, None)?;
                return Ok(RequestOutcome::Ignored(closed.unwrap_or(request)));
            }
        }
        Ok(RequestOutcome::Ignored(request))
    }

    /// Closes a request nobody is left to take (see [`CallRequest::unattended`]): it would
    /// wait on no panel until it expired, with its client still waiting. The client is told
    /// at once, as of an expired request (on their bell too unless it is `asking_again`,
    /// the contact whose new request closes it), and may ask again.
    pub(crate) fn expire_ignored(
        &self,
        id: &str,
        now: Instant,
        active: &[String],
        why: &str,
        asking_again: Option<&str>,
    ) -> Result<Option<CallRequest>> {
        // Accepted, or ignored by fewer, meanwhile: it stands.
        self.expire_when(id, now, asking_again, true, why, &|r| r.unattended(active))
    }

    pub(crate) fn cancel(&self, id: &str, contact: &str) -> Result<RequestOutcome> {
        let canceller = self.known_user(contact)?;
        // The client cancels: any of its contacts as the CRM has them now, not only the
        // one who asked (who, moved to another client, no longer speaks for this one).
        // A client the CRM has removed leaves its request to the contact who asked.
        let current = self.get_request(id)?;
        let may = match self.host.client(&current.client_id) {
            Some(client) => client.contacts.iter().any(|c| c == contact),
            None => current.contact == contact,
        };
        if !may {
            return Err(MeetError::Forbidden(format!(
                "only a contact of {} may cancel call request {id}",
                current.client_name
            )));
        }
        let now = self.host.now();
        let request = self.close(id, now, None, true, &mut |r| {
            r.refuse_if_expired(now)?;
            if r.status != RequestStatus::Pending {
                return Err(refuse(r, "cancel"));
            }
            r.status = RequestStatus::Cancelled;
            r.log(now, Some(contact), "cancelled", "the client cancelled it".into());
            Ok(())
        })?;
        // Cancelled by a colleague: the contact who asked would otherwise see their
        // request close with no word of who closed it.
        if request.contact != contact {
            self.host.notify(
                core::slice::from_ref(&request.contact),
                Notification {
                    title: "Call request cancelled".into(),
                    text: format!("{} cancelled your call request.", canceller.name),
                    link: None,
                    context: Context::CallRequest(id.to_string()),
                    meeting: None,
                },
            );
        }
        Ok(RequestOutcome::Cancelled(request))
    }

    pub(crate) fn complete(&self, id: &str, staff: &str) -> Result<RequestOutcome> {
        let r = self.get_request(id)?;
        let staff_user = self.known_user(staff)?;
        // No meeting record: an accept stopped before storing it; there is nothing to end.
        let running = self.meeting_of(&r)?.filter(Meeting::is_running);
        match r.status {
            RequestStatus::Accepted => {}
            // Completed in the staff member's name, but a failure kept the meeting
            // running: completing again ends it.
            RequestStatus::Completed if running.is_some() => {}
            _ => return Err(refuse(&r, "complete")),
        }
        if r.accepted_by.as_deref() != Some(staff) {
            return Err(MeetError::Forbidden(format!(
                "only the staff member who accepted may complete call request {id}"
            )));
        }
        // The request is completed in the staff member's name first; ending the meeting
        // then finds nothing left to complete. It leaves the list of active requests
        // only once its meeting has ended: should the end fail, the tick ends it.
        let completed =
            self.complete_request(id, Some(staff), false, &|_| format!("{} completed it", staff_user.name))?;
        if let Some(m) = running {
            self.end_meeting(&m.id)?;
        }
        self.store.set_due(ACTIVE, id, None)?;
        // Nothing after the write changes a completed request: it is answered as written.
        // Completed by another call (a repeat, or its meeting's end), it is read again.
        let completed = match completed {
            Some(r) => r,
            None => self.get_request(id)?,
        };
        Ok(RequestOutcome::Completed(completed))
    }

    /// Marks an accepted request completed once its meeting ended; `client_came` says
    /// whether a contact of the client was in it (see [`Meetkit::client_came`]).
    pub(crate) fn complete_after_meeting(&self, id: &str, client_came: bool) -> Result<()> {
        // The history tells a call from a wait: a client who never came is named.
        self.complete_request(id, None, true, &|r| {
            if client_came {
                "the meeting ended".into()
            } else {
                format!("the meeting ended before {} joined", r.contact_name)
            }
        })?;
        Ok(())
    }

    /// Marks an accepted request completed (nothing when it is not accepted) and frees
    /// its client for the next request; `unlist` as for [`Meetkit::release_client`].
    /// Answers the request as written, if this call completed it.
    fn complete_request(
        &self,
        id: &str,
        by: Option<&str>,
        unlist: bool,
        text: &dyn Fn(&CallRequest) -> String,
    ) -> Result<Option<CallRequest>> {
        let now = self.host.now();
        let closed = self.store.update(&request_key(id), |r: Option<CallRequest>| {
            let Some(mut r) = r.filter(|r| r.status == RequestStatus::Accepted) else {
                return Ok(Update::Keep(None));
            };
            r.status = RequestStatus::Completed;
            r.closed_at = Some(now);
            let text = text(&r);
            r.log(now, by, "completed", text);
            Ok(Update::Write(r.clone(), Some(r)))
        })?;
        if let Some(r) = &closed {
            self.release_client(r, unlist)?;
        }
        Ok(closed)
    }

    /// Cancels a pending request nobody accepted in time; the client is told, on their
    /// bell too unless it is `asking_again` (the contact whose new request closes it).
    /// `unlist` takes it off the due-list too; the tick leaves that to its one write.
    pub(crate) fn expire_request(
        &self,
        id: &str,
        now: Instant,
        asking_again: Option<&str>,
        unlist: bool,
    ) -> Result<Option<CallRequest>> {
        self.expire_when(id, now, asking_again, unlist, EXPIRED, &|r| r.overdue(now))
    }

    /// Expires request `id` with `why` in its history if `due` holds for it as it is
    /// stored; none when it does not (another process closed or took it meanwhile).
    pub(crate) fn expire_when(
        &self,
        id: &str,
        now: Instant,
        asking_again: Option<&str>,
        unlist: bool,
        why: &str,
        due: &dyn Fn(&CallRequest) -> bool,
    ) -> Result<Option<CallRequest>> {
        let result = self.close(id, now, asking_again, unlist, &mut |r| {
            if !due(r) {
                return Err(refuse(r, "expire"));
            }
            // Found overdue by a late tick or a later action: it expired at its deadline.
            let at = if r.overdue(now) { r.expires_at } else { now };
            r.status = RequestStatus::Expired;
            r.closed_at = Some(at);
            r.log(at, None, "expired", why.into());
            Ok(())
        });
        match result {
            Ok(r) => Ok(Some(r)),
            Err(MeetError::InvalidTransition(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Closes a pending request without a meeting: `change` decides; every panel is
    /// cleared and the client's page is told, and of an expiry their bell, unless the
    /// contact who asked is `asking_again`. `unlist` as for [`Meetkit::release_client`].
    ///
    /// Once the request is written closed, the close stands: the panels and pages are
    /// told first, and freeing the client and the due-list come last and may fail
    /// unsaid. The client's pointer to a closed request is replaced by its next
    /// request, and the tick finishes a close whose entry is still on the due-list
    /// (`finish_close`), as it does when the process stopped before telling anyone.
    fn close(
        &self,
        id: &str,
        now: Instant,
        asking_again: Option<&str>,
        unlist: bool,
        change: &mut dyn FnMut(&mut CallRequest) -> Result<()>,
    ) -> Result<CallRequest> {
        let request = self.store.update(&request_key(id), |r: Option<CallRequest>| {
            let mut r = r.ok_or_else(|| MeetError::NotFound(format!("there is no call request {id}")))?;
            change(&mut r)?;
            r.closed_at.get_or_insert(now);
            Ok(Update::Write(r.clone(), r))
        })?;
        let reason = self.tell_closed(&request);
        if reason == ClosedReason::Expired && asking_again != Some(request.contact.as_str()) {
            let text = if request.closed_early() {
                "No staff member can take your call now. Please try again later."
            } else {
                "Nobody could take your call in time. Please request again."
            };
            self.host.notify(
                core::slice::from_ref(&request.contact),
                Notification {
                    title: "Call request expired".into(),
                    text: text.into(),
                    link: None,
                    context: Context::CallRequest(id.to_string()),
                    meeting: None,
                },
            );
        }
        let _ = self.release_client(&request, unlist);
        Ok(request)
    }

    /// Clears every panel of the closed `request` and tells its client's pages why it
    /// closed; a repeat shows nothing new.
    fn tell_closed(&self, request: &CallRequest) -> ClosedReason {
        self.withdraw_request(&request.panel(), &request.id);
        let reason = if request.status == RequestStatus::Expired {
            ClosedReason::Expired
        } else {
            ClosedReason::Cancelled
        };
        self.host
            .signal_page(&self.client_pages(request), PageSignal::RequestClosed(request.id.clone(), reason));
        reason
    }

    /// Finishes the close of `request`, cancelled or expired but still on the due-list:
    /// its close stopped after writing it (the process stopped, or the store failed
    /// the last writes). Panels and pages are told again, as a repeat shows nothing
    /// new; the contact's bell is not, lest a close that did ring it ring it twice.
    fn finish_close(&self, request: &CallRequest) -> Result<()> {
        self.tell_closed(request);
        self.release_client(request, false)
    }

    /// Lets the client request again, and with `unlist` takes the request off the due-list
    /// of active requests (a tick closing many takes them off in one write instead: each
    /// write rewrites the whole list).
    fn release_client(&self, request: &CallRequest, unlist: bool) -> Result<()> {
        self.store.update(&client_key(&request.client_id), |current: Option<String>| {
            Ok(match current {
                Some(c) if c == request.id => Update::Clear(()),
                _ => Update::Keep(()),
            })
        })?;
        if unlist { self.store.set_due(ACTIVE, &request.id, None) } else { Ok(()) }
    }

    /// Expires overdue pending requests, at most [`MAX_CHANGES_PER_TICK`] (the others at
    /// the next tick). An accepted request is due again when its meeting has been quiet
    /// too long: the tick then ends that meeting (which completes the request), into
    /// `report`. The entries it moves or takes off the due-list change in one write.
    pub(crate) fn expire_overdue(&self, now: Instant, report: &mut TickReport) -> Result<()> {
        let (mut ended_calls, mut expired) = (0, 0);
        let mut moves = Vec::new();
        for due in self.due_now(ACTIVE, now)? {
            match self.store.get::<CallRequest>(&request_key(&due.id))? {
                // Expiring tells the client and clears every panel: a backlog (ticks
                // stopped for hours) is worked off 20 a tick, within a call's budget.
                Some(r) if r.overdue(now) => {
                    if expired < MAX_CHANGES_PER_TICK {
                        expired += 1;
                        // One that never became its client's open request (its call
                        // stopped first) was never shown to the staff: its client is not
                        // asked by a bell to call again, perhaps in the middle of a call.
                        let never_open = !self.announced(&r.client_id, &r.id)?;
                        let unasked = never_open.then_some(r.contact.as_str());
                        // Not expired: changed meanwhile, and looked at again next tick.
                        if self.expire_request(&r.id, now, unasked, false)?.is_some() {
                            report.expired_requests.push(r.id);
                            moves.push((due.id, None));
                        }
                    }
                }
                Some(r) if r.status == RequestStatus::Accepted => {
                    match self.meeting_of(&r)? {
                        // Ending a call is many writes: a backlog is worked off 20 a tick.
                        Some(m) if m.is_running() => {
                            // Moved on whatever the count: only endings are capped.
                            let may_end = now < m.quiet_until() || ended_calls < MAX_CHANGES_PER_TICK;
                            if may_end && self.close_if_quiet(ACTIVE, &r.id, &m, now)? {
                                ended_calls += 1;
                                report.ended_meetings.push(m.id);
                            }
                        }
                        // Its meeting ended, and a failure left the request open.
                        Some(m) => self.complete_after_meeting(&r.id, self.client_came(&r, &m.attended))?,
                        // A failure stopped the accept before its meeting was stored:
                        // accepting again opens it; twelve hours on, the request is closed.
                        None => {
                            let accepted = r.history.iter().rev().find(|h| h.action == "accepted");
                            let until = accepted.map_or(now, |h| h.at) + MAX_QUIET;
                            if now < until {
                                self.store.move_due(ACTIVE, &r.id, until)?
                            } else {
                                self.complete_request(&r.id, None, true, &|_| {
                                    "no meeting was opened for it".into()
                                })?;
                            }
                        }
                    }
                }
                // Completed by its staff member, but a failure kept its meeting running
                // (the complete leaves the list only once the meeting has ended).
                Some(r) if r.status == RequestStatus::Completed => {
                    match self.meeting_of(&r)?.filter(Meeting::is_running) {
                        // Ending a call is many writes: a backlog is worked off 20 a tick.
                        Some(_) if ended_calls >= MAX_CHANGES_PER_TICK => {}
                        Some(m) => {
                            if self.end_meeting(&m.id)?.1 {
                                ended_calls += 1;
                                report.ended_meetings.push(m.id);
                            }
                            moves.push((r.id, None));
                        }
                        None => moves.push((r.id, None)),
                    }
                }
                // Due when its claim ran out: the staff are told now if the request
                // stopped before telling them and is still its client's open one (a
                // request the client replaced is expired at its deadline, untold); a
                // call still telling them is looked at again when its claim runs out.
                Some(r) if r.status == RequestStatus::Pending => {
                    let held = if self.announced(&r.client_id, &r.id)? {
                        self.tell_staff_if_cut_short(&r)?
                    } else {
                        None
                    };
                    moves.push((r.id, Some(held.map_or(r.expires_at, |until| until.min(r.expires_at)))));
                }
                // Cancelled or expired, and still listed: its close was cut short.
                Some(r) if matches!(r.status, RequestStatus::Cancelled | RequestStatus::Expired) => {
                    self.finish_close(&r)?;
                    moves.push((r.id, None));
                }
                _ => moves.push((due.id, None)),
            }
        }
        self.store.move_dues(ACTIVE, &moves, Kept::AsAdded)
    }
}
