//! JaaS webhook deliveries (their signature already checked by the host): parsed
//! strictly, deduplicated by `idempotencyKey`, applied in any order.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::{MeetError, Result, invalid, showable};
use crate::json::Json;
use crate::meeting::meeting_key;
use crate::model::{Context, HOUR, Instant, Meeting};
use crate::recording::{RecordingEvent, RecordingSignal, RecordingUpload, recording_id};
use crate::store::Update;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookOutcome {
    pub event_type: String,
    pub meeting: Option<String>,
    pub applied: bool,
    pub note: String,
}

/// The envelope every delivery has.
struct Envelope {
    key: String,
    event_type: String,
    timestamp: Instant,
    app_id: String,
    room: String,
    /// The whole delivery, for its `data`.
    body: Json,
}

fn field<'a>(object: &'a Json, name: &str) -> Result<&'a Json> {
    object.member(name).ok_or_else(|| invalid(format!("the delivery lacks the field {name}")))
}

fn text<'a>(object: &'a Json, name: &str) -> Result<&'a str> {
    match field(object, name)? {
        Json::Text(s) if !s.is_empty() => Ok(s),
        _ => Err(invalid(format!("the field {name} must be a non-empty string"))),
    }
}

fn number(object: &Json, name: &str) -> Result<i64> {
    match field(object, name)? {
        Json::Integer(n) => Ok(*n),
        _ => Err(invalid(format!("the field {name} must be an integer"))),
    }
}

