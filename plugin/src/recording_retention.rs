//! What time does to a recording: JaaS deletes it after 24 hours, so at that time its
//! Files entry goes, or leads to the host's copy when the administrator keeps copies;
//! the copy is released when the retention ends; and the administrators hear, once, of
//! a copy that has not arrived while the original can still be had.

use crate::order;
use crate::prelude::*;

use crate::Meetkit;
use crate::clock::{MAX_CHANGES_PER_TICK, MAX_DUE_PER_TICK, TickReport};
use crate::due_list::Kept;
use crate::error::{MeetError, Result};
use crate::host::{Comment, LinkFile};
use crate::model::Instant;
use crate::recording::{
    COPY_WARNING, DUE_SHARDS, DUE_UNSPLIT, RecordingFile, copy_warning_key, download_link, due_shard,
    recording_key,
};
use crate::store::Update;

impl Meetkit<'_> {
    /// Applies the 24-hour rule and the end of the host's retention, into `report`: the
    /// recordings deleted and released, and those Files refused (with the reason), which
    /// stay as they were for the next tick.
    ///
    /// Each transition is claimed by compare-and-swap on the recording before the host
    /// is asked to change Files, so of several hosts ticking at once exactly one acts,
    /// and a copy reported meanwhile (`recording-archived`) is never overwritten.
    pub(crate) fn expire_recordings(&self, now: Instant, report: &mut TickReport) -> Result<()> {
        // The unsplit list first: its entries are the oldest.
        let lists: Vec<&str> = core::iter::once(DUE_UNSPLIT).chain(DUE_SHARDS).collect();
        let mut due = Vec::new();
        for (n, list) in lists.iter().enumerate() {
            let kept = if n == 0 { Kept::AsAdded } else { Kept::ByTime };
            due.extend(self.store.due_by(list, now, MAX_DUE_PER_TICK, kept)?.into_iter().map(|d| (n, d)));
        }
        // The longest due first, whichever list holds it: a backlog is worked off in the
        // order its recordings fell due.
        let mut due = order::sorted_by(due, |(_, a), (_, b)| a.at.cmp(&b.at));
        due.truncate(MAX_DUE_PER_TICK);
        let mut acted_on = 0;
        let mut moves: Vec<Vec<(String, Option<Instant>)>> = vec![Vec::new(); lists.len()];
        for (list, due) in due {
            // Each change asks Files and tells the chat: a backlog (ticks stopped for
            // hours) is worked off 20 a tick, within a call's budget.
            if acted_on == MAX_CHANGES_PER_TICK {
                break;
            }
            let key = recording_key(&due.id);
            let claimed = self.store.update(&key, |r: Option<RecordingFile>| {
                let Some(mut r) = r else { return Ok(Update::Keep(None)) };
                let keep = r.archive.is_some() && r.kept_until.is_some_and(|u| now < u);
                let due_jaas = !r.deleted && !r.moved_to_archive && now >= r.expires_at;
                let due_copy = !r.released && r.archive.is_some() && r.kept_until.is_some_and(|u| now >= u);
                if !(due_jaas || due_copy) {
                    let warn = r.copy_missing() && now >= r.expires_at - COPY_WARNING;
                    let transition = if warn { Transition::WarnCopyMissing } else { Transition::None };
                    return Ok(Update::Keep(Some((r, transition))));
                }
                let before = r.clone();
                let transition = if due_jaas && keep {
                    r.moved_to_archive = true;
                    r.url = r.archive.clone().unwrap_or_default();
                    Transition::MoveToCopy
                } else {
                    let was_deleted = r.deleted;
                    if r.copy_missing() {
                        // The host never reported its copy: none is kept.
                        r.kept_until = None;
                    }
                    r.deleted = true;
                    r.released |= due_copy;
                    Transition::Remove { file: !was_deleted, copy: due_copy }
                };
                Ok(Update::Write(r, Some((before, transition))))
            })?;
            let Some((before, transition)) = claimed else {
                moves[list].push((due.id, None));
                continue;
            };
            if !matches!(transition, Transition::None) {
                acted_on += 1;
            }
            let acted = match transition {
                Transition::None => Ok(()),
                Transition::WarnCopyMissing => self.warn_copy_missing(&before, now),
                Transition::MoveToCopy => self.move_to_copy(&key, &before),
                Transition::Remove { file, copy } => {
                    let removed =
                        if file { self.host.delete_file(&before.context, &before.file_id) } else { Ok(()) };
                    removed
                        .map(|()| {
                            if file {
                                report.deleted_files.push(before.id.clone());
                            }
                            if before.copy_missing() {
                                // The chat promised a copy: its readers learn it never came.
                                self.host.post_comment(
                                    &before.context,
                                    Comment {
                                        text: format!(
                                            "The recording {} is gone: JaaS deleted it after 24 hours, and \
                                             the platform's copy never arrived.",
                                            before.name
                                        ),
                                        link: None,
                                    },
                                );
                                self.host.flag_to_admins(
                                    &before.context,
                                    &format!(
                                        "The host never copied the recording {}: JaaS has deleted it \
                                         after 24 hours, and no copy remains.",
                                        before.name
                                    ),
                                );
                            }
                            if copy {
                                report.released_copies.push(before.id.clone());
                            }
                        })
                        .map_err(MeetError::HostFailure)
                }
            };
            if let Err(e) = acted {
                // Files refused: the claim is undone so that the next tick tries again.
                self.store.update(&key, |r: Option<RecordingFile>| {
                    let Some(mut r) = r else { return Ok(Update::Keep(())) };
                    r.deleted = before.deleted;
                    r.released = before.released;
                    r.moved_to_archive = before.moved_to_archive;
                    r.url = before.url.clone();
                    r.kept_until = before.kept_until;
                    Ok(Update::Write(r, ()))
                })?;
                // One recording Files refuses must not hold up the others.
                let MeetError::HostFailure(why) = e else { return Err(e) };
                report.postponed.push(format!("{}: {why}", before.id));
                continue;
            }
            let now_stored: Option<RecordingFile> = self.store.get(&key)?;
            moves[list].push((due.id, now_stored.and_then(|r| r.next_due(now))));
        }
        // The unsplit list's entries move to their shards, one write for each: added there
        // before they leave it, so that a call stopped in between leaves an entry twice,
        // not none.
        let unsplit = core::mem::take(&mut moves[0]);
        if !unsplit.is_empty() {
            let mut added: Vec<Vec<(String, Option<Instant>)>> = vec![Vec::new(); DUE_SHARDS.len()];
            for (id, at) in unsplit.iter().filter(|(_, at)| at.is_some()) {
                added[due_shard(id)].push((id.clone(), *at));
            }
            for (shard, added) in DUE_SHARDS.iter().zip(&added) {
                self.store.set_dues(shard, added, Kept::ByTime)?;
            }
            let gone: Vec<(String, Option<Instant>)> =
                unsplit.into_iter().map(|(id, _)| (id, None)).collect();
            self.store.move_dues(DUE_UNSPLIT, &gone, Kept::AsAdded)?;
        }
        // One write for each list, which every change would otherwise rewrite.
        for (list, moves) in lists.iter().zip(&moves).skip(1) {
            self.store.move_dues(list, moves, Kept::ByTime)?;
        }
        Ok(())
    }

    /// Tells the administrators and the context's chat, once, that the host's copy of a
    /// recording has not arrived while it can still be downloaded from JaaS.
    fn warn_copy_missing(&self, rec: &RecordingFile, now: Instant) -> Result<()> {
        let deleted_at = self.recordings_time_text(&self.recordings_zone(), rec.expires_at)?;
        let first = self.store.update(&copy_warning_key(&rec.id), |warned: Option<Instant>| {
            Ok(if warned.is_some() { Update::Keep(false) } else { Update::Write(now, true) })
        })?;
        if first {
            let minutes = (rec.expires_at - now).max(0) / (60 * 1000);
            self.host.flag_to_admins(
                &rec.context,
                &format!(
                    "The host has not copied the recording {} yet: JaaS deletes it in {} h {:02} min. \
                     Download it from Files before then.",
                    rec.name,
                    minutes / 60,
                    minutes % 60
                ),
            );
            // The participants were told of a copy that would outlast JaaS's deadline.
            self.host.post_comment(
                &rec.context,
                Comment {
                    text: format!(
                        "The platform's copy of the recording {} has not arrived: download it before \
                         {deleted_at}, when JaaS deletes it.",
                        rec.name
                    ),
                    link: Some(download_link(&rec.id)),
                },
            );
        }
        Ok(())
    }

    /// Replaces a recording's Files entry by one that leads to the host's copy. The new
    /// entry is saved before the old one goes, so that a call stopped between the two
    /// leaves two entries rather than none. When Files refuses to delete the old one, the
    /// new one is taken back and the next tick tries the whole move again; when it
    /// refuses that too, the move stands (rather than an entry more at every tick) and
    /// the administrators are asked to delete the old entry.
    fn move_to_copy(&self, key: &str, before: &RecordingFile) -> Result<()> {
        let context = &before.context;
        let copy = before.archive.clone().unwrap_or_default();
        let file = LinkFile { name: before.name.clone(), url: copy, expires_at: before.kept_until };
        let file_id = self.host.save_link_file(context, file).map_err(MeetError::HostFailure)?;
        let old_kept = match self.host.delete_file(context, &before.file_id) {
            Ok(()) => None,
            Err(why) if self.host.delete_file(context, &file_id).is_ok() => {
                return Err(MeetError::HostFailure(why));
            }
            Err(why) => Some(why),
        };
        self.store.update(key, |r: Option<RecordingFile>| {
            let Some(mut r) = r else { return Ok(Update::Keep(())) };
            r.file_id = file_id.clone();
            Ok(Update::Write(r, ()))
        })?;
        if let Some(why) = old_kept {
            self.host.flag_to_admins(
                context,
                &format!(
                    "Files would not delete the entry of the recording {} that led to JaaS ({why}): \
                     it no longer works. Please delete it; the entry of the same name beside it \
                     leads to the platform's copy.",
                    before.name
                ),
            );
        }
        Ok(())
    }
}

