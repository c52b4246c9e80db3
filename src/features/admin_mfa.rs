//! `/admin/reset-mfa?user=<username>` (group `admins`): turns off a user's two-step
//! verification when they lost their authenticator app. The page is the confirmation step (it
//! names the user and says what happens); its button is a CSRF-protected POST that needs a
//! recent admin step-up, is written to the audit log, and is checked again on the server.

use crate::access::Area;
use crate::model::{ApiError, FormState};
use crate::ui::{latest_form_state, use_session, FormAlert, Gate, SubmitButton};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

pub const FORM: &str = "reset_mfa";
pub const PAGE: &str = "/admin/reset-mfa";

/// Whom the page is about: the pool's username (what `?user=` carries; on AWS an opaque id)
/// and the e-mail the admin knows them by.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResetTarget {
    pub username: String,
    pub email: String,
}

/// The user named by `?user=`, looked up in the directory (a confirmation must name a real
/// person, by their e-mail).
#[server(endpoint = "reset_mfa_target")]
pub async fn reset_mfa_target(user: Option<String>) -> Result<Option<ResetTarget>, ApiError> {
    use self::ssr::*;
    require(Area::Admin).await?;
    let state = app_state()?;
    let user = user.unwrap_or_default();
    let user = user.trim();
    if user.is_empty() {
        return Ok(None);
    }
    match state.svc.directory.who(user).await {
        Ok(person) => Ok(Some(ResetTarget {
            username: user.to_string(),
            email: person.email,
        })),
        Err(DirectoryError::NotFound) => Ok(None),
        Err(e) => Err(unavailable("user directory", e)),
    }
}

#[server(endpoint = "reset_mfa")]
pub async fn reset_mfa(username: String, csrf: String) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let admin = require(Area::Admin).await?;
    let back = format!("{PAGE}?user={}", urlencode(username.trim()));
    FormPost::new(FORM, PAGE, &csrf)
        .keep("username", &username)
        .answer(move |FormCx { app: state, form }| async move {
            if let Some(to) = step_up_needed(&state, &admin, &back) {
                return Ok(Answer::Redirect(to));
            }
            let username = username.trim();
            if username.is_empty() {
                return Ok(Answer::Form(
                    form.with_error("Choose a user on the Admin page.", 422),
                ));
            }
            let directory = &state.svc.directory;
            let person = match directory.who(username).await {
                Ok(person) => person,
                Err(e) => return Ok(Answer::Form(failure(form, e))),
            };
            if admin.username == username || admin.sub == person.sub {
                return Ok(Answer::Form(form.with_error(
                    "Turn off your own two-step verification under Your account.",
                    422,
                )));
            }
            if let Err(e) = directory.reset_mfa(username).await {
                return Ok(Answer::Form(failure(form, e)));
            }
            record::note(&state, EventKind::MfaReset, &person.email, |e| {
                e.of_account(&person.sub).actor(&admin.email)
            });
            tracing::warn!(admin = %admin.email, user = %log_name(&person.email), "two-step verification reset by an admin");
            Ok(Answer::Form(form.with_notice(format!(
                "Two-step verification is off for {}. They sign in with their password and can set up a new authenticator app under Your account.",
                person.email
            ))))
        })
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::access::Area;
    use crate::auth::cognito::CognitoError;
    pub use crate::auth::directory::DirectoryError;
    pub use crate::auth::signin::log_name;
    pub use crate::events::EventKind;
    use crate::model::FormState;
    pub use crate::server::record;
    pub use crate::server::request::{
        app_state, require, step_up_needed, unavailable, Answer, FormCx, FormPost,
    };
    pub use crate::support::urlencode;

    /// What the admin reads when the directory did not reset it (nothing was changed).
    pub fn failure(form: FormState, e: DirectoryError) -> FormState {
        match e {
            DirectoryError::NotFound => form.with_error("That user no longer exists.", 404),
            DirectoryError::Cognito(CognitoError::Unsupported(call)) => {
                tracing::warn!(call = %call, "the user directory does not offer an MFA reset");
                form.with_error(
                    "This user directory does not offer resetting two-step verification (AdminSetUserMFAPreference). Nothing was changed.",
                    501,
                )
            }
            other => {
                tracing::error!(error = %other, "two-step verification reset failed");
                form.with_error(
                    "The user directory is temporarily unavailable. Nothing was changed; please try again.",
                    503,
                )
            }
        }
    }
}

#[component]
pub fn ResetMfaPage() -> impl IntoView {
    let query = use_query_map();
    // Made once for the page, not in the gate's view (see the dashboard).
    let target = Resource::new_blocking(move || query.read().get("user"), reset_mfa_target);
    view! {
        <Title text="Reset two-step verification"/>
        <Gate area=Area::Admin children=move |_user| view! { <ResetMfa target/> }/>
    }
}

#[component]
fn ResetMfa(target: Resource<Result<Option<ResetTarget>, ApiError>>) -> impl IntoView {
    let info = use_session();
    let action = ServerAction::<ResetMfa>::new();
    view! {
        <section class="card narrow">
            <p class="breadcrumb"><a href="/admin">"Admin"</a> " / Reset two-step verification"</p>
            <h1>"Reset two-step verification"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let info = info.get().and_then(Result::ok).unwrap_or_default();
                    let state: FormState = latest_form_state(action.value().get(), &info, FORM);
                    let target = match target.get() {
                        None => return view! { <p class="muted">"Loading…"</p> }.into_any(),
                        Some(Err(e)) => {
                            return view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any();
                        }
                        Some(Ok(target)) => target,
                    };
                    if let Some(notice) = state.notice.clone() {
                        return view! {
                            <div class="stack">
                                <p class="notice" role="status" data-testid="reset-mfa-done">{notice}</p>
                                <p><a href="/admin">"Back to Admin"</a></p>
                            </div>
                        }.into_any();
                    }
                    let Some(ResetTarget { username, email }) = target else {
                        return view! {
                            <div class="stack">
                                <FormAlert state=state.clone()/>
                                <p data-testid="reset-mfa-nobody">"There is no such user. Choose one on the " <a href="/admin">"Admin page"</a> "."</p>
                            </div>
                        }.into_any();
                    };
                    view! {
                        <div class="stack">
                            <p>"Turn off two-step verification for " <strong data-testid="reset-mfa-user">{email}</strong> "?"</p>
                            <p class="muted">
                                "Do this when they lost their authenticator app and you have checked it is them. "
                                "Until they set up a new app, signing in asks for their password only."
                            </p>
                            <ActionForm action attr:class="stack" attr:novalidate="true">
                                <FormAlert state=state.clone()/>
                                <input type="hidden" name="csrf" value=info.csrf.clone()/>
                                <input type="hidden" name="username" value=username/>
                                <SubmitButton label="Reset two-step verification" busy="Resetting…"
                                    pending=action.pending() class="button danger"/>
                            </ActionForm>
                            <p><a href="/admin">"Cancel"</a></p>
                        </div>
                    }.into_any()
                }}
            </Suspense>
        </section>
    }
}
