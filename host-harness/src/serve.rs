//! `meetkit serve`: the JaaS webhook endpoint over HTTP, and a ticker for time-driven
//! rules. Signatures are checked here, before anything reaches the component.

use crate::bindings::types::Error;
use crate::harness::{Harness, PlatformName};
use crate::header_deadline::{HeaderDeadline, Requests};
use crate::jaas_signature;
use anyhow::Result;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The HTTP status of a typed refusal: 4xx is final, 5xx asks the caller (JaaS) to retry.
pub(crate) fn status_for(error: &Error) -> StatusCode {
    match error {
        Error::InvalidInput(_) => StatusCode::BAD_REQUEST,
        Error::NotFound(_) | Error::UnknownContext(_) | Error::UnknownUser(_) => StatusCode::NOT_FOUND,
        Error::NotAParticipant(_) | Error::LicenceForbids(_) | Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::AlreadyTaken(_) | Error::InvalidTransition(_) | Error::MeetingEnded(_) | Error::Expired(_) => {
            StatusCode::CONFLICT
        }
        // A platform capability (signing, files) failed behind this server.
        Error::HostFailure(_) => StatusCode::BAD_GATEWAY,
        Error::StoreFailure(_) | Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

pub(crate) fn reply(status: StatusCode, body: serde_json::Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// A refusal in the shape of the component's errors: `{"error": {"<Kind>": "<why>"}}`.
pub(crate) fn refusal(status: StatusCode, kind: &str, why: impl Into<String>) -> Response {
    reply(status, json!({ "error": { kind: why.into() } }))
}

/// A failure of the component or the machine, in one line (a trap's wasm backtrace goes
/// to the log, not to the caller).
pub(crate) fn failure(error: impl std::fmt::Display) -> Response {
    let text = format!("{error:#}");
    tracing::error!(error = text, "a call failed");
    let first = text.lines().next().unwrap_or_default();
    let why = first.split(": error while executing at wasm backtrace").next().unwrap_or(first);
    refusal(StatusCode::INTERNAL_SERVER_ERROR, "Failure", why)
}

pub fn router(harness: Arc<Harness>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/recordings/{file}", get(recording_copy))
        .route(
            "/webhooks/jaas/{platform}",
            post(webhook)
                .route_layer(axum::middleware::from_fn_with_state(harness.clone(), timely_signature))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_WEBHOOK_BODY))
                .layer(axum::middleware::from_fn_with_state(MAX_WEBHOOK_BODY, limit_said)),
        )
        .route("/meet/guest", get(crate::guest_page::find))
        .route("/meet/guest/{id}", get(crate::guest_page::show).post(crate::guest_page::act))
        .route(
            "/meet/appointment/{id}",
            get(crate::appointment_page::show)
                .post(crate::appointment_page::act)
                .route_layer(axum::middleware::from_fn(this_machine_only)),
        )
        .route(
            "/meet/recording/{id}",
            get(crate::appointment_page::recording).route_layer(axum::middleware::from_fn(this_machine_only)),
        )
        .route(
            "/meet/appointment/{id}/calendar.ics",
            get(crate::appointment_page::calendar).route_layer(axum::middleware::from_fn(this_machine_only)),
        )
        .nest("/api", crate::api::router(harness.clone()))
        .layer(axum::middleware::from_fn(uniform_refusals))
        .layer(axum::middleware::from_fn_with_state(harness.clone(), follow_clock))
        .method_not_allowed_fallback(wrong_method)
        .fallback(|| async { refusal(StatusCode::NOT_FOUND, "NotFound", "no such address") })
        .with_state(harness)
}

/// axum refuses what it cannot read (a body over the limit, a form or query missing a
/// field, a body of the wrong type) in plain text, and the checks in front of the pages
/// (method, origin, this machine) in the server's JSON: every refusal here has one shape,
/// a page for people on the pages and `{"error": {...}}` elsewhere.
///
/// A refused request that came with a body may be answered before the body was read
/// (a signature, a token or an origin refused first): the answer then closes the
/// connection, so that no client sends its next request after a body left unread.
async fn uniform_refusals(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
    let headers = request.headers();
    let with_body = headers.get(CONTENT_LENGTH).is_some_and(|v| v.as_bytes() != b"0")
        || headers.contains_key(TRANSFER_ENCODING);
    let on_a_page = request.uri().path().starts_with("/meet/");
    let mut response = reshaped(on_a_page, next.run(request).await).await;
    let status = response.status();
    if with_body && (status.is_client_error() || status.is_server_error()) {
        response.headers_mut().insert(CONNECTION, axum::http::HeaderValue::from_static("close"));
    }
    response
}

/// Beside a `DefaultBodyLimit` of `max` bytes: says its refusal (413) in the server's
/// words, with the limit, rather than the HTTP library's.
pub(crate) async fn limit_said(
    State(max): State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    let why = format!("the body is larger than the {} KiB this address takes", max / 1024);
    refusal(StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", why)
}

/// A refusal in the shape of where it is answered (see [`uniform_refusals`]).
async fn reshaped(on_a_page: bool, response: Response) -> Response {
    use axum::http::header::CONTENT_TYPE;
    let content_type =
        response.headers().get(CONTENT_TYPE).map(|v| v.as_bytes().to_vec()).unwrap_or_default();
    let (plain, json) =
        (content_type.starts_with(b"text/plain"), content_type.starts_with(b"application/json"));
    let status = response.status();
    let refused = status.is_client_error() || status.is_server_error();
    if on_a_page && refused && json {
        let text = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap_or_default();
        let answer: serde_json::Value = serde_json::from_slice(&text).unwrap_or_default();
        let why = answer["error"].as_object().and_then(|e| e.values().next()?.as_str().map(str::to_string));
        let body = maud::html! { p { (why.unwrap_or_else(|| "The server could not answer.".into())) } };
        return crate::page::private((status, crate::page::layout("Not possible", body)).into_response());
    }
    if !(status.is_client_error() && plain) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 4096).await.unwrap_or_default();
    let why = String::from_utf8_lossy(&text).into_owned();
    if on_a_page {
        let body = maud::html! { p { "The form could not be read: " (why) } };
        return crate::page::private((status, crate::page::layout("Not possible", body)).into_response());
    }
    let kind = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLarge",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaType",
        _ => "InvalidInput",
    };
    refusal(status, kind, why)
}

