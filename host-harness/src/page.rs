//! What the platform's pages that `meetkit serve` answers share: the HTML frame, the
//! refusal page, the headers that keep a page out of caches and referrers, and running
//! a call of the component off the async runtime.

use crate::bindings::types::Error;
use crate::serve::status_for;
use crate::views::refusal;
use axum::extract::{Form, FromRequest, FromRequestParts, Query};
use axum::http::{HeaderValue, StatusCode, header};
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
    said(status_for(e), refusal(e).1)
}

/// The refusal of a form, with the way back to the page it was sent from (`back`, an
/// address relative to it).
pub(crate) fn refused_form(e: &Error, back: &str) -> Response {
    let (_, why) = refusal(e);
    let body = html! { p { (why) } p { a href=(back) { "Back to the meeting" } } };
    private((status_for(e), layout("Not possible", body)).into_response())
}

/// A refusal a person reads on a page, not the framework's words.
pub(crate) fn said(status: StatusCode, why: &str) -> Response {
    let body = html! { p { (why) } };
    private((status, layout("Not possible", body)).into_response())
}

/// A form posted to a page, read whole. One that stopped coming is answered 408 (send
/// it again), one the page never sends 400, each in a sentence.
pub(crate) struct PageForm<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Response> {
        match Form::<T>::from_request(request, state).await {
            Ok(Form(form)) => Ok(PageForm(form)),
            Err(rejection) if crate::serve::timed_out(&rejection) => Err(said(
                StatusCode::REQUEST_TIMEOUT,
                "The form stopped coming before it was complete: send it again.",
            )),
            Err(_) => Err(said(
                StatusCode::BAD_REQUEST,
                "This form could not be read: go back to the meeting and use its forms.",
            )),
        }
    }
}

/// A page's address parameters, or a sentence saying they are not the page's own
/// (a key given twice, a number that is none).
pub(crate) struct PageQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Response> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(query)) => Ok(PageQuery(query)),
            Err(_) => Err(said(
                StatusCode::BAD_REQUEST,
                "This address is not one the platform gives: open the link from your invitation again.",
            )),
        }
    }
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
