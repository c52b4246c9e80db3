//! The new-password field, and the user pool's password policy it checks against as the user
//! types (the server checks the same policy again before Cognito is asked).

use super::PasswordField;
use crate::model::{ApiError, PasswordPolicy};
use leptos::prelude::*;

/// The user pool's password policy (for the sign-up, reset and change forms).
#[server(endpoint = "password_policy")]
pub async fn get_password_policy() -> Result<PasswordPolicy, ApiError> {
    use crate::server::request::{app_state, unavailable};
    let state = app_state()?;
    state
        .svc
        .accounts
        .policy()
        .await
        .map_err(|e| unavailable("password policy", e))
}

/// A new password with the policy's rules, ticked off live as the user types (with
/// JavaScript), and a strength meter. Without JavaScript the rules are listed up front. The
/// rules describe the field (read with it); they are not a live region, which would speak at
/// every keystroke: the form's answer is what is announced.
#[component]
pub fn NewPassword(
    policy: PasswordPolicy,
    error: Option<String>,
    confirm_error: Option<String>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let rules_policy = policy.clone();
    let strength = Memo::new(move |_| policy.strength(&typed.get()));
    let words = ["", "Too weak", "Acceptable", "Strong", "Very strong"];
    view! {
        <PasswordField id="password" label="Password" autocomplete="new-password" error
            notes="password-rules password-strength"
            on_input=Callback::new(move |v| typed.set(v))/>
        <div class="field-notes">
            <ul class="rules" id="password-rules">
                {move || rules_policy.rules(&typed.get()).into_iter().map(|(rule, met)| view! {
                    <li class=if met { "met" } else { "unmet" }>
                        <span aria-hidden="true">{if met { "✓ " } else { "• " }}</span>
                        {rule}
                        {met.then_some(view! { <span class="visually-hidden">" (done)"</span> })}
                    </li>
                }).collect_view()}
            </ul>
            <div class="strength" id="password-strength">
                <meter min="0" max="4" low="2" high="3" optimum="4" value=move || strength.get().to_string()
                    aria-label="Password strength"/>
                <span>{move || words[strength.get() as usize]}</span>
            </div>
        </div>
        <PasswordField id="confirm" label="Confirm password" autocomplete="new-password" error=confirm_error/>
    }
}