/// The platform's page of a meeting trusts the user it is asked for, as a platform trusts
/// its session: it answers only the machine that serves it. (The guest's page, the
/// webhooks and the recording copies prove themselves with a key or a signature; the API
/// with its token.)
async fn this_machine_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if !peer.ip().to_canonical().is_loopback() {
        return refusal(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "the platform's page of a meeting answers only the machine that serves it",
        );
    }
    // A browser on this machine also runs other sites' pages: their forms must not
    // change a meeting here in the name of whoever `as` says.
    let changes = !matches!(*request.method(), axum::http::Method::GET | axum::http::Method::HEAD);
    if changes && from_another_site(request.headers()) {
        return refusal(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "a form of another site may not change a meeting on the platform's page",
        );
    }
    next.run(request).await
}

/// Whether a browser says that a request comes from another site's page: its
/// `Sec-Fetch-Site`, or else an `Origin` other than the address asked. A request with
/// neither is no browser's cross-site form (a script, the platform's own server).
fn from_another_site(headers: &HeaderMap) -> bool {
    use axum::http::header::{HOST, ORIGIN};
    let text = |name| headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    match (text(ORIGIN.as_str()), text(HOST.as_str())) {
        (Some(origin), host) => origin.split_once("://").map(|(_, rest)| rest) != host,
        (None, _) => false,
    }
}

/// Every request sees the time `meetkit clock` last set, when the clock is virtual.
async fn follow_clock(
    State(harness): State<Arc<Harness>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let synced = tokio::task::spawn_blocking({
        let harness = harness.clone();
        move || harness.follow_stored_clock()
    })
    .await;
    if let Ok(Err(e)) | Err(e) = synced.map_err(anyhow::Error::from) {
        tracing::warn!(error = %format!("{e:#}"), "the stored virtual time could not be read");
    }
    next.run(request).await
}

