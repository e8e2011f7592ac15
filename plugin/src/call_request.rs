//! Call requests from a CRM client area: requested, accepted by exactly one staff
//! member (a compare-and-swap on the request), ignored, cancelled, completed, expired.

use crate::order;
use crate::prelude::*;

use crate::Meetkit;
use crate::announcement::{LEASE, TakeOver};
use crate::clock::{MAX_CHANGES_PER_TICK, TickReport};
use crate::error::{MeetError, Result, invalid, require_id};
use crate::host::{ClosedReason, Notification, PageSignal, RequestCard, StaffMember};
use crate::ids;
use crate::meeting::meeting_key;
use crate::model::{Context, DisplayMode, Instant, JoinTicket, MAX_QUIET, Meeting, SECOND, User};
use crate::request_listing::Of;
use crate::store::Update;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffRule {
    AllStaff,
    Departments(Vec<String>),
    Roles(Vec<String>),
    AssignedStaff,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRequestConfig {
    pub notify: Vec<StaffRule>,
    pub display: DisplayMode,
    pub expiry_secs: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestStatus {
    Pending,
    Accepted,
    Completed,
    Cancelled,
    Expired,
}

impl RequestStatus {
    pub fn is_active(self) -> bool {
        matches!(self, RequestStatus::Pending | RequestStatus::Accepted)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: Instant,
    pub actor: Option<String>,
    pub action: String,
    pub detail: String,
}

/// A call request. `H` is its history: listings read requests as `CallRequest<Unread>`,
/// which leaves the history (stored last, and never listed) in the store's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRequest<H = Vec<HistoryEntry>> {
    pub id: String,
    pub client_id: String,
    pub client_name: String,
    pub contact: String,
    pub contact_name: String,
    pub status: RequestStatus,
    pub requested_at: Instant,
    pub expires_at: Instant,
    pub notified: Vec<String>,
    pub ignored_by: Vec<String>,
    pub accepted_by: Option<String>,
    pub meeting: Option<String>,
    pub closed_at: Option<Instant>,
    /// Must stay the last field: a listing stops reading before it.
    pub history: H,
}

/// A history that was not read (see [`CallRequest`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unread;

impl<H> CallRequest<H> {
    /// Pending past its deadline: expired, though no tick may have said so yet.
    pub(crate) fn overdue(&self, now: Instant) -> bool {
        self.status == RequestStatus::Pending && now >= self.expires_at
    }

    /// Staff whose panel shows the request now.
    pub(crate) fn panel_holders(&self) -> impl Iterator<Item = &String> {
        self.notified.iter().filter(|s| !self.ignored_by.contains(s))
    }

    /// Pending with nobody left to take it: every staff member notified has ignored it or
    /// is no longer among the `active` (left the company, say), so it would wait on no
    /// panel anyone sees until it expired.
    fn unattended(&self, active: &[String]) -> bool {
        self.status == RequestStatus::Pending && self.panel_holders().all(|s| !active.contains(s))
    }
}

impl CallRequest {
    pub(crate) fn log(&mut self, at: Instant, actor: Option<&str>, action: &str, detail: String) {
        self.history.push(HistoryEntry {
            at,
            actor: actor.map(str::to_string),
            action: action.into(),
            detail,
        });
    }

    fn card(&self) -> RequestCard {
        RequestCard {
            request_id: self.id.clone(),
            client_name: self.client_name.clone(),
            contact_name: self.contact_name.clone(),
            requested_at: self.requested_at,
            expires_at: self.expires_at,
        }
    }

    /// `Expired` once the deadline has passed, whether or not a tick has said so yet:
    /// accepting, ignoring and cancelling all see the same deadline.
    pub(crate) fn refuse_if_expired(&self, now: Instant) -> Result<()> {
        if self.closed_early() {
            let why = self.history.iter().rev().find(|h| h.action == "expired").map(|h| h.detail.as_str());
            return Err(MeetError::Expired(format!(
                "call request {} was closed: {}",
                self.id,
                why.unwrap_or("every staff member notified ignored it")
            )));
        }
        if self.status == RequestStatus::Expired || self.overdue(now) {
            return Err(MeetError::Expired(format!("call request {} was not accepted in time", self.id)));
        }
        Ok(())
    }

    /// Expired before its deadline: every staff member notified ignored it (an expiry
    /// at the deadline is dated the deadline, however late it was found).
    fn closed_early(&self) -> bool {
        self.status == RequestStatus::Expired && self.closed_at.is_some_and(|at| at < self.expires_at)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestAction {
    RequestCall { client: String, contact: String },
    Accept { request: String, staff: String },
    Ignore { request: String, staff: String },
    Cancel { request: String, contact: String },
    Complete { request: String, staff: String },
}

// An outcome is made once per call and converted for the host at once: boxing the
// ticket would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestOutcome {
    Requested(CallRequest),
    Existing(CallRequest),
    Accepted(CallRequest, JoinTicket),
    Ignored(CallRequest),
    Cancelled(CallRequest),
    Completed(CallRequest),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestFilter {
    Active,
    All,
    Panel(String),
    Client(String),
}

pub(crate) fn request_key(id: &str) -> String {
    format!("request/{id}")
}

/// The due-list of active requests: pending ones at their expiry, accepted ones when
/// their meeting will have been quiet too long. It may hold requests that have just
/// closed; readers check the record.
pub(crate) const ACTIVE: &str = "index/active-requests";

/// The most requests one page may hold.
const MAX_PAGE: u32 = 200;

/// One page of a listing of requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestPage {
    pub items: Vec<CallRequest<Unread>>,
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
}

/// The announcement of a request to the staff: see `announcement`.
fn announced_key(id: &str) -> String {
    format!("request-announced/{id}")
}

/// The client's active request, so that a second request returns it.
pub(crate) fn client_key(client: &str) -> String {
    format!("client-request/{client}")
}

pub(crate) fn refuse(request: &CallRequest, action: &str) -> MeetError {
    let state = match request.status {
        RequestStatus::Pending => "still pending",
        RequestStatus::Accepted => "already accepted",
        RequestStatus::Completed => "completed",
        RequestStatus::Cancelled => "cancelled",
        RequestStatus::Expired => "expired",
    };
    MeetError::InvalidTransition(format!("cannot {action} request {}: it is {state}", request.id))
}

/// The active staff member `staff` among `active`, or `unknown-user`.
fn staff_user_among(active: &[StaffMember], staff: &str) -> Result<User> {
    require_id("the staff id", staff)?;
    active
        .iter()
        .find(|s| s.user.id == staff)
        .map(|s| s.user.clone())
        .ok_or_else(|| MeetError::UnknownUser(format!("{staff} is not an active staff member")))
}

fn matches_rule(rule: &StaffRule, staff: &StaffMember, assigned: &[String]) -> bool {
    let any_of = |names: &[String], have: &[String]| {
        have.iter().any(|h| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
    };
    match rule {
        StaffRule::AllStaff => true,
        StaffRule::Departments(d) => any_of(d, &staff.departments),
        StaffRule::Roles(r) => any_of(r, &staff.roles),
        StaffRule::AssignedStaff => assigned.contains(&staff.user.id),
    }
}

impl Meetkit<'_> {
    pub fn handle_request(&self, action: RequestAction) -> Result<RequestOutcome> {
        match &action {
            RequestAction::RequestCall { client, contact } => {
                require_id("the client id", client)?;
                require_id("the contact id", contact)?;
            }
            RequestAction::Accept { request, staff }
            | RequestAction::Ignore { request, staff }
            | RequestAction::Complete { request, staff } => {
                require_id("the request id", request)?;
                require_id("the staff id", staff)?;
            }
            RequestAction::Cancel { request, contact } => {
                require_id("the request id", request)?;
                require_id("the contact id", contact)?;
            }
        }
        match action {
            RequestAction::RequestCall { client, contact } => self.request_call(&client, &contact),
            RequestAction::Accept { request, staff } => self.accept(&request, &staff),
            RequestAction::Ignore { request, staff } => self.ignore(&request, &staff),
            RequestAction::Cancel { request, contact } => self.cancel(&request, &contact),
            RequestAction::Complete { request, staff } => self.complete(&request, &staff),
        }
    }

    pub fn get_request(&self, id: &str) -> Result<CallRequest> {
        require_id("the request id", id)?;
        self.store.require(&request_key(id), || format!("there is no call request {id}"))
    }

    /// The requests `filter` selects, newest first, page `page` of `page_size`.
    pub fn list_requests(&self, filter: &RequestFilter, page: u32, page_size: u32) -> Result<RequestPage> {
        if page_size == 0 || page_size > MAX_PAGE {
            return Err(invalid(format!("a page holds 1 to {MAX_PAGE} requests, not {page_size}")));
        }
        let skip = (page as usize).saturating_mul(page_size as usize);
        let (items, total) = match filter {
            // Few, and read from the due-list of active requests.
            RequestFilter::Active | RequestFilter::Panel(_) => {
                let mut out = Vec::new();
                for due in self.store.due(ACTIVE)? {
                    let Some(r) = self.store.get::<CallRequest<Unread>>(&request_key(&due.id))? else {
                        continue;
                    };
                    if r.status == RequestStatus::Pending && !self.announced(&r.client_id, &r.id)? {
                        continue;
                    }
                    out.push(r);
                }
                // A request past its deadline is expired already, whether or not a tick
                // has said so yet: no panel offers it.
                let now = self.host.now();
                out.retain(|r| match filter {
                    RequestFilter::Panel(staff) => {
                        r.status == RequestStatus::Pending
                            && !r.overdue(now)
                            && r.panel_holders().any(|s| s == staff)
                    }
                    _ => r.status.is_active() && !r.overdue(now),
                });
                // A panel is a queue: the first to expire comes first (with one expiry
                // setting, who has waited longest; the setting may change between two).
                let queue = matches!(filter, RequestFilter::Panel(_));
                let out = order::sorted_by(out, |a, b| {
                    if queue {
                        a.expires_at.cmp(&b.expires_at).then_with(|| a.requested_at.cmp(&b.requested_at))
                    } else {
                        b.requested_at.cmp(&a.requested_at)
                    }
                    .then_with(|| a.id.cmp(&b.id))
                });
                let total = out.len();
                (out.into_iter().skip(skip).take(page_size as usize).collect(), total)
            }
            // From the listing index: only this page's chunks and records are read (for a
            // client, every chunk).
            RequestFilter::All | RequestFilter::Client(_) => {
                let of = match filter {
                    RequestFilter::Client(client) => Of::Client(client),
                    _ => Of::Every,
                };
                let listing = self.listing(of, Some(skip.saturating_add(page_size as usize)))?;
                let listed = listing.entries()?;
                let total = listing.total(listed.len());
                // Listed newest first as a rule: sorting costs one comparison each.
                let listed = order::sorted_by(listed, |a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(b.id)));
                let mut items = Vec::new();
                for l in listed.iter().skip(skip).take(page_size as usize) {
                    items.extend(self.store.get::<CallRequest<Unread>>(&request_key(l.id))?);
                }
                // One past its deadline is expired, whether or not a tick has said so,
                // and dated the deadline as the tick will date it.
                let now = self.host.now();
                for r in &mut items {
                    if r.overdue(now) {
                        r.status = RequestStatus::Expired;
                        r.closed_at = Some(r.expires_at);
                    }
                }
                (items, total as usize)
            }
        };
        // An empty panel or client listing for someone the platform does not know is a
        // mistyped id, not an empty list (a removed client's history is still listed).
        if total == 0 {
            match filter {
                RequestFilter::Panel(staff) => {
                    self.staff_user(staff)?;
                }
                RequestFilter::Client(client) if self.host.client(client).is_none() => {
                    return Err(MeetError::UnknownContext(format!("there is no client {client}")));
                }
                _ => {}
            }
        }
        Ok(RequestPage { items, total: total as u32, page, page_size })
    }

    /// Whether a pending request is its client's open one. A process stopped between
    /// writing a new request and naming it the client's leaves one that is not: nobody
    /// was told of it, the client may have asked again, and it is not to be taken (the
    /// tick expires it).
    pub(crate) fn announced(&self, client: &str, id: &str) -> Result<bool> {
        Ok(self.store.get::<String>(&client_key(client))?.as_deref() == Some(id))
    }

    pub(crate) fn staff_user(&self, staff: &str) -> Result<User> {
        staff_user_among(&self.active_staff(), staff)
    }

    /// The staff members active now.
    fn active_staff(&self) -> Vec<StaffMember> {
        self.host.staff().into_iter().filter(|s| s.active).collect()
    }

    /// The user behind a call request's meeting: the staff member who accepted, or a
    /// contact of the client (the call is the client's: a colleague of the contact who
    /// asked, told that a request is already open, may join it as they may cancel it).
    pub(crate) fn call_participant(&self, request: &str, user: &str) -> Result<User> {
        let r = self.get_request(request)?;
        let known = self.known_user(user)?;
        let of_client =
            || self.host.client(&r.client_id).is_some_and(|c| c.contacts.iter().any(|c| c == user));
        if r.contact != user && r.accepted_by.as_deref() != Some(user) && !of_client() {
            return Err(MeetError::NotAParticipant(format!(
                "{user} is not a party of call request {request}"
            )));
        }
        Ok(known)
    }

    fn request_call(&self, client_id: &str, contact: &str) -> Result<RequestOutcome> {
        require_id("the client id", client_id)?;
        let client = self
            .host
            .client(client_id)
            .ok_or_else(|| MeetError::UnknownContext(format!("there is no client {client_id}")))?;
        let contact_user = self.known_user(contact)?;
        // A client's contact is external: on X19 they could never join the call.
        if !self.host.licence().admits(contact_user.kind) {
            return Err(MeetError::LicenceForbids(
                "the X19 Basic licence admits internal users only; a client's contacts are external".into(),
            ));
        }
        if !client.contacts.iter().any(|c| c == contact) {
            return Err(MeetError::NotAParticipant(format!(
                "{contact} is not a contact of {}",
                client.company
            )));
        }
        let config = self.host.call_request_config();
        let eligible: Vec<String> = self
            .active_staff()
            .into_iter()
            .filter(|s| config.notify.iter().any(|r| matches_rule(r, s, &client.assigned_staff)))
            .map(|s| s.user.id)
            .collect();
        // A request nobody is told of would wait unseen until it expires.
        if eligible.is_empty() {
            return Err(MeetError::Unavailable(
                "nobody can take a call now: no active staff member is notified of requests".into(),
            ));
        }
        let now = self.host.now();
        let mut request = CallRequest {
            id: ids::fresh(self.host, "r"),
            client_id: client.id.clone(),
            client_name: client.company.clone(),
            contact: contact.to_string(),
            contact_name: contact_user.name.clone(),
            status: RequestStatus::Pending,
            requested_at: now,
            expires_at: now + i64::from(config.expiry_secs) * SECOND,
            notified: eligible,
            ignored_by: Vec::new(),
            accepted_by: None,
            meeting: None,
            closed_at: None,
            history: Vec::new(),
        };
        request.log(
            now,
            Some(contact),
            "requested",
            format!(
                "{} of {} requested a call; {} staff notified",
                contact_user.name,
                client.company,
                request.notified.len()
            ),
        );
        // The usual case of a second request: answered without writing anything.
        if let Some(id) = self.store.get::<String>(&client_key(client_id))?
            && let Some(r) = self.store.get::<CallRequest>(&request_key(&id))?
            && r.status.is_active()
            && !r.overdue(now)
            && !self.completed_after_its_call(&r)?
        {
            return self.existing(r);
        }
        // Claimed first: a request stopped at any point after leaves its announcement to
        // the client's next request.
        self.claim_fresh_announcement(&announced_key(&request.id))?;
        // Indexed first, so that the indexes always hold every active and listed request.
        // Due first when its claim runs out: should this call stop before telling the
        // staff, and the client not ask again, the tick tells them (`expire_overdue`).
        self.store.set_due(ACTIVE, &request.id, Some(request.expires_at.min(now + LEASE)))?;
        self.list_request(&request)?;
        self.store.put(&request_key(&request.id), &request)?;

        // One active request per client: the pointer is swapped atomically.
        let new_id = request.id.clone();
        let (existing, overdue) = self.store.update(&client_key(client_id), |current: Option<String>| {
            if let Some(id) = current
                && let Some(r) = self.store.get::<CallRequest>(&request_key(&id))?
            {
                if r.overdue(now) {
                    return Ok(Update::Write(new_id.clone(), (None, Some(id))));
                }
                if r.status.is_active() {
                    return Ok(Update::Keep((Some(r), None)));
                }
            }
            Ok(Update::Write(new_id.clone(), (None, None)))
        })?;
        if let Some(existing) = existing {
            self.store.delete(&request_key(&new_id))?;
            self.store.set_due(ACTIVE, &new_id, None)?;
            self.unlist_request(&new_id, client_id)?;
            return self.existing(existing);
        }
        if let Some(stale) = overdue {
            // The contact asking again this moment needs no bell entry asking them to;
            // another contact of the client, whose request it was, does.
            self.expire_request(&stale, now, Some(contact), true)?;
        }
        self.announce_request(&request)?;
        Ok(RequestOutcome::Requested(request))
    }

    /// Completes the accepted request `r` if its meeting has ended and a failure stopped
    /// the end before completing it (the tick would, but only twelve hours on): its
    /// client may ask again now. Whether it did.
    fn completed_after_its_call(&self, r: &CallRequest) -> Result<bool> {
        if r.status != RequestStatus::Accepted {
            return Ok(false);
        }
        match self.meeting_of(r)? {
            Some(m) if !m.is_running() => {
                self.complete_after_meeting(&r.id, &m.attended)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The stored meeting of request `r`, if it has one (an accept may have stopped
    /// before storing it).
    fn meeting_of(&self, r: &CallRequest) -> Result<Option<Meeting>> {
        match r.meeting.as_deref() {
            Some(id) => self.store.get(&meeting_key(id)),
            None => Ok(None),
        }
    }

    /// The pages of every contact of the request's client: a colleague of the contact
    /// who asked, told that a request was open, follows the same call.
    pub(crate) fn client_pages(&self, request: &CallRequest) -> Vec<String> {
        let mut pages = self.host.client(&request.client_id).map(|c| c.contacts).unwrap_or_default();
        if !pages.contains(&request.contact) {
            pages.push(request.contact.clone());
        }
        pages
    }

    /// The client's open request, answering a second one; if the request that opened it
    /// stopped before telling the staff (killed, or the platform could not keep what it
    /// showed), they are told now.
    fn existing(&self, r: CallRequest) -> Result<RequestOutcome> {
        if r.status == RequestStatus::Pending {
            self.tell_staff_if_cut_short(&r)?;
        }
        Ok(RequestOutcome::Existing(r))
    }

    /// Tells the staff of the pending request `r` if the call that stored it stopped
    /// before it had (see `announcement`), and it is pending still (an accept may have
    /// come since `r` was read). Answers when the claim of a call still telling them runs
    /// out, if one is.
    fn tell_staff_if_cut_short(&self, r: &CallRequest) -> Result<Option<Instant>> {
        match self.take_over_announcement(&announced_key(&r.id))? {
            TakeOver::Take => {
                let now = self.get_request(&r.id)?;
                if now.status == RequestStatus::Pending {
                    self.announce_request(&now)?;
                }
            }
            TakeOver::Held(until) => return Ok(Some(until)),
            TakeOver::Made => {}
        }
        Ok(None)
    }

    /// A pending request on each notified staff member's panel and bell (those who have
    /// not ignored it); then noted made (see `announcement`).
    fn announce_request(&self, request: &CallRequest) -> Result<()> {
        for staff in request.panel_holders() {
            self.host.signal_page(staff, PageSignal::RequestAdded(request.card()));
            self.host.notify(
                staff,
                Notification {
                    title: "Call request".into(),
                    text: format!("{} of {} requests a call.", request.contact_name, request.client_name),
                    link: None,
                    context: Context::CallRequest(request.id.clone()),
                },
            );
        }
        // An accept or a cancel while the staff were being told withdrew the request only
        // from those told before it: the others are cleared now.
        if self.get_request(&request.id)?.status != RequestStatus::Pending {
            for staff in request.panel_holders() {
                self.withdraw_request(staff, &request.id);
            }
        }
        self.announcement_made(&announced_key(&request.id))
    }

    fn ignore(&self, id: &str, staff: &str) -> Result<RequestOutcome> {
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
        self.withdraw_request(staff, id);
        if request.status == RequestStatus::Pending {
            let active: Vec<String> = active.into_iter().map(|s| s.user.id).collect();
            if request.unattended(&active) {
                let why = if request.notified.iter().all(|s| active.contains(s)) {
                    "every staff member notified ignored it"
                } else {
                    "every staff member notified ignored it or is no longer active"
                };
                let closed = self.expire_ignored(id, now, &active, why)?;
                return Ok(RequestOutcome::Ignored(closed.unwrap_or(request)));
            }
        }
        Ok(RequestOutcome::Ignored(request))
    }

    /// Closes a request nobody is left to take (see [`CallRequest::unattended`]): it would
    /// wait on no panel until it expired, with its client still waiting. The client is told
    /// at once, as of an expired request, and may ask again.
    fn expire_ignored(
        &self,
        id: &str,
        now: Instant,
        active: &[String],
        why: &str,
    ) -> Result<Option<CallRequest>> {
        // Accepted, or ignored by fewer, meanwhile: it stands.
        self.expire_when(id, now, None, true, why, &|r| r.unattended(active))
    }

    fn cancel(&self, id: &str, contact: &str) -> Result<RequestOutcome> {
        let canceller = self.known_user(contact)?;
        // The client cancels: any of its contacts may, not only the one who asked.
        let current = self.get_request(id)?;
        let of_client =
            self.host.client(&current.client_id).is_some_and(|c| c.contacts.iter().any(|c| c == contact));
        if current.contact != contact && !of_client {
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
                &request.contact,
                Notification {
                    title: "Call request cancelled".into(),
                    text: format!("{} cancelled your call request.", canceller.name),
                    link: None,
                    context: Context::CallRequest(id.to_string()),
                },
            );
        }
        Ok(RequestOutcome::Cancelled(request))
    }

    fn complete(&self, id: &str, staff: &str) -> Result<RequestOutcome> {
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
        self.complete_request(id, Some(staff), false, &|_| format!("{} completed it", staff_user.name))?;
        if let Some(m) = running {
            self.end_meeting(&m.id)?;
        }
        self.store.set_due(ACTIVE, id, None)?;
        Ok(RequestOutcome::Completed(self.get_request(id)?))
    }

    /// Marks an accepted request completed once its meeting ended.
    pub(crate) fn complete_after_meeting(&self, id: &str, attended: &[String]) -> Result<()> {
        // The history tells a call from a wait: a client who never came is named.
        self.complete_request(id, None, true, &|r| {
            if attended.contains(&r.contact) {
                "the meeting ended".into()
            } else {
                format!("the meeting ended before {} joined", r.contact_name)
            }
        })
    }

    /// Marks an accepted request completed (nothing when it is not accepted) and frees
    /// its client for the next request; `unlist` as for [`Meetkit::release_client`].
    fn complete_request(
        &self,
        id: &str,
        by: Option<&str>,
        unlist: bool,
        text: &dyn Fn(&CallRequest) -> String,
    ) -> Result<()> {
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
        if let Some(r) = closed {
            self.release_client(&r, unlist)?;
        }
        Ok(())
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
        self.expire_when(id, now, asking_again, unlist, "nobody accepted it in time", &|r| r.overdue(now))
    }

    /// Expires request `id` with `why` in its history if `due` holds for it as it is
    /// stored; none when it does not (another process closed or took it meanwhile).
    fn expire_when(
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
        self.release_client(&request, unlist)?;
        for holder in request.panel_holders() {
            self.withdraw_request(holder, id);
        }
        let reason = if request.status == RequestStatus::Expired {
            ClosedReason::Expired
        } else {
            ClosedReason::Cancelled
        };
        for page in self.client_pages(&request) {
            self.host.signal_page(&page, PageSignal::RequestClosed(id.to_string(), reason));
        }
        if reason == ClosedReason::Expired && asking_again != Some(request.contact.as_str()) {
            let text = if request.closed_early() {
                "No staff member can take your call now. Please try again later."
            } else {
                "Nobody could take your call in time. Please request again."
            };
            self.host.notify(
                &request.contact,
                Notification {
                    title: "Call request expired".into(),
                    text: text.into(),
                    link: None,
                    context: Context::CallRequest(id.to_string()),
                },
            );
        }
        Ok(request)
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
                        Some(m) => self.complete_after_meeting(&r.id, &m.attended)?,
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
                                })?
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
                _ => moves.push((due.id, None)),
            }
        }
        self.store.move_dues(ACTIVE, &moves)
    }
}
