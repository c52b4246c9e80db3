//! The signed-in user's own account: `/account` (who, how, MFA status, links) here, and its
//! forms in [`password`] and [`mfa`]. Federated users manage their password and security at
//! their identity provider, so those forms refuse them.

pub mod mfa;
pub mod password;
pub mod picture;
pub mod preferences;

use crate::access::Area;
use crate::model::{ApiError, Preferences, UserView};
use crate::ui::{use_session, Gate};
use leptos::prelude::*;
use leptos_meta::Title;
use picture::PictureSection;
use preferences::PreferencesSection;
use serde::{Deserialize, Serialize};

/// `/account`: who is signed in and what they can change.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountData {
    pub user: UserView,
    /// `None` when Cognito could not be asked (shown as "unknown").
    pub mfa_enabled: Option<bool>,
    /// Pool users can change their password and set up MFA here; federated users do that
    /// at their identity provider.
    pub manages_password: bool,
    /// The user's AWS access through the identity pool; `None` when no pool is configured.
    pub aws: Option<AwsAccess>,
    /// Whether the user has a profile picture; `None` when pictures are not offered.
    pub picture: Option<bool>,
    /// The user's saved preferences; `None` when preferences are not offered.
    pub preferences: Option<Preferences>,
}

/// What `/account` shows of the user's AWS access: never the credentials themselves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AwsAccess {
    pub identity_id: Option<String>,
    /// When the temporary credentials the server holds for the user expire (UTC, `HH:MM`).
    pub valid_until: Option<String>,
    /// Set when the identity pool could not be asked just now.
    pub error: Option<String>,
}

/// `/account` (any signed-in user): who, how, whether the authenticator is on.
#[server(endpoint = "account_data")]
pub async fn load_account() -> Result<AccountData, ApiError> {
    use self::ssr::*;
    let (user, session) = require_in(Area::Dashboard).await?;
    let state = app_state()?;
    let manages_password = user.identity_provider.is_none();
    let mfa_enabled = if manages_password {
        match state.svc.accounts.mfa_enabled(&user.access_token).await {
            Ok(enabled) => Some(enabled),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the MFA settings");
                None
            }
        }
    } else {
        None
    };
    let mut me = user.clone();
    let aws = aws_access(&state, &session, &mut me).await;
    // Both use the user's credentials, which `aws_access` above has just fetched and the
    // identity pool keeps.
    let mut me_too = me.clone();
    let (picture, preferences) = tokio::join!(
        async {
            match state.svc.pictures.is_some() {
                true => Some(picture::ssr::has_picture(&state, &session, &mut me).await),
                false => None,
            }
        },
        async {
            match state.svc.preferences.is_some() {
                true => Some(preferences_of(&state, &session, &mut me_too).await),
                false => None,
            }
        }
    );
    Ok(AccountData {
        user: user_view(&user),
        mfa_enabled,
        manages_password,
        aws,
        picture,
        preferences,
    })
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::access::Area;
    use crate::auth::account::AccountError;
    use crate::auth::identity::AuthSession;
    use crate::auth::session::keys::TypedSession;
    use crate::auth::signin::{SignInError, Verdict};
    use crate::model::{ApiError, FormState};
    pub use crate::server::aws_access::preferences_of;
    use crate::server::error::proof_refused;
    pub use crate::server::request::{app_state, user_view};
    pub use crate::server::request::{require, require_in};
    use crate::server::request::{Answer, FormCx, FormPost};
    use crate::server::AppState;

    /// The account page's view of the user's AWS access (`None` without an identity pool).
    pub async fn aws_access(
        state: &AppState,
        session: &TypedSession,
        user: &mut AuthSession,
    ) -> Option<super::AwsAccess> {
        use crate::server::aws_access::{user_credentials, AwsAccessError};
        match user_credentials(state, session, user).await {
            Err(AwsAccessError::Off) => None,
            Ok(creds) => Some(super::AwsAccess {
                identity_id: Some(creds.identity_id.clone()),
                valid_until: Some(clock_time(creds.expires_at)),
                error: None,
            }),
            Err(AwsAccessError::Pool(e)) => {
                tracing::warn!(error = %crate::support::errors::error_chain(&e), "AWS access for the user unavailable");
                Some(super::AwsAccess {
                    identity_id: user.identity_id.clone(),
                    valid_until: None,
                    error: Some(
                        "Your AWS access could not be set up just now. Try again in a minute."
                            .into(),
                    ),
                })
            }
        }
    }

    /// `HH:MM UTC` of an epoch-seconds instant.
    fn clock_time(at: i64) -> String {
        let t = time::OffsetDateTime::from_unix_timestamp(at)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!("{:02}:{:02} UTC", t.hour(), t.minute())
    }

    /// Answers a form about the signed-in user's own account: signed in (else 401), a pool
    /// user (federated users are refused with a pointer to their provider), CSRF checked.
    pub async fn own_account_form<F, Fut>(
        post: FormPost<'_>,
        body: F,
    ) -> Result<FormState, ApiError>
    where
        F: FnOnce(FormCx, AuthSession) -> Fut,
        Fut: std::future::Future<Output = Result<Answer, ApiError>>,
    {
        let user = require(Area::Dashboard).await?;
        post.answer(move |cx| async move {
            if user.identity_provider.is_some() {
                return Ok(Answer::Form(cx.form.with_error(
                    "You sign in with your identity provider; change your password and security settings there.",
                    409,
                )));
            }
            body(cx, user).await
        })
        .await
    }

    /// How an account step's answer counts towards the lockout (see [`Verdict`]).
    pub fn account_verdict(answer: &Result<(), AccountError>) -> Verdict {
        match answer {
            Ok(()) => Verdict::Right,
            Err(
                AccountError::CodeMismatch
                | AccountError::CodeExpired
                | AccountError::WrongCurrentPassword,
            ) => Verdict::Wrong,
            Err(AccountError::Unavailable(e)) if e.never_judged() => Verdict::NotJudged,
            Err(_) => Verdict::Other,
        }
    }

    /// A re-authentication or a guarded step that did not pass: the message where the user looks.
    pub fn refused(form: FormState, e: SignInError) -> FormState {
        proof_refused(form, e, "current", "Your current password is not right.")
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    // Made once for the page, not in the gate's view (see the dashboard).
    let data = Resource::new_blocking(|| (), |_| load_account());
    view! {
        <Title text="Your account"/>
        <Gate area=Area::Dashboard children=move |_user: UserView| view! { <Account data/> }/>
    }
}

