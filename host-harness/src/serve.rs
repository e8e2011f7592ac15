//! `meetkit serve`: the JaaS webhook endpoint over HTTP, and a ticker for time-driven
//! rules. Signatures are checked here, before anything reaches the component.

use crate::bindings::types::Error;
use crate::harness::Harness;
use crate::jaas_signature;
use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The HTTP status of a typed refusal: 4xx is final, 5xx asks the caller (JaaS) to retry.
fn status_for(error: &Error) -> StatusCode {
    match error {
        Error::InvalidInput(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) | Error::UnknownContext(_) | Error::UnknownUser(_) => StatusCode::NOT_FOUND,
        Error::NotAParticipant(_) | Error::LicenceForbids(_) | Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::AlreadyTaken(_) | Error::InvalidTransition(_) | Error::MeetingEnded(_) | Error::Expired(_) => {
            StatusCode::CONFLICT
        }
        Error::StoreFailure(_) | Error::HostFailure(_) | Error::Unavailable(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// A start request of the API.
#[derive(serde::Deserialize)]
struct StartBody {
    context: crate::bindings::types::Context,
    initiator: String,
    selection: Vec<String>,
}

fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

pub fn router(harness: Arc<Harness>) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/recordings/{file}", get(recording_copy))
        .route("/webhooks/jaas", post(|s, h, b| webhook(s, Path("erp".to_string()), h, b)))
        .route("/webhooks/jaas/{platform}", post(webhook))
        .route("/api/{platform}/call-requests", post(call_request))
        .route("/api/{platform}/meetings", post(start_meeting))
        .route("/api/{platform}/meetings/{id}", get(get_meeting))
        .route("/api/{platform}/meetings/{id}/leave", post(leave_meeting))
        .with_state(harness)
}

/// A copy of a recording the platform keeps: the address it reported to the component.
async fn recording_copy(State(harness): State<Arc<Harness>>, Path(file): Path<String>) -> Response {
    let Some(path) = harness.archiver().served(&file) else {
        return reply(StatusCode::NOT_FOUND, json!({ "error": format!("no copy {file}") }));
    };
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(axum::http::header::CONTENT_TYPE, "video/mp4")], bytes).into_response(),
        Err(e) => reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": e.to_string() })),
    }
}

async fn webhook(
    State(harness): State<Arc<Harness>>,
    Path(platform): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = &harness.config().webhooks;
    let signature = headers.get("x-jaas-signature").and_then(|v| v.to_str().ok());
    let now = harness.clock().now_ms().div_euclid(1000);
    if let Err(e) = jaas_signature::verify(signature, &body, &config.secret, now, config.tolerance_secs) {
        tracing::warn!(error = %e, "webhook refused");
        return reply(StatusCode::UNAUTHORIZED, json!({ "error": e.to_string() }));
    }
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return reply(StatusCode::BAD_REQUEST, json!({ "error": "the body is not UTF-8" }));
    };
    let task = tokio::task::spawn_blocking(move || apply(&harness, &platform, &body)).await;
    match task {
        Ok(response) => response,
        Err(e) => {
            reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": format!("the handler failed: {e}") }))
        }
    }
}

/// Applies a verified delivery on the named platform; copies recordings in the background.
fn apply(harness: &Arc<Harness>, platform: &str, body: &str) -> Response {
    let host = match platform {
        "erp" => harness.erp(),
        "perfex" => harness.perfex(),
        other => return reply(StatusCode::NOT_FOUND, json!({ "error": format!("no platform {other:?}") })),
    };
    let host = match host {
        Ok(h) => h,
        Err(e) => return reply(StatusCode::SERVICE_UNAVAILABLE, json!({ "error": format!("{e:#}") })),
    };
    let call = match host.on_jaas_webhook(body) {
        Ok(call) => call,
        Err(failure) => {
            return reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": failure.to_string() }));
        }
    };
    match call.value {
        Ok(outcome) => {
            if call.effects.iter().any(|e| matches!(e, crate::effects::Effect::Archive { .. })) {
                let (harness, platform) = (harness.clone(), platform.to_string());
                std::thread::spawn(move || {
                    let host = if platform == "perfex" { harness.perfex() } else { harness.erp() };
                    // The copies are owed in the platform's database already; a failure
                    // here leaves them for the next tick.
                    if let Err(e) = host.and_then(|h| h.keep_copies(&harness.archiver())) {
                        tracing::error!(error = %format!("{e:#}"), "keeping a copy of a recording failed");
                    }
                });
            }
            reply(StatusCode::OK, json!({ "ok": outcome }))
        }
        Err(e) => reply(status_for(&e), json!({ "error": e })),
    }
}

