//! Server functions: the only way the pages talk to the server. Each body exists only in the
//! server build and delegates to [`crate::server::actions`], where every function checks
//! authorization and CSRF itself (a direct HTTP call gets the same checks as the page).

use crate::model::{AdminData, ApiError, FormState, LockoutsData, ReportsData, SessionInfo};
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

/// Data of `/reports` (groups `analysts` or `admins`).
#[server(endpoint = "reports_data")]
pub async fn load_reports() -> Result<ReportsData, ApiError> {
    crate::server::actions::reports_data().await
}

/// Data of `/admin` (group `admins`).
#[server(endpoint = "admin_data")]
pub async fn load_admin() -> Result<AdminData, ApiError> {
    crate::server::actions::admin_data().await
}

/// Accounts with recent failures or a running lock (group `admins`).
#[server(endpoint = "list_lockouts")]
pub async fn list_lockouts() -> Result<LockoutsData, ApiError> {
    crate::server::actions::list_lockouts().await
}

/// Clears an account name's failures and lock (group `admins`, CSRF-checked, logged).
#[server(endpoint = "unlock_account")]
pub async fn unlock_account(username: String, csrf: String) -> Result<FormState, ApiError> {
    crate::server::actions::unlock_account(username, csrf).await
}
