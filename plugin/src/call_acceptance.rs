//! Accepting a call request: exactly one staff member wins, by compare-and-swap on the
//! request; the winner's meeting is opened once, whatever the timing of a repeated
//! accept; the contact's page shows "Join", and every other panel lets the request go.

use crate::prelude::*;

use crate::Meetkit;
use crate::call_request::{ACTIVE, CallRequest, RequestOutcome, RequestStatus, refuse, request_key};
use crate::error::{MeetError, Result, Taken};
use crate::host::PageSignal;
use crate::model::{Context, JoinTicket, MAX_QUIET, Meeting, User, UserKind};
use crate::store::Update;

impl Meetkit<'_> {
    /// `staff` accepts request `id`: the request is locked to them by compare-and-swap
    /// (another winner answers `already-taken`), then the meeting is opened and the pages
    /// told. The holder's repeat (a double click, a retry) finishes the first accept.
    pub(crate) fn accept(&self, id: &str, staff: &str) -> Result<RequestOutcome> {
        let staff_user = self.staff_user(staff)?;
        let current = self.get_request(id)?;
        if !current.notified.iter().any(|s| s == staff) {
            return Err(MeetError::NotAParticipant(format!("{staff} is not eligible for call request {id}")));
        }
        if current.status == RequestStatus::Accepted && current.accepted_by.as_deref() == Some(staff) {
            return self.accepted_again(current, &staff_user);
        }
        if current.status == RequestStatus::Pending && !self.announced(&current.client_id, id)? {
            return Err(MeetError::InvalidTransition(format!(
                "call request {id} was never completed: its client's open request is another, or none"
            )));
        }
        // A client the CRM no longer has: nobody would be there to call. The request
        // closes, off every panel, rather than be offered until it expires; there is no
        // client to tell (no bell for the contact who asked). One past its deadline is
        // expired as any; one taken or closed meanwhile is answered below, as it is now.
        if current.status == RequestStatus::Pending && self.host.client(&current.client_id).is_none() {
            let now = self.host.now();
            current.refuse_if_expired(now)?;
            let gone = |r: &CallRequest| r.status == RequestStatus::Pending && !r.overdue(now);
            let why = "its client is no longer in the CRM";
            if self.expire_when(id, now, Some(&current.contact), true, why, &gone)?.is_some() {
                return Err(MeetError::UnknownContext(format!(
                    "the client {} of call request {id} no longer exists",
                    current.client_id
                )));
            }
        }
        // A request made before the licence was lowered: its contact could never join.
        // The directory is asked only on a licence that may refuse them.
        if !self.host.licence().admits(UserKind::External) {
            self.refuse_contact_on_licence(self.host.user(&current.contact).as_ref())?;
        }
        let now = self.host.now();
        let meeting = self.call_meeting(&current, staff);
        // Signed before the lock is taken: a signing failure leaves the request pending.
        let ticket = self.ticket(&meeting, &staff_user)?;
        let request = self.store.update(&request_key(id), |r: Option<CallRequest>| {
            let mut r = r.ok_or_else(|| MeetError::NotFound(format!("there is no call request {id}")))?;
            match (r.status, &r.accepted_by) {
                (RequestStatus::Accepted, Some(by)) if by != staff => {
                    let by_name = self.name_of(by);
                    return Err(MeetError::AlreadyTaken(Taken {
                        request_id: id.into(),
                        by: by.clone(),
                        by_name,
                    }));
                }
                // The same staff member's other click won: this one repeats it.
                (RequestStatus::Accepted, Some(_)) => return Ok(Update::Keep(r)),
                (RequestStatus::Pending | RequestStatus::Expired, _) => r.refuse_if_expired(now)?,
                _ => return Err(refuse(&r, "accept")),
            }
            r.status = RequestStatus::Accepted;
            r.accepted_by = Some(staff.to_string());
            // Ignored first and taken after all: they no longer count among those who
            // ignored it (the history keeps both).
            r.ignored_by.retain(|s| s != staff);
            r.meeting = Some(meeting.id.clone());
            r.log(
                now,
                Some(staff),
                "accepted",
                format!("{} accepted; meeting {}", staff_user.name, meeting.id),
            );
            Ok(Update::Write(r.clone(), r))
        })?;
        if request.meeting.as_deref() != Some(meeting.id.as_str()) {
            return self.accepted_again(request, &staff_user);
        }
        // A repeat of this accept may have stored the meeting first (with a room of its
        // own): the stored one is the meeting, and the ticket must be for its room.
        let meeting = self.open_call_meeting(&request, meeting)?;
        let ticket = self.ticket_for_stored(ticket, &meeting, &staff_user)?;
        self.after_accept(request, ticket)
    }

    /// Stores the meeting of an accepted request unless it is stored already, and makes
    /// it the request's running meeting: of an accept and its repeats, whichever stores
    /// first decides the room, and a stored meeting is never written over.
    fn open_call_meeting(&self, request: &CallRequest, fresh: Meeting) -> Result<Meeting> {
        let key = crate::meeting::meeting_key(&fresh.id);
        let meeting = self.store.update(&key, |m: Option<Meeting>| {
            Ok(match m {
                Some(m) => Update::Keep(m),
                None => Update::Write(fresh.clone(), fresh.clone()),
            })
        })?;
        if !meeting.is_running() {
            return Err(refuse(request, "accept"));
        }
        Ok(self.make_current(meeting)?.0)
    }

    /// The meeting of a request that `staff` accepts, not yet stored.
    fn call_meeting(&self, r: &CallRequest, staff: &str) -> Meeting {
        self.new_meeting(
            Context::CallRequest(r.id.clone()),
            format!("Call with {} ({})", r.contact_name, r.client_name),
            staff,
            vec![staff.to_string(), r.contact.clone()],
        )
    }

    /// The holder accepts again, after a double click or a failure that left the rest of
    /// the first accept undone: the same meeting (opened now if the first accept stopped
    /// before it), a fresh ticket, and the rest done again.
    fn accepted_again(&self, request: CallRequest, staff: &User) -> Result<RequestOutcome> {
        // The first accept's meeting, created here if that accept has not stored it (it
        // may be storing it at this moment).
        let mut fresh = self.call_meeting(&request, &staff.id);
        // Never so for a request this version accepted: refused, not worth retrying.
        fresh.id = request.meeting.clone().ok_or_else(|| refuse(&request, "accept"))?;
        let meeting = self.open_call_meeting(&request, fresh)?;
        let ticket = self.ticket(&meeting, staff)?;
        self.after_accept(request, ticket)
    }

    /// What follows the lock of an accept: the staff member enters, both pages hear of
    /// it, and the other panels let the request go.
    fn after_accept(&self, request: CallRequest, ticket: JoinTicket) -> Result<RequestOutcome> {
        let Some(staff) = request.accepted_by.as_deref() else {
            return Err(refuse(&request, "accept"));
        };
        // Accepted: due no more to expire, but when its meeting has been quiet too long
        // (unless completed meanwhile, and so gone from the list).
        self.store.move_due(ACTIVE, &request.id, self.host.now() + MAX_QUIET)?;
        self.entered(staff, &ticket.meeting_id);
        self.host.signal_page(&[staff.to_string()], PageSignal::OpenMeeting(ticket.clone()));
        self.host.signal_page(&self.client_pages(&request), PageSignal::ShowJoin(ticket.meeting_id.clone()));
        self.withdraw_request(&request.panel(), &request.id);
        Ok(RequestOutcome::Accepted(request, ticket))
    }

    /// Takes a request off the panels of `staff`, and its notification out of their
    /// bells: neither may ask them to answer a request that is taken or gone.
    pub(crate) fn withdraw_request(&self, staff: &[String], id: &str) {
        self.host.signal_page(staff, PageSignal::RequestRemoved(id.to_string()));
        self.host.withdraw_notifications(staff, &Context::CallRequest(id.to_string()), None);
    }
}
