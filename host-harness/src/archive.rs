//! The host's own copies of recordings: downloaded over HTTP(S) when the administrator
//! keeps copies, retried with back-off, kept in the data folder until released.

use anyhow::{Context as _, Result, bail};
use aws_lc_rs::hmac;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The name of a recording's copy in the archive, and in the platform's address for it.
pub fn file_name(recording: &str) -> String {
    format!("{recording}.mp4")
}

/// A recording id names a file of the archive's own folder, never a path.
fn valid_id(recording: &str) -> bool {
    !recording.is_empty() && !recording.contains(['/', '\\', '.'])
}

// A storage that accepts and never answers must not hold a round for ever: a later round
// tries again. A body is allowed the time a long recording takes.
const CONNECT: Duration = Duration::from_secs(10);
const RESPONSE: Duration = Duration::from_secs(60);
const BODY: Duration = Duration::from_secs(3600);

/// How long a process's claim on a copy lasts unless renewed: a download in progress
/// renews it four times as often, and one whose process died passes on this soon.
const CLAIM: Duration = Duration::from_secs(120);

#[derive(Clone, Debug)]
pub struct Archiver {
    dir: PathBuf,
    attempts: u32,
    first_backoff: Duration,
    claim: Duration,
}

impl Archiver {
    pub fn new(dir: PathBuf) -> Self {
        Archiver { dir, attempts: 5, first_backoff: Duration::from_millis(200), claim: CLAIM }
    }

    /// Claims copies for `claim` at a time (tests shorten it).
    pub fn with_claim(mut self, claim: Duration) -> Self {
        self.claim = claim.max(Duration::from_millis(4));
        self
    }

    /// How long a claim on a copy lasts before its renewal.
    pub fn claim(&self) -> Duration {
        self.claim
    }

    /// How often and how patiently a download is tried.
    pub fn with_retries(mut self, attempts: u32, first_backoff: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.first_backoff = first_backoff;
        self
    }

    /// One try per copy, no waiting: for a round run by hand, whose retry is the next tick.
    pub fn trying_once(self) -> Self {
        self.with_retries(1, Duration::ZERO)
    }

