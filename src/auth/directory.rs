//! The admin console's view of the user pool: `ListUsers` (one page, filtered by email
//! prefix), each user's groups (`ListUsersInGroup` per group the app knows, so a page costs
//! two calls, not one per user) and MFA (`AdminGetUser`, concurrently for the page), and the
//! admin actions: group membership and enable/disable. These are IAM-signed admin calls
//! (the deployment's policy grants exactly these; see `deploy/`).

use super::cognito::{classify, CognitoError};
use crate::access::{ADMINS, ANALYSTS};
use crate::model::DirectoryUser;
use aws_sdk_cognitoidentityprovider as cip;
use std::collections::HashMap;

/// The groups the console manages (the ones [`crate::access`] gives meaning to).
pub const MANAGED_GROUPS: [&str; 2] = [ADMINS, ANALYSTS];
/// Users per directory page.
pub const PAGE_SIZE: i32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("no such user")]
    NotFound,
    #[error("the email filter may not contain quotes or backslashes, nor exceed 200 characters")]
    BadFilter,
    #[error("the user has no sub attribute")]
    NoSub,
    #[error(transparent)]
    Cognito(#[from] CognitoError),
}

fn lift(e: CognitoError) -> DirectoryError {
    match e {
        CognitoError::InvalidCredentials { ref code } if code == "UserNotFoundException" => {
            DirectoryError::NotFound
        }
        other => DirectoryError::Cognito(other),
    }
}

/// One user of the pool, as the admin actions and a password reset need them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// The user's immutable id: what the session marker is keyed by.
    pub sub: String,
    pub email: String,
    /// Whether the account may sign in (an admin can disable it, here or in the console).
    pub enabled: bool,
}

#[derive(Clone)]
pub struct Directory {
    client: cip::Client,
    user_pool_id: String,
}

impl Directory {
    pub fn new(client: cip::Client, user_pool_id: String) -> Self {
        Directory {
            client,
            user_pool_id,
        }
    }

    /// One page of users whose email starts with `prefix` (all users for an empty prefix),
    /// and the token of the next page.
    pub async fn list(
        &self,
        prefix: &str,
        page: Option<String>,
    ) -> Result<(Vec<DirectoryUser>, Option<String>), DirectoryError> {
        if prefix.contains(['"', '\\']) || prefix.chars().count() > 200 {
            return Err(DirectoryError::BadFilter);
        }
        let mut req = self
            .client
            .list_users()
            .user_pool_id(&self.user_pool_id)
            .limit(PAGE_SIZE)
            .set_pagination_token(page.filter(|p| !p.is_empty()));
        if !prefix.is_empty() {
            req = req.filter(format!("email ^= \"{prefix}\""));
        }
        let out = req.send().await.map_err(classify).map_err(lift)?;
        let next = out.pagination_token.clone().filter(|t| !t.is_empty());
        let memberships = self.memberships().await?;
        let mut users: Vec<DirectoryUser> = out
            .users()
            .iter()
            .map(|u| {
                let username = u.username().unwrap_or_default().to_string();
                let email = u
                    .attributes()
                    .iter()
                    .find(|a| a.name() == "email")
                    .and_then(|a| a.value())
                    .unwrap_or_default()
                    .to_string();
                DirectoryUser {
                    groups: memberships.get(&username).cloned().unwrap_or_default(),
                    status: u
                        .user_status()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_else(|| "UNKNOWN".into()),
                    enabled: u.enabled(),
                    mfa: None,
                    username,
                    email,
                }
            })
            .collect();
        // MFA is only in AdminGetUser: ask for the page's users concurrently.
        let mut asks = tokio::task::JoinSet::new();
        for (i, u) in users.iter().enumerate() {
            let this = self.clone();
            let username = u.username.clone();
            asks.spawn(async move { (i, this.mfa_enabled(&username).await) });
        }
        while let Some(done) = asks.join_next().await {
            if let Ok((i, Ok(mfa))) = done {
                users[i].mfa = Some(mfa);
            }
        }
        users.sort_by(|a, b| a.email.cmp(&b.email));
        Ok((users, next))
    }

    /// Username → managed groups, from `ListUsersInGroup` for each managed group.
    async fn memberships(&self) -> Result<HashMap<String, Vec<String>>, DirectoryError> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for group in MANAGED_GROUPS {
            let mut token: Option<String> = None;
            loop {
                let out = self
                    .client
                    .list_users_in_group()
                    .user_pool_id(&self.user_pool_id)
                    .group_name(group)
                    .set_next_token(token.take())
                    .send()
                    .await
                    .map_err(classify)
                    .map_err(lift)?;
                for u in out.users() {
                    if let Some(name) = u.username() {
                        map.entry(name.to_string())
                            .or_default()
                            .push(group.to_string());
                    }
                }
                match out.next_token {
                    Some(t) if !t.is_empty() => token = Some(t),
                    _ => break,
                }
            }
        }
        for groups in map.values_mut() {
            groups.sort();
        }
        Ok(map)
    }

    async fn get_user(
        &self,
        username: &str,
    ) -> Result<cip::operation::admin_get_user::AdminGetUserOutput, DirectoryError> {
        self.client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(classify)
            .map_err(lift)
    }

    async fn mfa_enabled(&self, username: &str) -> Result<bool, DirectoryError> {
        let out = self.get_user(username).await?;
        Ok(out
            .user_mfa_setting_list()
            .iter()
            .any(|m| m == "SOFTWARE_TOKEN_MFA"))
    }

    /// Who the user is: their `sub` (which keys the session marker) and e-mail (for events),
    /// and that they exist.
    pub async fn who(&self, username: &str) -> Result<Person, DirectoryError> {
        let out = self.get_user(username).await?;
        let attribute = |name: &str| {
            out.user_attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value())
                .map(str::to_string)
        };
        Ok(Person {
            sub: attribute("sub").ok_or(DirectoryError::NoSub)?,
            email: attribute("email").unwrap_or_else(|| username.to_string()),
            enabled: out.enabled(),
        })
    }

    pub async fn add_to_group(&self, username: &str, group: &str) -> Result<(), DirectoryError> {
        self.client
            .admin_add_user_to_group()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .group_name(group)
            .send()
            .await
            .map_err(classify)
            .map_err(lift)?;
        Ok(())
    }

    pub async fn remove_from_group(
        &self,
        username: &str,
        group: &str,
    ) -> Result<(), DirectoryError> {
        self.client
            .admin_remove_user_from_group()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .group_name(group)
            .send()
            .await
            .map_err(classify)
            .map_err(lift)?;
        Ok(())
    }

    /// `AdminSetUserMFAPreference`: the user's authenticator app is no longer asked for (they
    /// lost it); they sign in with their password and may set up a new one.
    pub async fn reset_mfa(&self, username: &str) -> Result<(), DirectoryError> {
        self.client
            .admin_set_user_mfa_preference()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .software_token_mfa_settings(
                cip::types::SoftwareTokenMfaSettingsType::builder()
                    .enabled(false)
                    .preferred_mfa(false)
                    .build(),
            )
            .send()
            .await
            .map_err(classify)
            .map_err(lift)?;
        Ok(())
    }

    pub async fn set_enabled(&self, username: &str, enabled: bool) -> Result<(), DirectoryError> {
        let result = if enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        } else {
            self.client
                .admin_disable_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .send()
                .await
                .map(|_| ())
                .map_err(classify)
        };
        result.map_err(lift)
    }
}
