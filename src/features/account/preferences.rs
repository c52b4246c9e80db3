//! Preferences on `/account`: how many days the dashboard's chart shows and how many the
//! reports show by default — stored in DynamoDB with the user's own credentials, under their
//! identity id, and read by those pages.

use crate::model::{ApiError, FormState, Preferences};
use crate::ui::{latest_form_state, use_session, FieldError, FormAlert, SubmitButton};
use leptos::prelude::*;

pub const FORM: &str = "preferences";
#[cfg(feature = "ssr")]
const PAGE: &str = "/account";

/// Saves the user's preferences (each a number of days among the choices offered).
#[server(endpoint = "save_preferences")]
pub async fn save_preferences(
    dashboard_days: String,
    reports_days: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    use self::ssr::*;
    let (mut user, session) = require_in(Area::Dashboard).await?;
    FormPost::new(FORM, PAGE, &csrf)
        .keep("dashboard_days", &dashboard_days)
        .keep("reports_days", &reports_days)
        .answer(move |FormCx { app: state, form }| async move {
            let Some(store) = state.svc.preferences.as_ref() else {
                return Err(reject(ApiError::Forbidden));
            };
            let (dashboard, reports) = (days(&dashboard_days), days(&reports_days));
            let mut form = form;
            if dashboard.is_none() {
                form = form.with_field_error("dashboard_days", CHOOSE);
            }
            if reports.is_none() {
                form = form.with_field_error("reports_days", CHOOSE);
            }
            let (Some(dashboard_days), Some(reports_days)) = (dashboard, reports) else {
                return Ok(Answer::Form(form));
            };
            let saved = match user_credentials(&state, &session, &mut user).await {
                Ok(creds) => store
                    .save(
                        &creds,
                        Preferences {
                            dashboard_days,
                            reports_days,
                        },
                    )
                    .await
                    .map_err(|e| error_chain(&e)),
                Err(e) => Err(error_chain(&e)),
            };
            Ok(Answer::Form(match saved {
                Ok(()) => form.with_notice("Your preferences were saved."),
                Err(e) => {
                    tracing::error!(error = %e, "preferences could not be saved");
                    form.with_error(
                        "Your preferences could not be saved just now. Try again in a minute.",
                        503,
                    )
                }
            }))
        })
        .await
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::access::Area;
    use crate::model::Preferences;
    pub use crate::server::aws_access::user_credentials;
    pub use crate::server::request::{reject, require_in, Answer, FormCx, FormPost};
    pub use crate::support::errors::error_chain;

    pub const CHOOSE: &str = "Choose one of the lengths offered.";

    /// A number of days among the choices offered.
    pub fn days(text: &str) -> Option<u32> {
        text.trim()
            .parse()
            .ok()
            .filter(|d| Preferences::is_choice(*d))
    }
}

/// The preferences form on `/account`.
#[component]
pub fn PreferencesSection(csrf: String, saved: Preferences) -> impl IntoView {
    let info = use_session();
    let save = ServerAction::<SavePreferences>::new();
    let csrf = StoredValue::new(csrf);
    view! {
        <h2 id="preferences-heading">"Preferences"</h2>
        {move || {
            let info = info.get().and_then(Result::ok).unwrap_or_default();
            let state = latest_form_state(save.value().get(), &info, FORM);
            // What the user chose last (kept on an error), else what is saved.
            let chosen = |field: &str, saved: u32| {
                state.value(field).and_then(|v| v.parse().ok()).unwrap_or(saved)
            };
            let dashboard = chosen("dashboard_days", saved.dashboard_days);
            let reports = chosen("reports_days", saved.reports_days);
            view! {
                <ActionForm action=save attr:class="stack" attr:novalidate="true"
                    attr:aria-labelledby="preferences-heading">
                    <FormAlert state=state.clone()/>
                    {state.notice.clone().map(|n| view! { <p class="notice" role="status" data-testid="preferences-notice">{n}</p> })}
                    <input type="hidden" name="csrf" value=csrf.get_value()/>
                    <DaysChoice id="dashboard_days" label="Dashboard chart shows" chosen=dashboard
                        error=state.field_error("dashboard_days")/>
                    <DaysChoice id="reports_days" label="Reports show by default" chosen=reports
                        error=state.field_error("reports_days")/>
                    <SubmitButton label="Save preferences" busy="Saving…" pending=save.pending()/>
                </ActionForm>
            }
        }}
    }
}

/// A choice of a number of days.
#[component]
fn DaysChoice(
    id: &'static str,
    label: &'static str,
    chosen: u32,
    error: Option<String>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let invalid = error.is_some();
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=id aria-invalid=invalid.then_some("true")
                aria-describedby=invalid.then_some(error_id.clone())>
                {Preferences::DAY_CHOICES.into_iter().map(|d| view! {
                    <option value=d.to_string() selected=d == chosen>{format!("the last {d} days")}</option>
                }).collect_view()}
            </select>
            <FieldError id=error_id message=error/>
        </div>
    }
}
