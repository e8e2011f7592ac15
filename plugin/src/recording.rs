//! Recordings: on X20 only, started by internal users; cues while recording; the uploaded
//! file saved as a link in the context's Files, announced in its chat, deleted 24 hours
//! later unless the host keeps a copy for the administrator's retention.

use crate::prelude::*;

use crate::Meetkit;
use crate::announcement::TakeOver;
use crate::error::{MeetError, Result, invalid, require_id, require_page_size};
use crate::host::{Colour, Comment, Link, LinkFile, PageSignal, Toast};
use crate::meeting::{meeting_key, room_key};
use crate::model::{
    Context, HOUR, Instant, Licence, LocalDateTime, MINUTE, Meeting, RECORDING_MARK, SECOND, UserKind,
};
use crate::store::Update;
use serde::{Deserialize, Serialize};

/// JaaS keeps a recording this long; so does Files, unless the host keeps a copy.
pub const JAAS_RETENTION: Instant = 24 * HOUR;
/// How long before JaaS deletes a recording the administrators hear that the host's copy
/// has not arrived: time enough to download it by hand.
pub const COPY_WARNING: Instant = 2 * HOUR;
pub const PREPARING_TEXT: &str = "Recording is being prepared";
pub const LINK_TEXT: &str = "Link is generated";
pub const ON_CUE: &str = "Recording is on";
pub const OFF_CUE: &str = "Recording has stopped";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingSignal {
    pub room: String,
    pub at: Instant,
    pub by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingUpload {
    pub room: String,
    pub link: String,
    pub initiator: Option<String>,
    pub session_id: String,
    pub duration_secs: u32,
    pub started_at: Instant,
    pub ended_at: Instant,
    pub uploaded_at: Instant,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordingEvent {
    Started(RecordingSignal),
    Stopped(RecordingSignal),
    Uploaded(RecordingUpload),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingFile {
    pub id: String,
    pub file_id: String,
    pub meeting: String,
    pub context: Context,
    pub name: String,
    pub url: String,
    pub uploaded_at: Instant,
    pub expires_at: Instant,
    pub deleted: bool,
    pub kept_until: Option<Instant>,
    pub archive: Option<String>,
    pub initiator: Option<String>,
    pub flagged: bool,
    /// The Files entry now leads to the host's copy.
    pub moved_to_archive: bool,
    /// The host's copy was released at the end of its retention.
    pub released: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingOutcome {
    pub meeting: String,
    pub file: Option<RecordingFile>,
    pub changed: bool,
    pub flagged: Option<String>,
}

/// One page of a context's recordings, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingPage {
    pub items: Vec<RecordingFile>,
    /// The context's recordings, in all pages.
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
}

pub(crate) fn recording_key(id: &str) -> String {
    format!("recording/{id}")
}

/// Present once an upload's chat comment, copy request and flag were sent.
fn announced_key(id: &str) -> String {
    format!("recording-announced/{id}")
}

/// When the meeting's recordings were started under a licence that allows recording
/// (the latest [`LICENSED_KEPT`]): an upload of one is kept though the licence was lowered
/// before it arrived.
fn licensed_key(meeting: &str) -> String {
    format!("recording-licensed/{meeting}")
}

/// What a recording start or stop did to its meeting.
enum Switch {
    /// Turned its recording on or off.
    Switched(Box<Meeting>),
    /// Found it as the event says already (a stop of a meeting never on, a start of one
    /// recording or ended).
    Unchanged,
    /// The event applied already, delivered again.
    Repeated,
    /// Came after a later start or stop had been applied.
    Late,
}

const LICENSED_KEPT: usize = 16;

/// How far apart JaaS may date a recording's start in its start event and in its upload.
const START_TOLERANCE: Instant = 2 * MINUTE;

/// The records the recordings' due-list is kept in, each in order of time. A tenant
/// keeping copies for 30 days has thousands of recordings on it: in one record every
/// upload rewrote them all, uploads delivered at the same moment retried one another's
/// writes until a call ran out of its budget, and every tick read them all. Split by
/// id, an upload rewrites a sixteenth, uploads seldom meet on one record, and a tick
/// reads each only up to its first entry not due. Written out, not formatted: a tick
/// names them all.
pub(crate) const DUE_SHARDS: [&str; 16] = [
    "index/recordings/0",
    "index/recordings/1",
    "index/recordings/2",
    "index/recordings/3",
    "index/recordings/4",
    "index/recordings/5",
    "index/recordings/6",
    "index/recordings/7",
    "index/recordings/8",
    "index/recordings/9",
    "index/recordings/10",
    "index/recordings/11",
    "index/recordings/12",
    "index/recordings/13",
    "index/recordings/14",
    "index/recordings/15",
];

/// The one record the due-list was kept in before it was split: still read (and
/// emptied into the shards as its entries fall due) for recordings listed there then.
pub(crate) const DUE_UNSPLIT: &str = "index/recordings";

/// The record of the recordings' due-list that holds `id`: when it next needs the
/// clock's attention.
pub(crate) fn due_key(id: &str) -> &'static str {
    DUE_SHARDS[due_shard(id)]
}

/// The place in [`DUE_SHARDS`] of the record that holds `id`.
pub(crate) fn due_shard(id: &str) -> usize {
    // FNV-1a: stable across versions and hosts, as a record's place must be.
    let hash = id.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash as usize % DUE_SHARDS.len()
}

/// Claims the one warning about a missing copy (of several hosts ticking, one warns).
pub(crate) fn copy_warning_key(id: &str) -> String {
    format!("recording-copy-warned/{id}")
}

impl RecordingFile {
    /// Whether the host was asked for a copy that has not arrived while JaaS still holds
    /// the recording.
    pub(crate) fn copy_missing(&self) -> bool {
        self.kept_until.is_some() && self.archive.is_none() && !self.deleted && !self.moved_to_archive
    }

    /// When the 24 hours, a missing copy or the host's retention next needs the clock, if ever.
    pub(crate) fn next_due(&self, now: Instant) -> Option<Instant> {
        if !self.deleted && !self.moved_to_archive {
            let warn_at = self.expires_at - COPY_WARNING;
            Some(if self.copy_missing() && now < warn_at { warn_at } else { self.expires_at })
        } else if self.archive.is_some() && !self.released {
            self.kept_until
        } else {
            None
        }
    }
}

/// The platform link through which a recording is downloaded (so that expiry is checked).
pub fn download_link(id: &str) -> Link {
    Link { label: "Download".into(), url: format!("meet/recording/{id}") }
}

/// A recording id from JaaS's session id: the same session always maps to the same record.
pub(crate) fn recording_id(session_id: &str) -> Result<String> {
    require_id("the recording session id", session_id)?;
    if !session_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid("the recording session id has characters other than letters, digits, - and _"));
    }
    Ok(format!("rec-{}", session_id.to_ascii_lowercase()))
}

