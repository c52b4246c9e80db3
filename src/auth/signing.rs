//! HMAC-SHA256 signatures with the app secret, one purpose string per use so that a value
//! signed for one purpose is never accepted for another. Used for the CSRF token (a signed
//! double-submit cookie: the form carries the MAC of the cookie's random nonce) and the flash
//! cookie. Keyed by `APP_SECRET`, shared by every instance.

use crate::config::Secret;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

#[derive(Clone, Debug)]
pub struct Signer {
    key: Secret,
}

impl Signer {
    pub fn new(key: Secret) -> Self {
        Signer { key }
    }

    fn mac(&self, purpose: &str, data: &[u8]) -> Vec<u8> {
        // Infallible for HMAC: any key length is accepted.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// The signature of `data` for `purpose`, base64url.
    pub fn sign(&self, purpose: &str, data: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(purpose, data))
    }

    /// Constant-time check of a signature made by [`Signer::sign`].
    pub fn verify(&self, purpose: &str, data: &[u8], signature: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(signature.as_bytes()) {
            Ok(sig) => bool::from(self.mac(purpose, data).ct_eq(&sig)),
            Err(_) => false,
        }
    }

    /// `payload.signature`, both base64url.
    pub fn seal(&self, purpose: &str, payload: &[u8]) -> String {
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            self.sign(purpose, payload)
        )
    }

    /// Opens a value made by [`Signer::seal`]; `None` when tampered with.
    pub fn open(&self, purpose: &str, sealed: &str) -> Option<Vec<u8>> {
        let (payload, sig) = sealed.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload.as_bytes()).ok()?;
        self.verify(purpose, &payload, sig).then_some(payload)
    }
}

/// 32 random bytes, base64url: CSRF cookie nonces.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub const CSRF_PURPOSE: &str = "csrf";

/// The form token for a CSRF cookie nonce and the session's own CSRF key (empty while the
/// visitor has no stored session): a MAC over both, so a token only works with the cookie
/// and in the session it was issued for.
pub fn csrf_token(signer: &Signer, nonce: &str, session_key: &str) -> String {
    signer.sign(CSRF_PURPOSE, format!("{nonce}.{session_key}").as_bytes())
}

/// Whether a submitted form token matches the CSRF cookie and this session's key.
pub fn csrf_ok(
    signer: &Signer,
    cookie_nonce: Option<&str>,
    session_key: &str,
    submitted: &str,
) -> bool {
    match cookie_nonce {
        Some(nonce) if nonce.len() >= 32 && !submitted.is_empty() => signer.verify(
            CSRF_PURPOSE,
            format!("{nonce}.{session_key}").as_bytes(),
            submitted,
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(k: &str) -> Signer {
        Signer::new(Secret::new(k))
    }

    #[test]
    fn csrf_token_matches_only_its_cookie_and_key() {
        let s = signer("k1-0123456789abcdef0123456789abcdef");
        let nonce = random_token();
        let key = random_token();
        let token = csrf_token(&s, &nonce, &key);
        assert!(csrf_ok(&s, Some(&nonce), &key, &token));
        assert!(
            !csrf_ok(&s, Some(&random_token()), &key, &token),
            "other cookie"
        );
        assert!(!csrf_ok(&s, None, &key, &token), "no cookie");
        assert!(!csrf_ok(&s, Some(&nonce), &key, ""), "no token");
        assert!(
            !csrf_ok(&s, Some(&nonce), &key, &nonce),
            "cookie value echoed back"
        );
        let other = signer("k2-0123456789abcdef0123456789abcdef");
        assert!(!csrf_ok(&other, Some(&nonce), &key, &token), "other key");
        assert!(
            !csrf_ok(&s, Some(&nonce), &random_token(), &token),
            "another session"
        );
        assert!(!csrf_ok(&s, Some(&nonce), "", &token), "no session");
        let anonymous = csrf_token(&s, &nonce, "");
        assert!(csrf_ok(&s, Some(&nonce), "", &anonymous));
        assert!(
            !csrf_ok(&s, Some(&nonce), &key, &anonymous),
            "signed in since"
        );
    }

    #[test]
    fn sealed_values_detect_tampering_and_purpose() {
        let s = signer("k1-0123456789abcdef0123456789abcdef");
        let sealed = s.seal("flash", b"{\"a\":1}");
        assert_eq!(s.open("flash", &sealed).as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(s.open("csrf", &sealed), None, "purpose is bound");
        let mut tampered = sealed.clone();
        tampered.replace_range(0..1, if sealed.starts_with('e') { "f" } else { "e" });
        assert_eq!(s.open("flash", &tampered), None);
        assert_eq!(s.open("flash", "garbage"), None);
    }
}
