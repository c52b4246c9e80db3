//! Server functions: the only way the pages talk to the server. Each body exists only in the
//! server build and delegates to [`crate::server::actions`], where every function checks
//! authorization and CSRF itself (a direct HTTP call gets the same checks as the page).

use crate::model::{
    AccountData, AdminData, ApiError, AuditData, DashboardData, FormState, LockoutsData, MfaData,
    PasswordPolicy, ReportsData, SessionInfo,
};
use leptos::prelude::*;

/// Who is signed in, the CSRF token for forms, and any pending flash message.
#[server(endpoint = "session_info")]
pub async fn get_session_info() -> Result<SessionInfo, ApiError> {
    crate::server::actions::session_info().await
}

/// The email/password form (Cognito `InitiateAuth`, `USER_PASSWORD_AUTH`).
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::actions::sign_in(email, password, next, csrf).await
}

/// Ends the session: `POST /logout` (with a CSRF token, never a link).
#[server(prefix = "", endpoint = "logout")]
pub async fn sign_out(csrf: String) -> Result<FormState, ApiError> {
    crate::server::actions::sign_out(csrf).await
}

/// `/dashboard`: the user's account and their own recent sign-in activity.
#[server(endpoint = "dashboard_data")]
pub async fn load_dashboard() -> Result<DashboardData, ApiError> {
    crate::server::data::dashboard_data().await
}

/// `/reports` (groups `analysts` or `admins`): charts over a date range (`YYYY-MM-DD`).
#[server(endpoint = "reports_data")]
pub async fn load_reports(
    from: Option<String>,
    to: Option<String>,
) -> Result<ReportsData, ApiError> {
    crate::server::data::reports_data(from, to).await
}

/// `/admin` (group `admins`): one page of the user directory, filtered by email prefix.
#[server(endpoint = "admin_data")]
pub async fn load_admin(
    filter: Option<String>,
    page: Option<String>,
) -> Result<AdminData, ApiError> {
    crate::server::data::admin_data(filter, page).await
}

/// An admin action on a user (admins, CSRF-checked, recorded): `op` is `add` or `remove`
/// (with `group`), or `enable` / `disable`.
#[server(endpoint = "manage_user")]
pub async fn manage_user(
    username: String,
    op: String,
    group: Option<String>,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::data::manage_user(username, op, group, csrf).await
}

/// `/admin/audit` (admins): events filtered by user, kind and date range.
#[server(endpoint = "audit_data")]
pub async fn load_audit(
    user: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<AuditData, ApiError> {
    crate::server::data::audit_data(user, kind, from, to).await
}

/// Accounts with recent failures or a running lock (group `admins`).
#[server(endpoint = "list_lockouts")]
pub async fn list_lockouts(page: Option<String>) -> Result<LockoutsData, ApiError> {
    crate::server::actions::list_lockouts(page).await
}

/// Clears an account name's failures and lock (group `admins`, CSRF-checked, logged).
#[server(endpoint = "unlock_account")]
pub async fn unlock_account(username: String, csrf: String) -> Result<FormState, ApiError> {
    crate::server::actions::unlock_account(username, csrf).await
}

/// The user pool's password policy (for the sign-up and reset forms).
#[server(endpoint = "password_policy")]
pub async fn get_password_policy() -> Result<PasswordPolicy, ApiError> {
    crate::server::account::password_policy().await
}

/// `/signup`: creates the account; Cognito emails a confirmation code.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::account::sign_up(email, password, confirm, csrf).await
}

/// `/confirm`: the emailed code confirms the account.
#[server(endpoint = "confirm_account")]
pub async fn confirm_account(
    email: String,
    code: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::account::confirm_account(email, code, csrf).await
}

/// `/confirm`: asks Cognito to send the code again.
#[server(endpoint = "resend_code")]
pub async fn resend_code(email: String, csrf: String) -> Result<FormState, ApiError> {
    crate::server::account::resend_code(email, csrf).await
}

/// `/forgot`: asks Cognito to email a reset code (same answer for unknown emails).
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String, csrf: String) -> Result<FormState, ApiError> {
    crate::server::account::forgot_password(email, csrf).await
}

/// `/reset`: the code and a new password.
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    email: String,
    code: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::account::reset_password(email, code, password, confirm, csrf).await
}

/// `/login/mfa`: the code from the authenticator app (the challenge stays on the server).
#[server(endpoint = "answer_mfa")]
pub async fn answer_mfa(code: String, csrf: String) -> Result<FormState, ApiError> {
    crate::server::profile::answer_mfa(code, csrf).await
}

/// `/login/new-password`: replaces a temporary password, then signs in.
#[server(endpoint = "set_new_password")]
pub async fn set_new_password(
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::profile::set_new_password(password, confirm, csrf).await
}

/// `/account` (any signed-in user).
#[server(endpoint = "account_data")]
pub async fn load_account() -> Result<AccountData, ApiError> {
    crate::server::profile::account_data().await
}

/// `/account/password`: current password, new password; other sessions are signed out.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::profile::change_password(current, password, confirm, csrf).await
}

/// `/account/mfa`: whether the authenticator is on, and the set-up in progress.
#[server(endpoint = "mfa_data")]
pub async fn load_mfa() -> Result<MfaData, ApiError> {
    crate::server::profile::mfa_data().await
}

/// `/account/mfa`: the current password starts the authenticator set-up.
#[server(endpoint = "start_mfa")]
pub async fn start_mfa(current: String, csrf: String) -> Result<FormState, ApiError> {
    crate::server::profile::start_mfa(current, csrf).await
}

/// `/account/mfa`: the first code turns two-step verification on.
#[server(endpoint = "verify_mfa")]
pub async fn verify_mfa(code: String, csrf: String) -> Result<FormState, ApiError> {
    crate::server::profile::verify_mfa(code, csrf).await
}

/// `/account/mfa`: the password and a current code turn two-step verification off.
#[server(endpoint = "disable_mfa")]
pub async fn disable_mfa(
    current: String,
    code: String,
    csrf: String,
) -> Result<FormState, ApiError> {
    crate::server::profile::disable_mfa(current, code, csrf).await
}