#[component]
fn Account(data: Resource<Result<AccountData, ApiError>>) -> impl IntoView {
    let info = use_session();
    let csrf = move || {
        info.get()
            .and_then(Result::ok)
            .map(|i| i.csrf)
            .unwrap_or_default()
    };
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || data.get().map(|result| match result {
                    Err(e) => view! { <div class="alert" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(d) => {
                        let groups = d.user.groups.clone();
                        let mfa = match d.mfa_enabled {
                            Some(true) => "On (authenticator app)",
                            Some(false) => "Off",
                            None if d.manages_password => "Unknown right now",
                            None => "Managed by your identity provider",
                        };
                        view! {
                            <div>
                            <dl class="facts">
                                <dt>"Email"</dt>
                                <dd data-testid="account-email">{d.user.email.clone()}</dd>
                                <dt>"Groups"</dt>
                                <dd data-testid="account-groups">
                                    {if groups.is_empty() {
                                        view! { <span class="muted">"No groups"</span> }.into_any()
                                    } else {
                                        view! { <ul class="tags">{groups.into_iter().map(|g| view! { <li>{g}</li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </dd>
                                <dt>"Signed in with"</dt>
                                <dd data-testid="account-method">{d.user.method.clone()}</dd>
                                <dt>"Two-step verification"</dt>
                                <dd data-testid="account-mfa">{mfa}</dd>
                            </dl>
                            {d.aws.clone().map(|aws| view! {
                                <h2>"AWS access"</h2>
                                <p class="muted">"Temporary credentials for your own files and settings, held by the server and never sent to this browser."</p>
                                <dl class="facts" data-testid="account-aws">
                                    <dt>"Identity"</dt>
                                    <dd data-testid="aws-identity">{aws.identity_id.clone().unwrap_or_else(|| "Not set up yet".into())}</dd>
                                    {aws.valid_until.clone().map(|t| view! {
                                        <dt>"Credentials valid until"</dt>
                                        <dd data-testid="aws-valid-until">{t}</dd>
                                    })}
                                </dl>
                                {aws.error.clone().map(|e| view! { <div class="alert" role="status">{e}</div> })}
                            })}
                            {d.picture.map(|has_picture| view! {
                                <section data-testid="account-picture-section">
                                    <PictureSection csrf=csrf() has_picture/>
                                </section>
                            }.into_any())}
                            {d.preferences.map(|saved| view! {
                                <section data-testid="account-preferences">
                                    <PreferencesSection csrf=csrf() saved/>
                                </section>
                            }.into_any())}
                            {d.manages_password.then(|| view! {
                                <ul class="actions">
                                    <li><a class="button secondary" href="/account/password">"Change password"</a></li>
                                    <li><a class="button secondary" href="/account/mfa">
                                        {if d.mfa_enabled == Some(true) { "Manage two-step verification" } else { "Set up two-step verification" }}
                                    </a></li>
                                </ul>
                            })}
                            </div>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
