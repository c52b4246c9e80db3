//! Form posts the server cannot read get a clear answer, never a 5xx or a raw error: a field
//! missing, repeated, unknown, oversized, or not UTF-8. With JavaScript the answer is a 400
//! with the error the page's form shows ([`ApiError::Unreadable`]); a plain HTML post gets the
//! usual redirect back to its page with a one-time flash carrying the message.
//!
//! Two places catch it. Before the server function: the body is read (at most
//! [`MAX_FORM_BYTES`]) and checked against the function's own field names. After it: whatever
//! serde could not turn into the arguments (a missing field) comes back as `Unreadable` from
//! the server-function layer, and is answered the same way. The composition root lists every
//! server function once ([`Endpoint`]); a test checks that none is left out.

use super::error::error_page_with_links;
use super::headers::{is_plain_form_post, referring_page};
use super::request::flash_cookie;
use super::state::AppState;
use crate::model::{ApiError, FormState};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::{self, DeserializeOwned, Visitor};
use std::collections::HashSet;
use std::sync::Arc;

/// The largest form body read (the largest real form is well under 2 KB).
pub const MAX_FORM_BYTES: usize = 16 * 1024;

/// One server function as the form guard knows it.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub path: &'static str,
    /// The form whose message a plain post's flash carries (`None`: a data function, whose
    /// plain post gets an error page instead).
    pub form: Option<&'static str>,
    /// Where a plain post goes back to when its `Referer` is missing.
    pub page: &'static str,
    /// The argument names the function reads: anything else is refused.
    pub fields: &'static [&'static str],
}

impl Endpoint {
    /// A form's server function `T` (its path and field names from the type itself).
    pub fn form<T: leptos::server_fn::ServerFn + DeserializeOwned>(
        form: &'static str,
        page: &'static str,
    ) -> Endpoint {
        Endpoint {
            path: T::PATH,
            form: Some(form),
            page,
            fields: fields_of::<T>(),
        }
    }

    /// A data server function `T`, read by `page`.
    pub fn data<T: leptos::server_fn::ServerFn + DeserializeOwned>(page: &'static str) -> Endpoint {
        Endpoint {
            path: T::PATH,
            form: None,
            page,
            fields: fields_of::<T>(),
        }
    }
}

/// The guard's state: the app, and every server function.
#[derive(Clone)]
pub struct FormGuard {
    pub state: AppState,
    pub endpoints: Arc<[Endpoint]>,
}

/// Middleware: the checks above, for every `POST` to a listed server function.
pub async fn readable_forms(State(guard): State<FormGuard>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(endpoint) = guard
        .endpoints
        .iter()
        .find(|e| e.path == req.uri().path())
        .cloned()
    else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let plain = is_plain_form_post(&parts.headers);
    let back = referring_page(&parts.headers, &guard.state.svc.config.public_url)
        .unwrap_or_else(|| endpoint.page.to_string());
    let unreadable = |why: &str| {
        tracing::warn!(path = endpoint.path, why, "form post refused: unreadable");
        unreadable_answer(&guard.state, &endpoint, plain, &back)
    };
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return unreadable("too large");
    };
    if let Err(why) = check_fields(&bytes, endpoint.fields) {
        return unreadable(why);
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    // A server function that could not read its arguments: the same answer.
    if res
        .headers()
        .contains_key(leptos::server_fn::error::SERVER_FN_ERROR_HEADER)
    {
        let (res_parts, body) = res.into_parts();
        let Ok(body) = to_bytes(body, MAX_FORM_BYTES).await else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        if serde_json::from_slice::<ApiError>(&body).ok() == Some(ApiError::Unreadable) {
            return unreadable("arguments");
        }
        return Response::from_parts(res_parts, Body::from(body));
    }
    res
}

/// Checks an `application/x-www-form-urlencoded` body: text, each name one of `fields` and
/// given once, each value valid UTF-8 once decoded.
pub fn check_fields(body: &[u8], fields: &[&str]) -> Result<(), &'static str> {
    let text = std::str::from_utf8(body).map_err(|_| "not UTF-8")?;
    let mut seen = HashSet::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name).ok_or("a name is not UTF-8")?;
        decode(value).ok_or("a value is not UTF-8")?;
        if !fields.contains(&name.as_str()) {
            return Err("an unknown field");
        }
        if !seen.insert(name) {
            return Err("a repeated field");
        }
    }
    Ok(())
}

fn decode(text: &str) -> Option<String> {
    let spaced = text.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// The answer to an unreadable post: 400 with the error (JavaScript), the flash and a
/// redirect back (a plain form), or a 400 page (a plain post to a data function).
fn unreadable_answer(state: &AppState, endpoint: &Endpoint, plain: bool, back: &str) -> Response {
    let error = ApiError::Unreadable;
    if !plain {
        let status = StatusCode::BAD_REQUEST;
        let body = serde_json::to_string(&error).unwrap_or_default();
        return (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    let form = endpoint
        .form
        .map(|name| FormState::new(name).with_error(error.to_string(), error.status()));
    match (
        form.and_then(|f| flash_cookie(state, &f)),
        HeaderValue::from_str(back),
    ) {
        (Some(flash), Ok(location)) => (
            StatusCode::SEE_OTHER,
            [(header::SET_COOKIE, flash), (header::LOCATION, location)],
        )
            .into_response(),
        _ => error_page_with_links(
            StatusCode::BAD_REQUEST,
            "This form could not be read",
            &error.to_string(),
            &[(endpoint.page, "Back to the page"), ("/", "Home page")],
        ),
    }
}

/// The field names of a struct that derives `Deserialize` (a server function's arguments),
/// as serde states them: asked of the type once, never restated by hand.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut names = FieldNames(&[]);
    let _ = T::deserialize(&mut names);
    names.0
}

struct FieldNames(&'static [&'static str]);

impl<'de> de::Deserializer<'de> for &mut FieldNames {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(de::Error::custom("names read"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct SignIn {
        email: String,
        password: String,
        next: Option<String>,
        csrf: String,
    }

    #[test]
    fn the_fields_are_read_from_the_type() {
        assert_eq!(fields_of::<SignIn>(), ["email", "password", "next", "csrf"]);
    }

    #[test]
    fn bodies_are_checked_against_the_fields() {
        let fields = ["email", "csrf"];
        assert_eq!(check_fields(b"email=a%40b.c&csrf=x", &fields), Ok(()));
        assert_eq!(check_fields(b"", &fields), Ok(()));
        assert_eq!(check_fields(b"email=a+b", &fields), Ok(()));
        assert!(check_fields(b"email=a&email=b", &fields).is_err());
        assert!(check_fields(b"email=a&admin=1", &fields).is_err());
        assert!(check_fields(b"email=%FF", &fields).is_err());
        assert!(check_fields(b"email=\xff", &fields).is_err());
        assert!(check_fields(b"email[]=a", &fields).is_err());
    }
}
