//! The new-password field, and the user pool's password policy it checks against as the user
//! types (the server checks the same policy again before Cognito is asked).

use super::TextField;
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
/// JavaScript), and a strength meter. Without JavaScript the rules are listed up front.
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
    let invalid = error.is_some();
    view! {
        <div class="field">
            <label for="password">"Password"</label>
            <input id="password" name="password" type="password" autocomplete="new-password" required
                on:input=move |ev| typed.set(event_target_value(&ev))
                aria-invalid=invalid.then_some("true")
                aria-describedby="password-rules"/>
            {error.map(|m| view! { <p class="field-error" id="password-error">{m}</p> })}
            <ul class="rules" id="password-rules" aria-live="polite">
                {move || rules_policy.rules(&typed.get()).into_iter().map(|(rule, met)| view! {
                    <li class=if met { "met" } else { "unmet" }>
                        <span aria-hidden="true">{if met { "✓ " } else { "• " }}</span>
                        {rule}
                        {met.then_some(view! { <span class="visually-hidden">" (done)"</span> })}
                    </li>
                }).collect_view()}
            </ul>
            <div class="strength" aria-live="polite">
                <meter min="0" max="4" low="2" high="3" optimum="4" value=move || strength.get().to_string()/>
                <span>{move || words[strength.get() as usize]}</span>
            </div>
        </div>
        <TextField id="confirm" label="Confirm password" kind="password" autocomplete="new-password" error=confirm_error/>
    }
}
