//! The profile picture on `/account`, shown in the header too.
//!
//! With JavaScript the browser asks [`picture_upload`] for a presigned PUT (the declared type
//! and size checked first), then sends the file straight to S3, showing its progress. Without
//! JavaScript the same form posts the file to the app (`POST /account/picture`), which checks
//! its bytes and stores it with the user's credentials. Either way the picture is read back
//! through the app (`GET /account/picture`), never from S3 by the browser: the page needs no
//! S3 URL that outlives the session or carries the user's temporary key, the app checks the
//! bytes are an image before serving them, and a user without a picture gets a neutral one.

use crate::model::{ApiError, FormState};
use crate::ui::{
    latest_form_state, use_session, FieldError, FormAlert, PictureVersion, SubmitButton,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The form's name (its flash after a plain post).
pub const FORM: &str = "picture";
pub const REMOVE_FORM: &str = "picture_remove";
pub use crate::ui::PICTURE_PATH;
#[cfg(feature = "ssr")]
const PAGE: &str = "/account";

/// The answer to a request for an upload.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadAnswer {
    /// Send the file to `url` with exactly these headers.
    Go {
        url: String,
        headers: Vec<(String, String)>,
    },
    /// Nothing was signed: the message for the field.
    Refused(String),
}

/// A presigned upload of a file of `content_type` and `size` bytes (JavaScript only).
#[server(endpoint = "picture_upload")]
pub async fn picture_upload(
    csrf: String,
    content_type: String,
    size: u64,
) -> Result<UploadAnswer, ApiError> {
    use self::ssr::*;
    let (mut user, session) = require_in(Area::Dashboard).await?;
    let state = app_state()?;
    if !csrf_valid(&state, &session, &csrf).await {
        return Err(reject(ApiError::Csrf));
    }
    let kind = match check_declared(&content_type, size) {
        Ok(kind) => kind,
        // A successful answer (the page's client reads only those), saying no.
        Err(refusal) => return Ok(UploadAnswer::Refused(refusal.to_string())),
    };
    let (pictures, creds) = pictures_as_user(&state, &session, &mut user)
        .await
        .map_err(|e| unavailable("AWS access for the picture", error_chain(&e)))?
        .ok_or_else(|| reject(ApiError::Forbidden))?;
    let upload = pictures
        .presign_upload(&creds, kind, size)
        .await
        .map_err(|e| unavailable("the picture upload", error_chain(&e)))?;
    Ok(UploadAnswer::Go {
        url: upload.url,
        headers: upload.headers,
    })
}

