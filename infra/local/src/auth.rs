//! The local stand-in for API Gateway's JWT authorizer and Cognito's sign-in: the dev server
//! signs staff tokens itself (HS256 with a key made at start-up) and checks them on the routes
//! template.yaml puts behind `StaffAuthorizer`, passing the claims as API Gateway does. It
//! exists only in the local stack; in AWS, Cognito signs and API Gateway checks.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit as _, Mac as _};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Who the local tokens say issued them, and for whom.
pub const ISSUER: &str = "town311-local";
pub const AUDIENCE: &str = "town311-local-staff";

/// Signs and checks local staff tokens.
#[derive(Clone)]
pub struct DevAuthority {
    /// HMAC-SHA256 keyed once; each token signs a copy.
    keyed: Hmac<Sha256>,
}

/// Why a token was refused (API Gateway answers 401 for each).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("bad signature")]
    Signature,
    #[error("expired")]
    Expired,
    #[error("wrong issuer or audience")]
    Audience,
}

impl DevAuthority {
    pub fn new(key: [u8; 32]) -> Self {
        // HMAC pads a key shorter than the hash's block with zeros (RFC 2104), so the padded
        // key is the same key, and taking a whole block cannot fail as `new_from_slice` might.
        let mut block = hmac::digest::Key::<Hmac<Sha256>>::default();
        block[..key.len()].copy_from_slice(&key);
        Self { keyed: Hmac::new(&block) }
    }

    /// The HMAC of `signed` (a token's `header.payload`), not yet finalized.
    fn mac(&self, signed: &str) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        mac.update(signed.as_bytes());
        mac
    }

    /// A token carrying `claims` as they are.
    pub fn sign(&self, claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signed = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{signature}")
    }

    /// A staff token like Cognito's ID token, valid until `expires` (seconds since the epoch).
    pub fn token(&self, username: &str, groups: &[String], expires: i64) -> String {
        self.sign(&json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": username,
            "cognito:username": username,
            "cognito:groups": groups,
            "token_use": "id",
            "iat": chrono::Utc::now().timestamp(),
            "exp": expires,
        }))
    }

    /// Checks an `Authorization` header's bearer token; gives its claims as API Gateway passes
    /// them to a function (every value a string, arrays as `[a b]`).
    pub fn verify(
        &self,
        authorization: Option<&str>,
        now: i64,
    ) -> Result<BTreeMap<String, String>, TokenError> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(TokenError::Missing)?;
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let given = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        // `verify_slice` compares in constant time: the signature is a secret-derived value.
        self.mac(&format!("{header}.{payload}")).verify_slice(&given).map_err(|_| TokenError::Signature)?;
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).map_err(|_| TokenError::Malformed)?)
                .map_err(|_| TokenError::Malformed)?;
        if header["alg"] != "HS256" {
            return Err(TokenError::Malformed);
        }
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| TokenError::Malformed)?)
                .map_err(|_| TokenError::Malformed)?;
        if claims["iss"] != ISSUER || claims["aud"] != AUDIENCE {
            return Err(TokenError::Audience);
        }
        if claims["exp"].as_i64().is_none_or(|exp| exp <= now) {
            return Err(TokenError::Expired);
        }
        let Value::Object(claims) = claims else { return Err(TokenError::Malformed) };
        Ok(claims
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    Value::Array(items) => format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect())
    }
}

/// The dev users: locally the staff directory lists them by group (as Cognito lists the user
/// pool's members in AWS), with anyone who signed in through the dev sign-in since the dev
/// server started. Any user name may still sign in with any groups.
pub const DEV_USERS: &[(&str, &[&str])] = &[
    ("ana", &["dept-DPW"]),
    ("bo", &["dept-DPW"]),
    ("dee", &["dept-DPW"]),
    ("sam", &["dept-SAN"]),
    ("pat", &["dept-PARKS"]),
    ("cole", &["dept-CODE"]),
    ("cleo", &["dept-CLERK"]),
    ("ad", &["admin"]),
    ("vi", &["viewer"]),
];

/// The local staff directory: the dev users and who signed in. One per process, shared by the
/// dev sign-in (which adds to it) and the query function (which reads it).
pub struct DevDirectory {
    groups: std::sync::Mutex<BTreeMap<String, BTreeMap<String, town311::ports::StaffMember>>>,
}

