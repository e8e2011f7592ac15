//! `meetkit serve` and `meetkit webhook ...`: JaaS deliveries over HTTP or applied directly.

use super::{Ctx, print};
use anyhow::{Context as _, Result, bail};
use clap::Subcommand;
use meetkit_host::jaas_signature;
use meetkit_host::{InputError, PlatformName};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// POST a delivery file to a running `meetkit serve`, signed with the configured secret.
    Send {
        /// The delivery: a JaaS body, or `{"signature": .., "body": ..}` (examples/webhooks).
        file: PathBuf,
        /// The endpoint, e.g. http://127.0.0.1:8080/webhooks/jaas/erp.
        #[arg(long, value_parser = endpoint)]
        to: String,
        #[command(flatten)]
        fill: Fill,
        /// Send the file's own signature instead of signing it now. The shipped examples
        /// carry a signature made long ago with the example secret: a server refuses
        /// them as stale, which is what this shows.
        #[arg(long)]
        as_is: bool,
    },
    /// Apply a delivery file to the embedded host directly (no HTTP, no signature).
    Apply {
        /// The delivery: a JaaS body, or `{"signature": .., "body": ..}` (examples/webhooks).
        file: PathBuf,
        /// The platform whose meetings the delivery is about.
        #[arg(long, value_enum, default_value = "erp")]
        platform: PlatformName,
        #[command(flatten)]
        fill: Fill,
    },
    /// Print a delivery signed with the configured secret: the `X-Jaas-Signature` header,
    /// a blank line, then the body it signs (placeholders filled in), to send with
    /// another HTTP client. The body printed ends with a newline that is not signed:
    /// `--body-out` writes the exact bytes to a file instead.
    Sign {
        /// The delivery: a JaaS body, or `{"signature": .., "body": ..}` (examples/webhooks).
        file: PathBuf,
        #[command(flatten)]
        fill: Fill,
        /// Write the exact signed body to this file (e.g. for `curl --data-binary @FILE`)
        /// and print only the header.
        #[arg(long)]
        body_out: Option<PathBuf>,
    },
}

/// What goes into a delivery file's placeholders besides the AppID, the time and fresh ids.
#[derive(clap::Args, Debug)]
pub struct Fill {
    /// The meeting's room, for `{{room}}`.
    #[arg(long)]
    room: Option<String>,
    /// The user who recorded, for `{{initiator}}` (a user of the platform the delivery
    /// goes to: an ERP user, or a CRM's staff member). Any id is sent as JaaS would report
    /// it: one the platform does not know is a stranger, whom the component flags.
    #[arg(long)]
    initiator: Option<String>,
}

/// A sample delivery: the body JaaS posts, and the signature header it came with.
struct Delivery {
    body: String,
    signature: Option<String>,
}

/// Reads a delivery file (`{"signature": "...", "body": {...}}` or a bare body) and fills
/// in the placeholders: `{{room}}` and `{{initiator}}` from `fill`, `{{appId}}`, `{{now}}`,
/// and fresh ids for `{{key}}` (the idempotency key) and `{{session}}` (a recording's).
fn read(path: &Path, ctx: &Ctx, fill: &Fill) -> Result<Delivery> {
    let text = super::read_input(path)?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| InputError::Invalid(format!("{} is not JSON: {e}", path.display())))?;
    let (body, signature) = match (value.get("body"), value.get("signature")) {
        (Some(body), sig) => (body.to_string(), sig.and_then(Value::as_str).map(str::to_string)),
        // The body is signed as printed by `webhook sign`, without the file's last newline.
        (None, _) => (text.trim_end().to_string(), None),
    };
    let mut body = body.replace("{{appId}}", &ctx.harness.config().jaas.app_id);
    // `{{now}}` stands for a number: the quotes around it go too.
    let now = ctx.harness.clock().now_ms().to_string();
    body = body.replace("\"{{now}}\"", &now).replace("{{now}}", &now);
    body = body.replace("{{key}}", &meetkit_host::harness::fresh_id("delivery"));
    // The component names the recording `rec-<session>`.
    body = body.replace("{{session}}", &meetkit_host::harness::fresh_id("session"));
    for (placeholder, value, option) in
        [("{{room}}", &fill.room, "--room"), ("{{initiator}}", &fill.initiator, "--initiator")]
    {
        match (value, body.contains(placeholder)) {
            (Some(value), true) => body = body.replace(placeholder, value),
            (Some(_), false) => {
                bail!(InputError::Invalid(format!("the delivery has no {placeholder} for {option} to fill")))
            }
            (None, true) => {
                bail!(InputError::Invalid(format!("the delivery has {placeholder}: pass {option}")))
            }
            (None, false) => {}
        }
    }
    Ok(Delivery { body, signature })
}

fn sign_now(ctx: &Ctx, body: &str) -> String {
    let secret = &ctx.harness.config().webhooks.secret;
    jaas_signature::sign(secret, ctx.harness.clock().now_ms().div_euclid(1000), body.as_bytes())
}