/// Removes the user's picture.
#[server(endpoint = "remove_picture")]
pub async fn remove_picture(csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let (mut user, session) = require_in(Area::Dashboard).await?;
    FormPost::new(REMOVE_FORM, PAGE, &csrf)
        .answer(move |FormCx { app: state, form }| async move {
            let removed = match pictures_as_user(&state, &session, &mut user).await {
                Ok(Some((pictures, creds))) => {
                    pictures.remove(&creds).await.map_err(|e| error_chain(&e))
                }
                Ok(None) => return Err(reject(ApiError::Forbidden)),
                Err(e) => Err(error_chain(&e)),
            };
            Ok(Answer::Form(match removed {
                Ok(()) => form.with_notice("Your picture was removed."),
                Err(e) => {
                    tracing::error!(error = %e, "the picture could not be removed");
                    form.with_error(NOT_NOW, 503)
                }
            }))
        })
        .await
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::access::Area;
    use crate::auth::identity::AuthSession;
    use crate::auth::session::keys::TypedSession;
    use crate::model::FormState;
    pub use crate::personal::picture::check_declared;
    use crate::personal::picture::{check_bytes, Found, Refusal, MAX_BYTES};
    pub use crate::server::aws_access::pictures_as_user;
    pub use crate::server::request::{
        app_state, csrf_valid, reject, require_in, unavailable, Answer, FormCx, FormPost,
    };
    use crate::server::request::{csrf_valid_in, flash_cookie, handler_user};
    use crate::server::AppState;
    pub use crate::support::errors::error_chain;
    use axum::extract::{multipart::MultipartRejection, Multipart, State};
    use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};

    pub const NOT_NOW: &str = "Your picture could not be changed just now. Try again in a minute.";

    /// The largest body `POST /account/picture` reads: a picture over the limit is still read
    /// (up to this) so that its sender gets the message, not a broken connection.
    pub const MAX_POST_BYTES: usize = 4 * MAX_BYTES as usize;

    /// Shown when the user has no picture (or it cannot be read just now).
    const PLACEHOLDER: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" fill="#dfe5ec"/><circle cx="32" cy="25" r="12" fill="#98a6b5"/><path d="M10 62c1-14 10-22 22-22s21 8 22 22z" fill="#98a6b5"/></svg>"##;

    /// Whether the user has a picture (`false` when it cannot be told just now, logged).
    pub async fn has_picture(
        state: &AppState,
        session: &TypedSession,
        user: &mut AuthSession,
    ) -> bool {
        let found = match pictures_as_user(state, session, user).await {
            Ok(Some((pictures, creds))) => {
                pictures.exists(&creds).await.map_err(|e| error_chain(&e))
            }
            Ok(None) => Ok(false),
            Err(e) => Err(error_chain(&e)),
        };
        found.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "could not tell whether the user has a picture");
            false
        })
    }

    /// `GET /account/picture`: the signed-in user's own picture, read with their credentials
    /// (`private`, revalidated by its ETag: S3 answers the app's conditional read with 304
    /// and so does the app), else the neutral placeholder.
    pub async fn serve_picture(
        State(state): State<AppState>,
        session: TypedSession,
        headers: HeaderMap,
    ) -> Response {
        // The page guard has just checked this GET's session (and renewed its tokens if due):
        // read it as stored, without a second check whose token refresh could race the page's.
        let mut user = match session.auth().await {
            Ok(Some(user)) => user,
            Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
            Err(e) => {
                tracing::warn!(error = %error_chain(&e), "the session could not be read for the picture");
                return placeholder();
            }
        };
        let held = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok());
        let found = match pictures_as_user(&state, &session, &mut user).await {
            Ok(Some((pictures, creds))) => pictures
                .get(&creds, held)
                .await
                .map_err(|e| error_chain(&e)),
            Ok(None) => return StatusCode::NOT_FOUND.into_response(),
            Err(e) => Err(error_chain(&e)),
        };
        match found {
            Ok(Found::Picture(picture)) => image(
                picture.kind.content_type(),
                picture.etag.as_deref(),
                picture.bytes,
            ),
            Ok(Found::Unchanged) => {
                let mut res = StatusCode::NOT_MODIFIED.into_response();
                set_image_headers(&mut res, held);
                res
            }
            Ok(Found::Nothing) => placeholder(),
            Err(e) => {
                tracing::warn!(error = %e, "the picture could not be read: the placeholder is shown");
                placeholder()
            }
        }
    }

    fn placeholder() -> Response {
        image("image/svg+xml", None, PLACEHOLDER.as_bytes().to_vec())
    }

    fn image(content_type: &'static str, etag: Option<&str>, bytes: Vec<u8>) -> Response {
        let mut res = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
        set_image_headers(&mut res, etag);
        res
    }

    fn set_image_headers(res: &mut Response, etag: Option<&str>) {
        let h = res.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        if let Some(v) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
            h.insert(header::ETAG, v);
        }
    }

    /// `POST /account/picture` (multipart, no JavaScript): the form's CSRF token, then the file,
    /// checked by its bytes and stored with the user's credentials; back to `/account` with
    /// the outcome as the form's flash.
    pub async fn receive_picture(
        State(state): State<AppState>,
        session: TypedSession,
        headers: HeaderMap,
        multipart: Result<Multipart, MultipartRejection>,
    ) -> Response {
        let mut user = match handler_user(&state, &session, Area::Dashboard).await {
            Ok(user) => user,
            Err(refused) => return refused,
        };
        let form = FormState::new(super::FORM);
        let outcome = match read_post(multipart).await {
            Err(refusal) => form.with_field_error("picture", refusal.to_string()),
            Ok((csrf, _)) if !csrf_valid_in(&state, &session, &headers, &csrf).await => {
                let expired = crate::model::ApiError::Csrf;
                form.with_error(expired.to_string(), expired.status())
            }
            Ok((_, bytes)) => match check_bytes(&bytes) {
                Err(refusal) => form.with_field_error("picture", refusal.to_string()),
                Ok(kind) => {
                    let stored = match pictures_as_user(&state, &session, &mut user).await {
                        Ok(Some((pictures, creds))) => pictures
                            .put(&creds, kind, bytes)
                            .await
                            .map_err(|e| error_chain(&e)),
                        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
                        Err(e) => Err(error_chain(&e)),
                    };
                    match stored {
                        Ok(()) => form.with_notice("Your picture was updated."),
                        Err(e) => {
                            tracing::error!(error = %e, "the picture could not be stored");
                            form.with_error(NOT_NOW, 503)
                        }
                    }
                }
            },
        };
        let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, super::PAGE)]).into_response();
        if let Some(flash) = flash_cookie(&state, &outcome) {
            res.headers_mut().append(header::SET_COOKIE, flash);
        }
        res
    }

    /// The `csrf` field and the `picture` file's bytes (at most [`MAX_BYTES`] + 1 kept: more
    /// is too large whatever it is).
    async fn read_post(
        multipart: Result<Multipart, MultipartRejection>,
    ) -> Result<(String, Vec<u8>), Refusal> {
        let mut multipart = multipart.map_err(|_| Refusal::Empty)?;
        let (mut csrf, mut bytes) = (String::new(), None);
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                // The body went over MAX_POST_BYTES (or broke off).
                Err(_) => return Err(Refusal::TooLarge),
            };
            match field.name() {
                Some("csrf") => csrf = field.text().await.map_err(|_| Refusal::TooLarge)?,
                Some("picture") => {
                    let mut field = field;
                    let mut kept = Vec::new();
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) => {
                                if kept.len() as u64 <= MAX_BYTES {
                                    kept.extend_from_slice(&chunk);
                                }
                            }
                            Ok(None) => break,
                            Err(_) => return Err(Refusal::TooLarge),
                        }
                    }
                    bytes = Some(kept);
                }
                _ => {}
            }
        }
        Ok((csrf, bytes.ok_or(Refusal::Empty)?))
    }
}