impl Meetkit<'_> {
    /// The meeting of a JaaS room, running or ended.
    pub(crate) fn meeting_by_room(&self, room: &str) -> Result<Meeting> {
        require_id("the room", room)?;
        let id = self
            .meeting_id_by_room(room)?
            .ok_or_else(|| MeetError::NotFound(format!("no meeting has the room {room}")))?;
        self.get_meeting(&id)
    }

    /// The id of the meeting held in `room`, if meetkit knows the room (never the
    /// empty one).
    pub(crate) fn meeting_id_by_room(&self, room: &str) -> Result<Option<String>> {
        if room.is_empty() {
            return Ok(None);
        }
        self.store.get(&room_key(&room.to_ascii_lowercase()))
    }

    /// Why `user` may not record in `meeting`, if they may not: only internal users
    /// record, and only those who may be in the meeting (a staff member who is no party
    /// of a client's call is flagged as their entering it would be).
    fn recording_not_allowed(&self, meeting: &Meeting, user: &str) -> Option<String> {
        match self.host.user(user) {
            Some(u) if u.kind == UserKind::Internal => {
                self.outsider(meeting, user).map(|why| format!("{why}, and may not record"))
            }
            Some(u) => Some(format!("{} ({user}) is an external user and may not record", u.name)),
            None => Some(format!("{user} is not a user of the platform and may not record")),
        }
    }

    /// Refuses recording on X19, unless `started` is a recording of that meeting which
    /// began at that time, when a start was reported while the licence allowed it.
    fn refuse_on_x19(&self, started: Option<(&str, Instant)>) -> Result<()> {
        if self.host.licence() != Licence::X19Basic {
            return Ok(());
        }
        if let Some((meeting, at)) = started {
            let licensed: Vec<Instant> = self.store.get(&licensed_key(meeting))?.unwrap_or_default();
            if licensed.iter().any(|l| l.abs_diff(at) <= START_TOLERANCE.unsigned_abs()) {
                return Ok(());
            }
        }
        Err(MeetError::LicenceForbids("recording needs the X20 Advanced licence".into()))
    }

    /// Notes that a recording of `meeting` started at `at` under a licence allowing it.
    fn recording_licensed(&self, meeting: &Meeting, at: Instant) -> Result<()> {
        // Delivered after the meeting ended too: JaaS recorded while it ran.
        self.store.update(&licensed_key(&meeting.id), |l: Option<Vec<Instant>>| {
            let mut l = l.unwrap_or_default();
            // Whatever the meeting's flag says: a start JaaS reports is a recording made.
            if l.contains(&at) {
                return Ok(Update::Keep(()));
            }
            l.push(at);
            let drop = l.len().saturating_sub(LICENSED_KEPT);
            l.drain(..drop);
            Ok(Update::Write(l, ()))
        })
    }

    pub fn on_recording(&self, event: RecordingEvent) -> Result<RecordingOutcome> {
        match event {
            RecordingEvent::Started(s) => self.recording_switched(s, true),
            RecordingEvent::Stopped(s) => self.recording_switched(s, false),
            RecordingEvent::Uploaded(u) => self.recording_uploaded(u),
        }
    }

    fn recording_switched(&self, signal: RecordingSignal, on: bool) -> Result<RecordingOutcome> {
        if let Some(by) = &signal.by {
            crate::error::showable("the recording's initiator", by)?;
        }
        let meeting = self.meeting_by_room(&signal.room)?;
        // Stopping is no recording: a recording started under X20 stops on X19 too.
        if on {
            self.refuse_on_x19(None)?;
            self.recording_licensed(&meeting, signal.at)?;
        }
        let id = meeting.id.clone();
        let flagged = signal.by.as_deref().and_then(|u| self.recording_not_allowed(&meeting, u));
        // JaaS delivers in any order: a start or stop older than the latest applied
        // arrives late, and would turn a stopped recording on (or a running one off).
        // The latest time is kept in the meeting's record, so that the comparison and the
        // switch are one write.
        let switched = self.store.update(&meeting_key(&id), |m: Option<Meeting>| {
            let mut m = m.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            let latest = m.marked(RECORDING_MARK);
            // Of a start and a stop at the same moment the stop stands, whichever came
            // first: a recording of no length.
            let late = latest.is_some_and(|l| signal.at < l || (on && signal.at == l && !m.recording));
            if late {
                return Ok(Update::Keep(Switch::Late));
            }
            if m.recording == on || (on && !m.is_running()) {
                if latest == Some(signal.at) {
                    return Ok(Update::Keep(Switch::Repeated));
                }
                m.mark(RECORDING_MARK, signal.at);
                return Ok(Update::Write(m, Switch::Unchanged));
            }
            m.recording = on;
            m.mark(RECORDING_MARK, signal.at);
            Ok(Update::Write(m.clone(), Switch::Switched(Box::new(m))))
        })?;
        let tell_admins = |reason: &str| {
            let text = format!("A recording was started in meeting {id}: {reason}.");
            self.host.flag_to_admins(&meeting.context, &text);
        };
        let meeting = match switched {
            Switch::Switched(meeting) => *meeting,
            // A recording JaaS made all the same (after a later stop, after the meeting
            // ended, or a second one while the first ran): who started it is told of.
            Switch::Late | Switch::Unchanged if on && flagged.is_some() => {
                tell_admins(flagged.as_deref().unwrap_or_default());
                return Ok(RecordingOutcome { meeting: id, file: None, changed: false, flagged });
            }
            Switch::Late | Switch::Unchanged | Switch::Repeated => {
                return Ok(RecordingOutcome { meeting: id, file: None, changed: false, flagged: None });
            }
        };
        if on {
            for text in [PREPARING_TEXT, LINK_TEXT] {
                let toast = Toast {
                    text: text.into(),
                    colour: Colour::Blue,
                    duration_ms: 5_000,
                    melody: None,
                    link: None,
                };
                self.host.show_toast(&meeting.present, toast);
            }
        }
        self.host
            .signal_page(&meeting.present, PageSignal::VoiceCue(if on { ON_CUE } else { OFF_CUE }.into()));
        if let Some(reason) = &flagged {
            tell_admins(reason);
        }
        Ok(RecordingOutcome { meeting: id, file: None, changed: true, flagged })
    }

    fn recording_uploaded(&self, upload: RecordingUpload) -> Result<RecordingOutcome> {
        let rec_id = recording_id(&upload.session_id)?;
        if !(upload.link.starts_with("https://") || upload.link.starts_with("http://")) {
            return Err(invalid("the recording link must be an http(s) address"));
        }
        let now = self.host.now();
        crate::webhook::check_time(upload.uploaded_at, now, "the upload's time")?;
        // The start is what the licence is judged by, and the times name the file.
        crate::webhook::check_time(upload.started_at, now, "the recording's start")?;
        crate::webhook::check_time(upload.ended_at, now, "the recording's end")?;
        if upload.ended_at < upload.started_at {
            return Err(invalid("the recording ends before it starts"));
        }
        if let Some(initiator) = &upload.initiator {
            crate::error::showable("the recording's initiator", initiator)?;
        }
        let meeting = self.meeting_by_room(&upload.room)?;
        let existing = self.store.get::<RecordingFile>(&recording_key(&rec_id))?;
        // A recording kept already is delivered again: the licence it was kept under stands.
        if existing.is_none() {
            self.refuse_on_x19(Some((&meeting.id, upload.started_at)))?;
        }
        let flagged = upload.initiator.as_deref().and_then(|u| self.recording_not_allowed(&meeting, u));
        if let Some(existing) = existing {
            // JaaS names each recording once: the same session in another room is no repeat.
            if existing.meeting != meeting.id {
                return Err(invalid(format!(
                    "the recording session {} is a recording of meeting {}, not of the meeting in room {}",
                    upload.session_id, existing.meeting, upload.room
                )));
            }
            // A repeat: what a failure may have left undone is done now (the indexes, and
            // the announcement if it was not made), and nothing else changes.
            self.store.set_due_by_time(
                due_key(&existing.id),
                &existing.id,
                existing.next_due(self.host.now()),
            )?;
            self.index_in_context(&existing.context, &existing.id, existing.uploaded_at)?;
            // Only while the recording can still be had: an old delivery of a recording
            // deleted, moved to its copy or past its 24 hours announces nothing.
            let alive =
                !existing.deleted && !existing.moved_to_archive && self.host.now() < existing.expires_at;
            if alive {
                self.announce(&meeting, &existing, &upload.link, flagged.as_deref(), false)?;
            }
            return Ok(RecordingOutcome {
                meeting: meeting.id,
                file: Some(existing),
                changed: false,
                flagged: None,
            });
        }
        // Number the meeting's recordings by session, so that each file name is distinct
        // and a retried upload of the same session keeps its number.
        let id = meeting.id.clone();
        let session = upload.session_id.clone();
        let number = self.store.update(&meeting_key(&id), |m: Option<Meeting>| {
            let mut m = m.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            Ok(match m.recording_number(&session) {
                Some(n) => Update::Keep(n),
                None => {
                    let n = m.record_session(&session);
                    Update::Write(m, n)
                }
            })
        })?;
        let config = self.host.recording_config();
        let name = self.recording_name(&meeting, number, &config.time_zone)?;
        let expires_at = upload.uploaded_at + JAAS_RETENTION;
        let file_id = self
            .host
            .save_link_file(
                &meeting.context,
                LinkFile { name: name.clone(), url: upload.link.clone(), expires_at: Some(expires_at) },
            )
            .map_err(|e| MeetError::HostFailure(format!("Files refused the recording: {e}")))?;
        let kept_until =
            config.keep_copies.then(|| upload.uploaded_at + i64::from(config.retention_hours) * HOUR);
        let file = RecordingFile {
            id: rec_id.clone(),
            file_id,
            meeting: meeting.id.clone(),
            context: meeting.context.clone(),
            name,
            url: upload.link.clone(),
            uploaded_at: upload.uploaded_at,
            expires_at,
            deleted: false,
            kept_until,
            archive: None,
            initiator: upload.initiator.clone(),
            flagged: flagged.is_some(),
            moved_to_archive: false,
            released: false,
        };
        // Claimed before the record exists: a delivery stopped at any point after leaves
        // the announcement to a later one.
        self.claim_new_announcement(&announced_key(&rec_id))?;
        let inserted = self.store.update(&recording_key(&rec_id), |current: Option<RecordingFile>| {
            Ok(match current {
                Some(existing) => Update::Keep(Err(existing)),
                None => Update::Write(file.clone(), Ok(())),
            })
        })?;
        // Indexed after the record: a crash in between leaves a file the next upload of the
        // same session re-indexes (the record answers "already applied" and is returned).
        if inserted.is_ok() {
            self.store.set_due_by_time(due_key(&file.id), &file.id, file.next_due(self.host.now()))?;
            self.index_in_context(&file.context, &file.id, file.uploaded_at)?;
        }
        if let Err(existing) = inserted {
            // A concurrent delivery of the same upload won; withdraw this file.
            let _ = self.host.delete_file(&file.context, &file.file_id);
            return Ok(RecordingOutcome {
                meeting: meeting.id,
                file: Some(existing),
                changed: false,
                flagged: None,
            });
        }
        self.announce(&meeting, &file, &upload.link, flagged.as_deref(), true)?;
        Ok(RecordingOutcome { meeting: meeting.id, file: Some(file), changed: true, flagged })
    }

    /// Tells the context's chat about an uploaded recording, asks the host for its copy
    /// and flags it, and then notes that it did; `fresh` when this delivery created the
    /// recording (and claimed the announcement), otherwise only when the claim is this
    /// delivery's to take over: a delivery that failed or was killed before the note (the
    /// host fails a call whose announcement it cannot keep) leaves it to JaaS's next
    /// delivery (see `announcement`).
    fn announce(
        &self,
        meeting: &Meeting,
        file: &RecordingFile,
        link: &str,
        flagged: Option<&str>,
        fresh: bool,
    ) -> Result<()> {
        // JaaS deletes the file after 24 hours: the chat says until when it can be had.
        // The copy is only asked for here: until it arrives, JaaS's deadline is the one sure.
        let zone = self.recordings_zone();
        let deleted_at = self.recordings_time_text(&zone, file.expires_at)?;
        let until = match file.kept_until {
            Some(kept) => format!(
                "download it before {deleted_at}, or from the copy the platform is making, kept until {}",
                self.recordings_time_text(&zone, kept)?
            ),
            None => format!("download it before {deleted_at}, when it is deleted"),
        };
        if !fresh {
            match self.take_over_announcement(&announced_key(&file.id))? {
                TakeOver::Take => {}
                TakeOver::Made => return Ok(()),
                // Answered as a failure JaaS retries: if the delivery holding the claim
                // stopped, a later one makes the announcement.
                TakeOver::Held(_) => {
                    return Err(MeetError::Unavailable(format!(
                        "the announcement of {} is being made by another delivery: deliver it again later",
                        file.name
                    )));
                }
            }
        }
        self.host.post_comment(
            &meeting.context,
            Comment {
                text: format!("The recording of the meeting is uploaded: {}; {until}.", file.name),
                link: Some(download_link(&file.id)),
            },
        );
        if let Some(until) = file.kept_until {
            self.host.archive_recording(&file.id, link, until);
        }
        if let Some(reason) = flagged {
            self.host.flag_to_admins(
                &meeting.context,
                &format!("Recording {} of meeting {}: {reason}.", file.name, meeting.id),
            );
        }
        self.announcement_made(&announced_key(&file.id))
    }

    /// "Meeting 2026-11-23 11.00.05 EET.mp4" in the recordings' zone, "(2)" for the
    /// second recording of the meeting. To the second: two meetings of one context
    /// started in the same minute (a call of two ended and was started again) get names
    /// of their own.
    fn recording_name(&self, meeting: &Meeting, number: usize, zone: &str) -> Result<String> {
        let suffix = if number > 1 { format!(" ({number})") } else { String::new() };
        let (t, zone) = self.recordings_time(zone, meeting.started_at)?;
        let second = meeting.started_at.rem_euclid(60 * SECOND) / SECOND;
        Ok(format!(
            "Meeting {:04}-{:02}-{:02} {:02}.{:02}.{second:02} {zone}{suffix}.mp4",
            t.year, t.month, t.day, t.hour, t.minute
        ))
    }

    /// The zone the platform's people read recordings' times in (the recording
    /// settings'), for [`Meetkit::recordings_time_text`].
    pub(crate) fn recordings_zone(&self) -> String {
        self.host.recording_config().time_zone
    }

    /// "2026-11-23 11:00 EET": `at` in the recordings' `zone`.
    pub(crate) fn recordings_time_text(&self, zone: &str, at: Instant) -> Result<String> {
        let (t, zone) = self.recordings_time(zone, at)?;
        Ok(format!("{t} {zone}"))
    }

    /// The wall-clock time of `at` in the recordings' `zone`, and the zone's
    /// abbreviation. UTC when none is set or the host knows none by that name: a mistyped
    /// setting must not cost a recording its announcement.
    fn recordings_time(&self, zone: &str, at: Instant) -> Result<(LocalDateTime, String)> {
        if !zone.is_empty()
            && let Ok((t, offset)) = self.host.to_local(zone, at)
        {
            return Ok((t, offset.abbreviation));
        }
        let (t, _) = self
            .host
            .to_local("UTC", at)
            .map_err(|e| MeetError::HostFailure(format!("the host could not format the time: {e}")))?;
        Ok((t, "UTC".into()))
    }

    pub fn get_recording(&self, id: &str) -> Result<RecordingFile> {
        require_id("the recording id", id)?;
        self.store.require(&recording_key(id), || format!("there is no recording {id}"))
    }

    /// Page `page` (from 0) of `page_size` of the recordings of `context`, newest first.
    pub fn list_recordings(&self, context: &Context, page: u32, page_size: u32) -> Result<RecordingPage> {
        require_id("the context id", context.id())?;
        require_page_size("recordings", page_size)?;
        // The index holds each recording's id and upload time: it orders the listing,
        // and only the page's records are read.
        let skip = (page as usize).saturating_mul(page_size as usize);
        let (indexed, total) = self.context_recordings(context, skip, page_size as usize)?;
        let mut items = Vec::new();
        for due in &indexed {
            items.extend(self.store.get::<RecordingFile>(&recording_key(&due.id))?);
        }
        // Nothing listed: a mistyped context is told apart from one without recordings.
        // (A context gone from the platform still lists what it had.)
        if total == 0 {
            self.require_own_context(context)?;
            if context.is_group_or_record() && self.host.context_title(context).is_none() {
                return Err(MeetError::UnknownContext(format!("{context} does not exist")));
            }
        }
        Ok(RecordingPage { items, total, page, page_size })
    }

    /// The address to download a recording from, for a participant of its context.
    pub fn download_recording(&self, id: &str, user: &str) -> Result<String> {
        let rec = self.get_recording(id)?;
        let meeting = self.get_meeting(&rec.meeting)?;
        match &meeting.context {
            // A scheduled meeting's recording is for those who may manage the meeting.
            Context::Appointment(appointment) => self.may_manage(user, &self.appointment(appointment)?)?,
            _ => {
                self.participant_of(&meeting, user)?;
            }
        }
        let now = self.host.now();
        if now < rec.expires_at && !rec.deleted {
            return Ok(rec.url);
        }
        match (&rec.archive, rec.kept_until) {
            (Some(copy), Some(until)) if now < until && !rec.released => Ok(copy.clone()),
            (Some(_), Some(_)) => Err(MeetError::Expired(format!(
                "the host's copy of the recording {} was kept for the administrator's retention \
                 and has been deleted",
                rec.name
            ))),
            _ => Err(MeetError::Expired(format!(
                "the recording {} was available for 24 hours after its upload and has been deleted",
                rec.name
            ))),
        }
    }

    /// The host holds its own copy of a recording.
    pub fn recording_archived(&self, id: &str, location: &str) -> Result<RecordingFile> {
        require_id("the location", location)?;
        let before = self.get_recording(id)?;
        // Administrators and the chat told that the copy was missing hear that it came;
        // its time is formatted before the report is stored, so that a host that cannot
        // format it leaves the copy unreported, to retry.
        let warned = self.store.get::<Instant>(&copy_warning_key(id))?.is_some();
        let kept = before
            .kept_until
            .filter(|_| warned)
            .map(|k| self.recordings_time_text(&self.recordings_zone(), k))
            .transpose()?;
        let (r, changed) = self.store.update(&recording_key(id), |r: Option<RecordingFile>| {
            let mut r = r.ok_or_else(|| MeetError::NotFound(format!("there is no recording {id}")))?;
            if r.archive.as_deref() == Some(location) {
                return Ok(Update::Keep((r, false)));
            }
            if r.deleted && r.archive.is_none() {
                // Its Files entry and JaaS's original are gone: a copy is no longer kept.
                return Err(MeetError::Expired(format!(
                    "the recording {} was deleted before its copy was reported",
                    r.name
                )));
            }
            r.archive = Some(location.to_string());
            Ok(Update::Write(r.clone(), (r, true)))
        })?;
        self.store.set_due_by_time(due_key(id), id, r.next_due(self.host.now()))?;
        // Once: a repeated report of the same copy tells nobody again.
        if changed && warned {
            self.host.flag_to_admins(
                &r.context,
                &format!("The host's copy of the recording {} has arrived: nothing more to do.", r.name),
            );
            if let Some(kept) = &kept {
                self.host.post_comment(
                    &r.context,
                    Comment {
                        text: format!(
                            "The platform's copy of the recording {} has arrived: it is kept until {kept}.",
                            r.name
                        ),
                        link: Some(download_link(&r.id)),
                    },
                );
            }
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use crate::Meetkit;
    use crate::model::Licence;
    use crate::testing::{FakeHost, MemoryKv};

    /// A zone the host's database does not know (this fake knows only UTC) must not cost
    /// a recording its name or its announcement: UTC is written instead, and said.
    #[test]
    fn a_zone_the_host_does_not_know_writes_utc() {
        let mut host = FakeHost::new(Licence::X20Advanced);
        host.recording_config.time_zone = "Europe/Sofai".into();
        let kv = MemoryKv::default();
        let core = Meetkit::new(&host, &kv);
        // 2026-01-01T09:30:00Z.
        let at = host.now.get() + 9 * 3_600_000 + 30 * 60_000;
        assert_eq!(core.recordings_time_text(&core.recordings_zone(), at).unwrap(), "2026-01-01 09:30 UTC");
    }
}