/// Runs one component call for a platform on a blocking thread and answers its outcome.
async fn on_platform<T: serde::Serialize + Send + 'static>(
    harness: Arc<Harness>,
    platform: String,
    f: impl FnOnce(&crate::PlatformHost<'_>) -> crate::ops::Outcome<T> + Send + 'static,
) -> Response {
    let task = tokio::task::spawn_blocking(move || {
        let host = match platform.as_str() {
            "erp" => harness.erp(),
            "perfex" => harness.perfex(),
            other => {
                return reply(StatusCode::NOT_FOUND, json!({ "error": format!("no platform {other:?}") }));
            }
        };
        let host = match host {
            Ok(h) => h,
            Err(e) => return reply(StatusCode::SERVICE_UNAVAILABLE, json!({ "error": format!("{e:#}") })),
        };
        match f(&host) {
            Ok(call) => match call.value {
                Ok(v) => reply(StatusCode::OK, json!({ "ok": v })),
                Err(e) => reply(status_for(&e), json!({ "error": e })),
            },
            Err(failure) => reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": failure.to_string() })),
        }
    });
    task.await.unwrap_or_else(|e| reply(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": e.to_string() })))
}

/// `POST /api/<platform>/call-requests` with a request action, e.g. `{"Accept": ["<id>", "maria"]}`.
async fn call_request(
    State(harness): State<Arc<Harness>>,
    Path(platform): Path<String>,
    body: Bytes,
) -> Response {
    let action: crate::bindings::call_requests::RequestAction = match serde_json::from_slice(&body) {
        Ok(a) => a,
        Err(e) => {
            return reply(StatusCode::BAD_REQUEST, json!({ "error": format!("not a request action: {e}") }));
        }
    };
    on_platform(harness, platform, move |host| host.handle_request(&action)).await
}

/// `POST /api/<platform>/meetings` with `{"context": {"Group": "sales"}, "initiator": "ana", "selection": [...]}`.
async fn start_meeting(
    State(harness): State<Arc<Harness>>,
    Path(platform): Path<String>,
    body: Bytes,
) -> Response {
    let start: StartBody = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({ "error": format!("not a start: {e}") })),
    };
    on_platform(harness, platform, move |host| {
        host.start_meeting(&start.context, &start.initiator, &start.selection)
    })
    .await
}

async fn get_meeting(
    State(harness): State<Arc<Harness>>,
    Path((platform, id)): Path<(String, String)>,
) -> Response {
    on_platform(harness, platform, move |host| host.get_meeting(&id)).await
}

/// `POST /api/<platform>/meetings/<id>/leave` with `{"user": "ben"}`.
async fn leave_meeting(
    State(harness): State<Arc<Harness>>,
    Path((platform, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    #[derive(serde::Deserialize)]
    struct Leave {
        user: String,
    }
    let leave: Leave = match serde_json::from_slice(&body) {
        Ok(l) => l,
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({ "error": format!("not a leave: {e}") })),
    };
    on_platform(harness, platform, move |host| host.leave_meeting(&id, &leave.user)).await
}

/// Ticks both platforms every `every`: the copies they owe first, then the tick and the
/// release of expired copies.
pub async fn ticker(harness: Arc<Harness>, every: Duration) {
    let mut interval = tokio::time::interval(every);
    loop {
        interval.tick().await;
        let h = harness.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<()> {
            for host in [h.erp()?, h.perfex()?] {
                host.copy_and_tick(&h.archiver())?;
            }
            Ok(())
        })
        .await;
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "tick failed"),
            Err(e) => tracing::error!(error = %e, "tick panicked"),
        }
    }
}

/// Serves until the process is stopped.
pub async fn serve(
    harness: Arc<Harness>,
    listener: tokio::net::TcpListener,
    tick_every: Option<Duration>,
) -> Result<()> {
    if let Some(every) = tick_every {
        tokio::spawn(ticker(harness.clone(), every));
    }
    axum::serve(listener, router(harness)).await?;
    Ok(())
}
