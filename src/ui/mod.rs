//! Components and helpers the feature pages share: the session every page reads, the page
//! gate, the form's alert and fields (password, code, submit and copy controls in [`fields`]),
//! the latest answer to a form, what a form's answer hands to the page it leads to
//! ([`arrival`]), the status pages, charts,
//! event tables, the new-password field, the user's picture address (shown by the header
//! and the account page), and [`shown`]: data a page shows, sent once. Nothing here knows a
//! particular page.

pub mod arrival;
pub mod charts;
pub mod events;
pub mod fields;
pub mod password;
pub mod shown;
pub mod status;

pub use fields::{CodeField, CopyButton, HiddenUsername, PasswordField, SubmitButton};

use crate::access::{sign_in_then, Area};
use crate::model::{ApiError, FormState, SessionInfo, UserView};
use leptos::prelude::*;
use leptos_router::{
    components::Redirect,
    hooks::{use_location, use_query_map},
};
use status::Forbidden;

/// What every page knows about the visitor: re-read on every navigation (provided by the
/// app's router scope).
pub type SessionResource = Resource<Result<SessionInfo, ApiError>>;

/// The session resource of this page.
pub fn use_session() -> SessionResource {
    expect_context::<SessionResource>()
}

/// The product's name (`APP_NAME`). The server reads its setting and writes it into the page
/// (`<meta name="application-name">`, in the shell); the browser reads it back from there, so
/// both render the same text.
pub fn app_name() -> String {
    #[cfg(feature = "ssr")]
    let name =
        use_context::<crate::server::state::AppState>().map(|s| s.svc.config.app_name.clone());
    #[cfg(not(feature = "ssr"))]
    let name = document()
        .query_selector("meta[name=application-name]")
        .ok()
        .flatten()
        .and_then(|m| m.get_attribute("content"));
    name.unwrap_or_else(|| crate::model::DEFAULT_APP_NAME.to_string())
}

/// Moves the focus to the page's main region, as a page load would, after the app has drawn
/// another page in place of the form that had it (no-op on the server).
pub fn focus_main() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(main) = document()
            .get_element_by_id("main")
            .and_then(|m| m.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = main.focus();
        }
    }
}

/// Says the new page's title to screen readers after an in-app navigation, as a page load
/// would: the app draws the next page in place, which a screen reader otherwise does not
/// notice. A polite live region, empty until the first navigation (a page load is announced
/// by the browser itself); no role, so it is not taken for a form's status. A page that
/// changes its title only once its data has come (a refusal drawn by the gate) is said by
/// the title it had two frames after the navigation.
#[component]
pub fn RouteAnnouncer() -> impl IntoView {
    let location = use_location();
    let (said, say) = signal(String::new());
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            // The next page sets its title as it is drawn: read it once that has happened.
            // Emptied first, so that a page with the same title as the last is said too.
            request_animation_frame(move || {
                say.set(String::new());
                request_animation_frame(move || say.set(document().title()));
            });
        }
        path
    });
    view! {
        <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="route-announcer">
            {said}
        </div>
    }
}

/// The email carried in the URL (`?email=`), for the follow-up pages of a form.
pub fn email_from_query() -> Memo<String> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("email").unwrap_or_default())
}

/// Sets the HTTP status of the server-rendered response (no-op in the browser).
pub fn set_http_status(code: u16) {
    #[cfg(feature = "ssr")]
    crate::server::request::set_status(code);
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// Renders `children` with the signed-in user when they may enter `area`; otherwise the
/// "access denied" page (signed in) or a redirect to the sign-in page (anonymous).
/// The server guard has already answered full page loads with the right status; this covers
/// navigation inside the hydrated app. Data still comes from server functions that check again.
#[component]
pub fn Gate<F, V>(area: Area, children: F) -> impl IntoView
where
    F: Fn(UserView) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let info = use_session();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        let user = info.await.ok().and_then(|i| i.user);
                        match user {
                            None => {
                                let next = location.pathname.get_untracked();
                                let to = sign_in_then(&next);
                                view! { <Redirect path=to/> }.into_any()
                            }
                            Some(user) if !area.allows(&user.groups) => {
                                set_http_status(403);
                                view! { <Forbidden unconfirmed=user.access_unconfirmed/> }.into_any()
                            }
                            Some(user) => children(user).into_view().into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

/// Where the signed-in user's picture is read (and where a plain form posts a new one).
pub const PICTURE_PATH: &str = "/account/picture";

/// Bumped when the user's picture changes on this page (an upload or removal with
/// JavaScript), so that every `<img>` showing it (header, account) loads it again.
#[derive(Clone, Copy)]
pub struct PictureVersion(pub RwSignal<u32>);

impl Default for PictureVersion {
    fn default() -> Self {
        PictureVersion(RwSignal::new(0))
    }
}

impl PictureVersion {
    pub fn bump(self) {
        self.0.update(|v| *v += 1);
    }
    /// The picture's address (`GET /account/picture`) for the current version.
    pub fn src(self) -> String {
        format!("{PICTURE_PATH}?v={}", self.0.get())
    }
}

/// The latest answer to a form: its action's result (JavaScript), else the one-time flash a
/// plain form post left (no JavaScript). An error status also becomes the page's status.
pub fn latest_form_state(
    value: Option<Result<FormState, ApiError>>,
    info: &SessionInfo,
    form: &str,
) -> FormState {
    let state = match value {
        Some(Ok(state)) => state,
        Some(Err(e)) => FormState::from_api_error(form, &e),
        None => info
            .flash
            .clone()
            .filter(|f| f.form == form)
            .unwrap_or_default(),
    };
    if state.status >= 400 {
        set_http_status(state.status);
    }
    state
}

/// The latest outcome of a page's action (after a plain post, the flash of `form`): its notice
/// and its alert. A view of its own, so that what stands around it (rows sent once as markup,
/// see [`shown::shown_forms`]) is not built again when an outcome arrives.
#[component]
pub fn ActionOutcome(
    #[prop(into)] value: Signal<Option<Result<FormState, ApiError>>>,
    form: &'static str,
) -> impl IntoView {
    let info = use_session();
    move || {
        let session = info.get().and_then(Result::ok).unwrap_or_default();
        let state = latest_form_state(value.get(), &session, form);
        view! {
            {state.notice.clone().map(|n| view! { <p class="notice" role="status">{n}</p> })}
            <FormAlert state/>
        }
    }
}

/// The message for the whole form, announced to screen readers.
#[component]
pub fn FormAlert(state: FormState) -> impl IntoView {
    state.error.map(|message| {
        view! {
            <div class="alert" role="alert">
                {message}
            </div>
        }
    })
}

/// A labelled input with its error message (linked by `aria-describedby`), the value put back.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] value: String,
    error: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=id type=kind autocomplete=autocomplete required value=value
                inputmode=inputmode
                aria-invalid=invalid.then_some("true")
                aria-describedby=invalid.then_some(error_id.clone())/>
            <FieldError id=error_id message=error/>
        </div>
    }
}

/// A wide table's scrolling box: focusable and named, so that keyboard users can scroll it too.
#[component]
pub fn TableWrap(#[prop(into)] label: String, children: Children) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
            {children()}
        </div>
    }
}

/// A field's error message, linked to the input by `aria-describedby`.
#[component]
pub fn FieldError(#[prop(into)] id: String, message: Option<String>) -> impl IntoView {
    message.map(|m| {
        view! {
            <p class="field-error" id=id>
                {m}
            </p>
        }
    })
}
