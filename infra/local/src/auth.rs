//! The local stand-in for API Gateway's JWT authorizer: on the routes template.yaml puts behind
//! `StaffAuthorizer`, the dev server checks the staff user pool's RS256 token as API Gateway
//! does (signature against the pool's JWKS, issuer, audience, expiry) and passes its claims as
//! API Gateway passes them. The pool and its tokens are the emulator's Cognito.

use crate::cognito::StaffPool;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents};
use serde_json::Value;
use std::collections::BTreeMap;

/// Why a token was refused (API Gateway answers 401 for each).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token")]
    Missing,
    #[error("malformed token")]
    Malformed,
    #[error("signed by no key of the pool")]
    Signature,
    #[error("expired or not yet valid")]
    Expired,
    #[error("another issuer")]
    Issuer,
    #[error("for another client")]
    Audience,
}

/// Why the pool's keys could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the user pool's keys at {url}: {reason}")]
pub struct KeysError {
    pub url: String,
    pub reason: String,
}

/// One RSA public key of the pool.
#[derive(Debug, Clone)]
struct PublicKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

/// Checks the pool's tokens as template.yaml's `StaffAuthorizer` is configured: its issuer and
/// its audience (the app client).
#[derive(Debug, Clone)]
pub struct Authorizer {
    issuer: String,
    audience: String,
    /// The pool's keys by `kid`, read once at start.
    keys: BTreeMap<String, PublicKey>,
}

impl Authorizer {
    /// From a JWKS document (`{"keys": [{"kid", "kty": "RSA", "n", "e"}]}`).
    pub fn new(issuer: &str, audience: &str, jwks: &Value) -> Result<Self, String> {
        let mut keys = BTreeMap::new();
        for key in jwks["keys"].as_array().into_iter().flatten() {
            if key["kty"] != "RSA" {
                continue;
            }
            let part = |name: &str| {
                key[name]
                    .as_str()
                    .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
                    .ok_or_else(|| format!("a key without a readable {name}"))
            };
            let kid = key["kid"].as_str().unwrap_or_default().to_owned();
            keys.insert(kid, PublicKey { n: part("n")?, e: part("e")? });
        }
        if keys.is_empty() {
            return Err("no RSA key".into());
        }
        Ok(Self { issuer: issuer.to_owned(), audience: audience.to_owned(), keys })
    }

    /// Reads the pool's JWKS from the emulator (`http://host:port`), once, at start.
    pub async fn fetch(emulator_url: &str, pool: &StaffPool) -> Result<Self, KeysError> {
        let path = pool.jwks_path();
        let url = format!("{}{path}", emulator_url.trim_end_matches('/'));
        let fail = |reason: String| KeysError { url: url.clone(), reason };
        let body = tokio::time::timeout(std::time::Duration::from_secs(10), http_get(emulator_url, &path))
            .await
            .map_err(|_| fail("no answer in 10 s".into()))?
            .map_err(fail)?;
        let jwks: Value = serde_json::from_slice(&body).map_err(|e| fail(e.to_string()))?;
        Self::new(&pool.issuer(), &pool.client_id, &jwks).map_err(fail)
    }

    /// Checks an `Authorization` header's bearer token at `now` (seconds since the epoch);
    /// gives its claims as API Gateway passes them to a function (every value a string,
    /// arrays as `[a b]`).
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
        let decode = |part: &str| -> Result<Value, TokenError> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)?;
            serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
        };
        let head = decode(header)?;
        if head["alg"] != "RS256" {
            return Err(TokenError::Malformed);
        }
        let key = self.keys.get(head["kid"].as_str().unwrap_or_default()).ok_or(TokenError::Signature)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        RsaPublicKeyComponents { n: &key.n, e: &key.e }
            .verify(&RSA_PKCS1_2048_8192_SHA256, format!("{header}.{payload}").as_bytes(), &signature)
            .map_err(|_| TokenError::Signature)?;
        let claims = decode(payload)?;
        if claims["iss"] != self.issuer.as_str() {
            return Err(TokenError::Issuer);
        }
        // API Gateway checks `aud` (an ID token's), or `client_id` where there is no `aud` (an
        // access token's), against the authorizer's audience.
        let audience = claims.get("aud").or_else(|| claims.get("client_id"));
        let matches = match audience {
            Some(Value::String(one)) => *one == self.audience,
            Some(Value::Array(many)) => many.iter().any(|a| *a == self.audience.as_str()),
            _ => false,
        };
        if !matches {
            return Err(TokenError::Audience);
        }
        if claims["exp"].as_i64().is_none_or(|exp| exp <= now)
            || claims["nbf"].as_i64().is_some_and(|nbf| nbf > now)
        {
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

/// A plain HTTP/1.0 GET to the emulator (`http://host:port`): the body of a 200. Hand-written:
/// one small JSON document read once at start, where hyper here is built without its client.
async fn http_get(base: &str, path: &str) -> Result<Vec<u8>, String> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let authority = base.trim_end_matches('/').strip_prefix("http://").ok_or("not an http:// address")?;
    let mut stream = tokio::net::TcpStream::connect(authority).await.map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream.take(1024 * 1024).read_to_end(&mut answer).await.map_err(|e| e.to_string())?;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no HTTP answer")?;
    let status = String::from_utf8_lossy(&answer[..split]).lines().next().unwrap_or_default().to_owned();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(status);
    }
    Ok(answer[split + 4..].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// RFC 7515's appendix A.2 example: an RS256 JWS and the RSA key that signed it.
    const RFC_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";
    const RFC_N: &str = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";

    fn rfc_authorizer(issuer: &str, audience: &str) -> Authorizer {
        Authorizer::new(
            issuer,
            audience,
            &json!({"keys": [{"kty": "RSA", "kid": "", "n": RFC_N, "e": "AQAB"}]}),
        )
        .unwrap()
    }

    #[test]
    fn the_signature_is_checked_against_the_pools_key() {
        // The RFC's token has no kid, no audience: its signature is what this checks.
        let authorizer = rfc_authorizer("joe", "x");
        let bearer = format!("Bearer {RFC_TOKEN}");
        assert_eq!(authorizer.verify(Some(&bearer), 0), Err(TokenError::Audience));
        let mut tampered = RFC_TOKEN.to_owned();
        tampered.replace_range(40..41, "A");
        assert_eq!(authorizer.verify(Some(&format!("Bearer {tampered}")), 0), Err(TokenError::Signature));
        assert_eq!(rfc_authorizer("jane", "x").verify(Some(&bearer), 0), Err(TokenError::Issuer));
    }

    #[test]
    fn tokens_without_a_bearer_or_a_shape_or_a_key_are_refused() {
        let authorizer = rfc_authorizer("joe", "x");
        assert_eq!(authorizer.verify(None, 0), Err(TokenError::Missing));
        assert_eq!(authorizer.verify(Some("Bearer a.b"), 0), Err(TokenError::Malformed));
        let hs256 = format!("{}.e30.", URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#));
        assert_eq!(authorizer.verify(Some(&format!("Bearer {hs256}")), 0), Err(TokenError::Malformed));
        let unknown = format!("{}.e30.", URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"other"}"#));
        assert_eq!(authorizer.verify(Some(&format!("Bearer {unknown}")), 0), Err(TokenError::Signature));
        assert!(Authorizer::new("joe", "x", &json!({"keys": []})).is_err());
    }
}