fn optional_text(object: &Json, name: &str) -> Option<String> {
    match object.member(name) {
        Some(Json::Text(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn data_object(envelope: &Envelope) -> Result<&Json> {
    match envelope.body.member("data") {
        Some(data) if data.is_object() => Ok(data),
        _ => Err(invalid(format!("the data of a {} delivery must be an object", envelope.event_type))),
    }
}

/// Whether a participant JaaS reports gone is still in the meeting: one who moved to or
/// from a breakout room (`switch_room`), or whose connection broke and whose client
/// rejoins (`unrecoverable_error`). Only a leave ("End call"), a removal or an unknown
/// reason takes someone out, and so may end a meeting of two.
fn still_in_meeting(data: &Json) -> bool {
    matches!(optional_text(data, "disconnectReason").as_deref(), Some("switch_room" | "unrecoverable_error"))
}

fn parse(body: &str) -> Result<Envelope> {
    let body = Json::parse(body).map_err(|e| invalid(format!("the body is not JSON: {e}")))?;
    if !body.is_object() {
        return Err(invalid("the body must be a JSON object"));
    }
    let fqn = text(&body, "fqn")?;
    let (app_id, room) =
        fqn.split_once('/').ok_or_else(|| invalid("the field fqn must be <AppID>/<room>"))?;
    field(&body, "data")?;
    Ok(Envelope {
        key: text(&body, "idempotencyKey")?.to_string(),
        event_type: text(&body, "eventType")?.to_string(),
        timestamp: number(&body, "timestamp")?,
        app_id: app_id.to_string(),
        room: room.to_ascii_lowercase(),
        body,
    })
}

/// The longest participant id a delivery may name.
const MAX_PARTICIPANT_ID: usize = 256;

/// 2000-01-01 UTC: nothing JaaS reports happened before.
const EARLIEST: Instant = 946_684_800_000;

/// Refuses a time no event could have: before 2000, or more than a day ahead of the
/// clock. Stored, it would end every later event's turn ("older than what is known")
/// or a recording's retention, and no mail or name could write it.
pub(crate) fn check_time(at: Instant, now: Instant, what: &str) -> Result<()> {
    if at < EARLIEST || at > now.saturating_add(24 * HOUR) {
        return Err(invalid(format!(
            "{what} ({at}) is not the time of an event: before 2000, or more than a day ahead"
        )));
    }
    Ok(())
}

fn delivery_key(key: &str) -> String {
    format!("webhook/{key}")
}

/// Marks a recording (by its id) refused on X19 and flagged to the administrators.
fn refused_key(recording: &str) -> String {
    format!("recording-refused/{recording}")
}

impl Meetkit<'_> {
    pub fn on_jaas_webhook(&self, body: &str) -> Result<WebhookOutcome> {
        let envelope = parse(body)?;
        let outcome = |meeting: Option<String>, applied: bool, note: &str| WebhookOutcome {
            event_type: envelope.event_type.clone(),
            meeting,
            applied,
            note: note.to_string(),
        };
        if self.store.get::<String>(&delivery_key(&envelope.key))?.is_some() {
            // Answered as the first time was of its meeting: a host that logs both
            // deliveries can tell which meeting they concerned.
            let meeting = self.meeting_id_by_room(&envelope.room)?;
            return Ok(outcome(meeting, false, "a repeated delivery: already applied"));
        }
        if envelope.app_id != self.host.jaas().app_id {
            return Ok(outcome(None, false, "the delivery is for another JaaS tenant"));
        }
        check_time(envelope.timestamp, self.host.now(), "the delivery's timestamp")?;
        let result = self.apply(&envelope)?;
        // Remembered once applied; every handler is idempotent, so a crash before this
        // line only means the retried delivery is applied again to the same effect.
        self.store.put(&delivery_key(&envelope.key), &envelope.event_type)?;
        Ok(outcome(result.0, result.1, &result.2))
    }

    fn apply(&self, e: &Envelope) -> Result<(Option<String>, bool, String)> {
        let known = || -> Result<Option<Meeting>> {
            match self.meeting_by_room(&e.room) {
                Ok(m) => Ok(Some(m)),
                Err(MeetError::NotFound(_)) => Ok(None),
                Err(err) => Err(err),
            }
        };
        let event = e.event_type.as_str();
        let recording = match event {
            "PARTICIPANT_JOINED" | "PARTICIPANT_LEFT" => {
                let data = data_object(e)?;
                let user = text(data, "id")?.to_string();
                // Ids are the platform's, as the tokens carry them: short. A long one
                // would be kept in the meeting and shown wherever it is.
                if user.len() > MAX_PARTICIPANT_ID {
                    return Err(invalid(format!(
                        "the participant id is longer than {MAX_PARTICIPANT_ID} bytes"
                    )));
                }
                showable("the participant id", &user)?;
                let Some(m) = known()? else {
                    return Ok((None, false, format!("no meeting has the room {}", e.room)));
                };
                let joined = event == "PARTICIPANT_JOINED";
                // Deliveries without a participant id are taken per person, as before.
                let connection = optional_text(data, "participantId").filter(|_| m.is_running());
                if !joined && still_in_meeting(data) {
                    // The client rejoins under a new participant id: this one is closed.
                    if let Some(c) = &connection {
                        self.connection_closed(&m.id, &user, c, e.timestamp)?;
                    }
                    let note = "a move between rooms or a dropped connection: still in the meeting";
                    return Ok((Some(m.id), false, note.into()));
                }
                match &connection {
                    // Noted whatever the person's other events: each connection counts.
                    Some(c) if joined && !self.connection_opened(&m.id, &user, c, e.timestamp)? => {
                        let note = "a connection that has closed already: its join came late";
                        return Ok((Some(m.id), false, note.into()));
                    }
                    Some(c) if !joined && self.connection_closed(&m.id, &user, c, e.timestamp)? => {
                        let note =
                            "one of the participant's connections closed; another is still in the meeting";
                        return Ok((Some(m.id), true, note.into()));
                    }
                    _ => {}
                }
                let applied =
                    self.participant_event(&m.id, &user, e.timestamp, joined, connection.is_some())?;
                if applied == Some(true) {
                    // Nothing reads an ended meeting's connections.
                    self.forget_connections(&m.id)?;
                }
                let note = match applied {
                    Some(true) if matches!(m.context, Context::Appointment(_)) => {
                        "the meeting ended: its host, or its last participant, left"
                    }
                    Some(true) => "the meeting ended: its last participant, or one of two, left",
                    Some(false) => "the participant list follows JaaS",
                    None => "older than what is known, or the meeting ended",
                };
                return Ok((Some(m.id), applied.is_some(), note.into()));
            }
            "ROOM_DESTROYED" => {
                let Some(m) = known()? else {
                    return Ok((None, false, format!("no meeting has the room {}", e.room)));
                };
                let (_, ended) = self.end_meeting(&m.id)?;
                // Nobody is connected to a destroyed room.
                self.forget_connections(&m.id)?;
                return Ok((
                    Some(m.id),
                    ended,
                    if ended { "the meeting ended" } else { "the meeting had ended" }.into(),
                ));
            }
            "ROOM_CREATED" => {
                return Ok((known()?.map(|m| m.id), false, "noted; meetings start from the platform".into()));
            }
            "RECORDING_STARTED" | "RECORDING_ENDED" => {
                let signal = RecordingSignal { room: e.room.clone(), at: e.timestamp, by: None };
                if event == "RECORDING_STARTED" {
                    RecordingEvent::Started(signal)
                } else {
                    RecordingEvent::Stopped(signal)
                }
            }
            "RECORDING_UPLOADED" => {
                let d = data_object(e)?;
                RecordingEvent::Uploaded(RecordingUpload {
                    room: e.room.clone(),
                    link: text(d, "preAuthenticatedLink")?.to_string(),
                    initiator: optional_text(d, "initiatorId"),
                    session_id: text(d, "recordingSessionId")?.to_string(),
                    duration_secs: u32::try_from(number(d, "durationSec")?.max(0)).unwrap_or(u32::MAX),
                    started_at: number(d, "startTimestamp")?,
                    ended_at: number(d, "endTimestamp")?,
                    uploaded_at: e.timestamp,
                })
            }
            _ => return Ok((None, false, format!("the event type {event} is not used by meetkit"))),
        };
        // On X19 the file is refused, but JaaS keeps it 24 hours: the administrators get
        // its link, to fetch or delete it, once for each recording session.
        let upload = match &recording {
            // A session id the upload refuses never reaches the licence.
            RecordingEvent::Uploaded(u) => {
                recording_id(&u.session_id).ok().map(|id| (u.link.clone(), refused_key(&id)))
            }
            _ => None,
        };
        match self.on_recording(recording) {
            Ok(r) => {
                let note = match &r.flagged {
                    Some(reason) => format!("applied; flagged to the administrators: {reason}"),
                    None if r.changed => "applied".into(),
                    None => match &r.file {
                        Some(file) => {
                            format!("nothing to change: the recording {} is known already", file.id)
                        }
                        None => "nothing to change: already applied, or the meeting has ended".into(),
                    },
                };
                Ok((Some(r.meeting), r.changed, note))
            }
            Err(MeetError::NotFound(_)) => Ok((None, false, format!("no meeting has the room {}", e.room))),
            Err(MeetError::LicenceForbids(reason)) => {
                // JaaS recorded although the licence does not allow it: keep nothing, tell the admins.
                let m = self.meeting_by_room(&e.room)?;
                let refused = upload.as_ref().map(|(_, key)| key);
                // The same upload under another delivery key (JaaS sends again what it
                // thinks went unanswered) was flagged already.
                if let Some(key) = refused
                    && self.store.get::<String>(key)?.is_some()
                {
                    return Ok((Some(m.id), false, format!("refused: {reason}; flagged already")));
                }
                let file = upload
                    .as_ref()
                    .map(|(link, _)| format!(" The file, kept by JaaS for 24 hours: {link}"))
                    .unwrap_or_default();
                self.host.flag_to_admins(
                    &m.context,
                    &format!("JaaS reported a recording in meeting {}: {reason}.{file}", m.id),
                );
                // Noted after the flag: a call stopped in between flags it again rather
                // than never.
                if let Some(key) = refused {
                    self.store.put(key, &m.id)?;
                }
                Ok((Some(m.id), false, format!("refused: {reason}")))
            }
            Err(other) => Err(other),
        }
    }

    /// Why `user`, whom JaaS reports in the room of `meeting`, is not to be there, if
    /// they are not: neither the host nor a guest of a scheduled meeting, someone the
    /// platform does not know, an external user on X19 (which is for internal users only), or a user no
    /// longer among the context's participants, or never a party of the call. Their
    /// ticket came before a change (a licence lowered, a user removed from the platform
    /// or from the group or record) or from outside meetkit: they are left in the
    /// meeting, and the administrators are told, once.
    pub(crate) fn outsider(&self, meeting: &Meeting, user: &str) -> Option<String> {
        match &meeting.context {
            // Entered from the overview only, by its host and its guests.
            Context::Appointment(id) => return self.stranger_to_appointment(id, user),
            // A client's call: the staff member who took it and the client's contacts.
            Context::CallRequest(request) => {
                return match self.call_participant(request, user) {
                    Err(
                        MeetError::UnknownUser(why)
                        | MeetError::NotAParticipant(why)
                        | MeetError::LicenceForbids(why),
                    ) => Some(why),
                    // Let in, or the request unreadable now: nothing to tell.
                    _ => None,
                };
            }
            _ => {}
        }
        let u = match self.host.user(user) {
            None => return Some("not a user of the platform".into()),
            Some(u) => u,
        };
        if !self.host.licence().admits(u.kind) {
            return Some(format!(
                "{} is an external user, and the X19 licence is for internal users only",
                u.name
            ));
        }
        if !self.is_participant(&meeting.context, user) {
            return Some(format!("{} is not a participant of {}", u.name, meeting.context));
        }
        None
    }

    /// Applies a participant event at time `at`, unless a later one for the same user was
    /// applied already. Leaving follows the meeting's rules (two participants, last one).
    /// Answers none when nothing changed, else whether the meeting ended.
    fn participant_event(
        &self,
        id: &str,
        user: &str,
        at: Instant,
        joined: bool,
        with_connections: bool,
    ) -> Result<Option<bool>> {
        let now = self.host.now();
        let mut never_came = Vec::new();
        let change = self.store.update(&meeting_key(id), |m: Option<Meeting>| {
            let mut m = m.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            never_came = Vec::new();
            if !m.is_running() || m.marked(user).is_some_and(|last| last > at) {
                return Ok(Update::Keep(None));
            }
            m.mark(user, at);
            let mut remaining = None;
            if joined {
                if !m.is_present(user) {
                    m.present.push(user.to_string());
                }
                if !m.attended.iter().any(|a| a == user) {
                    m.attended.push(user.to_string());
                }
            } else if m.is_present(user) {
                remaining = self.depart(&mut m, user, now)?;
            }
            // With JaaS reporting connections, whoever never appeared in them is out.
            if with_connections {
                never_came = self.take_out_never_came(&mut m, Some(user), at)?;
                if remaining.is_none() {
                    remaining = self.end_if_empty(&mut m, now)?;
                }
            }
            Ok(Update::Write(m.clone(), Some((m, remaining))))
        })?;
        let Some((meeting, remaining)) = change else { return Ok(None) };
        if joined && let Some(reason) = self.outsider(&meeting, user) {
            // Noted after the flag: a call stopped between flags again, rather than never.
            let reported = format!("outsider-reported/{}/{user}", meeting.id);
            if self.store.get::<bool>(&reported)?.is_none() {
                self.host.flag_to_admins(
                    &meeting.context,
                    &format!("JaaS reports {user} in meeting {}: {reason}.", meeting.id),
                );
                self.store.put(&reported, &true)?;
            }
        }
        // An ended meeting is never rejoined: it need not be read back to settle them.
        let ended = remaining.is_some().then_some(id);
        for absent in &never_came {
            self.left(absent, ended);
        }
        // Even for someone who was not in this meeting: a delivery applied again after a
        // stop between the two writes must still settle the presence.
        if joined {
            self.entered(user, id);
        } else {
            self.left(user, ended);
        }
        if let Some(remaining) = remaining {
            self.after_end(&meeting, &remaining)?;
        }
        Ok(Some(ended.is_some()))
    }
}
