//! What the platform's pages that `meetkit serve` answers share: the HTML frame, the
//! refusal page, the headers that keep a page out of caches and referrers, and running
//! a call of the component off the async runtime.

use crate::bindings::types::Error;
use crate::serve::status_for;
use crate::views::refusal;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

/// Runs a call of the component off the async runtime; a failure of the host is a 500.
pub(crate) async fn blocking(f: impl FnOnce() -> anyhow::Result<Response> + Send + 'static) -> Response {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(response)) => response,
        Ok(Err(e)) => crate::serve::failure(e),
        Err(e) => crate::serve::failure(e),
    }
}

/// The component's refusal as a page, with the refusal's status.
pub(crate) fn refused(e: &Error) -> Response {
    let (_, why) = refusal(e);
    private((status_for(e), layout("Not possible", html! { p { (why) } })).into_response())
}

/// The refusal of a form, with the way back to the page it was sent from (`back`, an
/// address relative to it).
pub(crate) fn refused_form(e: &Error, back: &str) -> Response {
    let (_, why) = refusal(e);
    let body = html! { p { (why) } p { a href=(back) { "Back to the meeting" } } };
    private((status_for(e), layout("Not possible", body)).into_response())
}

/// The longest reason, review or summary the contract takes (`overview.wit`): the
/// browser stops the typing there, rather than the form being refused after it.
pub(crate) const MAX_NOTE: usize = 10_000;

/// A page that shows a guest's key, or carries it in its address: no cache keeps it,
/// and no link on the page passes it on as a referrer.
pub(crate) fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// The page's own address with one query parameter (`?key=...`, `?as=...`), relative to
/// the page so that a public address with a path prefix keeps it: where a form's answer
/// leads back.
pub(crate) fn with_query(name: &str, value: &str) -> anyhow::Result<String> {
    Ok(format!("?{}", serde_urlencoded::to_string([(name, value)])?))
}

/// A whole page: `title` as its title and heading, then `body`.
pub(crate) fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } }
            body { h1 { (title) } (body) }
        }
    }
}
