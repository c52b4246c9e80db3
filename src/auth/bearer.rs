//! Who calls the JSON API: a Cognito access token presented as `Authorization: Bearer …`.
//!
//! The token is judged as strictly as a session's tokens ([`TokenVerifier::verify_access_token`]:
//! RS256 against the pool's cached JWKS, `iss`, `token_use` = `access`, `client_id` = this
//! app, `exp`, `iat`), then against the user's revocation marker, the item a password change,
//! a reset or an admin's disable writes for every session of the user: a token of a sign-in
//! older than the marker is refused, as its session would be. The caller's groups come from the
//! verified token; their e-mail (the access token has none) and whether the account is still
//! enabled from the directory, remembered per user for [`PERSON_CACHE`].

use super::directory::{Directory, DirectoryError, Person};
use super::session::store::DynamoSessionStore;
use super::session::SessionError;
use super::tokens::{AccessClaims, TokenError, TokenVerifier, MAX_TOKEN_BYTES};
use crate::support::cache::TtlCache;
use crate::support::clock::last_ms_of;
use std::time::Duration;

/// How long an instance remembers a caller's e-mail and enabled flag: an account disabled in
/// the console (not through gatehouse, which writes the marker at once) is refused after at
/// most this long.
pub const PERSON_CACHE: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// No `Authorization: Bearer` header (RFC 6750: the challenge then names no error).
    #[error("no bearer token")]
    Missing,
    /// The header is there but is not `Bearer <token>` with a token's characters.
    #[error("the Authorization header is not a bearer token")]
    Malformed,
    /// The token did not verify (signature, issuer, client, kind, expiry …).
    #[error("the token is not valid")]
    Invalid(#[source] TokenError),
    /// It verified, but the user's sessions before it were revoked, or the account is disabled
    /// or gone.
    #[error("the token has been revoked")]
    Revoked,
    /// It verified, but an admin changed the user's groups after it was issued: the groups it
    /// carries are stale (a refreshed token has the new ones).
    #[error("the token's groups have changed since it was issued")]
    StaleGroups,
    /// The pool's keys could not be fetched: the token was not judged.
    #[error("the token's signing keys are unavailable")]
    KeysUnavailable(#[source] TokenError),
    #[error("the revocation marker could not be read")]
    Marker(#[source] SessionError),
    #[error("the directory could not be read")]
    Directory(#[source] DirectoryError),
}

/// A verified caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub sub: String,
    pub email: String,
    /// From the verified token's `cognito:groups`.
    pub groups: Vec<String>,
}

/// The token of an `Authorization` header value: `Bearer` (any case), one space, then the
/// token's characters (RFC 6750 `b64token`), nothing else.
pub fn token_of(header: Option<&str>) -> Result<&str, BearerError> {
    let value = header.ok_or(BearerError::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(BearerError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(BearerError::Missing);
    }
    let b64token = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES || !token.chars().all(b64token) {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

/// Judges bearer tokens: the verifier, the revocation markers, the directory.
pub struct BearerAuth {
    verifier: TokenVerifier,
    markers: DynamoSessionStore,
    directory: Directory,
    people: TtlCache<String, Person>,
}

impl BearerAuth {
    pub fn new(verifier: TokenVerifier, markers: DynamoSessionStore, directory: Directory) -> Self {
        BearerAuth {
            verifier,
            markers,
            directory,
            people: TtlCache::new(PERSON_CACHE, 10_000),
        }
    }

    /// The caller behind `token`, or why not.
    pub async fn caller(&self, token: &str) -> Result<Caller, BearerError> {
        let claims = self
            .verifier
            .verify_access_token(token)
            .await
            .map_err(|e| match e {
                TokenError::Jwks(_) => BearerError::KeysUnavailable(e),
                e => BearerError::Invalid(e),
            })?;
        let (marker, person) = tokio::join!(
            self.markers.user_marker_of(&claims.sub),
            self.person(&claims)
        );
        // The sign-in's time (a refreshed token keeps it); a token without one is ended by
        // any marker.
        let marker = marker.map_err(BearerError::Marker)?;
        if marker.ends(claims.auth_time.map(last_ms_of)).is_some() {
            return Err(BearerError::Revoked);
        }
        if marker.groups_changed_at.is_some_and(|at| claims.iat < at) {
            return Err(BearerError::StaleGroups);
        }
        let person = person?;
        if !person.enabled || person.sub != claims.sub {
            return Err(BearerError::Revoked);
        }
        Ok(Caller {
            sub: claims.sub,
            email: person.email,
            groups: claims.groups,
        })
    }

    async fn person(&self, claims: &AccessClaims) -> Result<Person, BearerError> {
        if let Some(hit) = self.people.get(&claims.sub) {
            return Ok(hit);
        }
        // Cognito's `username` (the pool's user name; the `sub` where e-mail is the sign-in
        // name) is what the directory is keyed by.
        let username = claims.username.as_deref().unwrap_or(&claims.sub);
        match self.directory.who(username).await {
            Ok(person) => {
                self.people.insert(claims.sub.clone(), person.clone());
                Ok(person)
            }
            Err(DirectoryError::NotFound) => Err(BearerError::Revoked),
            Err(e) => Err(BearerError::Directory(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_well_formed_bearer_header_yields_a_token() {
        assert_eq!(
            token_of(Some("Bearer abc.DEF-_.x1")).ok(),
            Some("abc.DEF-_.x1")
        );
        assert_eq!(token_of(Some("bearer abc")).ok(), Some("abc"));
        assert!(matches!(token_of(None), Err(BearerError::Missing)));
        assert!(matches!(
            token_of(Some("Basic dXNlcjpwYXNz")),
            Err(BearerError::Missing)
        ));
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a\"b",
            "Bearer  abc",
        ] {
            assert!(
                matches!(token_of(Some(bad)), Err(BearerError::Malformed)),
                "{bad:?}"
            );
        }
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1));
        assert!(matches!(token_of(Some(&long)), Err(BearerError::Malformed)));
    }
}