impl DevDirectory {
    fn new() -> Self {
        let directory = Self { groups: std::sync::Mutex::new(BTreeMap::new()) };
        for (user, groups) in DEV_USERS {
            let groups: Vec<String> = groups.iter().map(|g| (*g).to_owned()).collect();
            directory.signed_in(user, &groups);
        }
        directory
    }

    /// The process's directory.
    pub fn shared() -> std::sync::Arc<Self> {
        static SHARED: std::sync::OnceLock<std::sync::Arc<DevDirectory>> = std::sync::OnceLock::new();
        SHARED.get_or_init(|| std::sync::Arc::new(Self::new())).clone()
    }

    /// Lists `user` in each of `groups` from now on.
    pub fn signed_in(&self, user: &str, groups: &[String]) {
        let mut kept = self.groups.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for group in groups {
            let member = town311::ports::StaffMember { username: user.to_owned(), name: None };
            kept.entry(group.clone()).or_default().insert(user.to_owned(), member);
        }
    }
}

#[async_trait::async_trait]
impl town311::ports::StaffDirectory for DevDirectory {
    async fn members(
        &self,
        group: &str,
        limit: usize,
    ) -> Result<Vec<town311::ports::StaffMember>, town311::ports::StoreError> {
        let kept = self.groups.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(kept.get(group).map(|m| m.values().take(limit).cloned().collect()).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_dev_directory_keeps_the_contract_and_lists_who_signed_in() {
        use town311::ports::StaffDirectory as _;
        let directory = DevDirectory::new();
        for user in town311::adapters::contract::directory::SEEDED {
            directory.signed_in(user, &["dept-CONTRACT".to_owned()]);
        }
        town311::adapters::contract::directory::staff_directory(&directory, "dept-CONTRACT").await;
        let names =
            |m: Vec<town311::ports::StaffMember>| m.into_iter().map(|m| m.username).collect::<Vec<_>>();
        assert_eq!(names(directory.members("dept-DPW", 10).await.unwrap()), ["ana", "bo", "dee"]);
        directory.signed_in("zoe", &["dept-DPW".to_owned()]);
        assert_eq!(names(directory.members("dept-DPW", 10).await.unwrap()), ["ana", "bo", "dee", "zoe"]);
    }

    #[test]
    fn hmac_matches_an_independent_implementation() {
        // Expected value from Python's hmac module: hmac.new(b"\x0b" * 32, b"Hi There", sha256).
        let mac = DevAuthority::new([0x0b; 32]).mac("Hi There").finalize().into_bytes();
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
    }

    #[test]
    fn a_signed_token_verifies_and_renders_claims_as_api_gateway_does() {
        let authority = DevAuthority::new([7; 32]);
        let token = authority.token("ana", &["dept-DPW".into(), "viewer".into()], 2_000_000_000);
        let claims = authority.verify(Some(&format!("Bearer {token}")), 1_900_000_000).unwrap();
        assert_eq!(claims["cognito:username"], "ana");
        assert_eq!(claims["cognito:groups"], "[dept-DPW viewer]");
    }

    #[test]
    fn forged_expired_and_foreign_tokens_are_refused() {
        let authority = DevAuthority::new([7; 32]);
        let forger = DevAuthority::new([8; 32]);
        let forged = forger.token("ana", &["admin".into()], 2_000_000_000);
        assert_eq!(authority.verify(Some(&format!("Bearer {forged}")), 0), Err(TokenError::Signature));
        let expired = authority.token("ana", &[], 100);
        assert_eq!(authority.verify(Some(&format!("Bearer {expired}")), 100), Err(TokenError::Expired));
        let foreign = authority.sign(&json!({"iss": "elsewhere", "aud": AUDIENCE, "exp": 2_000_000_000}));
        assert_eq!(authority.verify(Some(&format!("Bearer {foreign}")), 0), Err(TokenError::Audience));
        assert_eq!(authority.verify(None, 0), Err(TokenError::Missing));
        assert_eq!(authority.verify(Some("Bearer a.b"), 0), Err(TokenError::Malformed));
        let valid = authority.token("ana", &[], 2_000_000_000);
        let mut tampered = valid.clone();
        tampered.insert(valid.find('.').unwrap_or(0) + 1, 'x');
        assert!(authority.verify(Some(&format!("Bearer {tampered}")), 0).is_err());
    }
}