/// A known address asked with a method it does not answer, said as every refusal is:
/// to a person on a page, to a program in JSON.
pub(crate) async fn wrong_method(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/meet/") {
        return crate::page::said(StatusCode::METHOD_NOT_ALLOWED, "This page cannot do that.");
    }
    refusal(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "this address does not answer that method")
}

/// Where `/health` writes its probe: beside the component's own bucket, never in it.
const HEALTH_BUCKET: &str = "meetkit-host";

/// Ready when the store takes a write: a balancer stops sending calls to a host whose
/// store is down.
async fn health(State(harness): State<Arc<Harness>>) -> Response {
    // A write, not a read: a store that answers reads but takes no writes (an SQLite file
    // another process holds locked) refuses every webhook, and is not healthy.
    let probe = tokio::task::spawn_blocking(move || {
        let now = crate::clock::real_now_ms().to_le_bytes();
        harness.store().set(HEALTH_BUCKET, "health", &now)
    })
    .await;
    match probe {
        Ok(Ok(_)) => "ok".into_response(),
        Ok(Err(e)) => refusal(StatusCode::SERVICE_UNAVAILABLE, "StoreFailure", crate::keyvalue::describe(&e)),
        Err(e) => failure(e),
    }
}

/// The key of a copy's address.
#[derive(serde::Deserialize)]
struct CopyKey {
    #[serde(default)]
    key: String,
}

/// A copy of a recording the platform keeps: the address it reported to the component,
/// key included. Without the right key a copy is as absent as one that never was.
async fn recording_copy(
    State(harness): State<Arc<Harness>>,
    Path(file): Path<String>,
    Query(CopyKey { key }): Query<CopyKey>,
    mut request: axum::extract::Request,
) -> Response {
    use tower::ServiceExt as _;
    let Some((recording, path)) = harness.archiver().served(&file, &key) else {
        return refusal(StatusCode::NOT_FOUND, "NotFound", format!("no copy {file}"));
    };
    let size = std::fs::metadata(&path).map_or(u64::MAX, |m| m.len());
    let headers = request.headers_mut();
    match headers.get(header::RANGE).and_then(|v| v.to_str().ok()).map(|asked| servable_range(asked, size)) {
        Some(Some(range)) => {
            headers.insert(header::RANGE, range.parse().expect("digits, a dash and `bytes=` make a header"));
        }
        Some(None) => drop(headers.remove(header::RANGE)),
        None => {}
    }
    // Streamed, never read whole into memory (a recording runs to gigabytes), with
    // ranges for a player that seeks. The key is in the address: nothing caches it or
    // passes it on.
    // One row by its key, off the server's own threads (the database may be busy).
    let named = {
        let harness = harness.clone();
        tokio::task::spawn_blocking(move || harness.db().name_of_copy(&recording)).await
    };
    let name = match named {
        Ok(Ok(name)) => name,
        Ok(Err(e)) => {
            tracing::warn!(file, error = %format!("{e:#}"), "the name of a kept copy could not be read");
            None
        }
        Err(e) => return failure(e),
    };
    let name = name.unwrap_or(file);
    let served = tower_http::services::ServeFile::new(path).oneshot(request).await;
    match served {
        Ok(response) => {
            let mut response = crate::page::private(response.map(axum::body::Body::new));
            response.headers_mut().insert(header::CONTENT_DISPOSITION, attachment(&name));
            response
        }
        Err(e) => failure(e),
    }
}