pub fn run(ctx: &Ctx, command: WebhookCommand) -> Result<ExitCode> {
    match command {
        WebhookCommand::Send { file, to, fill, as_is } => {
            let d = read(&file, ctx, &fill)?;
            let signature = if as_is {
                d.signature.ok_or_else(|| {
                    InputError::Invalid(format!("{} carries no signature to send as is", file.display()))
                })?
            } else {
                sign_now(ctx, &d.body)
            };
            let response = ureq::post(&to)
                .header("Content-Type", "application/json")
                .header("X-Jaas-Signature", &signature)
                .config()
                .http_status_as_error(false)
                .build()
                .send(d.body.as_bytes())
                .with_context(|| format!("POST {to}"))?;
            let status = response.status().as_u16();
            let text = response.into_body().read_to_string()?;
            let value = serde_json::json!({ "status": status, "response": serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)) });
            ctx.show(&value, |v| format!("HTTP {status}: {}", v["response"]))?;
            // As for the CLI's own calls: a refusal (4xx) is 2, a failure of the server 1.
            Ok(match status {
                200..=299 => ExitCode::SUCCESS,
                400..=499 => ExitCode::from(2),
                _ => ExitCode::FAILURE,
            })
        }
        WebhookCommand::Apply { file, platform, fill } => {
            let d = read(&file, ctx, &fill)?;
            let host = ctx.harness.host(platform)?;
            let call = host.on_jaas_webhook(&d.body)?;
            let mut extra = serde_json::Map::new();
            let mut copies = String::new();
            if call.asks_for_copies() {
                // The delivery is applied whatever the download does: a copy that fails
                // stays owed, and each `meetkit tick` tries again.
                let round = host.keep_copies(&ctx.harness.archiver().trying_once())?;
                copies = print::copy_round(&round);
                extra.insert("copies".into(), serde_json::to_value(&round)?);
            }
            let name = platform.as_str();
            ctx.report_with(call, extra, |o| {
                let state = if o.applied { "" } else { " not applied" };
                format!("{name}: {}{state}: {}\n{}", o.event_type, o.note, copies).trim_end().to_string()
            })
        }
        WebhookCommand::Sign { file, fill, body_out } => {
            let d = read(&file, ctx, &fill)?;
            let header = sign_now(ctx, &d.body);
            if let Some(out) = body_out {
                super::write_output(&out, &d.body)?;
                return ctx.show(&serde_json::json!({ "signature": header, "body_file": out }), |v| {
                    format!("X-Jaas-Signature: {}", v["signature"].as_str().unwrap_or_default())
                });
            }
            ctx.show(&serde_json::json!({ "signature": header, "body": d.body }), |v| {
                let field = |name: &str| v[name].as_str().unwrap_or_default().to_string();
                format!("X-Jaas-Signature: {}\n\n{}", field("signature"), field("body"))
            })
        }
    }
}

/// `meetkit serve`.
pub fn serve(ctx: Ctx, listen: &str, tick_secs: u64) -> Result<ExitCode> {
    let harness = std::sync::Arc::new(ctx.harness);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
            // Not an address at all is the command line's fault; a port in use is not.
            if e.kind() == std::io::ErrorKind::InvalidInput {
                anyhow::Error::new(InputError::Invalid(format!("listening on {listen}: {e}")))
            } else {
                anyhow::Error::new(e).context(format!("listening on {listen}"))
            }
        })?;
        let addr = listener.local_addr()?;
        // The first line tells scripts where to send deliveries.
        println!(
            "meetkit serve: listening on http://{addr} (POST /webhooks/jaas/erp, /webhooks/jaas/perfex)"
        );
        if harness.clock().is_virtual() {
            eprintln!(
                "meetkit serve: the clock is virtual, at {}: meetings, pages and JaaS signatures \
                 go by it (`meetkit clock real` follows the real time)",
                meetkit_host::serve::at_utc(harness.clock().now_ms())
            );
        }
        let public = &harness.config().platform.public_address;
        if !public.trim_end_matches('/').ends_with(&format!("//{addr}")) {
            eprintln!(
                "meetkit serve: guests' links and kept recordings point at {public} (the public \
                 address in {}); this server answers at http://{addr}/",
                harness.data_dir().join("meetkit.toml").display()
            );
        }
        let tick = (tick_secs > 0).then(|| std::time::Duration::from_secs(tick_secs));
        meetkit_host::serve::serve(harness, listener, tick).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// An `http://` or `https://` address with a host: a mistyped one is refused as input
/// before anything is signed or sent.
fn endpoint(text: &str) -> Result<String, String> {
    let uri: ureq::http::Uri = text.parse().map_err(|e| format!("{text:?} is not an address: {e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(text.to_string()),
        _ => Err(format!("{text:?} is not an http:// or https:// address with a host")),
    }
}
