//! The town's form token: proof that a submission comes from a page the web function served,
//! where the deployment asks everyone else for an API key.
//!
//! A token is `<expiry>.<signature>`: the expiry in seconds since the epoch, and the unpadded
//! base64url HMAC-SHA256 of `town311-form\0<expiry>` under the deployment's form secret. The web
//! function mints one each time it serves the pages' settings; `submit` checks it. Both take the
//! current time as an argument.
//!
//! The web function compiles this same file into itself (it carries no AWS crate, so not the
//! library), so it names nothing of the library.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use sha2::Sha256;

/// How long a token is valid, in seconds: a citizen has two hours to fill in the form.
pub const LIFETIME_SECONDS: i64 = 2 * 60 * 60;

/// How far a clock may run ahead of another's, in seconds.
pub const CLOCK_SKEW_SECONDS: i64 = 60;

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// What the signature covers before the expiry: tokens of other uses never pass as this one.
const PURPOSE: &[u8] = b"town311-form\0";

/// The longest token read; anything longer is not one.
const MAX_TOKEN_CHARS: usize = 96;

/// Why a secret or a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FormTokenError {
    #[error("the form secret must be at least {MIN_SECRET_BYTES} bytes")]
    ShortSecret,
    #[error("the form token is malformed")]
    Malformed,
    #[error("the form token's signature does not match")]
    Signature,
    #[error("the form token has expired")]
    Expired,
    #[error("the form token expires further ahead than any token is issued for")]
    Future,
}

/// The deployment's form secret, keyed once. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct FormKey {
    keyed: Hmac<Sha256>,
}

impl std::fmt::Debug for FormKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormKey(..)")
    }
}

impl FormKey {
    /// Keys HMAC-SHA256 with `secret`, which must be at least [`MIN_SECRET_BYTES`] long.
    pub fn new(secret: &[u8]) -> Result<Self, FormTokenError> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(FormTokenError::ShortSecret);
        }
        let keyed = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| FormTokenError::ShortSecret)?;
        Ok(Self { keyed })
    }

    /// The HMAC of the expiry as written in the token, not yet finalized.
    fn mac(&self, expiry: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(PURPOSE);
        mac.update(expiry.as_bytes());
        mac
    }

    /// A token valid from `now` (seconds since the epoch) for [`LIFETIME_SECONDS`].
    pub fn mint(&self, now: i64) -> String {
        let expiry = now.saturating_add(LIFETIME_SECONDS).to_string();
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&expiry).finalize().into_bytes());
        format!("{expiry}.{signature}")
    }

    /// Checks `token` at `now`: signed with this secret (compared in constant time), not
    /// expired, and not expiring later than a token minted now could (with clock skew). Gives
    /// its expiry.
    pub fn verify(&self, token: &str, now: i64) -> Result<i64, FormTokenError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN_CHARS {
            return Err(FormTokenError::Malformed);
        }
        let (expiry_text, signature) = token.split_once('.').ok_or(FormTokenError::Malformed)?;
        if expiry_text.is_empty()
            || expiry_text.len() > 12
            || !expiry_text.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(FormTokenError::Malformed);
        }
        let expiry: i64 = expiry_text.parse().map_err(|_| FormTokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| FormTokenError::Malformed)?;
        self.mac(expiry_text).verify_slice(&signature).map_err(|_| FormTokenError::Signature)?;
        if expiry <= now {
            return Err(FormTokenError::Expired);
        }
        if expiry > now.saturating_add(LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) {
            return Err(FormTokenError::Future);
        }
        Ok(expiry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    fn key() -> FormKey {
        FormKey::new(b"0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn a_minted_token_passes_until_it_expires() {
        let token = key().mint(NOW);
        assert!(token.starts_with(&format!("{}.", NOW + LIFETIME_SECONDS)), "{token}");
        assert_eq!(key().verify(&token, NOW), Ok(NOW + LIFETIME_SECONDS));
        assert!(key().verify(&token, NOW + LIFETIME_SECONDS - 1).is_ok());
        assert_eq!(key().verify(&token, NOW + LIFETIME_SECONDS), Err(FormTokenError::Expired));
        assert_eq!(key().verify(&token, NOW + 10 * LIFETIME_SECONDS), Err(FormTokenError::Expired));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_the_purpose_and_expiry() {
        // Independent value: Python's hmac.new(key, b"town311-form\x001795007200", sha256),
        // base64url without padding.
        assert_eq!(key().mint(NOW), "1795007200.JP27nrEGCS4mH5wviMroxj2IRESowXl1D3WRGmQXE8w");
    }

    #[test]
    fn an_altered_token_is_refused() {
        let token = key().mint(NOW);
        let (expiry, signature) = token.split_once('.').unwrap();
        let later: i64 = expiry.parse::<i64>().unwrap() + 60;
        assert_eq!(key().verify(&format!("{later}.{signature}"), NOW), Err(FormTokenError::Signature));
        let mut flipped = signature.to_owned().into_bytes();
        flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(key().verify(&format!("{expiry}.{flipped}"), NOW), Err(FormTokenError::Signature));
        assert_eq!(
            key().verify(&format!("{expiry}.{}", &signature[..20]), NOW),
            Err(FormTokenError::Signature)
        );
        assert_eq!(key().verify(&format!("0{expiry}.{signature}"), NOW), Err(FormTokenError::Signature));
    }

    #[test]
    fn what_is_not_a_token_is_malformed() {
        let token = key().mint(NOW);
        let (expiry, signature) = token.split_once('.').unwrap();
        for bad in [
            "",
            ".",
            "nonsense",
            expiry,
            &format!("{expiry}.{signature}!"),
            &format!("+{expiry}.{signature}"),
            &format!("-1.{signature}"),
            &format!("{expiry}.{signature}{}", "A".repeat(100)),
        ] {
            assert_eq!(key().verify(bad, NOW), Err(FormTokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn a_token_of_another_secret_is_refused() {
        let other = FormKey::new(&[7; 32]).unwrap();
        assert_eq!(key().verify(&other.mint(NOW), NOW), Err(FormTokenError::Signature));
        assert_eq!(other.verify(&key().mint(NOW), NOW), Err(FormTokenError::Signature));
    }

    #[test]
    fn a_token_from_too_far_ahead_is_refused() {
        // Minted by a clock up to a minute ahead: accepted.
        assert!(key().verify(&key().mint(NOW + CLOCK_SKEW_SECONDS), NOW).is_ok());
        assert_eq!(key().verify(&key().mint(NOW + CLOCK_SKEW_SECONDS + 1), NOW), Err(FormTokenError::Future));
        assert_eq!(key().verify(&key().mint(NOW + 365 * 86_400), NOW), Err(FormTokenError::Future));
    }

    #[test]
    fn a_short_secret_is_refused_and_none_is_shown() {
        assert_eq!(FormKey::new(&[1; 31]).unwrap_err(), FormTokenError::ShortSecret);
        assert_eq!(FormKey::new(b"").unwrap_err(), FormTokenError::ShortSecret);
        assert_eq!(format!("{:?}", key()), "FormKey(..)");
    }
}