/// The picture, its upload form, and its remove button on `/account`.
#[component]
pub fn PictureSection(csrf: String, has_picture: bool) -> impl IntoView {
    let info = use_session();
    let remove = ServerAction::<RemovePicture>::new();
    let version = use_context::<PictureVersion>().unwrap_or_default();
    // What the last upload with JavaScript said (its notice or the field's error) and how far
    // it got (0–100) while it runs.
    let (notice, set_notice) = signal(None::<String>);
    let (error, set_error) = signal(None::<String>);
    let (progress, set_progress) = signal(None::<f64>);
    let input = NodeRef::<leptos::html::Input>::new();
    // Whether there is a picture to remove: as the page was rendered, then as this page's
    // uploads and removals change it (no reload needed).
    let has = RwSignal::new(has_picture);
    Effect::new(move |seen: Option<usize>| {
        let now = remove.version().get();
        let removed = remove
            .value()
            .get_untracked()
            .is_some_and(|r| r.is_ok_and(|f| f.notice.is_some()));
        if seen.is_some_and(|s| s != now) && removed {
            has.set(false);
            version.bump();
            // What an earlier upload on this page said is over.
            set_notice.set(None);
            set_error.set(None);
        }
        now
    });
    let on_submit = {
        let csrf = csrf.clone();
        move |ev: leptos::ev::SubmitEvent| {
            #[cfg(feature = "hydrate")]
            {
                ev.prevent_default();
                browser::upload(
                    input,
                    csrf.clone(),
                    browser::Report {
                        notice: set_notice,
                        error: set_error,
                        progress: set_progress,
                        version,
                        has,
                    },
                );
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (ev, &csrf, input, set_notice, set_error, set_progress, has);
        }
    };
    let remove_csrf = StoredValue::new(csrf.clone());
    view! {
        <h2 id="picture-heading">"Profile picture"</h2>
        {move || {
            let info = info.get().and_then(Result::ok).unwrap_or_default();
            let posted = latest_form_state(None, &info, FORM);
            let removed = latest_form_state(remove.value().get(), &info, REMOVE_FORM);
            let field_error = error.get().or(posted.field_error("picture"));
            let message = notice.get().or(posted.notice.clone()).or(removed.notice.clone());
            view! {
                <FormAlert state=posted.clone()/>
                <FormAlert state=removed.clone()/>
                {message.map(|n| view! { <p class="notice" role="status" data-testid="picture-notice">{n}</p> })}
                <div data-testid="picture-field-error">
                    <FieldError id="picture-error" message=field_error/>
                </div>
            }
        }}
        <div class="picture-row">
            <img class="picture-large" data-testid="account-picture" alt="Your profile picture"
                width="96" height="96" src=move || version.src()/>
            <form method="post" action=PICTURE_PATH enctype="multipart/form-data" class="stack"
                novalidate="true" on:submit=on_submit aria-labelledby="picture-heading">
                <input type="hidden" name="csrf" value=csrf.clone()/>
                <div class="field">
                    <label for="picture">"Choose a picture"</label>
                    <input id="picture" name="picture" type="file" node_ref=input
                        accept="image/jpeg,image/png,image/webp"
                        aria-describedby="picture-hint picture-error"/>
                    <p class="muted" id="picture-hint">"JPEG, PNG or WebP, at most 2 MB."</p>
                </div>
                {move || progress.get().map(|p| view! {
                    <progress max="100" value=format!("{p:.0}") data-testid="picture-progress"
                        aria-label="Upload progress">{format!("{p:.0}%")}</progress>
                })}
                <button type="submit" class="button" disabled=move || progress.get().is_some()
                    aria-busy=move || progress.get().is_some().then_some("true")>
                    {move || if progress.get().is_some() { "Uploading…" } else { "Upload picture" }}
                </button>
            </form>
        </div>
        {move || has.get().then(|| view! {
            <ActionForm action=remove attr:class="inline">
                <input type="hidden" name="csrf" value=remove_csrf.get_value()/>
                <SubmitButton label="Remove picture" busy="Removing…" pending=remove.pending()
                    class="button secondary" attr:data-testid="picture-remove"/>
            </ActionForm>
        })}
    }
}

/// The upload with JavaScript: ask for a presigned PUT, then send the file to S3 with
/// `XMLHttpRequest` (whose upload events give the progress; `fetch` has none).
#[cfg(feature = "hydrate")]
mod browser {
    use super::{picture_upload, UploadAnswer};
    use crate::ui::PictureVersion;
    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{ProgressEvent, XmlHttpRequest};

    /// Where an upload reports.
    #[derive(Clone, Copy)]
    pub struct Report {
        pub notice: WriteSignal<Option<String>>,
        pub error: WriteSignal<Option<String>>,
        pub progress: WriteSignal<Option<f64>>,
        pub version: PictureVersion,
        pub has: RwSignal<bool>,
    }

    impl Report {
        fn failed(self, message: impl Into<String>) {
            self.progress.set(None);
            self.notice.set(None);
            self.error.set(Some(message.into()));
        }
    }

    const FAILED: &str = "The upload did not go through. Check your connection and try again.";

    pub fn upload(input: NodeRef<leptos::html::Input>, csrf: String, report: Report) {
        let Some(file) = input
            .get_untracked()
            .and_then(|i| i.files())
            .and_then(|files| files.get(0))
        else {
            report.failed("Choose a picture to upload.");
            return;
        };
        report.error.set(None);
        report.notice.set(None);
        report.progress.set(Some(0.0));
        leptos::task::spawn_local(async move {
            let size = file.size().max(0.0) as u64;
            match picture_upload(csrf, file.type_(), size).await {
                Ok(UploadAnswer::Go { url, headers }) => {
                    if send(&url, &headers, &file, input, report).is_err() {
                        report.failed(FAILED);
                    }
                }
                Ok(UploadAnswer::Refused(message)) => report.failed(message),
                Err(e) => report.failed(e.to_string()),
            }
        });
    }

    fn send(
        url: &str,
        headers: &[(String, String)],
        file: &web_sys::File,
        input: NodeRef<leptos::html::Input>,
        report: Report,
    ) -> Result<(), JsValue> {
        let xhr = XmlHttpRequest::new()?;
        xhr.open("PUT", url)?;
        for (name, value) in headers {
            xhr.set_request_header(name, value)?;
        }
        let on_progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                report.progress.set(Some(100.0 * e.loaded() / e.total()));
            }
        });
        xhr.upload()?
            .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
        let done = xhr.clone();
        let on_load = Closure::once_into_js(move || {
            if (200..300).contains(&done.status().unwrap_or(0)) {
                report.progress.set(None);
                report.notice.set(Some("Your picture was updated.".into()));
                report.version.bump();
                report.has.set(true);
                if let Some(i) = input.get_untracked() {
                    i.set_value("");
                }
            } else {
                report.failed(FAILED);
            }
        });
        xhr.set_onload(Some(on_load.unchecked_ref()));
        let on_error = Closure::once_into_js(move || report.failed(FAILED));
        xhr.set_onerror(Some(on_error.unchecked_ref()));
        xhr.send_with_opt_blob(Some(file))
    }
}