    /// How many downloads one call of [`Archiver::download`] tries at most.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub fn path_for(&self, recording: &str) -> PathBuf {
        self.dir.join(file_name(recording))
    }

    /// The key a copy's address carries (`?key=`): only those the platform showed the
    /// address to can fetch the copy, not anyone who learns a recording id (from a
    /// webhook, a log). An HMAC of the id under the archive's own secret.
    pub fn key_for(&self, recording: &str) -> Result<String> {
        let tag = hmac::sign(&self.secret()?, recording.as_bytes());
        Ok(crate::runtime::hex(&tag.as_ref()[..16]))
    }

    /// The recording a served file name stands for and its copy, if it is one of a
    /// recording's and `key` is its key.
    pub fn served(&self, file: &str, key: &str) -> Option<(String, PathBuf)> {
        let recording = file.strip_suffix(".mp4").filter(|r| valid_id(r))?;
        let expected = self.key_for(recording).ok()?;
        aws_lc_rs::constant_time::verify_slices_are_equal(expected.as_bytes(), key.as_bytes()).ok()?;
        Some(self.path_for(recording)).filter(|p| p.is_file()).map(|p| (recording.to_string(), p))
    }

    /// The archive's secret, made on first use (32 random bytes beside the copies).
    fn secret(&self) -> Result<hmac::Key> {
        let path = self.dir.join("address.key");
        if !path.exists() {
            std::fs::create_dir_all(&self.dir)?;
            let mut bytes = [0u8; 32];
            aws_lc_rs::rand::fill(&mut bytes).map_err(|_| anyhow::anyhow!("no system randomness"))?;
            // Written aside and linked into place: of two processes, one secret wins.
            let tmp = self.dir.join(format!("{}.part", crate::harness::fresh_id("address-key")));
            std::fs::write(&tmp, bytes)?;
            let linked = std::fs::hard_link(&tmp, &path);
            std::fs::remove_file(&tmp)?;
            if let Err(e) = linked
                && e.kind() != std::io::ErrorKind::AlreadyExists
            {
                return Err(e).context("keeping the archive's address key");
            }
        }
        let bytes = std::fs::read(&path).context("reading the archive's address key")?;
        Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
    }

    /// Downloads `url` into the archive; on failure waits and tries again, doubling the wait.
    pub fn download(&self, recording: &str, url: &str) -> Result<PathBuf> {
        if !valid_id(recording) {
            bail!("{recording:?} is not a recording id");
        }
        std::fs::create_dir_all(&self.dir)?;
        self.clear_partial(recording).context("clearing what a download cut short left")?;
        let mut wait = self.first_backoff;
        let mut last = None;
        for attempt in 1..=self.attempts {
            match self.fetch_once(recording, url) {
                Ok(path) => return Ok(path),
                Err(e) => {
                    tracing::debug!(recording, attempt, error = %format!("{e:#}"), "recording download failed");
                    last = Some(e);
                    if attempt < self.attempts {
                        std::thread::sleep(wait);
                        wait *= 2;
                    }
                }
            }
        }
        Err(last.expect("at least one attempt").context(format!(
            "downloading {recording} failed {} time{}",
            self.attempts,
            if self.attempts == 1 { "" } else { "s" }
        )))
    }

    /// Deletes what downloads of `recording` cut short left behind (`<id>-<random>.part`).
    /// Called with the copy's claim held, so no other download of it is under way.
    fn clear_partial(&self, recording: &str) -> Result<()> {
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            let Some(random) = name
                .to_str()
                .and_then(|n| n.strip_prefix(recording))
                .and_then(|n| n.strip_prefix('-'))
                .and_then(|n| n.strip_suffix(".part"))
            else {
                continue;
            };
            // Not a part of another recording whose id merely starts with this one.
            if random.len() == 24 && random.bytes().all(|b| b.is_ascii_hexdigit()) {
                tracing::info!(recording, "deleting a download cut short");
                match std::fs::remove_file(self.dir.join(&name)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn fetch_once(&self, recording: &str, url: &str) -> Result<PathBuf> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT))
            .timeout_recv_response(Some(RESPONSE))
            .timeout_recv_body(Some(BODY))
            .build()
            .into();
        let mut response = agent.get(url).call().with_context(|| format!("GET {url}"))?;
        // A storage's sign-in page or error (HTML, JSON, XML) answered 200 is not the
        // recording: kept, it would settle the copy and the recording would be lost
        // unsaid. A recording comes as media or as bytes of no stated kind. (A body cut
        // short of its length fails in the reading.)
        let kind = response.body().mime_type().unwrap_or("").to_ascii_lowercase();
        let media = kind.is_empty()
            || kind.starts_with("video/")
            || kind.starts_with("audio/")
            || matches!(
                kind.as_str(),
                "application/mp4" | "application/octet-stream" | "binary/octet-stream"
            );
        if !media {
            bail!("GET {url} answered {kind}, not a recording");
        }
        // A name of its own per attempt: another process may fetch the same recording.
        let tmp = self.dir.join(format!("{}.part", crate::harness::fresh_id(recording)));
        let mut file = std::fs::File::create(&tmp)?;
        let copied = std::io::copy(&mut response.body_mut().as_reader(), &mut file)?;
        file.flush()?;
        file.sync_all()?;
        if copied == 0 {
            std::fs::remove_file(&tmp)?;
            bail!("GET {url} gave an empty body, not a recording");
        }
        let path = self.path_for(recording);
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }

    /// Deletes the copy at the end of its retention (absent copies are fine).
    pub fn release(&self, recording: &str) -> Result<()> {
        match std::fs::remove_file(self.path_for(recording)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
