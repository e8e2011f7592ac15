//! The JSON API of `meetkit serve` (under `/api`): what a platform's pages would ask the
//! component, over HTTP. It acts as any user, so a caller proves it is the platform with
//! the token in `meetkit.toml` (`Authorization: Bearer <token>`).
//!
//! - `POST /api/<platform>/meetings` `{"context": {"Group": "sales"}, "initiator": "ana", "selection": ["ana", "ben"]}`
//! - `GET /api/<platform>/meetings/<id>`
//! - `POST /api/<platform>/meetings/<id>/join` `{"user": "john"}` (and optionally
//!   `"via": "ClientArea"`): the join ticket, whose `address` opens the meeting
//! - `POST /api/<platform>/meetings/<id>/leave` `{"user": "ben"}`
//! - `POST /api/<platform>/call-requests` with a request action: `{"RequestCall": ["acme", "john"]}`,
//!   `{"Accept": ["<id>", "maria"]}`, `{"Ignore": ...}`, `{"Cancel": ["<id>", "john"]}`, `{"Complete": ...}`
//!
//! Answers are `{"ok": <value>}`, or `{"error": {"<Kind>": "<why>"}}` with a 4xx status
//! for a refusal and 5xx for a failure worth retrying.

use crate::bindings::meetings::EntryPoint;
use crate::harness::{Harness, PlatformName};
use crate::serve::WholeBody;
use crate::serve::{failure, platform_named, refusal, reply, status_for};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;
use std::sync::Arc;

/// Every request of the API is small: a body beyond this is refused before it is read.
const MAX_BODY: usize = 64 * 1024;

pub fn router(harness: Arc<Harness>) -> Router<Arc<Harness>> {
    Router::new()
        .route("/{platform}/call-requests", post(call_request))
        .route("/{platform}/meetings", post(start_meeting))
        .route("/{platform}/meetings/{id}", get(get_meeting))
        .route("/{platform}/meetings/{id}/join", post(join_meeting))
        .route("/{platform}/meetings/{id}/leave", post(leave_meeting))
        .method_not_allowed_fallback(crate::serve::wrong_method)
        .route_layer(middleware::from_fn_with_state(harness, require_token))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(MAX_BODY, crate::serve::limit_said))
}

/// Lets a request through when it carries the API token; the API is off without one.
async fn require_token(
    State(harness): State<Arc<Harness>>,
    headers: HeaderMap,
    request: Request,
    next: Next,
) -> Response {
    let Some(expected) = harness.config().api.token.as_deref() else {
        return refusal(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the API is off: set [api] token in meetkit.toml",
        );
    };
    // The scheme's name is case-insensitive (RFC 9110).
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_start());
    let matches = given.is_some_and(|given| {
        aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), expected.as_bytes()).is_ok()
    });
    if matches {
        next.run(request).await
    } else {
        refusal(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "send the API token of meetkit.toml as a Bearer token",
        )
    }
}

/// A start request.
#[derive(serde::Deserialize)]
struct StartBody {
    context: crate::bindings::types::Context,
    initiator: String,
    selection: Vec<String>,
}

/// Runs one component call for a platform on a blocking thread and answers its outcome.
async fn on_platform<T: serde::Serialize + Send + 'static>(
    harness: Arc<Harness>,
    platform: String,
    f: impl FnOnce(&crate::PlatformHost<'_>) -> crate::ops::Outcome<T> + Send + 'static,
) -> Response {
    let task = tokio::task::spawn_blocking(move || answer(&harness, &platform, f));
    task.await.unwrap_or_else(failure)
}

/// One component call for a platform, answered: `{"ok": ..}`, a refusal with the status
/// its kind has, or a failure. Blocks; call it off the async threads.
pub(crate) fn answer<T: serde::Serialize>(
    harness: &Harness,
    platform: &str,
    f: impl FnOnce(&crate::PlatformHost<'_>) -> crate::ops::Outcome<T>,
) -> Response {
    let host = match platform_named(harness, platform) {
        Ok(h) => h,
        Err(refused) => return *refused,
    };
    match f(&host) {
        Ok(call) => match call.value {
            Ok(v) => reply(StatusCode::OK, json!({ "ok": v })),
            Err(e) => reply(status_for(&e), json!({ "error": e })),
        },
        Err(e) => failure(e),
    }
}

/// Reads a JSON body, or says why it is not `what`.
fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes, what: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("not {what}: {e}"))
}

fn bad_input(why: String) -> Response {
    refusal(StatusCode::BAD_REQUEST, "InvalidInput", why)
}

async fn call_request(
    State(harness): State<Arc<Harness>>,
    Path(platform): Path<String>,
    WholeBody(bytes): WholeBody,
) -> Response {
    let action: crate::bindings::call_requests::RequestAction = match body(&bytes, "a request action") {
        Ok(a) => a,
        Err(why) => return bad_input(why),
    };
    on_platform(harness, platform, move |host| host.handle_request(&action)).await
}

async fn start_meeting(
    State(harness): State<Arc<Harness>>,
    Path(platform): Path<String>,
    WholeBody(bytes): WholeBody,
) -> Response {
    let start: StartBody = match body(&bytes, "a start") {
        Ok(s) => s,
        Err(why) => return bad_input(why),
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

async fn join_meeting(
    State(harness): State<Arc<Harness>>,
    Path((platform, id)): Path<(String, String)>,
    WholeBody(bytes): WholeBody,
) -> Response {
    #[derive(serde::Deserialize)]
    struct Join {
        user: String,
        via: Option<EntryPoint>,
    }
    let join: Join = match body(&bytes, "a join") {
        Ok(j) => j,
        Err(why) => return bad_input(why),
    };
    // Where a user joins from unless told: a CRM's client area, an ERP's chat link.
    let via = join.via.unwrap_or(match platform.parse() {
        Ok(PlatformName::Perfex) => EntryPoint::ClientArea,
        _ => EntryPoint::ChatLink,
    });
    on_platform(harness, platform, move |host| host.join_meeting(&id, &join.user, via)).await
}

async fn leave_meeting(
    State(harness): State<Arc<Harness>>,
    Path((platform, id)): Path<(String, String)>,
    WholeBody(bytes): WholeBody,
) -> Response {
    #[derive(serde::Deserialize)]
    struct Leave {
        user: String,
    }
    let leave: Leave = match body(&bytes, "a leave") {
        Ok(l) => l,
        Err(why) => return bad_input(why),
    };
    on_platform(harness, platform, move |host| host.leave_meeting(&id, &leave.user)).await
}