/// What a tick does to one recording.
enum Transition {
    None,
    /// The host's copy has not arrived and JaaS deletes the recording soon.
    WarnCopyMissing,
    /// Files now leads to the host's copy.
    MoveToCopy,
    /// The Files entry goes (`file`), the host's copy is released (`copy`).
    Remove {
        file: bool,
        copy: bool,
    },
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    use crate::Meetkit;
    use crate::clock::TickReport;
    use crate::due_list::Due;
    use crate::model::{Context, HOUR, Licence};
    use crate::recording::{DUE_UNSPLIT, RecordingFile, due_key, recording_key};
    use crate::testing::{FakeHost, MemoryKv};

    fn recording(id: &str, expires_at: i64) -> RecordingFile {
        RecordingFile {
            id: id.into(),
            file_id: format!("file-{id}"),
            meeting: "m-1".into(),
            context: Context::Group("sales".into()),
            name: format!("{id}.mp4"),
            url: format!("https://jaas.example/{id}.mp4"),
            uploaded_at: expires_at - 24 * HOUR,
            expires_at,
            deleted: false,
            kept_until: None,
            archive: None,
            initiator: None,
            flagged: false,
            moved_to_archive: false,
            released: false,
        }
    }

    /// Recordings listed in the one due-list kept before it was split are still seen to,
    /// and leave it as they fall due: deleted, or moved to their shard for the next step.
    #[test]
    fn the_unsplit_due_list_is_worked_off_into_the_shards() {
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let core = Meetkit::new(&host, &kv);
        let now = host.now.get();
        let gone = recording("rec-gone", now);
        let kept = RecordingFile {
            kept_until: Some(now + 30 * 24 * HOUR),
            archive: Some("https://platform.example/rec-kept.mp4".into()),
            ..recording("rec-kept", now)
        };
        let later = recording("rec-later", now + HOUR);
        for r in [&gone, &kept, &later] {
            core.store.put(&recording_key(&r.id), r).unwrap();
            core.store.set_due(DUE_UNSPLIT, &r.id, Some(r.expires_at)).unwrap();
        }
        let mut report = TickReport::default();
        core.expire_recordings(now, &mut report).unwrap();
        assert_eq!(report.deleted_files, ["rec-gone"]);
        let unsplit: Vec<String> = core.store.due(DUE_UNSPLIT).unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(unsplit, ["rec-later"], "not due yet: it stays until it is");
        let shard = core.store.due(due_key("rec-kept")).unwrap();
        assert!(shard.contains(&Due { id: "rec-kept".into(), at: now + 30 * 24 * HOUR }), "{shard:?}");
        assert!(core.store.due(due_key("rec-gone")).unwrap().iter().all(|d| d.id != "rec-gone"));
    }

    /// Ids spread over the shards, so that uploads at the same moment seldom meet.
    #[test]
    fn recordings_spread_over_the_shards() {
        let shards: alloc::collections::BTreeSet<&str> =
            (0..200).map(|n| due_key(&format!("rec-session-{n:024x}"))).collect();
        assert_eq!(shards.len(), crate::recording::DUE_SHARDS.len());
    }
}