/// Downloaded at once, under the name Files shows (RFC 6266): `filename*` in UTF-8 for
/// browsers, and a plain `filename` for the rest, its other characters as `_`.
fn attachment(name: &str) -> HeaderValue {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let plain: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect();
    let value = format!(
        "attachment; filename=\"{plain}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, NON_ALPHANUMERIC)
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// The `Range` a copy of `size` bytes is served by, from the one asked (RFC 9110, 14.1.2),
/// its numbers written plainly: a last byte past the file's end (or past what a number
/// holds) is cut at the end, and a suffix as long as the file or longer is the whole
/// file. Anything else (several ranges, a malformed one, an empty file) is none: HTTP
/// lets a server ignore a range and send the whole file (14.2), which a player takes,
/// where the file service would answer 416. A first byte past the end stays, for 416.
fn servable_range(asked: &str, size: u64) -> Option<String> {
    let (first, last) = asked.trim().strip_prefix("bytes=")?.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let number = |s: &str| s.parse::<u64>().unwrap_or(u64::MAX);
    let end = size.checked_sub(1)?;
    match (digits(first), digits(last)) {
        (true, false) if last.is_empty() => Some(format!("bytes={}-", number(first))),
        (false, true) if first.is_empty() => match number(last) {
            n if n == 0 || n >= size => None,
            n => Some(format!("bytes=-{n}")),
        },
        (true, true) if number(first) <= number(last) => {
            Some(format!("bytes={}-{}", number(first), number(last).min(end)))
        }
        _ => None,
    }
}

/// The largest delivery taken. JaaS's bodies are a few kilobytes (a speaker-stats
/// report of 500 people, about 50 KB); a larger one is refused for good (413), well
/// before the component's parse of it could run out of its budget.
const MAX_WEBHOOK_BODY: usize = 256 * 1024;

/// Refuses a delivery whose platform is unknown, or whose `X-Jaas-Signature` is missing,
/// malformed or stale, before its body is read: a body is read only for a header that
/// could be JaaS's (its HMAC is checked once the body is in, within the size limit and
/// the server's deadlines). The parsed header goes on to the handler.
async fn timely_signature(
    State(harness): State<Arc<Harness>>,
    Path(platform): Path<String>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // A mistyped address is told as such, not as a bad signature.
    let platform: PlatformName = match platform.parse() {
        Ok(p) => p,
        Err(e) => return refusal(StatusCode::NOT_FOUND, "NotFound", e.to_string()),
    };
    let header = request.headers().get("x-jaas-signature").and_then(|v| v.to_str().ok());
    let now = harness.clock().now_ms().div_euclid(1000);
    match jaas_signature::Signature::timely(header, now, harness.config().webhooks.tolerance_secs) {
        Ok(signature) => {
            request.extensions_mut().insert((platform, signature));
            next.run(request).await
        }
        Err(e) => unauthorized(&harness, e),
    }
}

/// A delivery refused for its signature, with what explains it.
fn unauthorized(harness: &Harness, e: jaas_signature::SignatureError) -> Response {
    tracing::warn!(error = %e, "webhook refused");
    // A stale signature against a virtual clock is the clock's doing, not the sender's.
    let why = match e {
        jaas_signature::SignatureError::Stale { .. } if harness.clock().is_virtual() => format!(
            "{e}: this server's clock is virtual, at {} (`meetkit clock real` follows the real time)",
            at_utc(harness.clock().now_ms())
        ),
        e => e.to_string(),
    };
    refusal(StatusCode::UNAUTHORIZED, "Unauthorized", why)
}

/// A request's whole body. One that stopped coming before it was complete (the body
/// deadline of [`ClientDeadlines`] passed) is answered 408, a timeout, where axum's own
/// answer is 400, a malformed request: a sender that retries only what may succeed
/// again would drop the delivery on that.
pub(crate) struct WholeBody(pub Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for WholeBody {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        match Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(WholeBody(bytes)),
            Err(rejection) if timed_out(&rejection) => Err(refusal(
                StatusCode::REQUEST_TIMEOUT,
                "Timeout",
                "the body stopped coming before it was complete",
            )),
            Err(rejection) => Err(rejection.into_response()),
        }
    }
}

/// Whether a body deadline is behind `error`.
pub(crate) fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(error), |e| e.source()).any(|e| e.is::<tower_http::timeout::TimeoutError>())
}

async fn webhook(
    State(harness): State<Arc<Harness>>,
    axum::Extension((platform, signature)): axum::Extension<(PlatformName, jaas_signature::Signature)>,
    WholeBody(body): WholeBody,
) -> Response {
    if let Err(e) = signature.check(&body, &harness.config().webhooks.secret) {
        return unauthorized(&harness, e);
    }
    let Ok(body) = String::from_utf8(body.to_vec()) else {
        return refusal(StatusCode::BAD_REQUEST, "InvalidInput", "the body is not UTF-8");
    };
    let task = tokio::task::spawn_blocking(move || apply(&harness, platform, &body)).await;
    match task {
        Ok(response) => response,
        Err(e) => failure(e),
    }
}

