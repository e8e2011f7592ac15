//! Call requests from a CRM client area: requested, accepted by exactly one staff
//! member (a compare-and-swap on the request), ignored, cancelled, completed, expired.

use crate::order;
use crate::prelude::*;

use crate::Meetkit;
use crate::announcement::{LEASE, TakeOver};
use crate::error::{MeetError, Result, require_id, require_page_size};
use crate::host::{Notification, PageSignal, RequestCard, StaffMember};
use crate::ids;
use crate::meeting::meeting_key;
use crate::model::{Context, DisplayMode, Instant, JoinTicket, Meeting, SECOND, User, UserKind};
use crate::request_closing::UNATTENDED;
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

    /// The same staff, as a list to tell at once.
    pub(crate) fn panel(&self) -> Vec<String> {
        self.panel_holders().cloned().collect()
    }

    /// Pending with nobody left to take it: every staff member notified has ignored it or
    /// is no longer among the `active` (left the company, say), so it would wait on no
    /// panel anyone sees until it expired.
    pub(crate) fn unattended(&self, active: &[String]) -> bool {
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
    pub(crate) fn closed_early(&self) -> bool {
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
pub(crate) fn staff_user_among(active: &[StaffMember], staff: &str) -> Result<User> {
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
        require_page_size("requests", page_size)?;
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
                // Listed newest first as a rule: sorting costs one comparison each. Requests
                // of the same millisecond keep the listing's order, the later made first.
                let listed = order::sorted_by(listed, |a, b| b.at.cmp(&a.at));
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
    pub(crate) fn active_staff(&self) -> Vec<StaffMember> {
        self.host.staff().into_iter().filter(|s| s.active).collect()
    }

    /// Refuses a call whose client contact the licence does not admit: a contact is
    /// external, and on X19 could never join the call. One the directory no longer knows
    /// is taken as external.
    pub(crate) fn refuse_contact_on_licence(&self, contact: Option<&User>) -> Result<()> {
        let kind = contact.map_or(UserKind::External, |c| c.kind);
        if self.host.licence().admits(kind) {
            return Ok(());
        }
        Err(MeetError::LicenceForbids(
            "the X19 Basic licence admits internal users only; a client's contacts are external".into(),
        ))
    }

    /// The user behind a call request's meeting: the staff member who accepted, or a
    /// contact of the client (the call is the client's: a colleague of the contact who
    /// asked, told that a request is already open, may join it as they may cancel it).
    pub(crate) fn call_participant(&self, request: &str, user: &str) -> Result<User> {
        let r = self.get_request(request)?;
        let known = self.known_user(user)?;
        // The parties as the CRM has them now: the staff member who took the call while
        // still active, and whoever is a contact of the client (the contact who asked
        // too, unless moved to another client since).
        let party = if r.accepted_by.as_deref() == Some(user) {
            staff_user_among(&self.active_staff(), user).map(drop)?;
            true
        } else {
            self.host.client(&r.client_id).is_some_and(|c| c.contacts.iter().any(|c| c == user))
        };
        if !party {
            return Err(MeetError::NotAParticipant(format!(
                "{user} is not a party of call request {request}"
            )));
        }
        // A call made before the licence was lowered: its contacts may no longer meet.
        if !self.host.licence().admits(known.kind) {
            return Err(MeetError::LicenceForbids(format!(
                "{user} is an external user; the X19 Basic licence admits internal users only"
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
        self.refuse_contact_on_licence(Some(&contact_user))?;
        if !client.contacts.iter().any(|c| c == contact) {
            return Err(MeetError::NotAParticipant(format!(
                "{contact} is not a contact of {}",
                client.company
            )));
        }
        let config = self.host.call_request_config();
        let active = self.active_staff();
        let eligible: Vec<String> = active
            .iter()
            .filter(|s| config.notify.iter().any(|r| matches_rule(r, s, &client.assigned_staff)))
            .map(|s| s.user.id.clone())
            .collect();
        let active: Vec<String> = active.into_iter().map(|s| s.user.id).collect();
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
            // Nobody left to take it (every staff member told ignored it or was made
            // inactive): it would hold the client until its deadline, on no panel
            // anyone sees. It expires first, by its own write, which an accept meanwhile
            // (an ignore may be taken back) wins; the new request follows only then.
            if !r.unattended(&active) {
                return self.existing(r);
            }
            if self.expire_ignored(&id, now, &active, UNATTENDED, Some(contact))?.is_none() {
                return self.existing(self.get_request(&id)?);
            }
        }
        // A new request nobody is told of would wait unseen until it expires.
        if request.notified.is_empty() {
            return Err(MeetError::Unavailable(
                "nobody can take a call now: no active staff member is notified of requests".into(),
            ));
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
                self.complete_after_meeting(&r.id, self.client_came(r, &m.attended))?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The stored meeting of request `r`, if it has one (an accept may have stopped
    /// before storing it).
    pub(crate) fn meeting_of(&self, r: &CallRequest) -> Result<Option<Meeting>> {
        match r.meeting.as_deref() {
            Some(id) => self.store.get(&meeting_key(id)),
            None => Ok(None),
        }
    }

    /// The pages of every contact of the request's client: a colleague of the contact
    /// who asked, told that a request was open, follows the same call.
    pub(crate) fn client_pages<H>(&self, request: &CallRequest<H>) -> Vec<String> {
        let mut pages = self.host.client(&request.client_id).map(|c| c.contacts).unwrap_or_default();
        if !pages.contains(&request.contact) {
            pages.push(request.contact.clone());
        }
        pages
    }

    /// Whether a contact of the request's client is among `attended`: the one who asked,
    /// or a colleague who came in their place.
    pub(crate) fn client_came<H>(&self, request: &CallRequest<H>, attended: &[String]) -> bool {
        self.client_pages(request).iter().any(|c| attended.contains(c))
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
    pub(crate) fn tell_staff_if_cut_short(&self, r: &CallRequest) -> Result<Option<Instant>> {
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
        let staff = request.panel();
        self.host.signal_page(&staff, PageSignal::RequestAdded(request.card()));
        self.host.notify(
            &staff,
            Notification {
                title: "Call request".into(),
                text: format!("{} of {} requests a call.", request.contact_name, request.client_name),
                link: None,
                context: Context::CallRequest(request.id.clone()),
                meeting: None,
            },
        );
        // An accept or a cancel while the staff were being told may have withdrawn the
        // request before they were: they are cleared now.
        if self.get_request(&request.id)?.status != RequestStatus::Pending {
            self.withdraw_request(&staff, &request.id);
        }
        self.announcement_made(&announced_key(&request.id))
    }
}