/// A time as RFC 3339 in UTC, as `meetkit clock` takes it.
pub fn at_utc(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| format!("{ms} ms"), |t| t.to_string())
}

/// The platform an address names (`erp`, `perfex`), or the answer why there is none.
pub(crate) fn platform_named<'h>(
    harness: &'h Harness,
    name: &str,
) -> Result<crate::PlatformHost<'h>, Box<Response>> {
    let name: PlatformName = name.parse().map_err(|e: crate::InputError| {
        Box::new(refusal(StatusCode::NOT_FOUND, "NotFound", e.to_string()))
    })?;
    harness
        .host(name)
        .map_err(|e| Box::new(refusal(StatusCode::SERVICE_UNAVAILABLE, "Failure", format!("{e:#}"))))
}

/// Applies a verified delivery on the named platform; copies recordings in the background.
fn apply(harness: &Arc<Harness>, platform: PlatformName, body: &str) -> Response {
    crate::api::answer(harness, platform.as_str(), |host| {
        let call = host.on_jaas_webhook(body)?;
        if call.value.is_ok() && call.asks_for_copies() {
            keep_copies_in_background(harness.clone(), platform);
        }
        Ok(call)
    })
}

/// Downloads the copies a platform owes, without holding up JaaS's delivery. They are
/// owed in the platform's database already: a failure here leaves them for the next tick.
fn keep_copies_in_background(harness: Arc<Harness>, platform: PlatformName) {
    std::thread::spawn(move || {
        let host = harness.host(platform);
        if let Err(e) = host.and_then(|h| h.keep_copies(&harness.archiver())) {
            tracing::error!(error = %format!("{e:#}"), "keeping a copy of a recording failed");
        }
    });
}

/// Ticks both platforms every `every` (the tick, then the release of expired copies),
/// and beside the ticks makes the copies of recordings they owe.
pub async fn ticker(harness: Arc<Harness>, every: Duration) {
    // Copies are made beside the ticks, not before them: a slow or stalled download of
    // a recording must not hold up the expiry of call requests.
    tokio::spawn(every_so_often(harness.clone(), every, "copying recordings", |h| {
        for host in [h.erp()?, h.perfex()?] {
            host.keep_copies(&h.archiver())?;
        }
        Ok(())
    }));
    every_so_often(harness, every, "tick", |h| {
        h.follow_stored_clock()?;
        for host in [h.erp()?, h.perfex()?] {
            host.tick_and_release()?;
        }
        Ok(())
    })
    .await
}

/// Runs `work` every `every`, each round when the last has finished; a failure is
/// logged and the next round comes.
async fn every_so_often(
    harness: Arc<Harness>,
    every: Duration,
    what: &'static str,
    work: fn(&Harness) -> Result<()>,
) {
    let mut interval = tokio::time::interval(every);
    // After a long round (a slow download) the next comes a period later, not at once
    // for every period missed.
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let h = harness.clone();
        match tokio::task::spawn_blocking(move || work(&h)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %format!("{e:#}"), "{what} failed"),
            Err(e) => tracing::error!(error = %e, "{what} panicked"),
        }
    }
}

/// How long a client may keep the server waiting before its connection is closed: a
/// client that sends a request's header a byte a minute, or stops halfway through a body,
/// must not hold the server's connections for ever.
#[derive(Clone, Copy, Debug)]
pub struct ClientDeadlines {
    /// For a kept-alive connection to send its next request (longer than the 60 s a
    /// proxy or load balancer commonly keeps its connections to a server).
    pub idle: Duration,
    /// For the whole header of a request, from its first byte (or the connection's start).
    pub header: Duration,
    /// For each next part of a request's body.
    pub body: Duration,
    /// For a whole request, body included, until its answer begins (a body sent a byte
    /// just within each part's deadline ends here). A file's answer streams after.
    pub whole: Duration,
}

impl Default for ClientDeadlines {
    fn default() -> Self {
        ClientDeadlines {
            idle: Duration::from_secs(75),
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            whole: Duration::from_secs(120),
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
    serve_router(listener, router(harness), ClientDeadlines::default()).await
}

/// Serves `app` over HTTP/1.1 on every connection `listener` accepts, each request
/// knowing its peer (some pages answer only this machine). `axum::serve` sets no deadline
/// for a client's header: hence this loop over hyper's own server. (HTTP/2 without TLS,
/// which no browser speaks, is left out: telling it apart waits for the first bytes
/// with no deadline.)
pub(crate) async fn serve_router(
    listener: tokio::net::TcpListener,
    app: Router,
    deadlines: ClientDeadlines,
) -> Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;
    let app = app.layer(tower_http::timeout::RequestBodyTimeoutLayer::new(deadlines.body)).layer(
        tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, deadlines.whole),
    );
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted:
                // the next one may succeed.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let requests = Arc::new(Requests::default());
        let serving = requests.clone();
        let app = app
            .clone()
            .map_request(move |request: axum::http::Request<hyper::body::Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            })
            .map_future(move |answer| {
                let serving = serving.begin();
                async move {
                    let answer = answer.await;
                    drop(serving);
                    answer
                }
            });
        let stream = HeaderDeadline::new(stream, requests, deadlines.idle, deadlines.header);
        tokio::spawn(async move {
            // hyper's own header deadline would also end idle connections: the stream's
            // deadlines tell the two apart.
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(None)
                .serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(app))
                .with_upgrades();
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "a connection ended in error");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt as _;

    /// A client that stops sending in the middle of a request's header or body, or says
    /// nothing at all, is let go when its deadline passes; one that sends its request in
    /// time is answered.
    /// Serves, with `deadlines`, a route that answers how many bytes a body had.
    async fn counting_server(deadlines: ClientDeadlines) -> SocketAddr {
        let app = Router::new()
            .route(
                "/",
                // Answered a moment later, as a call into the component is.
                post(|WholeBody(body): WholeBody| async move {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    format!("read {} bytes", body.len())
                }),
            )
            // A page's form, as the guest's and the meeting's pages read theirs.
            .route(
                "/form",
                post(
                    |crate::page::PageForm(form): crate::page::PageForm<
                        std::collections::HashMap<String, u32>,
                    >| async move { format!("read {} fields", form.len()) },
                ),
            )
            .layer(axum::middleware::from_fn(uniform_refusals));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(serve_router(listener, app, deadlines));
        addr
    }

    #[tokio::test]
    async fn slow_clients_do_not_hold_connections() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let addr = counting_server(ClientDeadlines {
            idle: Duration::from_millis(600),
            header: Duration::from_millis(300),
            body: Duration::from_millis(300),
            whole: Duration::from_millis(900),
        })
        .await;
        // Sends `request`, then waits for the server to answer and close the connection.
        let exchange = |request: &'static str| async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer));
            assert!(read.await.is_ok(), "the server still holds the connection of {request:?}");
            String::from_utf8(answer).unwrap()
        };
        let whole =
            exchange("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi");
        let whole = whole.await;
        assert!(whole.starts_with("HTTP/1.1 200") && whole.ends_with("read 2 bytes"), "{whole}");
        // Kept alive after its answer, until the idle deadline passes.
        let kept = exchange("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi").await;
        assert!(kept.ends_with("read 2 bytes"), "{kept}");
        // A body that stops coming is a timeout, which senders retry.
        let half_body = exchange("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nhi").await;
        assert!(half_body.starts_with("HTTP/1.1 408"), "{half_body}");
        assert!(half_body.contains(r#"{"error":{"#), "refused in the server's shape: {half_body}");
        // So does a page's form, told in a sentence; and one the page never sends is
        // refused in a sentence too, not in the framework's words.
        let form = "POST /form HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\n";
        let half_form = exchange(format!("{form}content-length: 10\r\n\r\nslot").leak()).await;
        assert!(half_form.starts_with("HTTP/1.1 408") && half_form.contains("send it again"), "{half_form}");
        let odd =
            exchange(format!("{form}content-length: 7\r\nconnection: close\r\n\r\nslot=-1").leak()).await;
        assert!(odd.starts_with("HTTP/1.1 400") && odd.contains("could not be read"), "{odd}");
        let fine =
            exchange(format!("{form}content-length: 6\r\nconnection: close\r\n\r\nslot=1").leak()).await;
        assert!(fine.ends_with("read 1 fields"), "{fine}");
        // A body sent a byte within each part's deadline ends at the whole one.
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n").await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        tokio::spawn(async move {
            while writer.write_all(b"x").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        });
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut answer)).await;
        assert!(read.is_ok(), "a trickled body holds the connection");
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        // Let go without an answer: no request was made.
        assert_eq!(exchange("POST / HTTP/1.1\r\nhost: x\r\n").await, "");
        assert_eq!(exchange("").await, "");
    }

    /// A kept-alive connection waits longer for its next request than a request's header
    /// may take: a proxy that keeps its connections to the server finds them open, and a
    /// client that begins a request and stalls is still let go at the header deadline.
    #[tokio::test]
    async fn idle_connections_outlive_the_header_deadline() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let addr = counting_server(ClientDeadlines {
            idle: Duration::from_millis(1500),
            header: Duration::from_millis(200),
            body: Duration::from_secs(5),
            whole: Duration::from_secs(5),
        })
        .await;
        const REQUEST: &[u8] = b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\nhi";
        // Reads one answer (they are short and end with their body).
        async fn answer(stream: &mut tokio::net::TcpStream) -> String {
            let mut buf = vec![0; 1024];
            let n =
                tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf)).await.unwrap().unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        }
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(REQUEST).await.unwrap();
        assert!(answer(&mut stream).await.ends_with("read 2 bytes"));
        // Idle for three header deadlines, then asked again on the same connection.
        tokio::time::sleep(Duration::from_millis(600)).await;
        stream.write_all(REQUEST).await.unwrap();
        assert!(answer(&mut stream).await.ends_with("read 2 bytes"), "an idle connection was closed");
        // A request begun and stalled is let go at the header deadline, not the idle one.
        stream.write_all(b"POST / HTT").await.unwrap();
        let begun = std::time::Instant::now();
        assert_eq!(answer(&mut stream).await, "", "a stalled header was answered");
        assert!(begun.elapsed() < Duration::from_millis(1200), "held for {:?}", begun.elapsed());
        // A connection idle past the idle deadline is let go without a word: the idle
        // deadline runs from the answer, not from the end of the header's.
        let addr = counting_server(ClientDeadlines {
            idle: Duration::from_millis(1000),
            header: Duration::from_millis(1000),
            body: Duration::from_secs(5),
            whole: Duration::from_secs(5),
        })
        .await;
        let mut quiet = tokio::net::TcpStream::connect(addr).await.unwrap();
        quiet.write_all(REQUEST).await.unwrap();
        assert!(answer(&mut quiet).await.ends_with("read 2 bytes"));
        let idle = std::time::Instant::now();
        assert_eq!(answer(&mut quiet).await, "");
        let after = idle.elapsed();
        assert!(
            after >= Duration::from_millis(900) && after < Duration::from_millis(1700),
            "let go after {after:?}"
        );
    }

    /// A failed call is answered in one line, without the wasm backtrace's heading.
    #[tokio::test]
    async fn a_failure_is_answered_in_one_line() {
        let error = anyhow::anyhow!(
            "the component failed: the call ran out of its budget: error while executing at wasm backtrace:\n 0: f"
        );
        let answer = failure(error);
        assert_eq!(answer.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let bytes = axum::body::to_bytes(answer.into_body(), 1 << 16).await.unwrap();
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(value["error"]["Failure"], "the component failed: the call ran out of its budget");
    }

    /// The platform's page answers a request from this machine and refuses one from
    /// elsewhere, whatever it asks.
    #[tokio::test]
    async fn the_platforms_page_answers_only_this_machine() {
        let page = Router::new()
            .route("/", get(|| async { "the page" }))
            .route_layer(axum::middleware::from_fn(this_machine_only));
        let from = |peer: [u8; 4]| {
            let mut request = axum::extract::Request::new(axum::body::Body::empty());
            request.extensions_mut().insert(ConnectInfo(SocketAddr::from((peer, 40_000))));
            request
        };
        let here = page.clone().oneshot(from([127, 0, 0, 1])).await.unwrap();
        assert_eq!(here.status(), StatusCode::OK);
        let elsewhere = page.oneshot(from([192, 0, 2, 7])).await.unwrap();
        assert_eq!(elsewhere.status(), StatusCode::FORBIDDEN);
    }

    /// What axum refuses before a handler runs is answered in the server's own shapes:
    /// JSON for the API and webhooks, a page on the pages.
    #[tokio::test]
    async fn refusals_axum_makes_have_the_servers_shape() {
        #[derive(serde::Deserialize)]
        struct Form {
            #[expect(dead_code, reason = "only read")]
            key: String,
        }
        let app = Router::new()
            .route(
                "/api/said",
                post(|_: Bytes| async { "read" })
                    .layer(axum::extract::DefaultBodyLimit::max(1024))
                    .layer(axum::middleware::from_fn_with_state(1024, limit_said)),
            )
            .route("/api/x", post(|_: Bytes| async { "read" }))
            .route("/meet/x", post(|_: axum::Form<Form>| async { "read" }))
            .layer(axum::extract::DefaultBodyLimit::max(8))
            .layer(axum::middleware::from_fn(uniform_refusals));
        let post = |path: &str, body: &str| {
            axum::extract::Request::post(path)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(body.to_string()))
                .unwrap()
        };
        let text = |response: Response| async {
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        let too_big = app.clone().oneshot(post("/api/x", "0123456789")).await.unwrap();
        assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let answer: serde_json::Value = serde_json::from_str(&text(too_big).await).unwrap();
        assert!(answer["error"]["PayloadTooLarge"].is_string(), "{answer}");
        // A limit that states itself names it.
        let said = app.clone().oneshot(post("/api/said", &"x".repeat(1025))).await.unwrap();
        assert_eq!(said.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let answer: serde_json::Value = serde_json::from_str(&text(said).await).unwrap();
        assert_eq!(
            answer["error"]["PayloadTooLarge"],
            "the body is larger than the 1 KiB this address takes"
        );
        let unread = app.oneshot(post("/meet/x", "k=1")).await.unwrap();
        assert!(unread.status().is_client_error());
        assert!(unread.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(text(unread).await.contains("could not be read"));
    }

    /// A form on another site's page, posted by a browser on this machine, changes
    /// nothing; the page's own forms, and clients that are no browser, do.
    #[tokio::test]
    async fn the_platforms_page_refuses_forms_of_other_sites() {
        let page = Router::new()
            .route("/", axum::routing::post(|| async { "changed" }))
            .route_layer(axum::middleware::from_fn(this_machine_only));
        let post = |headers: &[(&'static str, &str)]| {
            let mut request = axum::extract::Request::post("/").body(axum::body::Body::empty()).unwrap();
            request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
            for (name, value) in headers {
                request.headers_mut().insert(*name, value.parse().unwrap());
            }
            request
        };
        let host = ("host", "127.0.0.1:8080");
        for (headers, expected) in [
            (vec![host, ("sec-fetch-site", "cross-site")], StatusCode::FORBIDDEN),
            (vec![host, ("sec-fetch-site", "same-site")], StatusCode::FORBIDDEN),
            (vec![host, ("origin", "http://evil.example")], StatusCode::FORBIDDEN),
            (vec![host, ("origin", "null")], StatusCode::FORBIDDEN),
            (
                vec![host, ("sec-fetch-site", "same-origin"), ("origin", "http://127.0.0.1:8080")],
                StatusCode::OK,
            ),
            (vec![host, ("origin", "http://127.0.0.1:8080")], StatusCode::OK),
            (vec![host], StatusCode::OK),
        ] {
            let answer = page.clone().oneshot(post(&headers)).await.unwrap();
            assert_eq!(answer.status(), expected, "{headers:?}");
        }
    }
}
